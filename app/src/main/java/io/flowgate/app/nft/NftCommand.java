package io.flowgate.app.nft;

import io.flowgate.app.config.ConfigLoader;
import io.flowgate.app.config.FlowgateConfig;
import io.flowgate.app.mgmt.ManagementClient;
import io.flowgate.app.mgmt.ManagementServer;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.RulesetException;
import io.flowgate.pipeline.rules.nft.NftParser;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code flowgate nft}, as {@code nft} is used on a Linux router (docs/rules.md):
 * <ul>
 * <li>{@code flowgate nft -c -f FILE [--config router.yaml]}: checks the ruleset without a router (as {@code nft -c});
 * with the configuration, also its {@code iif}/{@code oif} port names and what needs conntrack;</li>
 * <li>{@code flowgate nft -f FILE}: replaces the running router's ruleset (atomically; a refused file leaves the running
 * one in place);</li>
 * <li>{@code flowgate nft list ruleset}: the running ruleset with live counters.</li>
 * </ul>
 * A refused ruleset prints {@code flowgate: error: FILE:LINE:COLUMN: reason} and exits 1.
 */
@Command(name = "nft", mixinStandardHelpOptions = true,
    description = "nftables rulesets: flowgate nft [-c] -f FILE [--config YAML] | flowgate nft list ruleset [--socket PATH].")
public final class NftCommand implements Callable<Integer>
{
    @Option(names = "-f", paramLabel = "FILE", description = "load the ruleset in FILE, - for standard input (replaces the running one; "
        + "with -c: check only)")
    Path file;

    @Option(names = "-c", description = "check only: parse and validate, load nothing (needs no running flowgate)")
    boolean check;

    @Option(names = "--config", paramLabel = "YAML", description = "with -c: the router's configuration, to check port names")
    Path config;

    @Option(names = "--socket", description = "management socket (default /run/flowgate/flowgate.sock)")
    Path socket;

    @Parameters(arity = "0..2", paramLabel = "WORDS", description = "list ruleset")
    List<String> words;

    @Override
    public Integer call()
    {
        final boolean list = words != null && words.equals(List.of("list", "ruleset"));
        if (words != null && !words.isEmpty() && !list)
        {
            throw new IllegalArgumentException("unknown nft command '" + String.join(" ", words) + "' (list ruleset, -f FILE, -c -f FILE)");
        }
        if (list == (file != null))
        {
            throw new IllegalArgumentException("give either -f FILE or list ruleset");
        }
        if (check && file == null)
        {
            throw new IllegalArgumentException("-c needs -f FILE");
        }
        if (config != null && !check)
        {
            throw new IllegalArgumentException("--config is for -c (a running flowgate knows its ports)");
        }
        if (list)
        {
            return request(List.of(NftService.NAME, "list", "ruleset"), null);
        }
        final byte[] text;
        try
        {
            text = file.toString().equals("-") ? System.in.readAllBytes() : Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            System.err.println("flowgate: error: cannot read " + file + ": " + ex.getMessage());
            return 1;
        }
        if (check)
        {
            return check(new String(text, StandardCharsets.UTF_8));
        }
        return request(List.of(NftService.NAME, "load", URLEncoder.encode(file.toString(), StandardCharsets.UTF_8),
            Integer.toString(text.length)), text);
    }

    private int check(final String text)
    {
        final FlowgateConfig router = config == null ? null : ConfigLoader.load(config);
        try
        {
            final Ruleset ruleset = NftParser.parse(file.toString(), text);
            if (router != null)
            {
                RulesCheck.check(ruleset, router.ports().stream().map(FlowgateConfig.PortSpec::name).toList(), router.conntrack() != null);
            }
            return 0;
        }
        catch (final RulesetException ex)
        {
            System.err.println("flowgate: error: " + ex.getMessage());
            return 1;
        }
    }

    private int request(final List<String> request, final byte[] body)
    {
        try (ManagementClient client = ManagementClient.connect(socket != null ? socket : ManagementServer.DEFAULT_PATH))
        {
            return client.request(request, body, ManagementClient.Lines.CONSOLE);
        }
        catch (final IllegalStateException ex)
        {
            // A refused ruleset (or no flowgate to talk to): one line, exit 1; the running ruleset is untouched.
            System.err.println("flowgate: error: " + ex.getMessage());
            return 1;
        }
    }
}
