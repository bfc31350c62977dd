package io.flowgate.pipeline.rules.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The verdict ring: bounded, FIFO, and under concurrent producers every record arrives once, whole and in each producer's order. */
class LongPairRingTest
{
    @Test
    void shouldRefuseWhenFullAndKeepOrder()
    {
        final LongPairRing ring = new LongPairRing(4);
        assertEquals(4, ring.capacity());
        for (int i = 0; i < 4; i++)
        {
            assertTrue(ring.offer(i, -i));
        }
        assertFalse(ring.offer(9, 9));
        for (int i = 0; i < 4; i++)
        {
            assertTrue(ring.poll());
            assertEquals(i, ring.first());
            assertEquals(-i, ring.second());
        }
        assertFalse(ring.poll());
        assertTrue(ring.offer(5, 5), "room again");
    }

    @Test
    void shouldDeliverEveryRecordOnceUnderConcurrentProducers() throws InterruptedException
    {
        final int producers = 3;
        final int perProducer = 200_000;
        final LongPairRing ring = new LongPairRing(64);
        final Thread[] threads = new Thread[producers];
        // A failed assertion or the deadline must not leave producers spinning on a full ring (the join would hang).
        final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        for (int p = 0; p < producers; p++)
        {
            final long producer = p;
            threads[p] = new Thread(() ->
            {
                for (long i = 0; i < perProducer; i++)
                {
                    while (!ring.offer(producer << 32 | i, ~(producer << 32 | i)))
                    {
                        if (stop.get())
                        {
                            return;
                        }
                        Thread.onSpinWait();
                    }
                }
            });
            threads[p].start();
        }
        final long[] next = new long[producers];
        long received = 0;
        final long deadline = System.nanoTime() + 60_000_000_000L;
        try
        {
            while (received < (long)producers * perProducer && System.nanoTime() < deadline)
            {
                if (!ring.poll())
                {
                    Thread.onSpinWait();
                    continue;
                }
                final long a = ring.first();
                assertEquals(~a, ring.second(), "a record is whole");
                final int producer = (int)(a >>> 32);
                assertEquals(next[producer]++, a & 0xFFFF_FFFFL, "each producer's records in order, none twice or lost");
                received++;
            }
        }
        finally
        {
            stop.set(true);
            for (final Thread t : threads)
            {
                t.join(10_000);
            }
        }
        assertEquals((long)producers * perProducer, received);
        assertFalse(ring.poll());
    }
}
