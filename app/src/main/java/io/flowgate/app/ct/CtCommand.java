package io.flowgate.app.ct;

import io.flowgate.app.mgmt.ManagementClient;
import io.flowgate.app.mgmt.ManagementServer;
import java.io.BufferedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/**
 * {@code flowgate ct ...}: conntrack-tools' {@code conntrack} against the running flowgate, over its
 * management socket. The operation is a word ({@code list}) or conntrack's option ({@code -L}); the other
 * options are conntrack's (see docs/conntrack-cli.md). Output lines are byte for byte conntrack's: stdout
 * carries entries, stderr the summary. Parsing is our own (conntrack's option set does not fit picocli's
 * model of subcommands), so every word reaches {@link CtRequest}.
 */
@Command(name = "ct",
    customSynopsis = {
        "flowgate ct list|get|delete|update|flush|count|stats|events [OPTIONS]",
        "flowgate ct -L|-G|-D|-U|-F|-C|-S|-E [OPTIONS]"},
    description = "The running flowgate's connection tracking table, with conntrack-tools' options and output.",
    footer = {
        "Filters: -p/--proto P  -f/--family ipv4|ipv6  -s/--src/--orig-src A[/N]",
        "  -d/--dst/--orig-dst A[/N]  -r/--reply-src A[/N]  -q/--reply-dst A[/N]",
        "  --sport/--orig-port-src N  --dport/--orig-port-dst N  --reply-port-src N",
        "  --reply-port-dst N  --state STATE  -m/--mark V[/MASK]  -w/--zone N",
        "  -u/--status ASSURED,SEEN_REPLY,UNREPLIED,...  --icmp-type N  --icmp-code N",
        "  --icmp-id N (and the --icmpv6-* spellings)",
        "Output: -o extended,id,timestamp,ktimestamp   Events: -e NEW,UPDATE,DESTROY",
        "  --max-events N (stop after N events)",
        "Socket: --socket PATH (default /run/flowgate/flowgate.sock)",
        "See docs/conntrack-cli.md."})
public final class CtCommand implements Callable<Integer>
{
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call()
    {
        final CtRequest request = CtRequest.parse(args);
        final Path socket = request.socket != null ? Path.of(request.socket) : ManagementServer.DEFAULT_PATH;
        // Buffered: a listing of a million entries is one write per 64 KiB, not one per line.
        final PrintStream out = new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false, StandardCharsets.UTF_8);
        final PrintStream err = System.err;
        final long[] events = new long[1];
        final boolean streaming = request.op == CtRequest.Op.EVENTS;
        final Thread summary = streaming ? new Thread(() -> err.println(ConntrackFormat.eventsSummary(events[0]))) : null;
        try (ManagementClient client = ManagementClient.connect(socket))
        {
            if (summary != null)
            {
                // conntrack -E prints its count when interrupted; so does this, from a shutdown hook.
                Runtime.getRuntime().addShutdownHook(summary);
            }
            final List<String> words = new ArrayList<>(request.words);
            words.add(0, CtService.NAME);
            final int status = client.request(words, new ManagementClient.Lines()
            {
                @Override
                public boolean out(final String line)
                {
                    out.println(line);
                    if (streaming)
                    {
                        out.flush();
                        events[0]++;
                        return request.maxEvents == 0 || events[0] < request.maxEvents;
                    }
                    return true;
                }

                @Override
                public void err(final String line)
                {
                    out.flush();
                    err.println(line);
                }
            });
            out.flush();
            if (summary != null)
            {
                Runtime.getRuntime().removeShutdownHook(summary);
                err.println(ConntrackFormat.eventsSummary(events[0]));
            }
            return status;
        }
        catch (final RuntimeException ex)
        {
            out.flush();
            if (summary != null)
            {
                try
                {
                    // The stream broke (flowgate stopped): the count first, then the error line.
                    if (Runtime.getRuntime().removeShutdownHook(summary))
                    {
                        err.println(ConntrackFormat.eventsSummary(events[0]));
                    }
                }
                catch (final IllegalStateException ignored)
                {
                    // Shutting down already: the hook prints the count.
                }
            }
            throw ex;
        }
    }
}
