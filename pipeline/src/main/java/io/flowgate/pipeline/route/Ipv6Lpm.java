package io.flowgate.pipeline.route;

import static io.flowgate.pipeline.route.LpmAccess.lpEntry;
import static io.flowgate.pipeline.route.LpmAccess.lvEntry;
import static io.flowgate.pipeline.route.LpmAccess.soEntry;
import static io.flowgate.pipeline.route.LpmAccess.spEntry;

import io.flowgate.nativebindings.os.HugePageMemory;
import java.util.HashMap;
import java.util.Map;

/**
 * IPv6 longest-prefix match in the layout of DPDK's {@code rte_lpm6}: a tbl24 indexed by the first 24 bits of
 * the address, then one tbl8 group of 256 entries per following byte, 13 levels deep at most (24 + 13 x 8 =
 * 128). Prefixes of length 0..24 live in tbl24; a prefix of length 25..128 lives at level
 * {@code ceil((length - 24) / 8)}, in the group reached through the bytes above it. A lookup costs one load
 * per level it descends: 1 for /0../24, 2 for /32, 4 for /48, 6 for /64.
 * <p>
 * Usage: addresses and prefixes are two longs in network order, {@code hi} the first 8 bytes and {@code lo} the
 * last 8 ({@code 2001:db8::/32} is {@code hi = 0x20010DB800000000L, lo = 0}).
 * <p>
 * Memory (one mapping, 2 MiB aligned, advised onto transparent huge pages):
 * <pre>
 *   +---------------------------------------+----------------------------------------------+
 *   | tbl24: 2^24 entries x 4 B = 64 MiB    | tbl8: groups x 256 entries x 4 B (1 KiB each) |
 *   +---------------------------------------+----------------------------------------------+
 * </pre>
 * Entry (every level alike; 0 is the invalid entry):
 * <pre>
 *    31  30  29             22 21                                 0
 *   +---+---+-----------------+------------------------------------+
 *   | V | X |  depth 0..128   |  next-hop id          (X = 0)      |
 *   |   |   |                 |  tbl8 group index     (X = 1)      |
 *   +---+---+-----------------+------------------------------------+
 *   V: valid. X: extended, the entry points to the group of the next level (depth then unused).
 * </pre>
 * Next-hop ids and group indices have 22 bits here (24 in {@link Ipv4Lpm}); {@link NextHopTable} ids fit both.
 * <p>
 * Control plane, thread-safety, the ordering of publication (W1/R1) and the retirement of unlinked groups are
 * those of {@link Ipv4Lpm}: one writer, lock-free readers, new groups written completely (including any deeper
 * groups they link) before the one release store that makes them reachable, unlinked groups retired until
 * {@link #reclaim()} at a quiescent point. A group collapses into its parent entry when its 256 entries become
 * equal, which also unlinks the groups above it that become equal in turn.
 * <p>
 * Shutdown: {@link #close()} unmaps the tables; call it only when no reader can call a lookup any more.
 */
public final class Ipv6Lpm implements AutoCloseable
{
    public static final int MISS = -1;
    public static final int MAX_DEPTH = 128;
    public static final int MAX_NEXT_HOP = (1 << 22) - 1;
    public static final int MAX_TBL8_GROUPS = 1 << 22;

    static final int VALID = 1 << 31;
    static final int EXTENDED = 1 << 30;
    static final int DEPTH_SHIFT = 22;
    static final int DEPTH_MASK = 0xFF;
    static final int PAYLOAD_MASK = (1 << 22) - 1;

    static final int TBL24_DEPTH = 24;
    static final int LEVELS = 1 + (MAX_DEPTH - TBL24_DEPTH) / 8;
    static final int TBL8_GROUP_ENTRIES = 256;
    static final int ENTRY_SHIFT = 2;
    static final int GROUP_SHIFT = 8 + ENTRY_SHIFT;
    static final long TBL24_BYTES = (1L << 24) << ENTRY_SHIFT;

    private final long tbl24Address;
    private final long tbl8Address;
    private final HugePageMemory memory;
    private final IndexPool pool;
    private final Map<Rule, Integer> rules = new HashMap<>();
    private final long[] pathSlots = new long[LEVELS];

    /** The control plane's copy of a route: masked prefix and length. */
    private record Rule(long hi, long lo, int depth)
    {
    }

    /**
     * @param tbl8Groups size of the tbl8 pool; each group costs 1 KiB of address space and is only backed by
     *                   memory once touched. A prefix longer than /24 needs one group per level below tbl24
     *                   that it does not share with a prefix already present (a lone /48 needs 3, a lone /64 5).
     */
    public Ipv6Lpm(final int tbl8Groups)
    {
        if (tbl8Groups < 0 || tbl8Groups > MAX_TBL8_GROUPS)
        {
            throw new IllegalArgumentException("tbl8Groups must be 0.." + MAX_TBL8_GROUPS + ": " + tbl8Groups);
        }
        this.memory = HugePageMemory.allocate(TBL24_BYTES + ((long)tbl8Groups << GROUP_SHIFT));
        this.tbl24Address = memory.address();
        this.tbl8Address = tbl24Address + TBL24_BYTES;
        this.pool = new IndexPool(tbl8Groups, "tbl8 groups");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Data path
    // ---------------------------------------------------------------------------------------------------------

    /** The next-hop id of the longest prefix matching the address {@code hi:lo}, or {@link #MISS}. */
    public int lookup(final long hi, final long lo)
    {
        final long tbl8 = tbl8Address;
        // R1: pairs with W1 in add/delete
        int entry = lvEntry(tbl24Address + ((hi >>> 40) << ENTRY_SHIFT));
        int level = 1;
        while ((entry & EXTENDED) != 0)
        {
            // R1: pairs with W1 in add/delete
            entry = lvEntry(tbl8 + ((long)(entry & PAYLOAD_MASK) << GROUP_SHIFT) +
                ((long)byteAt(hi, lo, level) << ENTRY_SHIFT));
            level++;
        }
        return (entry & PAYLOAD_MASK) | ~(entry >> 31);
    }

    /**
     * Looks up the addresses {@code hi[i]:lo[i]}, {@code i} in {@code [0, count)}, into {@code nextHops}
     * ({@link #MISS} where nothing matches): all tbl24 loads first, then one pass per level over the addresses
     * still extended, so the loads of one level overlap across the burst.
     */
    public void lookupBurst(final long[] hi, final long[] lo, final int[] nextHops, final int count)
    {
        final long tbl24 = tbl24Address;
        final long tbl8 = tbl8Address;
        int extended = 0;
        for (int i = 0; i < count; i++)
        {
            // R1: pairs with W1 in add/delete
            final int entry = lvEntry(tbl24 + ((hi[i] >>> 40) << ENTRY_SHIFT));
            nextHops[i] = entry;
            extended |= entry;
        }
        for (int level = 1; (extended & EXTENDED) != 0; level++)
        {
            extended = 0;
            for (int i = 0; i < count; i++)
            {
                int entry = nextHops[i];
                if ((entry & EXTENDED) != 0)
                {
                    // R1: pairs with W1 in add/delete
                    entry = lvEntry(tbl8 + ((long)(entry & PAYLOAD_MASK) << GROUP_SHIFT) +
                        ((long)byteAt(hi[i], lo[i], level) << ENTRY_SHIFT));
                    nextHops[i] = entry;
                    extended |= entry;
                }
            }
        }
        for (int i = 0; i < count; i++)
        {
            final int entry = nextHops[i];
            nextHops[i] = (entry & PAYLOAD_MASK) | ~(entry >> 31);
        }
    }

    /** The byte of {@code hi:lo} that indexes a group at {@code level} (1..13): bits 16 + 8 x level onwards. */
    static int byteAt(final long hi, final long lo, final int level)
    {
        return level <= 5 ? (int)(hi >>> (40 - 8 * level)) & 0xFF : (int)(lo >>> (104 - 8 * level)) & 0xFF;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Control path (single writer)
    // ---------------------------------------------------------------------------------------------------------

    /**
     * Adds the route {@code hi:lo/depth -> nextHop}, or changes the next hop of an existing one. Bits beyond
     * {@code depth} are ignored.
     *
     * @throws Tbl8ExhaustedException when the route needs more tbl8 groups than are free; nothing changed.
     */
    public void add(final long hi, final long lo, final int depth, final int nextHop)
    {
        checkDepth(depth);
        if (nextHop < 0 || nextHop > MAX_NEXT_HOP)
        {
            throw new IllegalArgumentException("next hop must be 0.." + MAX_NEXT_HOP + ": " + nextHop);
        }
        final long maskedHi = hi & maskHi(depth);
        final long maskedLo = lo & maskLo(depth);
        final int needed = groupsNeeded(maskedHi, maskedLo, depth);
        if (needed > pool.free())
        {
            throw new Tbl8ExhaustedException("need " + needed + " tbl8 groups for " +
                toString(maskedHi, maskedLo, depth) + ": " + pool.describe());
        }

        final Integer previous = rules.put(new Rule(maskedHi, maskedLo, depth), nextHop);
        if (previous != null && previous == nextHop)
        {
            return;
        }

        final int entry = entry(depth, nextHop);
        final int target = levelOf(depth);
        long slot = tbl24Address + ((maskedHi >>> 40) << ENTRY_SHIFT);
        long unpublishedSlot = 0;
        int unpublishedLink = 0;
        for (int level = 0; level < target; level++)
        {
            final int current = lpEntry(slot);
            final int groupIndex;
            if ((current & EXTENDED) != 0)
            {
                groupIndex = current & PAYLOAD_MASK;
            }
            else
            {
                groupIndex = pool.allocate();
                final long group = groupAddress(groupIndex);
                for (int j = 0; j < TBL8_GROUP_ENTRIES; j++)
                {
                    spEntry(group + ((long)j << ENTRY_SHIFT), current);
                }
                final int link = VALID | EXTENDED | groupIndex;
                if (unpublishedSlot == 0)
                {
                    unpublishedSlot = slot;
                    unpublishedLink = link;
                }
                else
                {
                    spEntry(slot, link); // inside a group nobody can reach yet
                }
            }
            slot = groupAddress(groupIndex) + ((long)byteAt(maskedHi, maskedLo, level + 1) << ENTRY_SHIFT);
        }

        final int count = 1 << (levelEnd(target) - depth);
        for (int i = 0; i < count; i++)
        {
            fill(slot + ((long)i << ENTRY_SHIFT), depth, entry);
        }
        if (unpublishedSlot != 0)
        {
            soEntry(unpublishedSlot, unpublishedLink); // W1: publishes the new groups; pairs with R1 in lookup
        }
    }

    /**
     * Deletes the route {@code hi:lo/depth}; addresses it covered fall back to the longest remaining shorter
     * prefix that covers it, or miss.
     *
     * @return false when there was no such route.
     */
    public boolean delete(final long hi, final long lo, final int depth)
    {
        checkDepth(depth);
        final long maskedHi = hi & maskHi(depth);
        final long maskedLo = lo & maskLo(depth);
        if (rules.remove(new Rule(maskedHi, maskedLo, depth)) == null)
        {
            return false;
        }
        final int replacement = coveringEntry(maskedHi, maskedLo, depth);

        final int target = levelOf(depth);
        final long[] path = pathSlots;
        long slot = tbl24Address + ((maskedHi >>> 40) << ENTRY_SHIFT);
        for (int level = 0; level < target; level++)
        {
            path[level] = slot;
            slot = groupAddress(lpEntry(slot) & PAYLOAD_MASK) +
                ((long)byteAt(maskedHi, maskedLo, level + 1) << ENTRY_SHIFT);
        }

        final int count = 1 << (levelEnd(target) - depth);
        for (int i = 0; i < count; i++)
        {
            replace(slot + ((long)i << ENTRY_SHIFT), depth, replacement);
        }

        // Fold groups whose 256 entries became equal into their parent entry, bottom up.
        for (int level = target - 1; level >= 0; level--)
        {
            final long parent = path[level];
            final int groupIndex = lpEntry(parent) & PAYLOAD_MASK;
            final long group = groupAddress(groupIndex);
            final int uniform = lpEntry(group);
            for (int j = 1; j < TBL8_GROUP_ENTRIES; j++)
            {
                if (lpEntry(group + ((long)j << ENTRY_SHIFT)) != uniform)
                {
                    return true;
                }
            }
            soEntry(parent, uniform); // W1: unlinks the group; pairs with R1 in lookup
            pool.retire(groupIndex);
        }
        return true;
    }

    /** The next hop of exactly {@code hi:lo/depth}, or {@link #MISS} when there is no such route. */
    public int nextHopOf(final long hi, final long lo, final int depth)
    {
        checkDepth(depth);
        final Integer nextHop = rules.get(new Rule(hi & maskHi(depth), lo & maskLo(depth), depth));
        return nextHop == null ? MISS : nextHop;
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
        return rules.size();
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

    /** Writes {@code entry} into the slot and, below it, into every entry no longer than {@code depth}. */
    private void fill(final long slot, final int depth, final int entry)
    {
        final int current = lpEntry(slot);
        if ((current & EXTENDED) == 0)
        {
            if ((current & VALID) == 0 || depthOf(current) <= depth)
            {
                soEntry(slot, entry); // W1: pairs with R1 in lookup
            }
        }
        else
        {
            final long group = groupAddress(current & PAYLOAD_MASK);
            for (int j = 0; j < TBL8_GROUP_ENTRIES; j++)
            {
                fill(group + ((long)j << ENTRY_SHIFT), depth, entry);
            }
        }
    }

    /**
     * Writes {@code replacement} over the entries the deleted prefix of length {@code depth} wrote, in the slot
     * and below it. The groups below keep a longer prefix each, so none of them becomes foldable.
     */
    private void replace(final long slot, final int depth, final int replacement)
    {
        final int current = lpEntry(slot);
        if ((current & EXTENDED) == 0)
        {
            if ((current & VALID) != 0 && depthOf(current) <= depth)
            {
                soEntry(slot, replacement); // W1: pairs with R1 in lookup
            }
        }
        else
        {
            final long group = groupAddress(current & PAYLOAD_MASK);
            for (int j = 0; j < TBL8_GROUP_ENTRIES; j++)
            {
                replace(group + ((long)j << ENTRY_SHIFT), depth, replacement);
            }
        }
    }

    private int groupsNeeded(final long maskedHi, final long maskedLo, final int depth)
    {
        final int target = levelOf(depth);
        long slot = tbl24Address + ((maskedHi >>> 40) << ENTRY_SHIFT);
        for (int level = 0; level < target; level++)
        {
            final int current = lpEntry(slot);
            if ((current & EXTENDED) == 0)
            {
                return target - level;
            }
            slot = groupAddress(current & PAYLOAD_MASK) +
                ((long)byteAt(maskedHi, maskedLo, level + 1) << ENTRY_SHIFT);
        }
        return 0;
    }

    private int coveringEntry(final long maskedHi, final long maskedLo, final int depth)
    {
        for (int shorter = depth - 1; shorter >= 0; shorter--)
        {
            final Integer nextHop = rules.get(new Rule(maskedHi & maskHi(shorter), maskedLo & maskLo(shorter), shorter));
            if (nextHop != null)
            {
                return entry(shorter, nextHop);
            }
        }
        return 0;
    }

    private long groupAddress(final int groupIndex)
    {
        return tbl8Address + ((long)groupIndex << GROUP_SHIFT);
    }

    /** 0 for tbl24 (lengths 0..24), then 1 for 25..32, 2 for 33..40, ..., 13 for 121..128. */
    static int levelOf(final int depth)
    {
        return depth <= TBL24_DEPTH ? 0 : (depth - TBL24_DEPTH + 7) >>> 3;
    }

    /** The prefix length the entries of a level resolve: 24, 32, 40, ..., 128. */
    static int levelEnd(final int level)
    {
        return TBL24_DEPTH + 8 * level;
    }

    static int entry(final int depth, final int nextHop)
    {
        return VALID | depth << DEPTH_SHIFT | nextHop;
    }

    static int depthOf(final int entry)
    {
        return (entry >>> DEPTH_SHIFT) & DEPTH_MASK;
    }

    static long maskHi(final int depth)
    {
        return depth == 0 ? 0 : depth >= 64 ? -1L : -1L << (64 - depth);
    }

    static long maskLo(final int depth)
    {
        return depth <= 64 ? 0 : -1L << (128 - depth);
    }

    private static void checkDepth(final int depth)
    {
        if (depth < 0 || depth > MAX_DEPTH)
        {
            throw new IllegalArgumentException("prefix length must be 0..128: " + depth);
        }
    }

    static String toString(final long hi, final long lo, final int depth)
    {
        final StringBuilder text = new StringBuilder(48);
        for (int i = 0; i < 8; i++)
        {
            final long word = i < 4 ? hi : lo;
            text.append(i == 0 ? "" : ":").append(Integer.toHexString((int)(word >>> (48 - 16 * (i & 3))) & 0xFFFF));
        }
        return text.append('/').append(depth).toString();
    }
}
