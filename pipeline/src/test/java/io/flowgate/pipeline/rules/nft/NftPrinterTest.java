package io.flowgate.pipeline.rules.nft;

import io.flowgate.pipeline.rules.model.Chain;
import io.flowgate.pipeline.rules.model.CounterReader;
import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.NamedSet;
import io.flowgate.pipeline.rules.model.Rule;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.Table;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class NftPrinterTest
{
    static String resource(final String name) throws IOException
    {
        try (InputStream in = NftPrinterTest.class.getResourceAsStream(name))
        {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** docs/examples/*.nft, found from the module's working directory. */
    static List<Path> examples() throws IOException
    {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("docs/examples")))
        {
            dir = dir.getParent();
        }
        final List<Path> out = new ArrayList<>();
        try (var files = Files.list(dir.resolve("docs/examples")))
        {
            for (final Path p : (Iterable<Path>)files::iterator)
            {
                if (p.toString().endsWith(".nft"))
                {
                    out.add(p);
                }
            }
        }
        out.sort(null);
        return out;
    }

    /** The model without origins: what a round trip must preserve. */
    static String shape(final Ruleset r)
    {
        final StringBuilder out = new StringBuilder();
        for (final Table t : r.tables())
        {
            out.append("table ").append(t.family()).append(' ').append(t.name()).append('\n');
            for (final NamedSet s : t.sets())
            {
                out.append(" set ").append(s.name()).append(' ').append(s.type()).append(' ').append(s.interval()).append(' ')
                    .append(s.elements()).append('\n');
            }
            for (final Chain c : t.chains())
            {
                out.append(" chain ").append(c.name()).append(' ').append(c.base()).append('\n');
                for (final Rule rule : c.rules())
                {
                    out.append("  ").append(rule.identity());
                    for (final Expr e : rule.exprs())
                    {
                        if (e instanceof Expr.Counter k)
                        {
                            out.append(" counted ").append(k.packets()).append('/').append(k.bytes());
                        }
                    }
                    out.append('\n');
                }
            }
        }
        return out.toString();
    }

    @Test
    void shouldPrintExactlyWhatNftListsForEveryConstruct() throws Exception
    {
        final Ruleset r = NftParser.parse("constructs.nft", resource("constructs.nft"));
        assertEquals(resource("constructs.listed"), NftPrinter.print(r, CounterReader.NONE));
    }

    @Test
    void shouldParseWhatItPrintsToAnEqualModel() throws Exception
    {
        final List<String> texts = new ArrayList<>();
        texts.add(resource("constructs.nft"));
        texts.add("""
            table inet q {
              chain c { type filter hook forward priority 0; queue; queue num 3; queue num 2-5 bypass fanout; queue flags fanout to 7;
                ct state != established accept; ct status snat / snat,dnat; ip6 saddr { ::1, ::ffff:1.2.3.4 } drop
                meta mark & 0xff != 0x2; tcp dport != { 22, 23 }; iifname != { "a", "b" }; log prefix "q"; log level emerg
                ct status == snat|dnat; tcp flags == syn|ack; ct state & (new) == 0 }
            }
            """);
        for (final Path p : examples())
        {
            texts.add(Files.readString(p));
        }
        assertFalse(examples().isEmpty());
        for (final String text : texts)
        {
            final Ruleset first = NftParser.parse("in.nft", text);
            final String printed = NftPrinter.print(first, CounterReader.NONE);
            final Ruleset second = NftParser.parse("printed.nft", printed);
            assertEquals(shape(first), shape(second), printed);
            assertEquals(printed, NftPrinter.print(second, CounterReader.NONE));
        }
    }

    @Test
    void shouldPrintLiveCountersWhenTheReaderHasThem() throws Exception
    {
        final Ruleset r = NftParser.parse("t.nft", """
            table ip t {
              chain c { type filter hook input priority 0;
                tcp dport 22 counter accept
                counter packets 1 bytes 2
              }
            }
            """);
        final CounterReader live = (table, chain, ruleIndex, out) ->
        {
            if (ruleIndex != 0)
            {
                return false;
            }
            out[0] = 42;
            out[1] = 4200;
            return true;
        };
        assertEquals("""
            table ip t {
            \tchain c {
            \t\ttype filter hook input priority filter; policy accept;
            \t\ttcp dport 22 counter packets 42 bytes 4200 accept
            \t\tcounter packets 1 bytes 2
            \t}
            }
            """, NftPrinter.print(r, live));
    }

    @Test
    void shouldPrintQueueInNftOnePointZeroForm() throws Exception
    {
        final Ruleset r = NftParser.parse("t.nft", "table ip t { chain c { type filter hook input priority 0; queue; queue num 2-3 fanout bypass; queue num 4 bypass; } }");
        final List<Rule> rules = r.tables().get(0).chains().get(0).rules();
        assertEquals("queue to 0", NftPrinter.rule(r.tables().get(0).family(), rules.get(0), null));
        assertEquals("queue flags bypass,fanout to 2-3", NftPrinter.rule(r.tables().get(0).family(), rules.get(1), null));
        assertEquals("queue flags bypass to 4", NftPrinter.rule(r.tables().get(0).family(), rules.get(2), null));
    }
}
