package io.flowgate.conntrack;

import java.lang.foreign.Arena;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SpscSlotRingTest
{
    @Test
    void shouldRefuseWhenFullAndHandSlotsBackInOrder()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final SpscSlotRing ring = new SpscSlotRing(arena, 4, 16);
            for (int i = 0; i < 4; i++)
            {
                final long slot = ring.claim();
                OffHeap.putLong(slot, i);
                ring.commit();
            }
            assertEquals(0, ring.claim(), "full");
            assertEquals(0, OffHeap.getLong(ring.peek()));
            ring.release();
            final long slot = ring.claim();
            OffHeap.putLong(slot, 4);
            ring.commit();
            for (int i = 1; i <= 4; i++)
            {
                assertEquals(i, OffHeap.getLong(ring.peek()));
                ring.release();
            }
            assertEquals(0, ring.peek(), "empty");
            assertThrows(IllegalArgumentException.class, () -> new SpscSlotRing(arena, 3, 16));
        }
    }

    /**
     * Stress: a producer thread writes 2M sequence numbers (two words per slot) as fast as the ring takes them; the
     * consumer must see every accepted one, in order, whole (allowed: refusals, counted by the producer; forbidden:
     * a gap among accepted records, a torn slot, a record seen twice).
     */
    @Test
    void shouldDeliverEveryCommittedSlotInOrderAcrossThreads() throws Exception
    {
        final int records = 2_000_000;
        final Arena arena = Arena.ofShared();
        try
        {
            final SpscSlotRing ring = new SpscSlotRing(arena, 64, 24);
            final long[] accepted = new long[1];
            final Thread producer = new Thread(() ->
            {
                long n = 0;
                for (long value = 0; value < records; value++)
                {
                    final long slot = ring.claim();
                    if (slot == 0)
                    {
                        continue; // refused: that value is never seen
                    }
                    OffHeap.putLong(slot, n);
                    OffHeap.putLong(slot + 8, ~n);
                    OffHeap.putLong(slot + 16, value);
                    ring.commit();
                    n++;
                }
                accepted[0] = n;
            });
            producer.start();
            long expected = 0;
            long lastValue = -1;
            while (producer.isAlive() || ring.peek() != 0)
            {
                final long slot = ring.peek();
                if (slot == 0)
                {
                    Thread.onSpinWait();
                    continue;
                }
                final long n = OffHeap.getLong(slot);
                assertEquals(expected, n, "accepted records in order, none lost");
                assertEquals(~n, OffHeap.getLong(slot + 8), "slot written whole before it was published");
                final long value = OffHeap.getLong(slot + 16);
                assertEquals(true, value > lastValue, "values only grow");
                lastValue = value;
                ring.release();
                expected++;
            }
            producer.join();
            assertEquals(accepted[0], expected);
        }
        finally
        {
            arena.close();
        }
    }
}
