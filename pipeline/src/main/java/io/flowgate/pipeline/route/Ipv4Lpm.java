package io.flowgate.pipeline.route;

import static io.flowgate.pipeline.route.LpmAccess.lpEntry;
import static io.flowgate.pipeline.route.LpmAccess.lvEntry;
import static io.flowgate.pipeline.route.LpmAccess.soEntry;
import static io.flowgate.pipeline.route.LpmAccess.spEntry;

import io.flowgate.nativebindings.os.HugePageMemory;
import org.agrona.collections.Int2IntHashMap;

/**
 * IPv4 longest-prefix match, DIR-24-8 as in DPDK's {@code rte_lpm} (Gupta, Lin, McKeown, "Routing Lookups in
 * Hardware at Memory Access Speeds", INFOCOM 1998): a tbl24 indexed by the top 24 bits of the address answers
 * every prefix of length 0..24 in one load; a tbl24 entry covering a /24 that holds longer prefixes points to a
 * tbl8 group of 256 entries indexed by the last byte. A lookup is at most two dependent loads.
 * <p>
 * Usage: {@code add(0x0A000000, 8, nextHop)} for 10.0.0.0/8 (addresses as host-order ints), {@code lookup(addr)}
 * gives the next-hop id of the longest match or {@link #MISS}; {@code lookupBurst} does a burst, all tbl24
 * loads first, then the tbl8 ones, so the independent cache misses of different packets overlap.
 * <p>
 * Memory (one mapping, 2 MiB aligned, advised onto transparent huge pages):
 * <pre>
 *   +---------------------------------------+----------------------------------------------+
 *   | tbl24: 2^24 entries x 4 B = 64 MiB    | tbl8: groups x 256 entries x 4 B (1 KiB each) |
 *   +---------------------------------------+----------------------------------------------+
 *   ^ base (2 MiB aligned)                   ^ base + 64 MiB
 * </pre>
 * Entry (tbl24 and tbl8 alike; 0 is the invalid entry):
 * <pre>
 *    31  30  29       24 23                                      0
 *   +---+---+-----------+-----------------------------------------+
 *   | V | X |  depth    |  next-hop id             (X = 0)        |
 *   |   |   |  0..32    |  tbl8 group index        (X = 1, tbl24) |
 *   +---+---+-----------+-----------------------------------------+
 *   V: valid. X: extended, the entry points to a tbl8 group (tbl24 only; depth then unused).
 *   depth: length of the prefix that wrote the entry, so a shorter prefix never overwrites a longer one.
 * </pre>
 * A lookup turns the final entry into a result without a branch: {@code (e & PAYLOAD_MASK) | ~(e >> 31)} is the
 * next hop when V is set and -1 when the entry is 0.
 * <p>
 * Control plane: the rules (prefix, length, next hop) are also kept on heap, one hash map per length, so a
 * delete can restore the longest remaining shorter prefix that covers the deleted one (rte_lpm's
 * {@code find_previous_rule}), and a tbl8 group that only repeats one value collapses back into its tbl24 entry.
 * <p>
 * Thread-safety: one writer thread calls {@link #add}, {@link #delete}, {@link #reclaim} and {@link #close};
 * any number of reader threads call {@link #lookup} and {@link #lookupBurst} at the same time, lock-free and
 * wait-free. Every entry store of the writer is a release (W1) and every entry load of a reader an acquire (R1):
 * whatever the writer wrote before an entry (a new tbl8 group's 256 entries, a next hop's fields in
 * {@link NextHopTable}) is visible to a reader that loads that entry. A new group is written completely while
 * unreachable and published by the one release store of its tbl24 entry. While a route changes, a reader sees
 * each entry either old or new, so an address may still get the previous route for the duration of the update,
 * never a torn one.
 * <p>
 * NOTE: a group unlinked by a delete is retired, not freed: a reader that loaded the old tbl24 entry may still be
 * reading the group. Retired groups become free again only in {@link #reclaim()}, which the owner must call at a
 * quiescent point (every reader has finished any lookup it began before the delete). Epoch reclamation is not
 * built yet, so nothing enforces this; without {@code reclaim()} deletes only ever shrink the free pool.
 * <p>
 * Shutdown: {@link #close()} unmaps the tables; call it only when no reader can call a lookup any more.
 */
public final class Ipv4Lpm implements AutoCloseable
{
    public static final int MISS = -1;
    public static final int MAX_DEPTH = 32;
    public static final int MAX_NEXT_HOP = (1 << 24) - 1;
    public static final int MAX_TBL8_GROUPS = 1 << 24;

    static final int VALID = 1 << 31;
    static final int EXTENDED = 1 << 30;
    static final int DEPTH_SHIFT = 24;
    static final int DEPTH_MASK = 0x3F;
    static final int PAYLOAD_MASK = 0xFF_FFFF;

    static final int TBL24_DEPTH = 24;
    static final int TBL24_ENTRIES = 1 << 24;
    static final int TBL8_GROUP_ENTRIES = 256;
    static final int ENTRY_SHIFT = 2;
    static final int GROUP_SHIFT = 8 + ENTRY_SHIFT;
    static final long TBL24_BYTES = (long)TBL24_ENTRIES << ENTRY_SHIFT;

    private static final int NO_RULE = -1;

    private final long tbl24Address;
    private final long tbl8Address;
    private final HugePageMemory memory;
    private final IndexPool pool;
    private final Int2IntHashMap[] rules = new Int2IntHashMap[MAX_DEPTH + 1];
    private int ruleCount;

    /**
     * @param tbl8Groups size of the tbl8 pool; each group costs 1 KiB of address space and is only backed by
     *                   memory once touched. One group serves every prefix longer than /24 inside one /24.
     */
    public Ipv4Lpm(final int tbl8Groups)
    {
        if (tbl8Groups < 0 || tbl8Groups > MAX_TBL8_GROUPS)
        {
            throw new IllegalArgumentException("tbl8Groups must be 0.." + MAX_TBL8_GROUPS + ": " + tbl8Groups);
        }
        this.memory = HugePageMemory.allocate(TBL24_BYTES + ((long)tbl8Groups << GROUP_SHIFT));
        this.tbl24Address = memory.address();
        this.tbl8Address = tbl24Address + TBL24_BYTES;
        this.pool = new IndexPool(tbl8Groups, "tbl8 groups");
        for (int depth = 0; depth <= MAX_DEPTH; depth++)
        {
            rules[depth] = new Int2IntHashMap(NO_RULE);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Data path
    // ---------------------------------------------------------------------------------------------------------

    /** The next-hop id of the longest prefix matching {@code address} (host order), or {@link #MISS}. */
    public int lookup(final int address)
    {
        // R1: pairs with W1 in add/delete
        int entry = lvEntry(tbl24Address + ((long)(address >>> 8) << ENTRY_SHIFT));
        if ((entry & EXTENDED) != 0)
        {
            entry = lvEntry(tbl8Address + ((long)(entry & PAYLOAD_MASK) << GROUP_SHIFT) +
                ((long)(address & 0xFF) << ENTRY_SHIFT));
        }
        return (entry & PAYLOAD_MASK) | ~(entry >> 31);
    }

    /**
     * Looks up {@code addresses[0..count)} into {@code nextHops[0..count)} ({@link #MISS} where nothing
     * matches). Stage one loads every tbl24 entry, stage two follows the extended ones into tbl8.
     */
    public void lookupBurst(final int[] addresses, final int[] nextHops, final int count)
    {
        final long tbl24 = tbl24Address;
        final long tbl8 = tbl8Address;
        for (int i = 0; i < count; i++)
        {
            // R1: pairs with W1 in add/delete
            nextHops[i] = lvEntry(tbl24 + ((long)(addresses[i] >>> 8) << ENTRY_SHIFT));
        }
        for (int i = 0; i < count; i++)
        {
            int entry = nextHops[i];
            if ((entry & EXTENDED) != 0)
            {
                entry = lvEntry(tbl8 + ((long)(entry & PAYLOAD_MASK) << GROUP_SHIFT) +
                    ((long)(addresses[i] & 0xFF) << ENTRY_SHIFT));
            }
            nextHops[i] = (entry & PAYLOAD_MASK) | ~(entry >> 31);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Control path (single writer)
    // ---------------------------------------------------------------------------------------------------------

    /**
     * Adds the route {@code prefix/depth -> nextHop}, or changes the next hop of an existing one. Host bits of
     * {@code prefix} are ignored.
     *
     * @throws Tbl8ExhaustedException when the route needs a tbl8 group and none is free; nothing changed.
     */
    public void add(final int prefix, final int depth, final int nextHop)
    {
        checkDepth(depth);
        if (nextHop < 0 || nextHop > MAX_NEXT_HOP)
        {
            throw new IllegalArgumentException("next hop must be 0.." + MAX_NEXT_HOP + ": " + nextHop);
        }
        final int masked = prefix & mask(depth);
        if (depth > TBL24_DEPTH &&
            (lpEntry(tbl24Slot(masked)) & EXTENDED) == 0 &&
            pool.free() == 0)
        {
            throw new Tbl8ExhaustedException(
                "no tbl8 group free for " + Ipv4Lpm.toString(masked, depth) + ": " + pool.describe());
        }

        final int previous = rules[depth].put(masked, nextHop);
        if (previous == nextHop)
        {
            return;
        }
        if (previous == NO_RULE)
        {
            ruleCount++;
        }

        final int entry = entry(depth, nextHop);
        if (depth <= TBL24_DEPTH)
        {
            addShort(masked, depth, entry);
        }
        else
        {
            addLong(masked, depth, entry);
        }
    }

    /**
     * Deletes the route {@code prefix/depth}; addresses it covered fall back to the longest remaining shorter
     * prefix that covers it, or miss.
     *
     * @return false when there was no such route.
     */
    public boolean delete(final int prefix, final int depth)
    {
        checkDepth(depth);
        final int masked = prefix & mask(depth);
        if (rules[depth].remove(masked) == NO_RULE)
        {
            return false;
        }
        ruleCount--;

        final int replacement = coveringEntry(masked, depth);
        if (depth <= TBL24_DEPTH)
        {
            deleteShort(masked, depth, replacement);
        }
        else
        {
            deleteLong(masked, depth, replacement);
        }
        return true;
    }

    /** The next hop of exactly {@code prefix/depth}, or {@link #MISS} when there is no such route. */
    public int nextHopOf(final int prefix, final int depth)
    {
        checkDepth(depth);
        return rules[depth].get(prefix & mask(depth));
    }

    /**
     * Returns the tbl8 groups retired by deletes to the free pool. Call only at a quiescent point: no reader
     * may still be inside a lookup that began before the deletes.
     *
     * @return the number of groups reclaimed.
     */
    public int reclaim()
    {
        return pool.reclaim();
    }

    public int ruleCount()
    {
        return ruleCount;
    }

    public int tbl8GroupsInUse()
    {
        return pool.inUse();
    }

    public int tbl8GroupsFree()
    {
        return pool.free();
    }

    public int tbl8GroupsRetired()
    {
        return pool.retired();
    }

    /** Address space reserved for the tables; only touched pages are backed by memory. */
    public long reservedBytes()
    {
        return memory.length();
    }

    public boolean hugePagesAdvised()
    {
        return memory.hugePagesAdvised();
    }

    public void close()
    {
        memory.close();
    }

    private void addShort(final int masked, final int depth, final int entry)
    {
        rewriteShort(masked, depth, entry, false);
    }

    private void addLong(final int masked, final int depth, final int entry)
    {
        final long slot = tbl24Slot(masked);
        final int current = lpEntry(slot);
        final int first = masked & 0xFF;
        final int end = first + (1 << (MAX_DEPTH - depth));
        if ((current & EXTENDED) == 0)
        {
            final int groupIndex = pool.allocate();
            final long group = groupAddress(groupIndex);
            for (int j = 0; j < TBL8_GROUP_ENTRIES; j++)
            {
                spEntry(group + ((long)j << ENTRY_SHIFT), j >= first && j < end ? entry : current);
            }
            soEntry(slot, VALID | EXTENDED | groupIndex); // W1: publishes the group; pairs with R1 in lookup
        }
        else
        {
            final long group = groupAddress(current & PAYLOAD_MASK);
            for (int j = first; j < end; j++)
            {
                final long slot8 = group + ((long)j << ENTRY_SHIFT);
                if (isCoveredBy(lpEntry(slot8), depth))
                {
                    soEntry(slot8, entry); // W1: pairs with R1 in lookup
                }
            }
        }
    }

    private void deleteShort(final int masked, final int depth, final int replacement)
    {
        // A group always holds an entry longer than /24, so replacing its short entries never empties it.
        rewriteShort(masked, depth, replacement, true);
    }

    /**
     * Writes {@code value} over the tbl24 entries (and the tbl8 entries behind extended ones) of a prefix of at
     * most /24: when adding, where no longer prefix already decides ({@code isCoveredBy}); when deleting, where
     * this prefix was written ({@code isWrittenBy}). Control path.
     */
    private void rewriteShort(final int masked, final int depth, final int value, final boolean deleting)
    {
        final long tbl24 = tbl24Address;
        final int first = masked >>> 8;
        final int end = first + (1 << (TBL24_DEPTH - depth));
        for (int i = first; i < end; i++)
        {
            final long slot = tbl24 + ((long)i << ENTRY_SHIFT);
            final int current = lpEntry(slot);
            if ((current & EXTENDED) == 0)
            {
                if (deleting ? isWrittenBy(current, depth) : isCoveredBy(current, depth))
                {
                    soEntry(slot, value); // W1: pairs with R1 in lookup
                }
            }
            else
            {
                final long group = groupAddress(current & PAYLOAD_MASK);
                for (int j = 0; j < TBL8_GROUP_ENTRIES; j++)
                {
                    final long slot8 = group + ((long)j << ENTRY_SHIFT);
                    final int entry8 = lpEntry(slot8);
                    if (deleting ? isWrittenBy(entry8, depth) : isCoveredBy(entry8, depth))
                    {
                        soEntry(slot8, value); // W1: pairs with R1 in lookup
                    }
                }
            }
        }
    }

    private void deleteLong(final int masked, final int depth, final int replacement)
    {
        final long slot = tbl24Slot(masked);
        final int groupIndex = lpEntry(slot) & PAYLOAD_MASK;
        final long group = groupAddress(groupIndex);
        final int first = masked & 0xFF;
        final int end = first + (1 << (MAX_DEPTH - depth));
        for (int j = first; j < end; j++)
        {
            final long slot8 = group + ((long)j << ENTRY_SHIFT);
            if (isWrittenBy(lpEntry(slot8), depth))
            {
                soEntry(slot8, replacement); // W1: pairs with R1 in lookup
            }
        }

        // A group whose 256 entries are equal holds no prefix longer than /24 any more: fold it into tbl24.
        final int uniform = lpEntry(group);
        for (int j = 1; j < TBL8_GROUP_ENTRIES; j++)
        {
            if (lpEntry(group + ((long)j << ENTRY_SHIFT)) != uniform)
            {
                return;
            }
        }
        soEntry(slot, uniform); // W1: unlinks the group; pairs with R1 in lookup
        pool.retire(groupIndex);
    }

    /** The entry of the longest rule shorter than {@code depth} that covers {@code masked}, or 0. */
    private int coveringEntry(final int masked, final int depth)
    {
        for (int shorter = depth - 1; shorter >= 0; shorter--)
        {
            final int nextHop = rules[shorter].get(masked & mask(shorter));
            if (nextHop != NO_RULE)
            {
                return entry(shorter, nextHop);
            }
        }
        return 0;
    }

    private long tbl24Slot(final int address)
    {
        return tbl24Address + ((long)(address >>> 8) << ENTRY_SHIFT);
    }

    private long groupAddress(final int groupIndex)
    {
        return tbl8Address + ((long)groupIndex << GROUP_SHIFT);
    }

    /** A prefix of length {@code depth} may overwrite an entry that is empty or written by one no longer. */
    private static boolean isCoveredBy(final int entry, final int depth)
    {
        return (entry & VALID) == 0 || depthOf(entry) <= depth;
    }

    /** Inside the range of a prefix of length {@code depth}, the entries it wrote are the valid ones that long. */
    private static boolean isWrittenBy(final int entry, final int depth)
    {
        return (entry & VALID) != 0 && depthOf(entry) <= depth;
    }

    static int entry(final int depth, final int nextHop)
    {
        return VALID | depth << DEPTH_SHIFT | nextHop;
    }

    static int depthOf(final int entry)
    {
        return (entry >>> DEPTH_SHIFT) & DEPTH_MASK;
    }

    static int mask(final int depth)
    {
        return depth == 0 ? 0 : -1 << (MAX_DEPTH - depth);
    }

    private static void checkDepth(final int depth)
    {
        if (depth < 0 || depth > MAX_DEPTH)
        {
            throw new IllegalArgumentException("prefix length must be 0..32: " + depth);
        }
    }

    static String toString(final int address, final int depth)
    {
        return (address >>> 24) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." +
            (address & 0xFF) + "/" + depth;
    }
}
