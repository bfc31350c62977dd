package io.flowgate.pipeline.rules.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pipeline.burst.ParseStage;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.hook.HookPriority;
import io.flowgate.pipeline.hook.HookRegistration;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pmd.testing.TestEal;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * The worker's side of a queue allocates nothing: enqueueing through the HookChain, draining verdicts, DROP frees and
 * ACCEPT reinjection (the queue thread, which builds a {@link QueuedPacket} per packet, is not the worker).
 */
class QueueAllocationTest
{
    private static final int BURST = 32;
    private static final int ROUNDS = 1_000;

    private final long[] back = new long[BURST];
    private int backCount;

    @Test
    void shouldEnqueueAndReinjectWithoutAllocatingOnTheWorker() throws Exception
    {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "no per-thread allocation counter");
        threads.setThreadAllocatedMemoryEnabled(true);
        TestEal.get();
        try (Mempool pool = Mempool.createPktmbufPool("queue-alloc", 255, 0, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
             Arena arena = Arena.ofShared();
             PacketQueues queues = new PacketQueues(1))
        {
            final int baseline = pool.inUse();
            final PacketBurst burst = new PacketBurst(arena, BURST);
            final HookChain chain = new HookChain(BURST);
            chain.register(Hook.PREROUTING, HookPriority.RAW_BEFORE_DEFRAG, "queue", (hook, b, packets, count, verdicts) ->
            {
                for (int k = 0; k < count; k++)
                {
                    verdicts[packets[k]] = Verdict.queue(7, false);
                }
            });
            final WorkerQueue worker = queues.worker(0);
            chain.queueHandler(worker);
            // Half accepted (with a mark), half dropped: both paths of the verdict.
            queues.listen(7, 64, packet ->
            {
                if ((packet.id() & 1) == 0)
                {
                    packet.accept(packet.length());
                }
                else
                {
                    packet.drop();
                }
            });
            final Reinjector reinjector = new Reinjector()
            {
                @Override
                public void reinject(final long mbuf, final Hook hook, final HookRegistration after, final int inPort, final int mark)
                {
                    back[backCount++] = mbuf;
                }

                @Override
                public void flushReinjected()
                {
                }
            };
            for (int i = 0; i < BURST; i++)
            {
                final long m = pool.alloc();
                Mbuf.length(m, 64);
                back[backCount++] = m;
            }

            for (int warmUp = 0; warmUp < 3; warmUp++)
            {
                rounds(pool, burst, chain, worker, reinjector);
            }
            final long threadId = Thread.currentThread().threadId();
            final long before = threads.getThreadAllocatedBytes(threadId);
            rounds(pool, burst, chain, worker, reinjector);
            final long allocated = threads.getThreadAllocatedBytes(threadId) - before;
            assertEquals(0, allocated, "bytes allocated on the worker");

            for (int i = 0; i < backCount; i++)
            {
                Mbuf.free(back[i]);
            }
            queues.close();
            assertEquals(baseline, pool.inUse());
        }
    }

    /** Each round: a burst of the packets we hold is queued, then verdicts are drained until all came back. */
    private void rounds(final Mempool pool, final PacketBurst burst, final HookChain chain, final WorkerQueue worker,
                        final Reinjector reinjector)
    {
        for (int r = 0; r < ROUNDS; r++)
        {
            final int n = backCount;
            for (int i = 0; i < n; i++)
            {
                burst.mbufs.mbuf(i, back[i]);
            }
            burst.count(n);
            ParseStage.run(burst, 0);
            backCount = 0;
            chain.run(Hook.PREROUTING, burst);
            int refill = 0;
            while (worker.held() > 0)
            {
                worker.drain(reinjector);
                Thread.onSpinWait();
            }
            // Dropped packets were freed: top the burst up again from the pool.
            while (backCount < BURST)
            {
                final long m = pool.alloc();
                Mbuf.length(m, 64);
                back[backCount++] = m;
                refill++;
            }
            assertEquals(true, refill <= BURST);
        }
    }
}
