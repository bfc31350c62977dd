package io.flowgate.pipeline.hook;

import io.flowgate.pipeline.burst.PacketBurst;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Running a hook allocates nothing, whatever the verdicts: a guard for the 0 B/op rule between JMH runs. */
class HookChainAllocationTest
{
    private static final int ITERATIONS = 20_000;
    private static final int BURST = 32;

    private final Arena arena = Arena.ofConfined();
    private final PacketBurst burst = new PacketBurst(arena, BURST);
    private final HookChain chain = new HookChain(BURST);

    @AfterEach
    void close()
    {
        arena.close();
    }

    /** Gives every verdict to some packets, repeating a few once. */
    static final class Mixed implements HookHandler
    {
        private final int salt;

        Mixed(final int salt)
        {
            this.salt = salt;
        }

        @Override
        public void process(
            final Hook hook, final PacketBurst burst, final int[] packets, final int count, final int[] verdicts)
        {
            for (int k = 0; k < count; k++)
            {
                final int packet = packets[k];
                final int pick = (packet * 7 + salt + (int)burst.rxTsc[packet]) % 16;
                burst.rxTsc[packet]++;
                verdicts[packet] = switch (pick)
                {
                    case 0 -> Verdict.DROP;
                    case 1 -> Verdict.STOLEN;
                    case 2 -> Verdict.queue(1, false);
                    case 3 -> Verdict.queue(2, true);
                    case 4 -> Verdict.REPEAT;
                    case 5 -> Verdict.STOP;
                    default -> Verdict.ACCEPT;
                };
            }
        }
    }

    @Test
    void shouldRunHandlersWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "no per-thread allocation counter");
        threads.setThreadAllocatedMemoryEnabled(true);
        for (int h = 0; h < 4; h++)
        {
            chain.register(Hook.PREROUTING, h * 100 - 200, "mixed" + h, new Mixed(h));
        }
        chain.queueHandler(new QueueHandler()
        {
            @Override
            public int enqueue(
                final Hook hook, final HookRegistration registration, final PacketBurst burst, final int packet,
                final int queueNumber)
            {
                return queueNumber == 1 ? ENQUEUED : NO_LISTENER;
            }
        });

        long accepted = 0;
        for (int warmUp = 0; warmUp < 3; warmUp++)
        {
            accepted += work();   // until the JIT has settled: steady state is what must not allocate
        }
        final long threadId = Thread.currentThread().threadId();
        final long before = threads.getThreadAllocatedBytes(threadId);
        accepted += work();
        final long allocated = threads.getThreadAllocatedBytes(threadId) - before;

        assertEquals(0, allocated, "bytes allocated (accepted " + accepted + ")");
    }

    private long work()
    {
        long accepted = 0;
        for (int i = 0; i < ITERATIONS; i++)
        {
            burst.count(BURST);
            for (int p = 0; p < BURST; p++)
            {
                burst.verdict[p] = Verdict.ACCEPT;
                burst.rxTsc[p] = i;
            }
            accepted += chain.run(Hook.PREROUTING, burst);
        }
        return accepted;
    }
}
