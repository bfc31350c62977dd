package io.flowgate.conntrack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The owner inserts, updates, deletes, expires and grows the table for a few seconds while readers on other
 * threads look up, snapshot and iterate. Every record's fields derive from one number k (its mark): tuples
 * from k, counters m, 2m, 3m, 4m. Forbidden outcomes: a snapshot whose fields do not agree (torn), and a
 * record found under tuple T that shows another tuple while the reader is still in the epoch of the lookup
 * (reused too early). Allowed: misses, DYING records, entries that vanish between two epochs.
 */
class ConntrackTableStressTest
{
    private static final int CAPACITY = 1 << 15;
    private static final int LIVE_SLOTS = 1 << 14;
    private static final long RUN_NS = 3_000_000_000L;

    static CtKey key(final int k, final int dir, final CtKey out)
    {
        final int zone = k % 3;
        final int protocol = (k & 1) == 0 ? 6 : 17;
        final int src = k;
        final int dst = k * 0x9E3779B1 + 1;
        final int sport = k & 0xFFFF;
        final int dport = (k >>> 16) + 1;
        if (k % 4 == 0)
        {
            final long hi = 0x20010DB8_00000000L | zone;
            return dir == 0 ? out.ipv6(zone, protocol, hi, src, hi + 1, dst, sport, dport) :
                out.ipv6(zone, protocol, hi + 1, dst, hi, src, dport, sport);
        }
        return dir == 0 ? out.ipv4(zone, protocol, src, dst, sport, dport) : out.ipv4(zone, protocol, dst, src, dport, sport);
    }

    static boolean same(final CtKey a, final CtKey b)
    {
        return a.family == b.family && a.protocol == b.protocol && a.zone == b.zone && a.srcHi == b.srcHi && a.srcLo == b.srcLo &&
            a.dstHi == b.dstHi && a.dstLo == b.dstLo && a.srcPort == b.srcPort && a.dstPort == b.dstPort;
    }

    /** Null when the snapshot is consistent, else what is wrong. */
    static String check(final CtEntry e, final CtKey scratch)
    {
        final int k = e.mark;
        for (int dir = 0; dir < 2; dir++)
        {
            key(k, dir, scratch);
            if (e.family != scratch.family || e.protocol != scratch.protocol || e.zone != scratch.zone ||
                e.srcHi[dir] != scratch.srcHi || (e.srcLo[dir] & mask(e)) != (scratch.srcLo & mask(e)) ||
                e.dstHi[dir] != scratch.dstHi || (e.dstLo[dir] & mask(e)) != (scratch.dstLo & mask(e)) ||
                e.srcPort[dir] != scratch.srcPort || e.dstPort[dir] != scratch.dstPort)
            {
                return "tuple " + dir + " of k=" + k + " torn";
            }
        }
        final long m = e.packets[0];
        if (e.bytes[0] != 2 * m || e.packets[1] != 3 * m || e.bytes[1] != 4 * m)
        {
            return "counters of k=" + k + " torn: " + m + " " + e.bytes[0] + " " + e.packets[1] + " " + e.bytes[1];
        }
        if ((e.status & CtStatus.CONFIRMED) == 0 || (e.status & CtStatus.DYING) != 0)
        {
            return "snapshot of a dead entry, status " + e.status;
        }
        if (e.tcpState != (e.protocol == 6 ? 0 : -1))
        {
            return "tcp state " + e.tcpState;
        }
        return null;
    }

    private static long mask(final CtEntry e)
    {
        return e.family == 4 ? 0xFFFF_FFFFL : -1L;
    }

    @Test
    void readersShouldNeverSeeATornOrReusedRecord() throws Exception
    {
        final CtStats stats = new CtStats();
        try (TestMemory memory = new TestMemory();
             ConntrackTable table = new ConntrackTable(new ConntrackTable.Config(CAPACITY, CAPACITY / 2, 256, 4, 42), memory,
                 null, stats))
        {
            final AtomicInteger published = new AtomicInteger();
            final AtomicInteger nowMs = new AtomicInteger(1000);
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicReference<String> failure = new AtomicReference<>();
            final AtomicLong hits = new AtomicLong();
            final AtomicLong snapshots = new AtomicLong();
            final Thread[] readers = new Thread[3];
            for (int r = 0; r < readers.length; r++)
            {
                final ConntrackTable.Reader reader = table.reader();
                final boolean iterator = r == 2;
                final SplittableRandom random = new SplittableRandom(r);
                readers[r] = new Thread(() ->
                {
                    final CtKey key = new CtKey();
                    final CtKey seen = new CtKey();
                    final CtKey scratch = new CtKey();
                    final CtEntry entry = new CtEntry();
                    final int[] foundK = new int[16];
                    final int[] foundEntry = new int[16];
                    try
                    {
                        while (!stop.get() && failure.get() == null)
                        {
                            reader.enter();
                            if (iterator)
                            {
                                final int limit = reader.limit();
                                for (int i = 0; i < limit; i++)
                                {
                                    if (reader.snapshot(i, nowMs.get(), entry))
                                    {
                                        snapshots.incrementAndGet();
                                        final String wrong = check(entry, scratch);
                                        if (wrong != null)
                                        {
                                            failure.compareAndSet(null, "iteration: " + wrong);
                                        }
                                    }
                                }
                            }
                            else
                            {
                                int found = 0;
                                final int top = published.get();
                                for (int n = 0; n < 16; n++)
                                {
                                    final int k = Math.max(0, top - random.nextInt(20_000));
                                    final int dir = random.nextInt(2);
                                    final int e = reader.lookup(key(k, dir, key));
                                    if (e != ConntrackTable.NONE)
                                    {
                                        if ((e & 1) != dir)
                                        {
                                            failure.compareAndSet(null, "lookup of k=" + k + " dir " + dir + " gave " + e);
                                        }
                                        foundK[found] = k;
                                        foundEntry[found++] = e;
                                        if (reader.snapshot(e >>> 1, nowMs.get(), entry))
                                        {
                                            snapshots.incrementAndGet();
                                            final String wrong = check(entry, scratch);
                                            if (wrong != null)
                                            {
                                                failure.compareAndSet(null, "snapshot: " + wrong);
                                            }
                                            else if (entry.mark != k)
                                            {
                                                failure.compareAndSet(null, "found k=" + k + ", snapshot shows k=" + entry.mark);
                                            }
                                        }
                                    }
                                }
                                hits.addAndGet(found);
                                for (int spin = 0; spin < 64; spin++)
                                {
                                    Thread.onSpinWait();
                                }
                                // still inside the epoch of every lookup above: the records must still hold their tuples
                                for (int f = 0; f < found; f++)
                                {
                                    final int dir = foundEntry[f] & 1;
                                    table.tuple(foundEntry[f] >>> 1, dir, seen);
                                    if (!same(seen, key(foundK[f], dir, key)))
                                    {
                                        failure.compareAndSet(null, "record " + (foundEntry[f] >>> 1) + " found for k=" + foundK[f] +
                                            " reused inside the epoch: now " + seen);
                                    }
                                }
                            }
                            reader.exit();
                        }
                    }
                    catch (final Throwable t)
                    {
                        failure.compareAndSet(null, t.toString());
                    }
                    finally
                    {
                        reader.close();
                    }
                });
                readers[r].start();
            }

            final SplittableRandom random = new SplittableRandom(99);
            final int[] liveK = new int[LIVE_SLOTS];
            final int[] liveIndex = new int[LIVE_SLOTS];
            java.util.Arrays.fill(liveIndex, ConntrackTable.NONE);
            final CtKey original = new CtKey();
            final CtKey reply = new CtKey();
            final long t0 = System.nanoTime();
            int next = 0;
            long ops = 0;
            while (System.nanoTime() - t0 < RUN_NS && failure.get() == null)
            {
                final int now = 1000 + (int)((System.nanoTime() - t0) / 1_000_000);
                nowMs.set(now);
                for (int b = 0; b < 32; b++, ops++)
                {
                    final int op = random.nextInt(100);
                    final int slot = random.nextInt(LIVE_SLOTS);
                    if (op < 50)
                    {
                        final int k = next++;
                        final int s = k % LIVE_SLOTS;
                        if (alive(table, liveIndex[s], liveK[s]))
                        {
                            table.delete(liveIndex[s]);
                        }
                        final int index = table.allocate(key(k, 0, original), key(k, 1, reply), now, 0);
                        liveIndex[s] = index;
                        liveK[s] = k;
                        if (index == ConntrackTable.NONE)
                        {
                            continue;
                        }
                        final long record = table.record(index);
                        CtRecord.beginWrite(record);
                        CtRecord.mark(record, k);
                        CtRecord.expires(record, now + (random.nextInt(10) < 3 ? 5 + random.nextInt(100) : 60_000));
                        writeCounters(record, random.nextInt(1 << 20));
                        CtRecord.endWrite(record);
                        if (!table.confirm(index))
                        {
                            table.release(index);
                            liveIndex[s] = ConntrackTable.NONE;
                        }
                        published.set(next);
                    }
                    else if (op < 65)
                    {
                        if (alive(table, liveIndex[slot], liveK[slot]))
                        {
                            table.delete(liveIndex[slot]);
                        }
                    }
                    else if (op < 85)
                    {
                        if (alive(table, liveIndex[slot], liveK[slot]))
                        {
                            final long record = table.record(liveIndex[slot]);
                            CtRecord.beginWrite(record);
                            writeCounters(record, random.nextInt(1 << 20));
                            CtRecord.endWrite(record);
                        }
                    }
                    else
                    {
                        final int k = Math.max(0, next - 1 - random.nextInt(20_000));
                        final int e = table.lookup(key(k, random.nextInt(2), original), now);
                        if (e != ConntrackTable.NONE && CtRecord.mark(table.record(e >>> 1)) != k)
                        {
                            failure.compareAndSet(null, "owner lookup of k=" + k + " found mark " + CtRecord.mark(table.record(e >>> 1)));
                        }
                    }
                }
                table.poll(now);
            }
            stop.set(true);
            for (final Thread reader : readers)
            {
                reader.join();
            }
            assertEquals(null, failure.get());
            assertTrue(hits.get() > 1000, "reader hits " + hits.get());
            assertTrue(snapshots.get() > 1000, "snapshots " + snapshots.get());
            assertTrue(stats.expired > 0, "expiry exercised");
            assertTrue(table.indexGroups() > CtIndex.groups(256), "growth exercised");
            System.out.printf("stress: owner ops %d, inserted %d, reader hits %d, snapshots %d, expired %d, deleted %d, " +
                    "search restarts %d, early drops %d, index groups %d%n", ops, stats.insert, hits.get(), snapshots.get(),
                stats.expired, stats.delete, stats.searchRestart, stats.earlyDrop, table.indexGroups());
        }
    }

    private static boolean alive(final ConntrackTable table, final int index, final int k)
    {
        if (index == ConntrackTable.NONE)
        {
            return false;
        }
        final long record = table.record(index);
        return (CtRecord.status(record) & (CtStatus.CONFIRMED | CtStatus.DYING)) == CtStatus.CONFIRMED && CtRecord.mark(record) == k;
    }

    private static void writeCounters(final long record, final long m)
    {
        OffHeap.putLong(record + CtRecord.COUNTERS_OFFSET, m);
        OffHeap.putLong(record + CtRecord.COUNTERS_OFFSET + 8, 2 * m);
        OffHeap.putLong(record + CtRecord.COUNTERS_OFFSET + 16, 3 * m);
        OffHeap.putLong(record + CtRecord.COUNTERS_OFFSET + 24, 4 * m);
    }
}
