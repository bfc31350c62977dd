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

class Ipv6LpmTest
{
    private static final int MISS = Ipv6Lpm.MISS;
    private static final long DB8 = hi(0x2001, 0xDB8, 0, 0);

    private final List<Ipv6Lpm> tables = new ArrayList<>();

    @AfterEach
    void close()
    {
        tables.forEach(Ipv6Lpm::close);
    }

    private Ipv6Lpm table(final int tbl8Groups)
    {
        final Ipv6Lpm lpm = new Ipv6Lpm(tbl8Groups);
        tables.add(lpm);
        return lpm;
    }

    // ------------------------------------------------------------------------------------------------------
    // Against a reference
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldAgreeWithLinearReferenceOverRandomAddsAndDeletesOfEveryLength()
    {
        final Random random = new Random(0x6_24_08);
        final Ipv6Lpm lpm = table(1 << 14);
        final Reference reference = new Reference();
        final long[][] clusters = new long[6][];
        for (int i = 0; i < clusters.length; i++)
        {
            clusters[i] = new long[]{random.nextLong(), random.nextLong()};
        }

        for (int depth = 0; depth <= 128; depth++)
        {
            final long[] prefix = randomAddress(random, clusters);
            lpm.add(prefix[0], prefix[1], depth, depth);
            reference.add(prefix[0], prefix[1], depth, depth);
        }
        assertAgree(lpm, reference, random, clusters);

        for (int round = 0; round < 8; round++)
        {
            for (int op = 0; op < 300; op++)
            {
                if (random.nextInt(100) < 35 && !reference.rules.isEmpty())
                {
                    final long[] rule = reference.rules.get(random.nextInt(reference.rules.size()));
                    assertTrue(lpm.delete(rule[0], rule[1], (int)rule[2]));
                    reference.delete(rule[0], rule[1], (int)rule[2]);
                }
                else
                {
                    final int depth = randomDepth(random);
                    final long[] prefix = randomAddress(random, clusters);
                    final int nextHop = random.nextInt(Ipv6Lpm.MAX_NEXT_HOP + 1);
                    lpm.add(prefix[0], prefix[1], depth, nextHop);
                    reference.add(prefix[0], prefix[1], depth, nextHop);
                }
            }
            assertAgree(lpm, reference, random, clusters);
        }

        while (!reference.rules.isEmpty())
        {
            final long[] rule = reference.rules.get(random.nextInt(reference.rules.size()));
            assertTrue(lpm.delete(rule[0], rule[1], (int)rule[2]));
            reference.delete(rule[0], rule[1], (int)rule[2]);
            if (reference.rules.size() % 200 == 0)
            {
                assertAgree(lpm, reference, random, clusters);
            }
        }
        assertEquals(0, lpm.ruleCount());
        assertEquals(0, lpm.tbl8GroupsInUse(), "every group folded back once its long prefixes went");
    }

    /** Each length below /8 drawn 2^(8-d) times rarer: a short prefix rewrites up to 2^24 tbl24 entries. */
    private static int randomDepth(final Random random)
    {
        while (true)
        {
            final int depth = random.nextInt(129);
            if (depth >= 8 || random.nextInt(1 << (8 - depth)) == 0)
            {
                return depth;
            }
        }
    }

    /** Half uniformly random; half sharing the first 24..128 bits with one of a few cluster addresses. */
    private static long[] randomAddress(final Random random, final long[][] clusters)
    {
        if (random.nextBoolean())
        {
            return new long[]{random.nextLong(), random.nextLong()};
        }
        final long[] base = clusters[random.nextInt(clusters.length)];
        final int shared = 24 + random.nextInt(105);
        return new long[]{
            base[0] & Ipv6Lpm.maskHi(shared) | random.nextLong() & ~Ipv6Lpm.maskHi(shared),
            base[1] & Ipv6Lpm.maskLo(shared) | random.nextLong() & ~Ipv6Lpm.maskLo(shared)};
    }

    private static void assertAgree(
        final Ipv6Lpm lpm, final Reference reference, final Random random, final long[][] clusters)
    {
        final List<long[]> addresses = new ArrayList<>();
        for (final long[] rule : reference.rules)
        {
            final int depth = (int)rule[2];
            final long lastHi = rule[0] | ~Ipv6Lpm.maskHi(depth);
            final long lastLo = rule[1] | ~Ipv6Lpm.maskLo(depth);
            addresses.add(new long[]{rule[0], rule[1]});
            addresses.add(new long[]{lastHi, lastLo});
            addresses.add(new long[]{rule[1] == 0 ? rule[0] - 1 : rule[0], rule[1] - 1});
            addresses.add(new long[]{lastLo == -1 ? lastHi + 1 : lastHi, lastLo + 1});
            addresses.add(new long[]{
                rule[0] | random.nextLong() & ~Ipv6Lpm.maskHi(depth), rule[1] | random.nextLong() & ~Ipv6Lpm.maskLo(depth)});
        }
        for (int i = 0; i < 1000; i++)
        {
            addresses.add(randomAddress(random, clusters));
        }

        for (final long[] address : addresses)
        {
            assertEquals(reference.lookup(address[0], address[1]), lpm.lookup(address[0], address[1]),
                () -> "lookup " + Ipv6Lpm.toString(address[0], address[1], 128));
        }
        final long[] hi = new long[32];
        final long[] lo = new long[32];
        final int[] nextHops = new int[32];
        for (int start = 0; start < addresses.size(); start += 32)
        {
            final int count = Math.min(32, addresses.size() - start);
            for (int i = 0; i < count; i++)
            {
                hi[i] = addresses.get(start + i)[0];
                lo[i] = addresses.get(start + i)[1];
            }
            lpm.lookupBurst(hi, lo, nextHops, count);
            for (int i = 0; i < count; i++)
            {
                assertEquals(lpm.lookup(hi[i], lo[i]), nextHops[i], "burst lookup");
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // Edge cases
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldMatchEveryAddressWithTheDefaultRoute()
    {
        final Ipv6Lpm lpm = table(16);
        lpm.add(DB8, 1, 0, 7);

        assertEquals(7, lpm.lookup(0, 0));
        assertEquals(7, lpm.lookup(-1, -1));
        assertEquals(7, lpm.nextHopOf(0, 0, 0));

        assertTrue(lpm.delete(0, 0, 0));
        assertEquals(MISS, lpm.lookup(0, 0));
        assertEquals(MISS, lpm.lookup(-1, -1));
    }

    @Test
    void shouldMatchHostRouteOnlyForItsAddressAndFoldAllThirteenGroupsOnDelete()
    {
        final Ipv6Lpm lpm = table(16);
        lpm.add(DB8, 1, 128, 3);

        assertEquals(13, lpm.tbl8GroupsInUse());
        assertEquals(3, lpm.lookup(DB8, 1));
        assertEquals(MISS, lpm.lookup(DB8, 0));
        assertEquals(MISS, lpm.lookup(DB8, 2));
        assertEquals(MISS, lpm.lookup(DB8 | 1, 1));

        assertTrue(lpm.delete(DB8, 1, 128));
        assertEquals(MISS, lpm.lookup(DB8, 1));
        assertEquals(0, lpm.tbl8GroupsInUse());
        assertEquals(13, lpm.tbl8GroupsRetired());
    }

    @Test
    void shouldKeepEveryLevelBoundaryApart()
    {
        final Ipv6Lpm lpm = table(64);
        final long base = 0x2001_0D00_0000_0000L;
        lpm.add(base, 0, 24, 24);
        lpm.add(base | 0x80_0000_0000L, 0, 25, 25);
        lpm.add(base, 0, 32, 32);
        lpm.add(base | 0x8000_0000L, 0, 33, 33);
        lpm.add(base | 0xFFFF_FFFFL, 0, 64, 64);
        lpm.add(base | 0xFFFF_FFFFL, 0x8000_0000_0000_0000L, 65, 65);
        lpm.add(base | 0xFFFF_FFFFL, 0x100, 120, 120);
        lpm.add(base | 0xFFFF_FFFFL, 0x180, 121, 121);

        assertEquals(24, lpm.lookup(base | 0x7F_FFFF_FFFFL, -1));
        assertEquals(25, lpm.lookup(base | 0x80_0000_0000L, 0));
        assertEquals(32, lpm.lookup(base | 0x7FFF_FFFFL, -1));
        assertEquals(33, lpm.lookup(base | 0x8000_0000L, 0));
        assertEquals(64, lpm.lookup(base | 0xFFFF_FFFFL, 0x7FFF_FFFF_FFFF_FFFFL));
        assertEquals(65, lpm.lookup(base | 0xFFFF_FFFFL, 0x8000_0000_0000_0000L));
        assertEquals(120, lpm.lookup(base | 0xFFFF_FFFFL, 0x17F));
        assertEquals(121, lpm.lookup(base | 0xFFFF_FFFFL, 0x180));
        assertEquals(121, lpm.lookup(base | 0xFFFF_FFFFL, 0x1FF));
        assertEquals(64, lpm.lookup(base | 0xFFFF_FFFFL, 0x200));
        assertEquals(MISS, lpm.lookup(base - 1, -1));
    }

    @Test
    void shouldPreferTheLongestPrefixWhicheverOrderTheyAreAdded()
    {
        final long[][] routes = {
            {DB8, 0, 32, 1}, {hi(0x2001, 0xDB8, 1, 0), 0, 48, 2}, {hi(0x2001, 0xDB8, 1, 2), 0, 64, 3},
            {hi(0x2001, 0xDB8, 1, 2), 1, 128, 4}, {0x2000_0000_0000_0000L, 0, 3, 5}};
        final long[][] probes = {
            {DB8 | 0xFFFFL, 0, 1}, {hi(0x2001, 0xDB8, 1, 0), 9, 2}, {hi(0x2001, 0xDB8, 1, 2), 2, 3}, {hi(0x2001, 0xDB8, 1, 2), 1, 4},
            {0x3FFF_0000_0000_0000L, 0, 5}, {0x4000_0000_0000_0000L, 0, MISS}};

        final Ipv6Lpm ascending = table(64);
        final Ipv6Lpm descending = table(64);
        for (int i = 0; i < routes.length; i++)
        {
            ascending.add(routes[i][0], routes[i][1], (int)routes[i][2], (int)routes[i][3]);
            final long[] reverse = routes[routes.length - 1 - i];
            descending.add(reverse[0], reverse[1], (int)reverse[2], (int)reverse[3]);
        }

        for (final long[] probe : probes)
        {
            assertEquals(probe[2], ascending.lookup(probe[0], probe[1]));
            assertEquals(probe[2], descending.lookup(probe[0], probe[1]));
        }
    }

    @Test
    void shouldRestoreTheCoveringPrefixWhenALongerOneIsDeleted()
    {
        final Ipv6Lpm lpm = table(64);
        lpm.add(DB8, 0, 32, 1);
        lpm.add(hi(0x2001, 0xDB8, 1, 0), 0, 48, 2);
        lpm.add(hi(0x2001, 0xDB8, 1, 0), 0, 64, 3);
        lpm.add(hi(0x2001, 0xDB8, 1, 0), 0xFF00, 120, 4);

        assertTrue(lpm.delete(hi(0x2001, 0xDB8, 1, 0), 0, 64));
        assertEquals(2, lpm.lookup(hi(0x2001, 0xDB8, 1, 0), 5));
        assertEquals(4, lpm.lookup(hi(0x2001, 0xDB8, 1, 0), 0xFF05));

        assertTrue(lpm.delete(hi(0x2001, 0xDB8, 1, 0), 0, 48));
        assertEquals(1, lpm.lookup(hi(0x2001, 0xDB8, 1, 0), 5), "the /32 reaches down through the deeper groups");
        assertEquals(4, lpm.lookup(hi(0x2001, 0xDB8, 1, 0), 0xFF05));

        final int groups = lpm.tbl8GroupsInUse();
        assertTrue(lpm.delete(hi(0x2001, 0xDB8, 1, 0), 0xFF00, 120));
        assertEquals(1, lpm.lookup(hi(0x2001, 0xDB8, 1, 0), 0xFF05));
        assertEquals(1, lpm.tbl8GroupsInUse(), "only the /32's own group is left of " + groups);

        assertTrue(lpm.delete(DB8, 0, 32));
        assertEquals(MISS, lpm.lookup(hi(0x2001, 0xDB8, 1, 0), 0xFF05));
        assertEquals(0, lpm.tbl8GroupsInUse());
    }

    @Test
    void shouldChangeTheNextHopWhenTheSamePrefixIsAddedAgain()
    {
        final Ipv6Lpm lpm = table(64);
        lpm.add(DB8, 0, 32, 1);
        lpm.add(hi(0x2001, 0xDB8, 1, 0), 0, 48, 2);

        lpm.add(DB8, 0, 32, 11);
        lpm.add(hi(0x2001, 0xDB8, 1, 0), 0, 48, 12);

        assertEquals(11, lpm.lookup(hi(0x2001, 0xDB8, 0, 0xFFFF), 0));
        assertEquals(12, lpm.lookup(hi(0x2001, 0xDB8, 1, 0xFFFF), 0));
        assertEquals(2, lpm.ruleCount());
    }

    @Test
    void shouldLeaveTheTableUnchangedWhenTbl8GroupsRunOut()
    {
        final Ipv6Lpm lpm = table(4);
        lpm.add(DB8, 0, 32, 1);
        lpm.add(hi(0x2001, 0xDB8, 1, 0), 0, 48, 2);
        assertEquals(3, lpm.tbl8GroupsInUse());

        final long other = hi(0x2001, 0xE00, 1, 0);
        final Tbl8ExhaustedException ex =
            assertThrows(Tbl8ExhaustedException.class, () -> lpm.add(other, 0, 48, 3));

        assertTrue(ex.getMessage().contains("need 3"), ex.getMessage());
        assertEquals(2, lpm.ruleCount());
        assertEquals(1, lpm.tbl8GroupsFree());
        assertEquals(MISS, lpm.lookup(other, 0));
        assertEquals(MISS, lpm.nextHopOf(other, 0, 48));
        assertEquals(1, lpm.lookup(hi(0x2001, 0xDB8, 0, 0xFFFF), 0));
        assertEquals(2, lpm.lookup(hi(0x2001, 0xDB8, 1, 0xFFFF), 0));

        lpm.add(hi(0x2001, 0xDB8, 1, 0x4200), 0, 56, 4);
        assertEquals(4, lpm.lookup(hi(0x2001, 0xDB8, 1, 0x4201), 0), "one group was still enough for this one");
    }

    @Test
    void shouldReportDeleteOfAnUnknownRoute()
    {
        final Ipv6Lpm lpm = table(16);
        lpm.add(DB8, 0, 32, 1);

        assertFalse(lpm.delete(DB8, 0, 33));
        assertFalse(lpm.delete(DB8 + (1L << 32), 0, 32));
        assertEquals(1, lpm.lookup(DB8, 0));
        assertThrows(IllegalArgumentException.class, () -> lpm.add(DB8, 0, 129, 1));
        assertThrows(IllegalArgumentException.class, () -> lpm.add(DB8, 0, 64, Ipv6Lpm.MAX_NEXT_HOP + 1));
    }

    @Test
    void shouldLookUpABurstLikeSingleLookups()
    {
        final Ipv6Lpm lpm = table(64);
        lpm.add(0, 0, 0, 9);
        lpm.add(DB8, 0, 32, 1);
        lpm.add(DB8, 7, 128, 2);
        final long[] hi = {DB8, DB8, 0x3000_0000_0000_0000L, DB8 | 0xFFFF};
        final long[] lo = {7, 8, 0, 0};
        final int[] nextHops = new int[6];
        Arrays.fill(nextHops, 99);

        lpm.lookupBurst(hi, lo, nextHops, hi.length);

        assertEquals(List.of(2, 1, 9, 1, 99, 99), Arrays.stream(nextHops).boxed().toList());
    }

    @Test
    void shouldPickTheIndexByteOfEveryLevel()
    {
        final long hi = 0x0011_2233_4455_6677L;
        final long lo = 0x8899_AABB_CCDD_EEFFL;

        final int[] bytes = new int[14];
        for (int level = 1; level <= 13; level++)
        {
            bytes[level] = Ipv6Lpm.byteAt(hi, lo, level);
        }

        assertEquals(List.of(0, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF),
            Arrays.stream(bytes).boxed().toList());
    }

    // ------------------------------------------------------------------------------------------------------
    // One writer, concurrent readers
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldShowAConcurrentReaderOnlyTheOldOrTheNewRoute() throws InterruptedException
    {
        final int rounds = 2000;
        final Ipv6Lpm lpm = table(rounds * 3 + 1);
        lpm.add(DB8, 0, 32, 1);
        final long site = hi(0x2001, 0xDB8, 1, 0);
        final long[] hi = {site, site | 0x8000, site, hi(0x2001, 0xDB8, 0, 0xFFFF)};
        final long[] lo = {5, 5, -1, 0};
        // allowed[i]: bit n set when next hop n is a possible answer for probe i at some moment
        final int[] allowed = {1 << 1 | 1 << 2 | 1 << 3, 1 << 1 | 1 << 2 | 1 << 4, 1 << 1 | 1 << 2 | 1 << 3, 1 << 1};
        final AtomicBoolean done = new AtomicBoolean();
        final AtomicReference<String> failure = new AtomicReference<>();

        final Thread reader = new Thread(() ->
        {
            final int[] nextHops = new int[hi.length];
            while (!done.get() && failure.get() == null)
            {
                lpm.lookupBurst(hi, lo, nextHops, hi.length);
                for (int i = 0; i < hi.length; i++)
                {
                    final int single = lpm.lookup(hi[i], lo[i]);
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
            lpm.add(site, 0, 48, 2);
            lpm.add(site, 0, 49, 3);
            lpm.add(site | 0x8000, 0, 49, 4);
            lpm.delete(site, 0, 49);
            lpm.delete(site, 0, 48);
            lpm.delete(site | 0x8000, 0, 49);
        }
        done.set(true);
        reader.join();

        assertNull(failure.get());
    }

    // ------------------------------------------------------------------------------------------------------

    /** The first 64 bits of an address from its first four 16-bit groups, as written: 2001:db8:1:2 */
    static long hi(final int group0, final int group1, final int group2, final int group3)
    {
        return (long)group0 << 48 | (long)group1 << 32 | (long)group2 << 16 | group3;
    }

    /** The obvious longest-prefix match: every rule compared with every address. */
    private static final class Reference
    {
        final List<long[]> rules = new ArrayList<>();

        void add(final long hi, final long lo, final int depth, final int nextHop)
        {
            delete(hi, lo, depth);
            rules.add(new long[]{hi & Ipv6Lpm.maskHi(depth), lo & Ipv6Lpm.maskLo(depth), depth, nextHop});
        }

        void delete(final long hi, final long lo, final int depth)
        {
            final long maskedHi = hi & Ipv6Lpm.maskHi(depth);
            final long maskedLo = lo & Ipv6Lpm.maskLo(depth);
            rules.removeIf(rule -> rule[0] == maskedHi && rule[1] == maskedLo && rule[2] == depth);
        }

        int lookup(final long hi, final long lo)
        {
            long bestDepth = -1;
            int nextHop = MISS;
            for (final long[] rule : rules)
            {
                final int depth = (int)rule[2];
                if ((hi & Ipv6Lpm.maskHi(depth)) == rule[0] && (lo & Ipv6Lpm.maskLo(depth)) == rule[1] && depth > bestDepth)
                {
                    bestDepth = depth;
                    nextHop = (int)rule[3];
                }
            }
            return nextHop;
        }
    }
}
