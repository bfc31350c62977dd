package io.flowgate.pipeline.rules;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.Family;
import io.flowgate.pipeline.rules.model.Field;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.RulesetException;
import org.junit.jupiter.api.Test;

import static io.flowgate.pipeline.rules.RuleBed.O;
import static io.flowgate.pipeline.rules.RuleBed.accept;
import static io.flowgate.pipeline.rules.RuleBed.counter;
import static io.flowgate.pipeline.rules.RuleBed.eq;
import static io.flowgate.pipeline.rules.RuleBed.filter;
import static io.flowgate.pipeline.rules.RuleBed.jump;
import static io.flowgate.pipeline.rules.RuleBed.regular;
import static io.flowgate.pipeline.rules.RuleBed.rule;
import static io.flowgate.pipeline.rules.RuleBed.ruleset;
import static io.flowgate.pipeline.rules.RuleBed.table;
import static io.flowgate.pipeline.rules.RuleBed.tcp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Atomic replacement under load: a worker thread runs bursts without pause while the control thread reloads.
 * Allowed: every burst sees one version (all its packets marked alike), versions never go back, the counter of the
 * rule every version shares counts every packet exactly once. Forbidden: a burst with two versions, a lost count,
 * a load that returns before the worker runs the new version.
 */
class RuleReplacementStressTest
{
    private static final int RELOADS = 300;

    private static Ruleset version(final int v)
    {
        // The mark rule differs in every version (its counter starts again); the counted rule is the same one.
        return ruleset(table(Family.IP, "t",
            filter("input", Hook.INPUT, false,
                rule(new Expr.MarkSet(Field.META_MARK, v, O)),
                rule(jump("sub" + (v % 3))),
                rule(eq(Field.TCP_DPORT, 80), counter(), accept())),
            regular("sub" + (v % 3), rule(eq(Field.TCP_DPORT, 81), accept()))));
    }

    @Test
    void shouldGiveEveryBurstOneVersionAndLoseNoCount() throws Exception
    {
        try (RuleBed bed = new RuleBed())
        {
            bed.engine.load(version(1));
            for (int i = 0; i < 32; i++)
            {
                bed.add(tcp("1.1.1.1", "10.0.0.1", 1000 + i, 80, 2), 0, -1);
            }
            bed.burst.count(32);
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicLong packets = new AtomicLong();
            final AtomicLong mixed = new AtomicLong();
            final AtomicLong backwards = new AtomicLong();
            final AtomicLong seenVersion = new AtomicLong();
            final Thread worker = new Thread(() ->
            {
                long sent = 0;
                int last = 0;
                while (!stop.get())
                {
                    for (int i = 0; i < 32; i++)
                    {
                        bed.burst.verdict[i] = Verdict.ACCEPT;
                        bed.burst.mark[i] = 0;
                    }
                    bed.worker.enterBurst();
                    bed.chain.run(Hook.INPUT, bed.burst);
                    final int m = bed.burst.mark[0];
                    for (int i = 1; i < 32; i++)
                    {
                        if (bed.burst.mark[i] != m)
                        {
                            mixed.incrementAndGet();
                        }
                    }
                    if (m < last)
                    {
                        backwards.incrementAndGet();
                    }
                    last = m;
                    seenVersion.lazySet(m);
                    sent += 32;
                }
                packets.set(sent);
                bed.worker.park();
            }, "stress-worker");
            worker.start();
            for (int v = 2; v <= RELOADS; v++)
            {
                bed.engine.load(version(v));
                // load returns once the worker runs v: its next burst (at the latest) is marked v or later.
                final long version = bed.engine.version();
                assertEquals(v, version);
                if (v % 50 == 0)
                {
                    final int at = v;
                    assertThrows(RulesetException.class, () -> bed.engine.load(ruleset(table(Family.IP, "t",
                        filter("input", Hook.INPUT, false, rule(jump("missing" + at)))))));
                }
            }
            Thread.sleep(20);
            stop.set(true);
            worker.join(10_000);
            assertEquals(0, mixed.get(), "bursts that saw two versions");
            assertEquals(0, backwards.get(), "bursts that saw an older version than the one before");
            assertEquals(RELOADS, seenVersion.get());
            assertEquals(0, bed.engine.epochTimeouts());
            assertTrue(packets.get() > 0);
            assertArrayEquals(new long[] {packets.get(), packets.get() * 40}, bed.counter("input", 2), "counts carried over every reload");
        }
    }
}
