package io.flowgate.pipeline.rules;

import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookRegistration;
import io.flowgate.pipeline.hook.QueueHandler;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pipeline.rules.model.ChainType;
import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.Family;
import io.flowgate.pipeline.rules.model.Field;
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
import static io.flowgate.pipeline.rules.RuleBed.jump;
import static io.flowgate.pipeline.rules.RuleBed.regular;
import static io.flowgate.pipeline.rules.RuleBed.ret;
import static io.flowgate.pipeline.rules.RuleBed.rule;
import static io.flowgate.pipeline.rules.RuleBed.ruleset;
import static io.flowgate.pipeline.rules.RuleBed.table;
import static io.flowgate.pipeline.rules.RuleBed.tcp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code PacketBurst.ruleEffects}: set for a packet when a rule that matched it ran a statement other than a plain
 * verdict (what keeps its flow off the XDP fast path), left false by matches and verdicts alone.
 */
class RuleEffectsTest
{
    private final RuleBed bed = new RuleBed();

    @AfterEach
    void close()
    {
        bed.close();
    }

    /** {@code tcp dport 80 <statement> accept} in a forward chain: port 80 flagged, port 81 (no match) not. */
    private void assertFlaggedBy(final Expr statement) throws Exception
    {
        bed.clear();
        bed.engine.load(ruleset(table(Family.IP, "t", filter("fwd", Hook.FORWARD, false,
            rule(eq(Field.TCP_DPORT, 80), statement, accept())))));
        final int hit = bed.add(tcp("1.1.1.1", "198.51.100.9", 1000, 80, 0x10), 0, 1);
        final int miss = bed.add(tcp("1.1.1.1", "198.51.100.9", 1000, 81, 0x10), 0, 1);
        bed.run(Hook.FORWARD);
        assertEquals(PacketBurst.RULES_BLOCK, bed.burst.ruleEffects[hit], statement + " on the packet it matched");
        assertEquals(0, bed.burst.ruleEffects[miss], statement + " not on a packet its rule did not match");
        assertEquals(Verdict.ACCEPT, bed.verdict(miss));
    }

    @Test
    void shouldFlagEachStatementKind() throws Exception
    {
        assertFlaggedBy(new Expr.Limit(1000, Expr.Per.SECOND, 10, false, false, O));
        assertFlaggedBy(new Expr.Log("fwd ", 4, O));
        assertFlaggedBy(new Expr.MarkSet(Field.META_MARK, 7, O));
        assertFlaggedBy(new Expr.MarkSet(Field.CT_MARK, 7, O));
    }

    @Test
    void shouldFlagALimitThatRanOutOfTokens() throws Exception
    {
        // limit rate 1/hour burst 1: the first packet takes the token, the second does not match; both were limited.
        bed.engine.load(ruleset(table(Family.IP, "t", filter("fwd", Hook.FORWARD, false,
            rule(new Expr.Limit(1, Expr.Per.HOUR, 1, false, false, O), accept()),
            rule(drop())))));
        final int first = bed.add(tcp("1.1.1.1", "198.51.100.9", 1000, 80, 0x10), 0, 1);
        final int second = bed.add(tcp("1.1.1.1", "198.51.100.9", 1000, 80, 0x10), 0, 1);
        bed.run(Hook.FORWARD);
        assertEquals(Verdict.ACCEPT, bed.verdict(first));
        assertEquals(Verdict.DROP, bed.verdict(second));
        assertEquals(PacketBurst.RULES_BLOCK, bed.burst.ruleEffects[first]);
        assertEquals(PacketBurst.RULES_BLOCK, bed.burst.ruleEffects[second], "over the limit: the bucket still has to see the flow's packets");
    }

    @Test
    void shouldNotFlagPlainVerdictsAndJumps() throws Exception
    {
        bed.engine.load(ruleset(table(Family.IP, "t",
            filter("fwd", Hook.FORWARD, false,
                rule(jump("sub")),
                rule(bits(Field.CT_STATE, 2 | 4), accept()),
                rule(eq(Field.TCP_DPORT, 80), accept())),
            regular("sub",
                rule(eq(Field.TCP_DPORT, 81), drop()),
                rule(ret())))));
        final int web = bed.add(tcp("1.1.1.1", "198.51.100.9", 1000, 80, 0x10), 0, 1);
        final int dropped = bed.add(tcp("1.1.1.1", "198.51.100.9", 1000, 81, 0x10), 0, 1);
        bed.run(Hook.FORWARD);
        assertEquals(Verdict.ACCEPT, bed.verdict(web));
        assertEquals(Verdict.DROP, bed.verdict(dropped));
        assertEquals(0, bed.burst.ruleEffects[web]);
        assertEquals(0, bed.burst.ruleEffects[dropped]);
    }

    @Test
    void shouldFlagNotrackAndQueueAndKeepTheFlagAcrossHooks() throws Exception
    {
        bed.engine.load(ruleset(table(Family.IP, "t",
            base("raw", ChainType.FILTER, Hook.PREROUTING, -450, false,
                rule(eq(Field.TCP_DPORT, 53), new Expr.Notrack(O)),
                rule(eq(Field.TCP_DPORT, 99), new Expr.Queue(3, 3, true, false, O)),
                rule(eq(Field.TCP_DPORT, 80), new Expr.Log("in ", 4, O))),
            filter("fwd", Hook.FORWARD, false, rule(accept())))));
        bed.chain.queueHandler(new QueueHandler()
        {
            @Override
            public int enqueue(final Hook hook, final HookRegistration registration, final PacketBurst burst, final int packet,
                               final int queueNumber)
            {
                return NO_LISTENER; // bypass: the packet goes on as accepted
            }
        });
        final int notracked = bed.add(tcp("1.1.1.1", "198.51.100.9", 1000, 53, 0x10), 0, 1);
        final int queued = bed.add(tcp("1.1.1.1", "198.51.100.9", 1000, 99, 0x10), 0, 1);
        final int logged = bed.add(tcp("1.1.1.1", "198.51.100.9", 1000, 80, 0x10), 0, 1);
        final int plain = bed.add(tcp("1.1.1.1", "198.51.100.9", 1000, 443, 0x10), 0, 1);
        bed.run(Hook.PREROUTING);
        bed.run(Hook.FORWARD);
        assertEquals(PacketBurst.RULES_BLOCK, bed.burst.ruleEffects[notracked], "notrack");
        assertEquals(PacketBurst.RULES_BLOCK, bed.burst.ruleEffects[queued], "queue (bypassed: accepted, still not a plain verdict)");
        assertEquals(Verdict.ACCEPT, bed.verdict(queued));
        assertEquals(PacketBurst.RULES_BLOCK, bed.burst.ruleEffects[logged], "logged at PREROUTING, accepted by a plain rule at FORWARD: still flagged");
        assertEquals(0, bed.burst.ruleEffects[plain]);
    }

    @Test
    void shouldRememberTheCountersThatCountedAPacketAndBlockBeyondTwo() throws Exception
    {
        bed.engine.load(ruleset(table(Family.IP, "t",
            filter("fwd", Hook.FORWARD, false,
                rule(counter()),
                rule(eq(Field.TCP_DPORT, 81, 82), counter()),
                rule(eq(Field.TCP_DPORT, 82), counter()),
                rule(counter(), accept())))));
        final int one = bed.add(tcp("1.1.1.1", "198.51.100.9", 1000, 80, 0x10), 0, 1);
        final int two = bed.add(tcp("1.1.1.1", "198.51.100.9", 1000, 81, 0x10), 0, 1);
        final int three = bed.add(tcp("1.1.1.1", "198.51.100.9", 1000, 82, 0x10), 0, 1);
        bed.run(Hook.FORWARD);
        assertEquals(2, bed.burst.ruleEffects[one], "rules 0 and 3");
        assertEquals(0, bed.burst.ruleCounters[PacketBurst.RULE_COUNTERS * one]);
        assertEquals(3, bed.burst.ruleCounters[PacketBurst.RULE_COUNTERS * one + 1]);
        assertEquals(PacketBurst.RULES_BLOCK, bed.burst.ruleEffects[two], "three counters: more than a direction remembers");
        assertEquals(PacketBurst.RULES_BLOCK, bed.burst.ruleEffects[three]);

        // The fast path's packets folded into rule 3 of the ruleset the worker holds; a replaced ruleset's refused.
        bed.worker.enterBurst();
        final int version = bed.worker.version();
        assertTrue(bed.worker.foldCounter(version, 3, 10, 1000));
        assertTrue(!bed.worker.foldCounter(version - 1, 3, 10, 1000), "another ruleset's rule indexes");
        assertTrue(!bed.worker.foldCounter(version, 4, 10, 1000), "no such rule");
        bed.worker.park();
        assertArrayEquals(new long[] {13, 1000 + 3 * 40}, bed.counter("fwd", 3));
    }
}
