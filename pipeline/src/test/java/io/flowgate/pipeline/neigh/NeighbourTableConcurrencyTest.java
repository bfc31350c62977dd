package io.flowgate.pipeline.neigh;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static io.flowgate.pipeline.neigh.NeighbourTable.NO_MAC;
import static io.flowgate.pipeline.neigh.NeighbourTable.NO_SLOT;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One writer churns a small table (inserts, MAC changes, state changes, removals, so slots are reused by
 * other neighbours all the time) while one reader looks every key up. Each MAC the writer publishes names
 * its neighbour and a generation: {@code keyId << 32 | generation}.
 * <p>
 * Allowed: a miss, or the MAC of the key looked up with a generation the writer has reached.
 * Forbidden (a torn read): another key's MAC, which is what mixing the key of one occupant with the link
 * word of the next gives, or mixing the halves of two IPv6 keys (the IPv6 keys form a grid of 3 high halves
 * by 4 low halves, so a mixed address is another key); a generation the writer never wrote.
 */
class NeighbourTableConcurrencyTest
{
    private static final long RUN_NS = 1_000_000_000L;
    private static final int PORT = 3;
    private static final int IPV4_KEYS = 12;
    private static final long[] HIS = {0x2001_0db8_0000_0000L, 0x2001_0db8_0000_0001L, 0xfe80_0000_0000_0000L};
    private static final long[] LOS = {1L, 2L, 0x0200_5eff_fe00_0001L, 0x0200_5eff_fe00_0002L};
    private static final int KEYS = IPV4_KEYS + HIS.length * LOS.length;

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void shouldNeverLetAReaderSeeATornEntryWhileTheWriterChurns() throws InterruptedException
    {
        try (NeighbourTable table = new NeighbourTable(16, 0x5eed))
        {
            final AtomicLong generation = new AtomicLong();
            final AtomicReference<String> violation = new AtomicReference<>();
            final long[] hitsAndMisses = new long[2];
            final Thread reader = new Thread(() -> read(table, generation, violation, hitsAndMisses), "neigh-reader");
            reader.setDaemon(true);
            reader.start();

            final int[] slotOf = new int[KEYS];
            Arrays.fill(slotOf, NO_SLOT);
            final SplittableRandom random = new SplittableRandom(17);
            long writes = 0;
            final long endNs = System.nanoTime() + RUN_NS;
            while (System.nanoTime() < endNs && violation.get() == null)
            {
                for (int i = 0; i < 1000; i++)
                {
                    churn(table, slotOf, random, generation);
                    writes++;
                }
                if ((writes & 0xFFFF) == 0)
                {
                    for (int slot = 0; slot < table.slotCount(); slot++)
                    {
                        table.takeUsed(slot);
                    }
                }
            }
            reader.interrupt();
            reader.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(reader.isAlive(), "reader stopped");

            assertNull(violation.get());
            assertTrue(hitsAndMisses[0] > 10_000, "reader hit often enough to mean something: " + hitsAndMisses[0]);
            assertTrue(hitsAndMisses[1] > 0, "and missed too: " + hitsAndMisses[1]);
            assertTrue(writes > 100_000, "writer churned: " + writes);
        }
    }

    private static void churn(final NeighbourTable table, final int[] slotOf, final SplittableRandom random, final AtomicLong generation)
    {
        final int key = random.nextInt(KEYS);
        final long mac = (long)key << 32 | (generation.incrementAndGet() & 0xFFFF_FFFFL);
        if (slotOf[key] == NO_SLOT)
        {
            slotOf[key] = key < IPV4_KEYS ?
                table.insert(PORT, ipv4(key), NeighbourState.REACHABLE, mac) :
                table.insert6(PORT, hi(key), lo(key), NeighbourState.REACHABLE, mac);
            return;
        }
        switch (random.nextInt(4))
        {
            case 0 ->
            {
                table.remove(slotOf[key]);
                slotOf[key] = NO_SLOT;
            }
            case 1 -> table.update(slotOf[key], NeighbourState.INCOMPLETE, 0L);
            default -> table.update(slotOf[key], random.nextBoolean() ? NeighbourState.STALE : NeighbourState.REACHABLE, mac);
        }
    }

    private static void read(
        final NeighbourTable table, final AtomicLong generation, final AtomicReference<String> violation, final long[] hitsAndMisses)
    {
        long hits = 0;
        long misses = 0;
        while (!Thread.currentThread().isInterrupted())
        {
            for (int key = 0; key < KEYS; key++)
            {
                final long mac = key < IPV4_KEYS ? table.lookupMac(PORT, ipv4(key)) : table.lookupMac6(PORT, hi(key), lo(key));
                if (mac == NO_MAC)
                {
                    misses++;
                    continue;
                }
                hits++;
                final long macKey = mac >>> 32;
                final long macGeneration = mac & 0xFFFF_FFFFL;
                if (macKey != key || macGeneration == 0 || macGeneration > generation.get())
                {
                    violation.compareAndSet(null, "key " + key + " read MAC " + Long.toHexString(mac) + " at generation " + generation.get());
                    hitsAndMisses[0] = hits;
                    hitsAndMisses[1] = misses;
                    return;
                }
            }
        }
        hitsAndMisses[0] = hits;
        hitsAndMisses[1] = misses;
    }

    private static int ipv4(final int key)
    {
        return 0x0A00_0000 | key;
    }

    private static long hi(final int key)
    {
        return HIS[(key - IPV4_KEYS) / LOS.length];
    }

    private static long lo(final int key)
    {
        return LOS[(key - IPV4_KEYS) % LOS.length];
    }
}
