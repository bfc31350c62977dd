package io.flowgate.app.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.app.nft.RulesCheck;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.rules.model.BaseChain;
import io.flowgate.pipeline.rules.model.Chain;
import io.flowgate.pipeline.rules.model.ChainType;
import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.Family;
import io.flowgate.pipeline.rules.model.Field;
import io.flowgate.pipeline.rules.model.Interval;
import io.flowgate.pipeline.rules.model.Match;
import io.flowgate.pipeline.rules.model.Origin;
import io.flowgate.pipeline.rules.model.Rule;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.RulesetException;
import io.flowgate.pipeline.rules.model.Table;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code rules:} key of the router configuration and {@link RulesCheck}. */
class RulesConfigTest
{
    private static final String BASE = """
        workers: [1]
        ports:
          - {name: inside, device: net_null0}
          - {name: outside, device: net_null1}
        """;
    private static final String CONNTRACK = "conntrack: {capacity: 1024}\n";
    private static final String RULES = """
        table ip filter {
        	chain forward {
        		type filter hook forward priority filter; policy drop;
        		iif "inside" oif "outside" ct state new counter accept
        	}
        }
        """;

    @TempDir
    Path dir;

    private FlowgateConfig load(final String yaml) throws Exception
    {
        final Path file = dir.resolve("router.yaml");
        Files.writeString(file, yaml);
        return ConfigLoader.load(file);
    }

    @Test
    void shouldReadTheRulesFileNextToTheConfiguration() throws Exception
    {
        Files.createDirectories(dir.resolve("nft"));
        Files.writeString(dir.resolve("nft/router.nft"), RULES);
        final FlowgateConfig config = load(BASE + CONNTRACK + "rules: nft/router.nft\n");
        assertEquals(dir.resolve("nft/router.nft").toAbsolutePath(), config.rulesFile());
        assertEquals("forward", config.rules().tables().get(0).chains().get(0).name());
        assertNull(load(BASE).rules());
    }

    @Test
    void shouldRefuseAnErrorInTheRulesFileAtItsLineAndColumn() throws Exception
    {
        final Path rules = dir.resolve("router.nft");
        Files.writeString(rules, RULES.replace("counter accept", "counter acept"));
        final ConfigException ex = assertThrows(ConfigException.class, () -> load(BASE + CONNTRACK + "rules: router.nft\n"));
        assertEquals(rules.toAbsolutePath(), ex.file().toAbsolutePath());
        assertEquals(4, ex.line());
        assertTrue(ex.getMessage().startsWith(rules.toAbsolutePath() + ":4:"), ex.getMessage());
    }

    @Test
    void shouldRefuseAMissingRulesFileAtTheKey() throws Exception
    {
        final ConfigException ex = assertThrows(ConfigException.class, () -> load(BASE + "rules: nowhere.nft\n"));
        assertEquals(5, ex.line());
        assertEquals(8, ex.column());
        assertTrue(ex.reason().startsWith("cannot read the rules file " + dir.resolve("nowhere.nft")), ex.reason());
    }

    @Test
    void shouldRefuseAnUnknownPortAndConntrackMatchesWithoutConntrack() throws Exception
    {
        Files.writeString(dir.resolve("port.nft"), RULES.replace("oif \"outside\"", "oif \"wan\""));
        final ConfigException port = assertThrows(ConfigException.class, () -> load(BASE + CONNTRACK + "rules: port.nft\n"));
        assertEquals(4, port.line());
        assertEquals("oif \"wan\": no such port (ports: inside, outside)", port.reason());

        Files.writeString(dir.resolve("ct.nft"), RULES);
        final ConfigException ct = assertThrows(ConfigException.class, () -> load(BASE + "rules: ct.nft\n"));
        assertTrue(ct.reason().startsWith("ct state needs connection tracking"), ct.reason());
    }

    @Test
    void shouldCheckTheModelAgainstThePorts()
    {
        final Origin at = new Origin("m.nft", 7, 3);
        final Match iif = new Match(Field.IIF, Match.Op.EQ, -1, List.of(), List.of("lan"), null, at);
        final Match iifname = new Match(Field.IIFNAME, Match.Op.EQ, -1, List.of(), List.of("ppp*"), null, at);
        final Match dport = Match.of(Field.TCP_DPORT, Match.Op.EQ, -1, List.of(Interval.of(22)), at);
        final Ruleset ruleset = ruleset(ChainType.FILTER, new Rule(List.of(iif, iifname, dport,
            new Expr.Verdict(Expr.VerdictKind.ACCEPT, null, at)), at, null));

        final RulesetException unknown = assertThrows(RulesetException.class, () -> RulesCheck.check(ruleset, List.of("wan"), false));
        assertEquals("m.nft:7:3: iif \"lan\": no such port (ports: wan)", unknown.getMessage());
        assertDoesNotThrow(ruleset, List.of("lan", "wan"), false);
        assertDoesNotThrow(ruleset, null, false);

        final Ruleset nat = ruleset(ChainType.NAT, new Rule(List.of(dport), at, null));
        assertTrue(assertThrows(RulesetException.class, () -> RulesCheck.check(nat, null, false)).getMessage()
            .startsWith("m.nft:2:2: chain c: type nat needs connection tracking"));
        assertDoesNotThrow(nat, null, true);
    }

    private static void assertDoesNotThrow(final Ruleset ruleset, final List<String> ports, final boolean conntrack)
    {
        try
        {
            RulesCheck.check(ruleset, ports, conntrack);
        }
        catch (final RulesetException ex)
        {
            throw new AssertionError("refused: " + ex.getMessage(), ex);
        }
    }

    private static Ruleset ruleset(final ChainType type, final Rule rule)
    {
        final Chain chain = new Chain("c", new BaseChain(type, Hook.FORWARD, 0, false), List.of(rule), new Origin("m.nft", 2, 2));
        return new Ruleset("m.nft", List.of(new Table(Family.IP, "t", List.of(), List.of(chain), new Origin("m.nft", 1, 1))));
    }
}
