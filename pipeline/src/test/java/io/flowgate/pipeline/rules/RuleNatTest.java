package io.flowgate.pipeline.rules;

import java.util.List;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.conntrack.nat.NatBinder;
import io.flowgate.conntrack.nat.NatStats;
import io.flowgate.nativebindings.Memory;
import io.flowgate.pipeline.conntrack.ConfirmHook;
import io.flowgate.pipeline.conntrack.ConntrackHook;
import io.flowgate.pipeline.conntrack.CtAccess;
import io.flowgate.pipeline.conntrack.CtClock;
import io.flowgate.pipeline.conntrack.HugePageTableMemory;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookPriority;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pipeline.nat.NatConfig;
import io.flowgate.pipeline.nat.NatHook;
import io.flowgate.pipeline.nat.NatPolicy;
import io.flowgate.pipeline.nat.NatRewriter;
import io.flowgate.pipeline.rules.model.ChainType;
import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.Family;
import io.flowgate.pipeline.rules.model.Field;
import io.flowgate.pipeline.rules.model.Match;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.RulesetException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.flowgate.pipeline.rules.RuleBed.O;
import static io.flowgate.pipeline.rules.RuleBed.base;
import static io.flowgate.pipeline.rules.RuleBed.drop;
import static io.flowgate.pipeline.rules.RuleBed.eq;
import static io.flowgate.pipeline.rules.RuleBed.ip;
import static io.flowgate.pipeline.rules.RuleBed.prefix;
import static io.flowgate.pipeline.rules.RuleBed.rule;
import static io.flowgate.pipeline.rules.RuleBed.ruleset;
import static io.flowgate.pipeline.rules.RuleBed.table;
import static io.flowgate.pipeline.rules.RuleBed.tcp;
import static io.flowgate.pipeline.rules.RuleBed.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * nat chains: evaluated for a connection's first packet at their hook through the NAT hooks (conntrack -200, NAT
 * -100 and 100, confirm last), snat/dnat/masquerade/redirect become the binder's ranges, their pools feed ownership.
 */
class RuleNatTest
{
    private final RuleBed bed = new RuleBed();
    private final HugePageTableMemory memory = new HugePageTableMemory();
    private final Conntrack conntrack = new Conntrack(0, ConntrackConfig.defaults(4096), memory, null, null, 32, 1, 0x5eed);
    private final NatBinder binder = new NatBinder(conntrack, 0, 1, 4096, new NatStats(), 42);
    private final NatPolicy policy = new NatPolicy(new NatConfig(List.of(), List.of(), NatConfig.Filtering.ADDRESS_AND_PORT_DEPENDENT),
        new int[] {0, 1}, new int[] {0x0A000001, 0xC6336401});

    RuleNatTest()
    {
        conntrack.binding(binder);
        final NatHook dnat = new NatHook(NatRewriter.MANIP_DST, conntrack, binder, policy);
        final NatHook snat = new NatHook(NatRewriter.MANIP_SRC, conntrack, binder, policy);
        dnat.rulesetNat(bed.worker);
        snat.rulesetNat(bed.worker);
        bed.chain.register(Hook.PREROUTING, HookPriority.CONNTRACK, "ct", new ConntrackHook(conntrack, false, new CtClock(), 0, 32));
        bed.chain.register(Hook.PREROUTING, HookPriority.NAT_DST, "dnat", dnat);
        bed.chain.register(Hook.POSTROUTING, HookPriority.NAT_SRC, "snat", snat);
        bed.chain.register(Hook.POSTROUTING, HookPriority.CONNTRACK_CONFIRM, "confirm", new ConfirmHook(conntrack));
        bed.worker.conntrack(new CtAccess(conntrack.table()));
        bed.engine.nat(policy, false, new int[] {0x0A000001, 0xC6336401});
    }

    @AfterEach
    void close()
    {
        conntrack.table().close();
        bed.close();
    }

    private static Match oifname(final String name)
    {
        return new Match(Field.OIFNAME, Match.Op.EQ, -1, List.of(), List.of(name), null, O);
    }

    private static Ruleset natRules()
    {
        return ruleset(table(Family.IP, "nat",
            base("pre", ChainType.NAT, Hook.PREROUTING, -100, false,
                rule(eq(Field.TCP_DPORT, 8080), new Expr.Nat(Expr.NatKind.DNAT, ip("10.0.0.5"), 0, 80, -1, 0, O)),
                rule(eq(Field.TCP_DPORT, 23), drop())),
            base("post", ChainType.NAT, Hook.POSTROUTING, 100, false,
                rule(prefix(Field.IP_SADDR, "10.0.1.0", 24), new Expr.Nat(Expr.NatKind.SNAT, ip("203.0.113.5"), 0, -1, -1, 0, O)),
                rule(oifname("out1"), new Expr.Nat(Expr.NatKind.MASQUERADE, 0, 0, -1, -1, 0, O)))));
    }

    /** Runs one packet through PREROUTING and POSTROUTING, leaving by {@code out}; returns its index. */
    private int send(final byte[] packet, final int in, final int out)
    {
        bed.clear();
        final int i = bed.add(packet, in, out);
        bed.run(Hook.PREROUTING);
        if (bed.verdict(i) == Verdict.ACCEPT)
        {
            bed.run(Hook.POSTROUTING);
        }
        conntrack.endBurst();
        return i;
    }

    @Test
    void shouldMasqueradeSnatAndDnatTheFirstPacketAndKeepTheBinding() throws Exception
    {
        bed.engine.load(natRules());
        int i = send(udp("10.0.0.2", "8.8.8.8", 5000, 53), 0, 1);
        assertEquals(Verdict.ACCEPT, bed.verdict(i));
        assertEquals(0xC6336401, Memory.getIntBE(bed.burst.l3[i] + 12), "masqueraded to out1's address");
        i = send(udp("10.0.1.7", "8.8.8.8", 5000, 53), 0, 1);
        assertEquals(ip("203.0.113.5"), Memory.getIntBE(bed.burst.l3[i] + 12), "snat to the pool (first rule wins)");
        i = send(tcp("198.51.100.9", "198.51.100.1", 4000, 8080, 2), 1, 0);
        assertEquals(Verdict.ACCEPT, bed.verdict(i));
        assertEquals(ip("10.0.0.5"), Memory.getIntBE(bed.burst.l3[i] + 16));
        assertEquals(80, Memory.getShortBE(bed.burst.l3[i] + 22));
        i = send(tcp("198.51.100.9", "198.51.100.1", 4001, 23, 2), 1, 0);
        assertEquals(Verdict.DROP, bed.verdict(i), "a drop in a nat chain drops the packet");
        // The second packet of the masqueraded flow: translated from the entry, the chain not evaluated again.
        final long before = bed.engine.rulesEvaluated();
        i = send(udp("10.0.0.2", "8.8.8.8", 5000, 53), 0, 1);
        assertEquals(0xC6336401, Memory.getIntBE(bed.burst.l3[i] + 12));
        assertEquals(before, bed.engine.rulesEvaluated(), "nat chains see only a connection's first packet");
    }

    @Test
    void shouldFeedOwnershipWithTheRulesetsPools() throws Exception
    {
        assertFalse(policy.isPoolAddress(ip("203.0.113.5")));
        bed.engine.load(natRules());
        assertTrue(policy.isPoolAddress(ip("203.0.113.5")));
        assertTrue(policy.isPoolAddress(0xC6336401), "masquerade: the ports' addresses");
        assertFalse(policy.isPoolAddress(ip("10.0.0.5")), "a dnat target is no pool");
        bed.engine.load(ruleset());
        assertFalse(policy.isPoolAddress(ip("203.0.113.5")));
    }

    @Test
    void shouldRefuseNatStatementsOutOfPlaceAndNatChainsBesideConfiguredNat() throws Exception
    {
        assertThrows(RulesetException.class, () -> bed.engine.load(ruleset(table(Family.IP, "nat",
            base("pre", ChainType.NAT, Hook.PREROUTING, -100, false,
                rule(new Expr.Nat(Expr.NatKind.SNAT, ip("1.2.3.4"), 0, -1, -1, 0, O)))))), "snat at prerouting");
        bed.engine.nat(policy, true, new int[] {0x0A000001, 0xC6336401});
        final RulesetException both = assertThrows(RulesetException.class, () -> bed.engine.load(natRules()));
        assertTrue(both.getMessage().contains("nat:"), both.getMessage());
    }
}
