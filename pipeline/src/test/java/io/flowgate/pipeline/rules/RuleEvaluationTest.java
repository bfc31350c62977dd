package io.flowgate.pipeline.rules;

import java.util.ArrayList;
import java.util.List;

import io.flowgate.conntrack.CtInfo;
import io.flowgate.pipeline.conntrack.ConntrackHook;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookRegistration;
import io.flowgate.pipeline.hook.QueueHandler;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.rules.model.ChainType;
import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.Family;
import io.flowgate.pipeline.rules.model.Field;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.RulesetException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.flowgate.pipeline.rules.RuleBed.O;
import static io.flowgate.pipeline.rules.RuleBed.accept;
import static io.flowgate.pipeline.rules.RuleBed.base;
import static io.flowgate.pipeline.rules.RuleBed.bits;
import static io.flowgate.pipeline.rules.RuleBed.counter;
import static io.flowgate.pipeline.rules.RuleBed.drop;
import static io.flowgate.pipeline.rules.RuleBed.eq;
import static io.flowgate.pipeline.rules.RuleBed.filter;
import static io.flowgate.pipeline.rules.RuleBed.goTo;
import static io.flowgate.pipeline.rules.RuleBed.icmpEcho;
import static io.flowgate.pipeline.rules.RuleBed.iifname;
import static io.flowgate.pipeline.rules.RuleBed.jump;
import static io.flowgate.pipeline.rules.RuleBed.prefix;
import static io.flowgate.pipeline.rules.RuleBed.regular;
import static io.flowgate.pipeline.rules.RuleBed.ret;
import static io.flowgate.pipeline.rules.RuleBed.rule;
import static io.flowgate.pipeline.rules.RuleBed.ruleset;
import static io.flowgate.pipeline.rules.RuleBed.table;
import static io.flowgate.pipeline.rules.RuleBed.tcp;
import static io.flowgate.pipeline.rules.RuleBed.tcp6;
import static io.flowgate.pipeline.rules.RuleBed.udp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** nft's evaluation semantics over a worker's hook chain: verdicts, statements, counters, families, refusals. */
class RuleEvaluationTest
{
    private final RuleBed bed = new RuleBed();

    @AfterEach
    void close()
    {
        bed.close();
    }

    @Test
    void shouldTakeTheFirstMatchingRule() throws Exception
    {
        bed.engine.load(ruleset(table(Family.IP, "t", filter("input", Hook.INPUT, false,
            rule(eq(Field.TCP_DPORT, 22), drop()),
            rule(eq(Field.TCP_DPORT, 22), accept()),
            rule(prefix(Field.IP_SADDR, "10.0.0.0", 8), drop())))));
        final int ssh = bed.add(tcp("192.168.1.1", "10.0.0.1", 1000, 22, 2), 0, -1);
        final int web = bed.add(tcp("192.168.1.1", "10.0.0.1", 1000, 80, 2), 0, -1);
        final int inside = bed.add(tcp("10.9.9.9", "10.0.0.1", 1000, 80, 2), 0, -1);
        bed.run(Hook.INPUT);
        assertEquals(Verdict.DROP, bed.verdict(ssh));
        assertEquals(Verdict.ACCEPT, bed.verdict(web));
        assertEquals(Verdict.DROP, bed.verdict(inside));
    }

    @Test
    void shouldRunNonTerminalRulesAndCount() throws Exception
    {
        bed.engine.load(ruleset(table(Family.IP, "t", filter("input", Hook.INPUT, true,
            rule(counter()),
            rule(eq(Field.TCP_DPORT, 80), counter(), accept())))));
        final int web = bed.add(tcp("192.168.1.1", "10.0.0.1", 1000, 80, 2), 0, -1);
        final int dns = bed.add(udp("192.168.1.1", "10.0.0.1", 1000, 53), 0, -1);
        bed.run(Hook.INPUT);
        assertEquals(Verdict.ACCEPT, bed.verdict(web));
        assertEquals(Verdict.DROP, bed.verdict(dns), "policy drop");
        assertArrayEquals(new long[] {2, 40 + 32}, bed.counter("input", 0));
        assertArrayEquals(new long[] {1, 40}, bed.counter("input", 1));
    }

    @Test
    void shouldJumpReturnAndGotoAsNft() throws Exception
    {
        bed.engine.load(ruleset(table(Family.IP, "t",
            filter("input", Hook.INPUT, true,
                rule(jump("sub")),
                rule(eq(Field.TCP_DPORT, 80), accept()),
                rule(eq(Field.TCP_DPORT, 82), accept()),
                rule(eq(Field.TCP_DPORT, 83), ret()),
                rule(accept())),
            regular("sub",
                rule(eq(Field.UDP_DPORT, 53), accept()),
                rule(eq(Field.TCP_DPORT, 81), ret()),
                rule(eq(Field.TCP_DPORT, 82), goTo("leaf")),
                rule(eq(Field.TCP_DPORT, 82), drop())),
            regular("leaf", rule(eq(Field.TCP_DPORT, 9999), drop())))));
        final int dns = bed.add(udp("1.1.1.1", "10.0.0.1", 1, 53), 0, -1);
        final int web = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 80, 2), 0, -1);
        final int returned = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 81, 2), 0, -1);
        final int went = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 82, 2), 0, -1);
        final int baseReturn = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 83, 2), 0, -1);
        final int other = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 84, 2), 0, -1);
        bed.run(Hook.INPUT);
        assertEquals(Verdict.ACCEPT, bed.verdict(dns), "accept inside a jumped-to chain ends the base chain");
        assertEquals(Verdict.ACCEPT, bed.verdict(web), "end of a regular chain returns to the rule after the jump");
        assertEquals(Verdict.ACCEPT, bed.verdict(returned), "return continues after the jump (falls to the last accept)");
        assertEquals(Verdict.ACCEPT, bed.verdict(went), "goto does not return to sub: leaf's end goes back to input");
        assertEquals(Verdict.DROP, bed.verdict(baseReturn), "return in a base chain applies its policy");
        assertEquals(Verdict.ACCEPT, bed.verdict(other));
    }

    @Test
    void shouldSeeAMarkSetEarlierInTheChainAndInTheSameRule() throws Exception
    {
        bed.engine.load(ruleset(table(Family.IP, "t", filter("forward", Hook.FORWARD, true,
            rule(eq(Field.TCP_DPORT, 80), new Expr.MarkSet(Field.META_MARK, 7, O)),
            rule(eq(Field.META_MARK, 7), eq(Field.TCP_DPORT, 80), new Expr.MarkSet(Field.META_MARK, 9, O), eq(Field.META_MARK, 9), counter()),
            rule(eq(Field.META_MARK, 9), accept())))));
        final int web = bed.add(tcp("1.1.1.1", "10.0.0.2", 1, 80, 2), 0, 1);
        final int other = bed.add(tcp("1.1.1.1", "10.0.0.2", 1, 81, 2), 0, 1);
        bed.run(Hook.FORWARD);
        assertEquals(Verdict.ACCEPT, bed.verdict(web));
        assertEquals(9, bed.burst.mark[web]);
        assertArrayEquals(new long[] {1, 40}, bed.counter("forward", 1));
        assertEquals(Verdict.DROP, bed.verdict(other));
        assertEquals(0, bed.burst.mark[other]);
    }

    @Test
    void shouldLimitByTokenBucket() throws Exception
    {
        bed.engine.load(ruleset(table(Family.IP, "t", filter("input", Hook.INPUT, true,
            rule(new Expr.Limit(1, Expr.Per.HOUR, 3, false, false, O), accept())))));
        for (int i = 0; i < 8; i++)
        {
            bed.add(icmpEcho("1.1.1.1", "10.0.0.1"), 0, -1);
        }
        bed.run(Hook.INPUT);
        int accepted = 0;
        for (int i = 0; i < 8; i++)
        {
            accepted += bed.verdict(i) == Verdict.ACCEPT ? 1 : 0;
        }
        assertEquals(3, accepted, "the burst of 3, then nothing for an hour");
    }

    @Test
    void shouldRunStatementsBeforeTheMatchesWrittenAfterThem() throws Exception
    {
        // nft evaluates left to right: the counter sees every packet of the rule, the limit spends a token on each
        bed.engine.load(ruleset(table(Family.IP, "t", filter("input", Hook.INPUT, false,
            rule(counter(), eq(Field.TCP_DPORT, 22), drop()),
            rule(new Expr.Limit(1, Expr.Per.HOUR, 2, false, false, O), eq(Field.TCP_DPORT, 80), accept()),
            rule(eq(Field.TCP_DPORT, 80), drop())))));
        final int first = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 81, 2), 0, -1);
        final int second = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 82, 2), 0, -1);
        final int web = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 80, 2), 0, -1);
        bed.run(Hook.INPUT);
        assertArrayEquals(new long[] {3, 3 * 40}, bed.counter("input", 0), "counted before the port is tested");
        assertEquals(Verdict.ACCEPT, bed.verdict(first));
        assertEquals(Verdict.ACCEPT, bed.verdict(second));
        assertEquals(Verdict.DROP, bed.verdict(web), "the two tokens went to the packets to 81 and 82");
    }

    @Test
    void shouldInvertLimitWithOver() throws Exception
    {
        bed.engine.load(ruleset(table(Family.IP, "t", filter("input", Hook.INPUT, false,
            rule(new Expr.Limit(1, Expr.Per.HOUR, 2, false, true, O), drop())))));
        for (int i = 0; i < 5; i++)
        {
            bed.add(icmpEcho("1.1.1.1", "10.0.0.1"), 0, -1);
        }
        bed.run(Hook.INPUT);
        assertEquals(Verdict.ACCEPT, bed.verdict(0));
        assertEquals(Verdict.ACCEPT, bed.verdict(1));
        assertEquals(Verdict.DROP, bed.verdict(2));
        assertEquals(Verdict.DROP, bed.verdict(4));
    }

    @Test
    void shouldRejectWithTheFamilysCodes() throws Exception
    {
        bed.engine.load(ruleset(
            table(Family.IP, "v4", filter("input", Hook.INPUT, false,
                rule(eq(Field.TCP_DPORT, 23), new Expr.Reject(Expr.RejectKind.TCP_RESET, 0, O)),
                rule(eq(Field.UDP_DPORT, 9), new Expr.Reject(Expr.RejectKind.ICMP, 3, O)))),
            table(Family.INET, "both", filter("input", Hook.INPUT, false,
                rule(eq(Field.TCP_DPORT, 25), new Expr.Reject(Expr.RejectKind.ICMPX, 3, O)),
                rule(eq(Field.TCP_DPORT, 26), new Expr.Reject(Expr.RejectKind.ICMPX, 1, O))))));
        final int telnet = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 23, 2), 0, -1);
        final int discard = bed.add(udp("1.1.1.1", "10.0.0.1", 1, 9), 0, -1);
        final int smtp = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 25, 2), 0, -1);
        final int smtp6 = bed.add(tcp6(1, 2, 1, 25), 0, -1);
        final int port6 = bed.add(tcp6(1, 2, 1, 26), 0, -1);
        final int web = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 80, 2), 0, -1);
        bed.run(Hook.INPUT);
        assertEquals(Verdict.DROP, bed.verdict(telnet));
        assertEquals(RejectCodes.of(RejectCodes.TCP_RESET, 0), bed.burst.reject[telnet]);
        assertEquals(RejectCodes.of(RejectCodes.ICMP, 3), bed.burst.reject[discard]);
        assertEquals(RejectCodes.of(RejectCodes.ICMP, 13), bed.burst.reject[smtp], "icmpx admin-prohibited in IPv4");
        assertEquals(RejectCodes.of(RejectCodes.ICMPV6, 1), bed.burst.reject[smtp6], "icmpx admin-prohibited in IPv6");
        assertEquals(RejectCodes.of(RejectCodes.ICMPV6, 4), bed.burst.reject[port6]);
        assertEquals(Verdict.ACCEPT, bed.verdict(web));
        assertEquals(0, bed.burst.reject[web]);
    }

    @Test
    void shouldApplyTablesOfTheirFamilyOnly() throws Exception
    {
        bed.engine.load(ruleset(
            table(Family.IP, "v4", filter("input", Hook.INPUT, false, rule(eq(Field.TCP_DPORT, 1), drop()))),
            table(Family.IP6, "v6", filter("input", Hook.INPUT, false, rule(eq(Field.TCP_DPORT, 2), drop()))),
            table(Family.INET, "both", filter("input", Hook.INPUT, false, rule(eq(Field.TCP_DPORT, 3), drop())))));
        final int[] v4 = new int[4];
        final int[] v6 = new int[4];
        for (int port = 1; port <= 3; port++)
        {
            v4[port] = bed.add(tcp("1.1.1.1", "10.0.0.1", 1000, port, 2), 0, -1);
            v6[port] = bed.add(tcp6(1, 2, 1000, port), 0, -1);
        }
        bed.run(Hook.INPUT);
        assertEquals(Verdict.DROP, bed.verdict(v4[1]));
        assertEquals(Verdict.ACCEPT, bed.verdict(v6[1]));
        assertEquals(Verdict.ACCEPT, bed.verdict(v4[2]));
        assertEquals(Verdict.DROP, bed.verdict(v6[2]));
        assertEquals(Verdict.DROP, bed.verdict(v4[3]));
        assertEquals(Verdict.DROP, bed.verdict(v6[3]));
    }

    @Test
    void shouldRunChainsOfOneHookInPriorityOrder() throws Exception
    {
        bed.engine.load(ruleset(table(Family.IP, "t",
            base("late", ChainType.FILTER, Hook.INPUT, 10, false, rule(eq(Field.META_MARK, 1), drop())),
            base("early", ChainType.FILTER, Hook.INPUT, -10, false, rule(eq(Field.TCP_DPORT, 80), new Expr.MarkSet(Field.META_MARK, 1, O))))));
        final int web = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 80, 2), 0, -1);
        final int other = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 81, 2), 0, -1);
        bed.run(Hook.INPUT);
        assertEquals(Verdict.DROP, bed.verdict(web), "the mark set at -10 is seen at 10");
        assertEquals(Verdict.ACCEPT, bed.verdict(other));
        assertEquals(2, bed.chain.registrations(Hook.INPUT).size());
    }

    @Test
    void shouldQueueBySpreadAndBypass() throws Exception
    {
        assertThrows(RulesetException.class, () -> bed.engine.load(ruleset(table(Family.IP, "t", filter("input", Hook.INPUT, false,
            rule(eq(Field.TCP_DPORT, 80), new Expr.Queue(3, 3, false, false, O)))))), "queue where PacketQueues cannot hold a packet");
        bed.engine.load(ruleset(table(Family.IP, "t", base("raw", ChainType.FILTER, Hook.PREROUTING, -450, false,
            rule(eq(Field.TCP_DPORT, 80), new Expr.Queue(3, 3, false, false, O)),
            rule(eq(Field.TCP_DPORT, 81), new Expr.Queue(4, 7, true, false, O))))));
        final List<Integer> queued = new ArrayList<>();
        bed.chain.queueHandler(new QueueHandler()
        {
            @Override
            public int enqueue(final Hook hook, final HookRegistration registration, final PacketBurst burst, final int packet,
                               final int queueNumber)
            {
                queued.add(queueNumber);
                return queueNumber == 3 ? ENQUEUED : NO_LISTENER;
            }
        });
        final int web = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 80, 2), 0, -1);
        final int spread = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 81, 2), 0, -1);
        bed.run(Hook.PREROUTING);
        assertEquals(Verdict.QUEUE, bed.verdict(web));
        assertEquals(Verdict.ACCEPT, bed.verdict(spread), "bypass: nobody listens on that queue");
        assertEquals(3, queued.get(0));
        final int expected = 4 + (int)((bed.burst.flowHash[spread] & 0xFFFF_FFFFL) % 4);
        assertEquals(expected, queued.get(1));
    }

    @Test
    void shouldMarkNotrackedPacketsSoThatConntrackSkipsThem() throws Exception
    {
        bed.engine.load(ruleset(table(Family.IP, "t",
            base("raw", ChainType.FILTER, Hook.PREROUTING, -300, false, rule(eq(Field.UDP_DPORT, 53), new Expr.Notrack(O))),
            base("late", ChainType.FILTER, Hook.PREROUTING, 0, false, rule(bits(Field.CT_STATE, 64), counter())))));
        final int dns = bed.add(udp("1.1.1.1", "10.0.0.1", 1, 53), 0, -1);
        final int web = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 80, 2), 0, -1);
        bed.run(Hook.PREROUTING);
        assertEquals(ConntrackHook.NOTRACK, bed.burst.ct[dns]);
        assertEquals(CtInfo.UNTRACKED, bed.burst.ctinfo[dns]);
        assertEquals(-1, bed.burst.ctinfo[web]);
        assertArrayEquals(new long[] {1, 32}, bed.counter("late", 0), "ct state untracked seen after notrack");
    }

    @Test
    void shouldMatchInterfacesByName() throws Exception
    {
        bed.engine.load(ruleset(table(Family.IP, "t", filter("input", Hook.INPUT, false, rule(iifname("out1"), drop())))));
        final int inside = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 80, 2), 0, -1);
        final int outside = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 80, 2), 1, -1);
        bed.run(Hook.INPUT);
        assertEquals(Verdict.ACCEPT, bed.verdict(inside));
        assertEquals(Verdict.DROP, bed.verdict(outside));
    }

    @Test
    void shouldRefuseAndKeepTheRunningRuleset() throws Exception
    {
        final Ruleset good = ruleset(table(Family.IP, "t", filter("input", Hook.INPUT, false, rule(eq(Field.TCP_DPORT, 22), drop()))));
        bed.engine.load(good);
        assertThrows(RulesetException.class, () -> bed.engine.load(ruleset(table(Family.IP, "t",
            filter("input", Hook.INPUT, false, rule(jump("nowhere")))))));
        assertThrows(RulesetException.class, () -> bed.engine.load(ruleset(table(Family.IP, "t",
            filter("input", Hook.INPUT, false, rule(jump("a"))), regular("a", rule(jump("b"))), regular("b", rule(goTo("a")))))),
            "a loop");
        assertThrows(RulesetException.class, () -> bed.engine.load(ruleset(table(Family.IP, "t",
            filter("input", Hook.INPUT, false, rule(new io.flowgate.pipeline.rules.model.Match(Field.IIF,
                io.flowgate.pipeline.rules.model.Match.Op.EQ, -1, List.of(), List.of("eth9"), null, O), drop()))))),
            "iif names an interface that must exist (iifname need not)");
        final RulesetException nat = assertThrows(RulesetException.class, () -> bed.engine.load(ruleset(table(Family.IP, "t",
            filter("input", Hook.INPUT, false, rule(new Expr.Nat(Expr.NatKind.SNAT, RuleBed.ip("1.2.3.4"), 0, -1, -1, 0, O)))))));
        assertTrue(nat.getMessage().startsWith("test.nft:1:1: "), nat.getMessage());
        assertEquals(1, bed.engine.version());
        assertEquals(good, bed.engine.ruleset());
        assertEquals(4, bed.engine.refusals());
        final int ssh = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 22, 2), 0, -1);
        bed.run(Hook.INPUT);
        assertEquals(Verdict.DROP, bed.verdict(ssh));
    }

    @Test
    void shouldRefuseJumpsDeeperThanSixteen() throws Exception
    {
        final List<io.flowgate.pipeline.rules.model.Chain> chains = new ArrayList<>();
        chains.add(filter("input", Hook.INPUT, false, rule(jump("c0"))));
        for (int i = 0; i < 17; i++)
        {
            chains.add(i == 16 ? regular("c" + i, rule(accept())) : regular("c" + i, rule(jump("c" + (i + 1)))));
        }
        final Ruleset deep = ruleset(new io.flowgate.pipeline.rules.model.Table(Family.IP, "t", List.of(), chains, O));
        assertThrows(RulesetException.class, () -> bed.engine.load(deep));
        chains.remove(chains.size() - 1);
        chains.set(chains.size() - 1, regular("c15", rule(accept())));
        bed.engine.load(ruleset(new io.flowgate.pipeline.rules.model.Table(Family.IP, "t", List.of(), chains, O)));
        final int p = bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 22, 2), 0, -1);
        bed.run(Hook.INPUT);
        assertEquals(Verdict.ACCEPT, bed.verdict(p));
    }

    @Test
    void shouldCarryCountersOfTheSameRuleAcrossReloadsAndUnregisterUnusedHooks() throws Exception
    {
        bed.engine.load(ruleset(table(Family.IP, "t",
            filter("input", Hook.INPUT, false, rule(eq(Field.TCP_DPORT, 80), counter(), accept()), rule(counter())),
            filter("fwd", Hook.FORWARD, false, rule(counter())))));
        bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 80, 2), 0, -1);
        bed.add(tcp("1.1.1.1", "10.0.0.1", 1, 81, 2), 0, -1);
        bed.run(Hook.INPUT);
        bed.run(Hook.INPUT);
        assertEquals(1, bed.chain.registrations(Hook.FORWARD).size());
        bed.engine.load(ruleset(table(Family.IP, "t",
            filter("input", Hook.INPUT, false, rule(eq(Field.UDP_DPORT, 53), counter()), rule(eq(Field.TCP_DPORT, 80), counter(), accept())))));
        assertArrayEquals(new long[] {2, 80}, bed.counter("input", 1), "the same rule, moved: its counter carried");
        assertArrayEquals(new long[] {0, 0}, bed.counter("input", 0), "a new rule starts at zero");
        assertTrue(bed.chain.isEmpty(Hook.FORWARD), "no chain at forward any more: its handler is gone");
        bed.run(Hook.INPUT);
        assertArrayEquals(new long[] {3, 120}, bed.counter("input", 1));
    }
}
