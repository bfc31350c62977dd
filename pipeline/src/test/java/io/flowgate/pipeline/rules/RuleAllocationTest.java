package io.flowgate.pipeline.rules;

import java.lang.management.ManagementFactory;

import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.Family;
import io.flowgate.pipeline.rules.model.Field;
import org.junit.jupiter.api.Test;

import static io.flowgate.pipeline.rules.RuleBed.O;
import static io.flowgate.pipeline.rules.RuleBed.accept;
import static io.flowgate.pipeline.rules.RuleBed.counter;
import static io.flowgate.pipeline.rules.RuleBed.drop;
import static io.flowgate.pipeline.rules.RuleBed.eq;
import static io.flowgate.pipeline.rules.RuleBed.filter;
import static io.flowgate.pipeline.rules.RuleBed.goTo;
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
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Evaluating rules allocates nothing per packet, whatever the statements: a guard for the 0 B/op rule. */
class RuleAllocationTest
{
    private static final int ITERATIONS = 20_000;

    @Test
    void shouldEvaluateWithoutAllocating() throws Exception
    {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "no per-thread allocation counter");
        threads.setThreadAllocatedMemoryEnabled(true);
        try (RuleBed bed = new RuleBed())
        {
            bed.engine.load(ruleset(table(Family.INET, "t",
                filter("input", Hook.INPUT, true,
                    rule(counter()),
                    rule(new Expr.Limit(1000, Expr.Per.SECOND, 10, false, false, O), new Expr.MarkSet(Field.META_MARK, 3, O)),
                    rule(eq(Field.META_MARK, 3), new Expr.Log("L ", 4, O)),
                    rule(jump("sub")),
                    rule(eq(Field.TCP_DPORT, 23), new Expr.Reject(Expr.RejectKind.ICMPX, 1, O)),
                    rule(eq(Field.UDP_DPORT, 7), new Expr.Queue(1, 4, true, false, O)),
                    rule(prefix(Field.IP_SADDR, "10.0.0.0", 8), counter(), accept())),
                regular("sub",
                    rule(eq(Field.TCP_DPORT, 22), counter(), drop()),
                    rule(eq(Field.TCP_DPORT, 24), goTo("leaf")),
                    rule(eq(Field.TCP_DPORT, 25), ret())),
                regular("leaf", rule(counter(), accept())))));
            bed.engine.close(); // no logger: the ring fills and drops, which must not allocate either
            for (int i = 0; i < 4; i++)
            {
                bed.add(tcp("10.1.1.1", "10.0.0.1", 1000, 22 + i, 2), 0, -1);
                bed.add(udp("10.1.1.1", "10.0.0.1", 1000, 7), 0, -1);
                bed.add(tcp("192.168.1.1", "10.0.0.1", 1000, 80, 2), 0, -1);
                bed.add(tcp6(1, 2, 1000, 23), 0, -1);
            }
            for (int i = 0; i < ITERATIONS; i++)
            {
                once(bed);
            }
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < ITERATIONS; i++)
            {
                once(bed);
            }
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertEquals(0, allocated, "bytes allocated over " + ITERATIONS + " bursts");
        }
    }

    private static void once(final RuleBed bed)
    {
        for (int i = 0; i < 16; i++)
        {
            bed.burst.verdict[i] = Verdict.ACCEPT;
            bed.burst.reject[i] = 0;
        }
        bed.run(Hook.INPUT);
    }
}
