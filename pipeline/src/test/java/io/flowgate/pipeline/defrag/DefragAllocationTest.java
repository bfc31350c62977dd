package io.flowgate.pipeline.defrag;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Fragmenting, reassembling and expiring allocate nothing: a guard for the 0 B/op rule between JMH runs. */
class DefragAllocationTest
{
    private static final int ITERATIONS = 5_000;
    private static final int BUFFERS = 8;

    private final Arena arena = Arena.ofConfined();
    private final Ipv4Reassembler reassembler = new Ipv4Reassembler(16);
    private final Ipv4Fragmenter fragmenter = new Ipv4Fragmenter();
    private final long[] buffers = new long[BUFFERS];
    private final int[] lengths = new int[BUFFERS];

    @AfterEach
    void close()
    {
        reassembler.close();
        arena.close();
    }

    @Test
    void shouldFragmentReassembleAndExpireWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "no per-thread allocation counter");
        threads.setThreadAllocatedMemoryEnabled(true);
        final long pool = arena.allocate(BUFFERS * 1500L, 64).address();
        for (int i = 0; i < BUFFERS; i++)
        {
            buffers[i] = pool + i * 1500L;
        }
        final long datagram = Datagrams.load(arena, Datagrams.datagram(new Random(3), 4000, 77));

        long result = 0;
        for (int warmUp = 0; warmUp < 3; warmUp++)
        {
            result += work(datagram, warmUp * ITERATIONS);   // until the JIT has settled
        }
        final long threadId = Thread.currentThread().threadId();
        final long before = threads.getThreadAllocatedBytes(threadId);
        result += work(datagram, 3 * ITERATIONS);
        final long allocated = threads.getThreadAllocatedBytes(threadId) - before;

        assertEquals(0, allocated, "bytes allocated (result " + result + ")");
    }

    private long work(final long datagram, final int from)
    {
        long result = 0;
        for (int i = from; i < from + ITERATIONS; i++)
        {
            final int count = fragmenter.fragment(datagram, 1500, buffers, lengths, BUFFERS);
            for (int f = count - 1; f >= 0; f--)
            {
                if (f == 1 && (i & 7) == 0)
                {
                    continue;   // lose one now and then: expiry has work to do
                }
                final int done = reassembler.offer(buffers[f], lengths[f], i * 1_000_000_000L);
                if (done >= 0)
                {
                    result += reassembler.datagramLength(done);
                    reassembler.release(done);
                }
            }
            result += reassembler.expire(i * 1_000_000_000L, 4);
        }
        return result;
    }
}
