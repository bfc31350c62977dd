package io.flowgate.pipeline.route;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv4LpmTest
{
    private static final int MISS = Ipv4Lpm.MISS;

    private final List<Ipv4Lpm> tables = new ArrayList<>();

    @AfterEach
    void close()
    {
        tables.forEach(Ipv4Lpm::close);
    }

    private Ipv4Lpm table(final int tbl8Groups)
    {
        final Ipv4Lpm lpm = new Ipv4Lpm(tbl8Groups);
        tables.add(lpm);
        return lpm;
    }

    // ------------------------------------------------------------------------------------------------------
    // Against a reference
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldAgreeWithLinearReferenceOverRandomAddsAndDeletesOfEveryLength()
    {
        final Random random = new Random(0x24_08);
        final Ipv4Lpm lpm = table(4096);
        final Reference reference = new Reference();

        for (int depth = 0; depth <= 32; depth++)
        {
            final int prefix = randomAddress(random);
            final int nextHop = random.nextInt(Ipv4Lpm.MAX_NEXT_HOP + 1);
            lpm.add(prefix, depth, nextHop);
            reference.add(prefix, depth, nextHop);
        }
        assertAgree(lpm, reference, random);

        for (int round = 0; round < 10; round++)
        {
            for (int op = 0; op < 400; op++)
            {
                if (random.nextInt(100) < 35 && !reference.rules.isEmpty())
                {
                    final int[] rule = reference.rules.get(random.nextInt(reference.rules.size()));
                    assertTrue(lpm.delete(rule[0], rule[1]));
                    reference.delete(rule[0], rule[1]);
                }
                else
                {
                    final int depth = randomDepth(random);
                    final int prefix = randomAddress(random);
                    final int nextHop = random.nextInt(1 << 20);
                    lpm.add(prefix, depth, nextHop);
                    reference.add(prefix, depth, nextHop);
                }
            }
            assertAgree(lpm, reference, random);
        }

        while (!reference.rules.isEmpty())
        {
            final int[] rule = reference.rules.get(random.nextInt(reference.rules.size()));
            assertTrue(lpm.delete(rule[0], rule[1]));
            reference.delete(rule[0], rule[1]);
            if (reference.rules.size() % 200 == 0)
            {
                assertAgree(lpm, reference, random);
            }
        }
        assertEquals(0, lpm.ruleCount());
        assertEquals(0, lpm.tbl8GroupsInUse(), "every group folded back once its long prefixes went");
        for (int i = 0; i < 10_000; i++)
        {
            assertEquals(MISS, lpm.lookup(random.nextInt()));
        }
    }

    /** Short prefixes rewrite up to 2^24 entries each: draw them rarely (each /d below /8 2^(8-d) times rarer). */
    private static int randomDepth(final Random random)
    {
        while (true)
        {
            final int depth = random.nextInt(33);
            if (depth >= 8 || random.nextInt(1 << (8 - depth)) == 0)
            {
                return depth;
            }
        }
    }

    /** Half uniformly random, half inside eight /20s, so that prefixes nest and share tbl8 groups. */
    private static int randomAddress(final Random random)
    {
        if (random.nextBoolean())
        {
            return random.nextInt();
        }
        final int cluster = random.nextInt(8);
        return 0x0A000000 + (cluster << 20) + random.nextInt(1 << 12);
    }

    private static void assertAgree(final Ipv4Lpm lpm, final Reference reference, final Random random)
    {
        final List<Integer> addresses = new ArrayList<>();
        for (final int[] rule : reference.rules)
        {
            final int first = rule[0];
            final int last = first | ~Ipv4Lpm.mask(rule[1]);
            addresses.add(first);
            addresses.add(last);
            addresses.add(first - 1);
            addresses.add(last + 1);
            addresses.add(first + (int)random.nextLong((~Ipv4Lpm.mask(rule[1]) & 0xFFFF_FFFFL) + 1));
        }
        for (int i = 0; i < 2000; i++)
        {
            addresses.add(randomAddress(random));
        }

        final int[] burst = new int[addresses.size()];
        for (int i = 0; i < burst.length; i++)
        {
            final int address = addresses.get(i);
            burst[i] = address;
            assertEquals(reference.lookup(address), lpm.lookup(address), () -> "lookup " + Ipv4Lpm.toString(address, 32));
        }
        final int[] nextHops = new int[32];
        for (int start = 0; start < burst.length; start += 32)
        {
            final int count = Math.min(32, burst.length - start);
            final int[] slice = Arrays.copyOfRange(burst, start, start + 32);
            lpm.lookupBurst(slice, nextHops, count);
            for (int i = 0; i < count; i++)
            {
                assertEquals(lpm.lookup(slice[i]), nextHops[i], "burst lookup");
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // Edge cases
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldMatchEveryAddressWithTheDefaultRoute()
    {
        final Ipv4Lpm lpm = table(16);
        lpm.add(0x12345678, 0, 7);

        assertEquals(7, lpm.lookup(0));
        assertEquals(7, lpm.lookup(-1));
        assertEquals(7, lpm.lookup(0x7FFFFFFF));
        assertEquals(7, lpm.nextHopOf(0, 0));

        assertTrue(lpm.delete(0, 0));
        assertEquals(MISS, lpm.lookup(0));
        assertEquals(MISS, lpm.lookup(-1));
    }

    @Test
    void shouldMatchHostRouteOnlyForItsAddress()
    {
        final Ipv4Lpm lpm = table(16);
        lpm.add(ip(192, 0, 2, 1), 32, 3);

        assertEquals(3, lpm.lookup(ip(192, 0, 2, 1)));
        assertEquals(MISS, lpm.lookup(ip(192, 0, 2, 0)));
        assertEquals(MISS, lpm.lookup(ip(192, 0, 2, 2)));
        assertEquals(1, lpm.tbl8GroupsInUse());
    }

    @Test
    void shouldKeepTheSlash24AndSlash25BoundariesApart()
    {
        final Ipv4Lpm lpm = table(16);
        lpm.add(ip(10, 0, 0, 0), 24, 1);
        lpm.add(ip(10, 0, 0, 128), 25, 2);

        assertEquals(MISS, lpm.lookup(ip(9, 255, 255, 255)));
        assertEquals(1, lpm.lookup(ip(10, 0, 0, 0)));
        assertEquals(1, lpm.lookup(ip(10, 0, 0, 127)));
        assertEquals(2, lpm.lookup(ip(10, 0, 0, 128)));
        assertEquals(2, lpm.lookup(ip(10, 0, 0, 255)));
        assertEquals(MISS, lpm.lookup(ip(10, 0, 1, 0)));
    }

    @Test
    void shouldPreferTheLongestPrefixWhicheverOrderTheyAreAdded()
    {
        final int[][] routes = {
            {ip(10, 0, 0, 0), 8, 1}, {ip(10, 1, 0, 0), 16, 2}, {ip(10, 1, 2, 0), 24, 3},
            {ip(10, 1, 2, 64), 26, 4}, {ip(10, 1, 2, 96), 27, 5}, {ip(10, 1, 2, 100), 32, 6}};
        final int[][] probes = {
            {ip(10, 9, 9, 9), 1}, {ip(10, 1, 9, 9), 2}, {ip(10, 1, 2, 1), 3}, {ip(10, 1, 2, 65), 4},
            {ip(10, 1, 2, 97), 5}, {ip(10, 1, 2, 100), 6}, {ip(10, 1, 2, 101), 5}, {ip(10, 1, 2, 128), 3}};

        final Ipv4Lpm ascending = table(16);
        final Ipv4Lpm descending = table(16);
        for (int i = 0; i < routes.length; i++)
        {
            ascending.add(routes[i][0], routes[i][1], routes[i][2]);
            final int[] reverse = routes[routes.length - 1 - i];
            descending.add(reverse[0], reverse[1], reverse[2]);
        }

        for (final int[] probe : probes)
        {
            assertEquals(probe[1], ascending.lookup(probe[0]));
            assertEquals(probe[1], descending.lookup(probe[0]));
        }
    }

    @Test
    void shouldRestoreTheCoveringPrefixWhenALongerOneIsDeleted()
    {
        final Ipv4Lpm lpm = table(16);
        lpm.add(ip(10, 0, 0, 0), 8, 1);
        lpm.add(ip(10, 1, 0, 0), 16, 2);
        lpm.add(ip(10, 1, 2, 0), 24, 3);
        lpm.add(ip(10, 1, 2, 0), 26, 4);
        lpm.add(ip(10, 1, 2, 16), 28, 5);

        assertTrue(lpm.delete(ip(10, 1, 2, 16), 28));
        assertEquals(4, lpm.lookup(ip(10, 1, 2, 17)), "the /26 again");

        assertTrue(lpm.delete(ip(10, 1, 0, 0), 16));
        assertEquals(1, lpm.lookup(ip(10, 1, 3, 0)), "the /8, not the deleted /16");
        assertEquals(3, lpm.lookup(ip(10, 1, 2, 200)), "the /24 is untouched");
        assertEquals(4, lpm.lookup(ip(10, 1, 2, 17)), "the /26 is untouched");

        assertTrue(lpm.delete(ip(10, 1, 2, 0), 26));
        assertEquals(3, lpm.lookup(ip(10, 1, 2, 17)), "the /24 again");
        assertEquals(0, lpm.tbl8GroupsInUse(), "the group folded into tbl24");

        assertTrue(lpm.delete(ip(10, 1, 2, 0), 24));
        assertEquals(1, lpm.lookup(ip(10, 1, 2, 17)));

        assertTrue(lpm.delete(ip(10, 0, 0, 0), 8));
        assertEquals(MISS, lpm.lookup(ip(10, 1, 2, 17)));
    }

    @Test
    void shouldRestoreTheCoveringPrefixInsideATbl8GroupWhenAShortOneIsDeleted()
    {
        final Ipv4Lpm lpm = table(16);
        lpm.add(ip(10, 0, 0, 0), 8, 1);
        lpm.add(ip(10, 1, 0, 0), 16, 2);
        lpm.add(ip(10, 1, 2, 128), 25, 3);

        assertTrue(lpm.delete(ip(10, 1, 0, 0), 16));

        assertEquals(1, lpm.lookup(ip(10, 1, 2, 0)), "the group's short entries now hold the /8");
        assertEquals(3, lpm.lookup(ip(10, 1, 2, 129)));
        assertEquals(1, lpm.tbl8GroupsInUse());

        assertTrue(lpm.delete(ip(10, 0, 0, 0), 8));
        assertEquals(MISS, lpm.lookup(ip(10, 1, 2, 0)));
        assertEquals(3, lpm.lookup(ip(10, 1, 2, 129)));
    }

    @Test
    void shouldNotLetAShorterPrefixOverwriteALongerOneAddedBefore()
    {
        final Ipv4Lpm lpm = table(16);
        lpm.add(ip(10, 1, 2, 0), 24, 3);
        lpm.add(ip(10, 1, 2, 7), 32, 4);
        lpm.add(ip(10, 0, 0, 0), 8, 1);

        assertEquals(3, lpm.lookup(ip(10, 1, 2, 6)));
        assertEquals(4, lpm.lookup(ip(10, 1, 2, 7)));
        assertEquals(1, lpm.lookup(ip(10, 1, 3, 7)));
    }

    @Test
    void shouldChangeTheNextHopWhenTheSamePrefixIsAddedAgain()
    {
        final Ipv4Lpm lpm = table(16);
        lpm.add(ip(10, 0, 0, 0), 8, 1);
        lpm.add(ip(10, 1, 2, 0), 30, 2);
        lpm.add(ip(10, 1, 2, 3), 32, 5);

        lpm.add(ip(10, 0, 0, 0), 8, 11);
        lpm.add(ip(10, 1, 2, 0), 30, 12);

        assertEquals(11, lpm.lookup(ip(10, 200, 0, 0)));
        assertEquals(12, lpm.lookup(ip(10, 1, 2, 1)));
        assertEquals(5, lpm.lookup(ip(10, 1, 2, 3)));
        assertEquals(11, lpm.lookup(ip(10, 1, 2, 4)));
        assertEquals(3, lpm.ruleCount());
        assertEquals(1, lpm.tbl8GroupsInUse());
    }

    @Test
    void shouldIgnoreHostBitsOfThePrefix()
    {
        final Ipv4Lpm lpm = table(16);
        lpm.add(ip(10, 1, 2, 3), 8, 1);

        assertEquals(1, lpm.lookup(ip(10, 0, 0, 0)));
        assertEquals(1, lpm.nextHopOf(ip(10, 0, 0, 0), 8));
        assertTrue(lpm.delete(ip(10, 9, 9, 9), 8));
        assertEquals(MISS, lpm.lookup(ip(10, 0, 0, 0)));
    }

    @Test
    void shouldReportDeleteOfAnUnknownRoute()
    {
        final Ipv4Lpm lpm = table(16);
        lpm.add(ip(10, 0, 0, 0), 8, 1);

        assertFalse(lpm.delete(ip(10, 0, 0, 0), 9));
        assertFalse(lpm.delete(ip(11, 0, 0, 0), 8));
        assertEquals(1, lpm.lookup(ip(10, 0, 0, 0)));
    }

    @Test
    void shouldRejectLengthsAndNextHopsOutOfRange()
    {
        final Ipv4Lpm lpm = table(16);

        assertThrows(IllegalArgumentException.class, () -> lpm.add(0, 33, 1));
        assertThrows(IllegalArgumentException.class, () -> lpm.add(0, -1, 1));
        assertThrows(IllegalArgumentException.class, () -> lpm.add(0, 8, -1));
        assertThrows(IllegalArgumentException.class, () -> lpm.add(0, 8, Ipv4Lpm.MAX_NEXT_HOP + 1));
        lpm.add(0, 8, Ipv4Lpm.MAX_NEXT_HOP);
        assertEquals(Ipv4Lpm.MAX_NEXT_HOP, lpm.lookup(1));
    }

    @Test
    void shouldLeaveTheTableUnchangedWhenTbl8GroupsRunOut()
    {
        final Ipv4Lpm lpm = table(2);
        lpm.add(ip(10, 0, 0, 0), 8, 1);
        lpm.add(ip(10, 0, 1, 0), 25, 2);
        lpm.add(ip(10, 0, 2, 0), 25, 3);

        final Tbl8ExhaustedException ex =
            assertThrows(Tbl8ExhaustedException.class, () -> lpm.add(ip(10, 0, 3, 0), 25, 4));

        assertTrue(ex.getMessage().contains("10.0.3.0/25"), ex.getMessage());
        assertEquals(3, lpm.ruleCount());
        assertEquals(MISS, lpm.nextHopOf(ip(10, 0, 3, 0), 25));
        assertEquals(1, lpm.lookup(ip(10, 0, 3, 1)));
        assertEquals(2, lpm.lookup(ip(10, 0, 1, 1)));
        assertEquals(3, lpm.lookup(ip(10, 0, 2, 1)));

        lpm.add(ip(10, 0, 2, 200), 32, 5);
        assertEquals(5, lpm.lookup(ip(10, 0, 2, 200)), "a /24 that has its group still takes longer prefixes");
    }

    @Test
    void shouldReuseAFreedTbl8GroupOnlyAfterReclaim()
    {
        final Ipv4Lpm lpm = table(1);
        lpm.add(ip(10, 0, 1, 0), 25, 2);
        assertTrue(lpm.delete(ip(10, 0, 1, 0), 25));

        assertEquals(1, lpm.tbl8GroupsRetired());
        assertThrows(Tbl8ExhaustedException.class, () -> lpm.add(ip(10, 0, 2, 0), 25, 3));

        assertEquals(1, lpm.reclaim());
        lpm.add(ip(10, 0, 2, 0), 25, 3);
        assertEquals(3, lpm.lookup(ip(10, 0, 2, 1)));
        assertEquals(MISS, lpm.lookup(ip(10, 0, 1, 1)));
    }

    @Test
    void shouldLookUpABurstLikeSingleLookups()
    {
        final Ipv4Lpm lpm = table(16);
        lpm.add(ip(10, 0, 0, 0), 8, 1);
        lpm.add(ip(10, 1, 2, 0), 26, 2);
        final int[] addresses = {ip(10, 1, 2, 3), ip(11, 0, 0, 0), ip(10, 1, 2, 200), ip(10, 1, 2, 63), ip(1, 2, 3, 4)};
        final int[] nextHops = new int[8];
        Arrays.fill(nextHops, 99);

        lpm.lookupBurst(addresses, nextHops, addresses.length);

        assertEquals(List.of(2, MISS, 1, 2, MISS, 99, 99, 99), Arrays.stream(nextHops).boxed().toList());
    }

    // ------------------------------------------------------------------------------------------------------
    // One writer, concurrent readers
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldShowAConcurrentReaderOnlyTheOldOrTheNewRoute() throws InterruptedException
    {
        final int rounds = 3000;
        final Ipv4Lpm lpm = table(rounds);
        final int covering = ip(10, 1, 0, 0);
        lpm.add(covering, 16, 1);
        final int[] probes = {ip(10, 1, 2, 1), ip(10, 1, 2, 130), ip(10, 1, 3, 1), ip(10, 1, 200, 1)};
        // allowed[i]: bit n set when next hop n is a possible answer for probes[i] at some moment
        final int[] allowed = {1 << 1 | 1 << 2 | 1 << 3, 1 << 1 | 1 << 2 | 1 << 4, 1 << 1 | 1 << 2, 1 << 1};
        final AtomicBoolean done = new AtomicBoolean();
        final AtomicReference<String> failure = new AtomicReference<>();

        final Thread reader = new Thread(() ->
        {
            final int[] nextHops = new int[probes.length];
            while (!done.get() && failure.get() == null)
            {
                lpm.lookupBurst(probes, nextHops, probes.length);
                for (int i = 0; i < probes.length; i++)
                {
                    final int single = lpm.lookup(probes[i]);
                    if (nextHops[i] < 0 || (allowed[i] & 1 << nextHops[i]) == 0 || single < 0 || (allowed[i] & 1 << single) == 0)
                    {
                        failure.set("probe " + i + " saw " + nextHops[i] + " / " + single);
                    }
                }
            }
        });
        reader.start();
        for (int round = 0; round < rounds && failure.get() == null; round++)
        {
            lpm.add(ip(10, 1, 2, 0), 23, 2);
            lpm.add(ip(10, 1, 2, 0), 25, 3);
            lpm.add(ip(10, 1, 2, 128), 25, 4);
            lpm.delete(ip(10, 1, 2, 0), 25);
            lpm.delete(ip(10, 1, 2, 0), 23);
            lpm.delete(ip(10, 1, 2, 128), 25);
        }
        done.set(true);
        reader.join();

        assertNull(failure.get());
        assertEquals(rounds, lpm.tbl8GroupsRetired(), "no reclaim while the reader runs: every round retired its group");
    }

    // ------------------------------------------------------------------------------------------------------

    static int ip(final int a, final int b, final int c, final int d)
    {
        return a << 24 | b << 16 | c << 8 | d;
    }

    /** The obvious longest-prefix match: every rule compared with every address. */
    private static final class Reference
    {
        final List<int[]> rules = new ArrayList<>();

        void add(final int prefix, final int depth, final int nextHop)
        {
            final int masked = prefix & Ipv4Lpm.mask(depth);
            delete(masked, depth);
            rules.add(new int[]{masked, depth, nextHop});
        }

        void delete(final int prefix, final int depth)
        {
            final int masked = prefix & Ipv4Lpm.mask(depth);
            rules.removeIf(rule -> rule[0] == masked && rule[1] == depth);
        }

        int lookup(final int address)
        {
            int bestDepth = -1;
            int nextHop = MISS;
            for (final int[] rule : rules)
            {
                if ((address & Ipv4Lpm.mask(rule[1])) == rule[0] && rule[1] > bestDepth)
                {
                    bestDepth = rule[1];
                    nextHop = rule[2];
                }
            }
            return nextHop;
        }
    }
}
