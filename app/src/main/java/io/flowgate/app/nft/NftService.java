package io.flowgate.app.nft;

import io.flowgate.app.mgmt.ManagementServer;
import io.flowgate.pipeline.rules.RuleEngine;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.RulesetException;
import io.flowgate.pipeline.rules.nft.NftParser;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The management service {@code nft} (docs/management-socket.md), the server side of {@code flowgate nft}:
 * <ul>
 * <li>{@code nft list ruleset}: the running ruleset in nft syntax with its live counters, one {@code 1 } line each;</li>
 * <li>{@code nft load NAME BYTES} followed by BYTES bytes of ruleset text: parsed (errors name NAME, URL-encoded in
 * the request), checked against the router ({@link RulesCheck}) and handed to the engine, which replaces the running
 * ruleset atomically; any refusal is an error answer and the running ruleset stays.</li>
 * </ul>
 * Thread-safety: the management server calls it from a connection's thread; loads are serialized here so two
 * {@code flowgate nft -f} at once replace the ruleset one after the other.
 */
public final class NftService implements ManagementServer.Handler
{
    /** The management service's name. */
    public static final String NAME = "nft";

    /** What the service needs of the router's rule engine ({@code Router.rules()}). */
    public interface Engine
    {
        /** Compiles and publishes; refused: nothing changes. */
        void load(Ruleset ruleset) throws RulesetException;

        /** The running ruleset in nft syntax with live counters. */
        String list();
    }

    /** The router's rule engine as the service sees it. */
    public static Engine of(final RuleEngine rules)
    {
        return new Engine()
        {
            @Override
            public void load(final Ruleset ruleset) throws RulesetException
            {
                rules.load(ruleset);
            }

            @Override
            public String list()
            {
                return rules.list();
            }
        };
    }

    private final Engine engine;
    private final List<String> ports;
    private final boolean conntrack;

    public NftService(final Engine engine, final List<String> ports, final boolean conntrack)
    {
        this.engine = engine;
        this.ports = List.copyOf(ports);
        this.conntrack = conntrack;
    }

    @Override
    public int handle(final List<String> args, final ManagementServer.Response response) throws Exception
    {
        if (args.size() == 2 && "list".equals(args.get(0)) && "ruleset".equals(args.get(1)))
        {
            final String text = engine.list();
            for (final String line : (text.endsWith("\n") ? text.substring(0, text.length() - 1) : text).split("\n", -1))
            {
                response.out(line);
            }
            return 0;
        }
        if (args.size() == 3 && "load".equals(args.get(0)))
        {
            final String name = URLDecoder.decode(args.get(1), StandardCharsets.UTF_8);
            final int length;
            try
            {
                length = Integer.parseInt(args.get(2));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("nft load: body length must be a number, not '" + args.get(2) + "'");
            }
            final String text = new String(response.body(length), StandardCharsets.UTF_8);
            load(name, text);
            return 0;
        }
        throw new IllegalArgumentException("usage: nft list ruleset | nft load NAME BYTES");
    }

    private synchronized void load(final String name, final String text)
    {
        try
        {
            final Ruleset ruleset = NftParser.parse(name, text);
            RulesCheck.check(ruleset, ports, conntrack);
            engine.load(ruleset);
        }
        catch (final RulesetException ex)
        {
            throw new IllegalArgumentException(ex.getMessage());
        }
    }
}
