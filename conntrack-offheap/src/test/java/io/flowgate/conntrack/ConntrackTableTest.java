package io.flowgate.conntrack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConntrackTableTest
{
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int NOW = 1_000;
    private static final int LONG_MS = 600_000;

    private final TestMemory memory = new TestMemory();
    private final CtStats stats = new CtStats();
    private final List<int[]> removed = new ArrayList<>();
    private ConntrackTable table;
    private final CtKey original = new CtKey();
    private final CtKey reply = new CtKey();
    private final CtKey probe = new CtKey();

    private ConntrackTable table(final int capacity, final int capacity6, final int initial)
    {
        table = new ConntrackTable(new ConntrackTable.Config(capacity, capacity6, initial, 2, 0x5EED_1234_ABCDL), memory,
            (index, record, reason) -> removed.add(new int[] {index, reason}), stats);
        return table;
    }

    @AfterEach
    void close()
    {
        if (table != null)
        {
            table.close();
            assertEquals(memory.allocated, memory.freed, "close frees everything");
        }
        memory.close();
    }

    private int add(final int zone, final int src, final int dst, final int sport, final int dport, final int expiresMs)
    {
        original.ipv4(zone, UDP, src, dst, sport, dport);
        reply.ipv4(zone, UDP, dst, src, dport, sport);
        final int index = table.allocate(original, reply, NOW, 1_700_000_000L);
        if (index == ConntrackTable.NONE)
        {
            return index;
        }
        CtRecord.expires(table.record(index), expiresMs);
        assertTrue(table.confirm(index));
        return index;
    }

    @Test
    void shouldFindAConfirmedIpv4EntryFromBothDirections()
    {
        table(1024, 16, 1024);
        final int index = add(0, 0x0A000001, 0x0A000002, 1234, 53, NOW + LONG_MS);
        assertEquals(index << 1, table.lookup(probe.ipv4(0, UDP, 0x0A000001, 0x0A000002, 1234, 53), NOW));
        assertEquals(index << 1 | 1, table.lookup(probe.ipv4(0, UDP, 0x0A000002, 0x0A000001, 53, 1234), NOW));
        assertEquals(ConntrackTable.NONE, table.lookup(probe.ipv4(0, UDP, 0x0A000001, 0x0A000002, 1234, 54), NOW));
        assertEquals(ConntrackTable.NONE, table.lookup(probe.ipv4(0, TCP, 0x0A000001, 0x0A000002, 1234, 53), NOW));
        assertEquals(2, stats.found);
        assertEquals(1, stats.insert);
        assertEquals(1, table.size());
        final long record = table.record(index);
        assertEquals(CtStatus.CONFIRMED, CtRecord.status(record));
        assertEquals(UDP, CtRecord.protocol(record));
        assertEquals(1_700_000_000L, CtRecord.startSeconds(record));
        assertEquals(0x0A000002, table.tuple(index, 1, probe).src4());
        assertEquals(53, probe.srcPort);
    }

    @Test
    void shouldFindAConfirmedIpv6EntryFromBothDirections()
    {
        table(1024, 16, 1024);
        original.ipv6(0, TCP, 0x20010DB8_00000000L, 1, 0x20010DB8_00000000L, 2, 40000, 443);
        reply.ipv6(0, TCP, 0x20010DB8_00000000L, 2, 0x20010DB8_00000000L, 1, 443, 40000);
        final int index = table.allocate(original, reply, NOW, 0);
        CtRecord.expires(table.record(index), NOW + LONG_MS);
        assertEquals(ConntrackTable.NONE, table.lookup(original, NOW), "unconfirmed entries are invisible");
        assertTrue(table.confirm(index));
        assertEquals(index << 1, table.lookup(probe.copyFrom(original), NOW));
        assertEquals(index << 1 | 1, table.lookup(probe.copyFrom(reply), NOW));
        probe.copyFrom(original).dstLo = 3;
        assertEquals(ConntrackTable.NONE, table.lookup(probe, NOW));
        table.tuple(index, 1, probe);
        assertEquals(2, probe.srcLo);
        assertEquals(0x20010DB8_00000000L, probe.dstHi);
        assertEquals(443, probe.srcPort);

        try (ConntrackTable.Reader reader = table.reader())
        {
            reader.enter();
            final CtEntry entry = new CtEntry();
            assertEquals(index << 1 | 1, reader.lookup(reply));
            assertTrue(reader.snapshot(index, NOW + 1_500, entry));
            assertEquals(6, entry.family);
            assertEquals(1, entry.srcLo[0]);
            assertEquals(2, entry.srcLo[1]);
            assertEquals(598, entry.timeoutSeconds, "truncated seconds, as conntrack prints");
            assertEquals(0, entry.tcpState);
            reader.exit();
        }
    }

    @Test
    void shouldKeepZonesApart()
    {
        table(1024, 16, 1024);
        final int zone1 = add(1, 0x0A000001, 0x0A000002, 1234, 53, NOW + LONG_MS);
        final int zone2 = add(2, 0x0A000001, 0x0A000002, 1234, 53, NOW + LONG_MS);
        assertNotEquals(zone1, zone2);
        assertEquals(zone1 << 1, table.lookup(probe.ipv4(1, UDP, 0x0A000001, 0x0A000002, 1234, 53), NOW));
        assertEquals(zone2 << 1, table.lookup(probe.ipv4(2, UDP, 0x0A000001, 0x0A000002, 1234, 53), NOW));
        assertEquals(ConntrackTable.NONE, table.lookup(probe.ipv4(0, UDP, 0x0A000001, 0x0A000002, 1234, 53), NOW));
    }

    @Test
    void shouldRefuseAClashOnConfirmAndChangeNothing()
    {
        table(1024, 16, 1024);
        final int first = add(0, 0x0A000001, 0x0A000002, 1234, 53, NOW + LONG_MS);
        original.ipv4(0, UDP, 0x0A000003, 0x0A000002, 1234, 53);
        reply.ipv4(0, UDP, 0x0A000002, 0x0A000001, 53, 1234); // same reply tuple as the first: a NAT clash
        final int second = table.allocate(original, reply, NOW, 0);
        CtRecord.expires(table.record(second), NOW + LONG_MS);
        assertFalse(table.confirm(second));
        assertEquals(1, stats.insertFailed);
        assertEquals(ConntrackTable.NONE, table.lookup(original, NOW));
        assertEquals(first << 1 | 1, table.lookup(reply, NOW));
        reply.ipv4(0, UDP, 0x0A000002, 0x0A000003, 53, 1234);
        table.replyTuple(second, reply);
        assertTrue(table.confirm(second));
        assertEquals(second << 1 | 1, table.lookup(reply, NOW));
        assertEquals(2, table.size());
    }

    @Test
    void shouldReuseAReleasedRecordAtOnce()
    {
        table(2, 2, 2);
        original.ipv4(0, UDP, 1, 2, 3, 4);
        reply.ipv4(0, UDP, 2, 1, 4, 3);
        final int a = table.allocate(original, reply, NOW, 0);
        final int b = table.allocate(original, reply, NOW, 0);
        assertEquals(ConntrackTable.NONE, table.allocate(original, reply, NOW, 0), "full");
        table.release(a);
        assertEquals(a, table.allocate(original, reply, NOW, 0));
        table.release(b);
        assertEquals(0, removed.size(), "unconfirmed entries are not reported");
    }

    @Test
    void shouldDeleteAndReuseTheRecordOnlyAfterReadersLeave()
    {
        table(4, 0, 4);
        final int index = add(0, 1, 2, 3, 4, NOW + LONG_MS);
        try (ConntrackTable.Reader reader = table.reader())
        {
            reader.enter();
            table.delete(index);
            assertEquals(ConntrackTable.NONE, table.lookup(probe.ipv4(0, UDP, 1, 2, 3, 4), NOW));
            assertEquals(0, table.size());
            assertEquals(1, stats.delete);
            assertEquals(ConntrackTable.REMOVED_DELETED, removed.getFirst()[1]);
            assertTrue((CtRecord.status(table.record(index)) & CtStatus.DYING) != 0);
            table.poll(NOW);
            assertEquals(1, table.retiredRecords(), "a reader is inside: not reclaimed");
            assertFalse(reader.snapshot(index, NOW, new CtEntry()), "dying entries are not listed");
            reader.exit();
            table.poll(NOW);
            assertEquals(0, table.retiredRecords());
            assertEquals(0, table.inUse());
        }
    }

    @Test
    void shouldNeverReturnAnExpiredEntry()
    {
        table(1024, 16, 1024);
        final int index = add(0, 1, 2, 3, 4, NOW + 100);
        assertEquals(index << 1, table.lookup(probe.ipv4(0, UDP, 1, 2, 3, 4), NOW + 99));
        assertEquals(ConntrackTable.NONE, table.lookup(probe, NOW + 100));
        assertEquals(1, stats.expired);
        assertEquals(1, stats.delete);
        assertEquals(ConntrackTable.REMOVED_EXPIRED, removed.getFirst()[1]);
        assertEquals(0, table.size());
        assertEquals(ConntrackTable.NONE, table.lookup(probe.ipv4(0, UDP, 2, 1, 4, 3), NOW + 100));
    }

    @Test
    void shouldSweepExpiredEntriesAndAdaptTheBudget()
    {
        table(20_000, 0, 20_000);
        for (int i = 0; i < 10_000; i++)
        {
            add(0, i, 7, 1, 1, NOW + (i % 2 == 0 ? 10 : LONG_MS));
        }
        int polls = 0;
        int maxBudget = 0;
        while (table.size() > 5_000 && polls < 1_000)
        {
            table.poll(NOW + 10);
            maxBudget = Math.max(maxBudget, table.gcBudget());
            polls++;
        }
        assertEquals(5_000, table.size());
        assertEquals(5_000, stats.expired);
        assertTrue(maxBudget > 256, "half the records expired: the sweep speeds up");
        for (int i = 0; i < 200; i++)
        {
            table.poll(NOW + 10);
        }
        assertEquals(ConntrackTable.GC_MIN_BUDGET, table.gcBudget(), "nothing left to expire: the sweep slows down");
        assertEquals(ConntrackTable.NONE, table.lookup(probe.ipv4(0, UDP, 0, 7, 1, 1), NOW));
        assertEquals(1, table.lookup(probe.ipv4(0, UDP, 1, 7, 1, 1), NOW) >>> 1 == 1 ? 1 : 0);
    }

    @Test
    void shouldEarlyDropOnlyUnassuredEntries()
    {
        final int capacity = 100;
        table(capacity, 0, capacity);
        for (int i = 0; i < 96; i++)
        {
            final int index = add(0, i, 7, 1, 1, NOW + LONG_MS);
            if (i >= 48)
            {
                CtRecord.status(table.record(index), CtRecord.status(table.record(index)) | CtStatus.ASSURED);
            }
        }
        assertEquals(0, stats.earlyDrop);
        int added = 0;
        for (int i = 0; i < 200; i++)
        {
            if (add(0, 1000 + i, 7, 1, 1, NOW + LONG_MS) != ConntrackTable.NONE)
            {
                added++;
            }
            table.poll(NOW);
        }
        assertTrue(stats.earlyDrop > 0);
        assertEquals(stats.earlyDrop, removed.stream().filter(r -> r[1] == ConntrackTable.REMOVED_EARLY_DROP).count());
        for (int i = 48; i < 96; i++)
        {
            assertNotEquals(ConntrackTable.NONE, table.lookup(probe.ipv4(0, UDP, i, 7, 1, 1), NOW), "assured entries survive");
        }
        for (final int[] r : removed)
        {
            assertEquals(0, CtRecord.status(table.record(r[0])) & CtStatus.ASSURED);
        }
        assertTrue(added > 0);
    }

    @Test
    void shouldReturnNoneWhenFullOfAssuredEntries()
    {
        final int capacity = 64;
        table(capacity, 0, capacity);
        for (int i = 0; i < capacity; i++)
        {
            final int index = add(0, i, 7, 1, 1, NOW + LONG_MS);
            CtRecord.status(table.record(index), CtRecord.status(table.record(index)) | CtStatus.ASSURED);
        }
        original.ipv4(0, UDP, 999, 7, 1, 1);
        reply.ipv4(0, UDP, 7, 999, 1, 1);
        assertEquals(ConntrackTable.NONE, table.allocate(original, reply, NOW, 0));
        assertEquals(1, stats.insertFailed);
        assertEquals(0, stats.earlyDrop);
        assertEquals(capacity, table.size());
        assertEquals(0, table.lookup(probe.ipv4(0, UDP, 0, 7, 1, 1), NOW) >>> 1);
    }

    @Test
    void shouldKeepEveryEntryFindableWhileGrowing()
    {
        final int n = 100_000;
        table(n + n / 10, 0, 64); // below the 95% early-drop line
        final SplittableRandom random = new SplittableRandom(7);
        final int[] src = new int[n];
        final int[] index = new int[n];
        for (int i = 0; i < n; i++)
        {
            src[i] = random.nextInt();
            index[i] = add(0, src[i], i, 1000 + (i & 0xFFF), 80, NOW + LONG_MS);
            assertNotEquals(ConntrackTable.NONE, index[i]);
            if (i % 64 == 0)
            {
                table.poll(NOW);
                final int j = random.nextInt(i + 1);
                assertEquals(index[j] << 1 | 1, table.lookup(probe.ipv4(0, UDP, j, src[j], 80, 1000 + (j & 0xFFF)), NOW),
                    "during growth, entry " + j);
            }
        }
        for (int p = 0; p < 10_000 && table.migrating(); p++)
        {
            table.poll(NOW);
        }
        assertFalse(table.migrating());
        assertTrue(table.indexGroups() >= 2 * n / 8);
        for (int i = 0; i < n; i++)
        {
            assertEquals(index[i] << 1, table.lookup(probe.ipv4(0, UDP, src[i], i, 1000 + (i & 0xFFF), 80), NOW));
        }
        assertEquals(n, table.size());
        assertEquals(0, stats.insertFailed);
    }

    @Test
    void shouldKeepTombstonesBoundedUnderChurn()
    {
        final int capacity = 4096;
        table(capacity, 0, capacity);
        final SplittableRandom random = new SplittableRandom(11);
        final int[] live = new int[capacity / 2];
        int key = 0;
        for (int i = 0; i < live.length; i++)
        {
            live[i] = add(0, key++, 1, 1, 1, NOW + LONG_MS);
        }
        final int groups = table.indexGroups();
        int maxTombstones = 0;
        for (int round = 0; round < 200_000; round++)
        {
            final int victim = random.nextInt(live.length);
            table.delete(live[victim]);
            live[victim] = add(0, key++, 1, 1, 1, NOW + LONG_MS);
            assertNotEquals(ConntrackTable.NONE, live[victim]);
            if (round % 16 == 0)
            {
                table.poll(NOW);
            }
            maxTombstones = Math.max(maxTombstones, table.indexTombstones());
        }
        assertEquals(live.length, table.size());
        assertEquals(groups, table.indexGroups(), "churn at a steady size does not grow the index");
        assertTrue(maxTombstones <= groups * CtIndex.MAX_USED_PER_GROUP, "tombstones " + maxTombstones);
        for (int i = 0; i < live.length; i++)
        {
            final long record = table.record(live[i]);
            final int src = OffHeap.getInt(CtRecord.tuple(record, 0));
            assertEquals(live[i] << 1, table.lookup(probe.ipv4(0, UDP, src, 1, 1, 1), NOW));
        }
    }

    @Test
    void shouldReportBytesPerConnection()
    {
        table(1 << 20, 0, 1 << 20);
        final double bytes = table.bytesPerConnection();
        assertTrue(bytes > 128 && bytes < 150, "bytes per connection " + bytes);
    }

    @Test
    void shouldAnswerABurstAsOneLookupPerKey()
    {
        table(4096, 64, 4096);
        final CtKey[] keys = new CtKey[ConntrackTable.MAX_BURST];
        final int[] expected = new int[keys.length];
        for (int i = 0; i < keys.length; i++)
        {
            keys[i] = new CtKey();
        }
        for (int i = 0; i < 1000; i++)
        {
            add(0, i, 9, 1, 2, NOW + (i % 10 == 0 ? 5 : LONG_MS));
        }
        original.ipv6(0, TCP, 1, 2, 3, 4, 5, 6);
        reply.ipv6(0, TCP, 3, 4, 1, 2, 6, 5);
        final int v6 = table.allocate(original, reply, NOW, 0);
        CtRecord.expires(table.record(v6), NOW + LONG_MS);
        assertTrue(table.confirm(v6));
        for (int i = 0; i < keys.length; i++)
        {
            if (i == 7)
            {
                keys[i].copyFrom(reply);
            }
            else
            {
                keys[i].ipv4(0, UDP, i * 37 % 1200, 9, 1, 2); // hits, misses and expired entries
            }
        }
        final int[] results = new int[keys.length];
        table.lookupBurst(keys, keys.length, NOW + 10, results);
        assertEquals(v6 << 1 | 1, results[7]);
        for (int i = 0; i < keys.length; i++)
        {
            final int src = i * 37 % 1200;
            expected[i] = i == 7 ? v6 << 1 | 1 : src < 1000 && src % 10 != 0 ? src << 1 : ConntrackTable.NONE;
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, results);
        assertTrue(stats.expired > 0);
    }

    @Test
    void shouldAnswerABurstLikeOneLookupPerKeyInACrowdedIndexAndWhileGrowing()
    {
        // Index sized for the final count (load near 7/8 at the end): tag collisions and overflowed groups
        // take the burst's later rounds. Then a second table grows from 64 while it is probed.
        for (final int initial : new int[] {20_000, 64})
        {
            if (table != null)
            {
                table.close();
            }
            table(20_000, 0, initial);
            final SplittableRandom random = new SplittableRandom(initial);
            final int n = 19_000;
            final int[] src = new int[n];
            final CtKey[] keys = new CtKey[ConntrackTable.MAX_BURST];
            for (int i = 0; i < keys.length; i++)
            {
                keys[i] = new CtKey();
            }
            final int[] results = new int[keys.length];
            int checked = 0;
            for (int i = 0; i < n; i++)
            {
                src[i] = random.nextInt();
                assertNotEquals(ConntrackTable.NONE, add(0, src[i], i, 7, 8, NOW + LONG_MS));
                if (i % 500 == 499 || i == n - 1)
                {
                    table.poll(NOW);
                    for (int k = 0; k < keys.length; k++)
                    {
                        final int j = random.nextInt(i + 1 + i / 4); // some keys never added: misses
                        if (j > i)
                        {
                            keys[k].ipv4(0, UDP, random.nextInt(), j, 7, 8);
                        }
                        else if ((k & 1) == 0)
                        {
                            keys[k].ipv4(0, UDP, src[j], j, 7, 8);
                        }
                        else
                        {
                            keys[k].ipv4(0, UDP, j, src[j], 8, 7);
                        }
                    }
                    table.lookupBurst(keys, keys.length, NOW, results);
                    for (int k = 0; k < keys.length; k++)
                    {
                        assertEquals(table.lookup(keys[k], NOW), results[k], "key " + k + " after " + i);
                        checked += results[k] == ConntrackTable.NONE ? 0 : 1;
                    }
                }
            }
            assertTrue(checked > 1000, "hits checked " + checked);
        }
    }

    @Test
    void shouldRemoveAnExpiredEntryOnceWhenABurstHoldsItsKeyTwice()
    {
        table(1024, 0, 1024);
        final int expired = add(0, 1, 2, 3, 4, NOW + 5);
        final int live = add(0, 5, 6, 7, 8, NOW + LONG_MS);
        final CtKey[] keys = {new CtKey().ipv4(0, UDP, 1, 2, 3, 4), new CtKey().ipv4(0, UDP, 2, 1, 4, 3),
            new CtKey().ipv4(0, UDP, 5, 6, 7, 8), new CtKey().ipv4(0, UDP, 1, 2, 3, 4)};
        final int[] results = new int[keys.length];
        table.lookupBurst(keys, keys.length, NOW + 10, results);
        org.junit.jupiter.api.Assertions.assertArrayEquals(
            new int[] {ConntrackTable.NONE, ConntrackTable.NONE, live << 1, ConntrackTable.NONE}, results);
        assertEquals(1, stats.expired);
        assertEquals(1, table.size());
        assertEquals(1, removed.size());
        assertEquals(expired, removed.get(0)[0]);
    }

    @Test
    void shouldWorkAlikeAfterPrefault()
    {
        table(10_000, 100, 64);
        assertEquals(10_000L * CtRecord.SIZE + 100L * CtRecord.V6_BLOCK_SIZE, table.prefault());
        final int index = add(0, 1, 2, 3, 4, NOW + LONG_MS);
        assertEquals(index << 1, table.lookup(probe.ipv4(0, UDP, 1, 2, 3, 4), NOW));
        assertEquals(index << 1 | 1, table.lookup(probe.ipv4(0, UDP, 2, 1, 4, 3), NOW));
    }

    @Test
    void shouldConfirmAndDeleteInBurstsLikeOneAtATime()
    {
        table(4096, 0, 64); // small first index: the burst makes it grow
        final int n = ConntrackTable.MAX_BURST;
        final int[] indexes = new int[n];
        final boolean[] ok = new boolean[n];
        for (int i = 0; i < n; i++)
        {
            final int src = i == n - 1 ? 0 : i; // the last one clashes with the first
            original.ipv4(0, UDP, src, 9, 1, 2);
            reply.ipv4(0, UDP, 9, src, 2, 1);
            indexes[i] = table.allocate(original, reply, NOW, 0);
            CtRecord.expires(table.record(indexes[i]), NOW + LONG_MS);
        }
        table.confirmBurst(indexes, n, ok);
        for (int i = 0; i < n - 1; i++)
        {
            assertTrue(ok[i], "confirmed " + i);
            assertEquals(indexes[i] << 1, table.lookup(probe.ipv4(0, UDP, i, 9, 1, 2), NOW));
            assertEquals(indexes[i] << 1 | 1, table.lookup(probe.ipv4(0, UDP, 9, i, 2, 1), NOW));
        }
        assertFalse(ok[n - 1], "a clash inside the burst is refused");
        assertEquals(1, stats.insertFailed);
        table.release(indexes[n - 1]);
        assertEquals(n - 1, table.size());
        final int[] victims = new int[n / 2];
        for (int i = 0; i < victims.length; i++)
        {
            victims[i] = indexes[2 * i];
        }
        victims[victims.length - 1] = victims[0]; // twice in one burst: deleted once
        table.deleteBurst(victims, victims.length);
        assertEquals(n - 1 - (victims.length - 1), table.size());
        assertEquals(victims.length - 1, stats.delete);
        for (int i = 0; i < n - 1; i++)
        {
            final boolean deleted = (i & 1) == 0 && i < 2 * (victims.length - 1);
            assertEquals(deleted ? ConntrackTable.NONE : indexes[i] << 1, table.lookup(probe.ipv4(0, UDP, i, 9, 1, 2), NOW), "key " + i);
            assertEquals(deleted ? ConntrackTable.NONE : indexes[i] << 1 | 1, table.lookup(probe.ipv4(0, UDP, 9, i, 2, 1), NOW));
        }
    }
}
