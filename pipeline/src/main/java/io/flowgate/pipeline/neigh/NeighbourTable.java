package io.flowgate.pipeline.neigh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Verdict;

/**
 * The neighbour cache shared by the workers and the slow path: (port, IPv4 address) and (port, IPv6 address)
 * to MAC address and NUD state ({@link NeighbourState}), in a fixed number of 64-byte slots off heap.
 * <p>
 * Usage: a worker calls {@link #lookupMac(int, int)} (or {@link #lookupBurst}) to fill the destination MAC of
 * a routed packet; -1 means "no usable address": the worker hands the packet to the slow path, whose
 * {@link NeighbourResolver} owns every change to the table.
 * <pre>
 *   final long mac = table.lookupMac(outPort, nextHopIpv4);
 *   if (mac &lt; 0) { ...hand to the slow path... } else { EthernetFlyweight.putDstMac(frame, mac); }
 * </pre>
 * Thread-safety: one writer, the slow-path thread, calls every method not named {@code lookup*}; any number of
 * workers call the {@code lookup*} methods concurrently, lock-free. Each slot is a seqlock (as Linux's
 * {@code neigh->ha_lock} in {@code neigh_update}, {@code net/core/neighbour.c}): the writer makes the version
 * odd, writes, makes it even; a reader that sees an odd or changed version retries {@link #READ_ATTEMPTS}
 * times, then reports a miss. A lookup that races with the writer may also miss an entry that exists (the
 * slow path then finds it and sends the packet); it never returns an address the entry did not hold. Besides
 * reading, a worker's only write is the "used" word of the slot it read (see {@link #usableMac}).
 * <p>
 * Shutdown: {@link #close()} frees the slots; call it after every worker has stopped.
 * <p>
 * Layout: open addressing with linear probing over {@code slots} slots (a power of two, at least twice
 * {@code maxEntries}, so the load stays at or under one half). A slot holds its neighbour from insert to
 * removal (it never moves), so the slot index names the neighbour for the resolver's per-neighbour state.
 * A removed slot becomes a tombstone that probes pass over and inserts reuse; a tombstone followed by an empty
 * slot is emptied, since no probe sequence runs through it. Probes stop after {@link #MAX_PROBES} slots: an
 * insert that finds no free slot in that window fails like a full table, and a lookup never reads more.
 * <pre>
 *   One slot, one cache line (the segment is 64-byte aligned):
 *     0  version   seqlock: even stable, odd while the writer changes the slot
 *     8  key       family (bits 56..63: 0 empty, 4, 6, 0xFF tombstone) | port (32..47) | IPv4 address (0..31)
 *    16  addrHi    IPv6: first 8 bytes of the address, network order as a long; IPv4: 0
 *    24  addrLo    IPv6: last 8 bytes; IPv4: 0
 *    32  link      MAC (bits 0..47, first wire byte most significant) | NUD state (48..55)
 *    40  used      0, or 1 once a worker used the entry since the writer last looked
 *    48  (padding to 64)
 * </pre>
 * Why off heap: a lookup then touches exactly one cache line per probed slot (heap arrays are only 8-byte
 * aligned and move with the GC, so a 64-byte record would straddle two lines half the time), the table is
 * allocated once and never scanned by the GC, and it follows the conntrack table's layout rules. The writer's
 * private per-neighbour state (timers, probe counts, queued packets) lives on heap in the resolver, indexed
 * by slot: only the slow-path thread touches it, and its frequent writes stay off the lines workers read.
 */
public final class NeighbourTable implements AutoCloseable
{
    public static final int FAMILY_IPV4 = 4;
    public static final int FAMILY_IPV6 = 6;

    /** Returned by lookups when there is no usable address (absent, INCOMPLETE, FAILED or unreadable). */
    public static final long NO_MAC = -1L;
    /** Returned by the writer's finds and inserts when there is no such slot. */
    public static final int NO_SLOT = -1;

    /** Slots a probe sequence reads at most. */
    public static final int MAX_PROBES = 32;
    /** Times a reader re-reads a slot the writer is changing before it gives up and reports a miss. */
    public static final int READ_ATTEMPTS = 8;

    static final int SLOT_LENGTH = 64;
    static final int SLOT_SHIFT = 6;
    static final int VERSION_OFFSET = 0;
    static final int KEY_OFFSET = 8;
    static final int ADDRESS_HI_OFFSET = 16;
    static final int ADDRESS_LO_OFFSET = 24;
    static final int LINK_OFFSET = 32;
    static final int USED_OFFSET = 40;

    private static final long EMPTY = 0L;
    private static final long TOMBSTONE = 0xFFL << 56;
    private static final int FAMILY_SHIFT = 56;
    private static final int PORT_SHIFT = 32;
    private static final int STATE_SHIFT = 48;
    private static final long MAC_MASK = 0xFFFF_FFFF_FFFFL;
    private static final long USABLE_NOT_STATIC = NeighbourState.VALID & ~NeighbourState.PERMANENT;

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private final Arena arena;
    private final MemorySegment slots;
    private final int mask;
    private final int maxEntries;
    private final long hashSeed;

    // Writer only.
    private int size;
    private int tombstones;

    /**
     * A table for up to {@code maxEntries} neighbours. {@code hashSeed} keys the slot hash, so that hosts on
     * the link cannot choose addresses that collide (an ARP request to us creates an entry for its sender).
     */
    public NeighbourTable(final int maxEntries, final long hashSeed)
    {
        if (maxEntries < 1 || maxEntries > 1 << 24)
        {
            throw new IllegalArgumentException("maxEntries must be in 1..2^24: " + maxEntries);
        }
        final int slotCount = Math.max(MAX_PROBES, Integer.highestOneBit(maxEntries * 2 - 1) << 1);
        this.arena = Arena.ofShared();
        this.slots = arena.allocate((long)slotCount * SLOT_LENGTH, SLOT_LENGTH);
        this.mask = slotCount - 1;
        this.maxEntries = maxEntries;
        this.hashSeed = hashSeed;
    }

    public int slotCount()
    {
        return mask + 1;
    }

    public int maxEntries()
    {
        return maxEntries;
    }

    // ------------------------------------------------------------------------------------------------------
    // Workers: lock-free reads
    // ------------------------------------------------------------------------------------------------------

    /**
     * The MAC address (low 48 bits) of the IPv4 neighbour {@code ipv4} on {@code port}, or {@link #NO_MAC} when
     * the entry is absent, not usable (INCOMPLETE, FAILED) or being changed for longer than the reader waits.
     * A usable entry (STALE included, as Linux sends on a stale address while it re-probes) is marked used,
     * which tells the writer to start probing a STALE entry and keeps it from being collected as idle.
     */
    public long lookupMac(final int port, final int ipv4)
    {
        final long key = ipv4Key(port, ipv4);
        final MemorySegment slots = this.slots;
        final int mask = this.mask;
        int slot = homeSlot(key, 0L, 0L);
        for (int probe = 0; probe < MAX_PROBES; probe++)
        {
            final long base = (long)slot << SLOT_SHIFT;
            int attempt = 0;
            while (true)
            {
                final long version = (long)LONG.getAcquire(slots, base + VERSION_OFFSET); // R1: pairs with W1 in endWrite
                if ((version & 1) == 0)
                {
                    final long slotKey = (long)LONG.getOpaque(slots, base + KEY_OFFSET);
                    final long link = (long)LONG.getOpaque(slots, base + LINK_OFFSET);
                    VarHandle.loadLoadFence(); // R2: pairs with W0 in beginWrite
                    if ((long)LONG.getOpaque(slots, base + VERSION_OFFSET) == version)
                    {
                        if (slotKey == key)
                        {
                            return usableMac(slots, base, link);
                        }
                        if (slotKey == EMPTY)
                        {
                            return NO_MAC;
                        }
                        break;
                    }
                }
                if (++attempt == READ_ATTEMPTS)
                {
                    return NO_MAC;
                }
                Thread.onSpinWait();
            }
            slot = (slot + 1) & mask;
        }
        return NO_MAC;
    }

    /** {@link #lookupMac(int, int)} for the IPv6 neighbour {@code hi:lo} on {@code port}. */
    public long lookupMac6(final int port, final long hi, final long lo)
    {
        final long key = ipv6Key(port);
        final MemorySegment slots = this.slots;
        final int mask = this.mask;
        int slot = homeSlot(key, hi, lo);
        for (int probe = 0; probe < MAX_PROBES; probe++)
        {
            final long base = (long)slot << SLOT_SHIFT;
            int attempt = 0;
            while (true)
            {
                final long version = (long)LONG.getAcquire(slots, base + VERSION_OFFSET); // R1: pairs with W1 in endWrite
                if ((version & 1) == 0)
                {
                    final long slotKey = (long)LONG.getOpaque(slots, base + KEY_OFFSET);
                    final long slotHi = (long)LONG.getOpaque(slots, base + ADDRESS_HI_OFFSET);
                    final long slotLo = (long)LONG.getOpaque(slots, base + ADDRESS_LO_OFFSET);
                    final long link = (long)LONG.getOpaque(slots, base + LINK_OFFSET);
                    VarHandle.loadLoadFence(); // R2: pairs with W0 in beginWrite
                    if ((long)LONG.getOpaque(slots, base + VERSION_OFFSET) == version)
                    {
                        if (slotKey == key && slotHi == hi && slotLo == lo)
                        {
                            return usableMac(slots, base, link);
                        }
                        if (slotKey == EMPTY)
                        {
                            return NO_MAC;
                        }
                        break;
                    }
                }
                if (++attempt == READ_ATTEMPTS)
                {
                    return NO_MAC;
                }
                Thread.onSpinWait();
            }
            slot = (slot + 1) & mask;
        }
        return NO_MAC;
    }

    /**
     * Fills {@code dstMac[i]} for every packet of the burst that is still accepted and has a next hop
     * ({@code burst.nextHop[i] >= 0}): the MAC of IPv4 neighbour {@code nextHopIpv4[i]} on
     * {@code burst.outPort[i]}, or {@link #NO_MAC} on a miss. Other packets get {@link #NO_MAC} too and are
     * not counted. Each iteration's loads are independent of the previous one's, so the CPU overlaps the
     * cache misses of a burst.
     *
     * @return the number of misses among the packets looked up.
     */
    public int lookupBurst(final PacketBurst burst, final int[] nextHopIpv4, final long[] dstMac)
    {
        final int count = burst.count();
        final int[] verdict = burst.verdict;
        final int[] nextHop = burst.nextHop;
        final int[] outPort = burst.outPort;
        int misses = 0;
        for (int i = 0; i < count; i++)
        {
            if (verdict[i] != Verdict.ACCEPT || nextHop[i] < 0)
            {
                dstMac[i] = NO_MAC;
                continue;
            }
            final long mac = lookupMac(outPort[i], nextHopIpv4[i]);
            dstMac[i] = mac;
            if (mac == NO_MAC)
            {
                misses++;
            }
        }
        return misses;
    }

    /**
     * NOTE: the "used" word is the one word workers write. A worker stores 1 (opaque) only when it reads 0,
     * so a busy neighbour costs one store per writer harvest, not one per packet; the writer reads it and
     * stores 0 in {@link #takeUsed(int)}. Both races are benign: a worker that read the slot just before the
     * writer reused it for another neighbour marks the new one used (one needless probe, or one more
     * collection period), and a store that lands between the writer's read and its clear is lost, but the
     * use it records happened before that harvest, which already stamped the entry as used.
     */
    private static long usableMac(final MemorySegment slots, final long base, final long link)
    {
        final int state = (int)(link >>> STATE_SHIFT) & 0xFF;
        if ((state & NeighbourState.VALID) == 0)
        {
            return NO_MAC;
        }
        if ((state & USABLE_NOT_STATIC) != 0 && (long)LONG.getOpaque(slots, base + USED_OFFSET) == 0L)
        {
            LONG.setOpaque(slots, base + USED_OFFSET, 1L);
        }
        return link & MAC_MASK;
    }

    // ------------------------------------------------------------------------------------------------------
    // Writer: the slow-path thread only
    // ------------------------------------------------------------------------------------------------------

    /** Live entries. Writer thread. */
    public int size()
    {
        return size;
    }

    /** Removed slots not yet reclaimed. Writer thread. */
    public int tombstones()
    {
        return tombstones;
    }

    /** The slot holding IPv4 neighbour {@code ipv4} on {@code port}, or {@link #NO_SLOT}. Writer thread. */
    public int find(final int port, final int ipv4)
    {
        return find(ipv4Key(port, ipv4), 0L, 0L);
    }

    /** The slot holding IPv6 neighbour {@code hi:lo} on {@code port}, or {@link #NO_SLOT}. Writer thread. */
    public int find6(final int port, final long hi, final long lo)
    {
        return find(ipv6Key(port), hi, lo);
    }

    /** Whether {@code slot} holds a neighbour. Writer thread: iterate 0..slotCount-1 to list the table. */
    public boolean isInUse(final int slot)
    {
        final long key = plainGet(slot, KEY_OFFSET);
        return key != EMPTY && key != TOMBSTONE;
    }

    /** {@link #FAMILY_IPV4} or {@link #FAMILY_IPV6} of the neighbour in {@code slot}. Writer thread. */
    public int family(final int slot)
    {
        return (int)(plainGet(slot, KEY_OFFSET) >>> FAMILY_SHIFT);
    }

    public int port(final int slot)
    {
        return (int)(plainGet(slot, KEY_OFFSET) >>> PORT_SHIFT) & 0xFFFF;
    }

    public int ipv4(final int slot)
    {
        return (int)plainGet(slot, KEY_OFFSET);
    }

    public long ipv6Hi(final int slot)
    {
        return plainGet(slot, ADDRESS_HI_OFFSET);
    }

    public long ipv6Lo(final int slot)
    {
        return plainGet(slot, ADDRESS_LO_OFFSET);
    }

    /** The NUD state of {@code slot} ({@link NeighbourState}). Writer thread. */
    public int state(final int slot)
    {
        return (int)(plainGet(slot, LINK_OFFSET) >>> STATE_SHIFT) & 0xFF;
    }

    /** The MAC address recorded in {@code slot}, 0 before one is known. Writer thread. */
    public long mac(final int slot)
    {
        return plainGet(slot, LINK_OFFSET) & MAC_MASK;
    }

    /**
     * Inserts IPv4 neighbour {@code ipv4} on {@code port}, which must be absent. Returns its slot, or
     * {@link #NO_SLOT} when the table holds {@code maxEntries} or the probe window has no free slot.
     */
    int insert(final int port, final int ipv4, final int state, final long mac)
    {
        return insert(ipv4Key(port, ipv4), 0L, 0L, state, mac);
    }

    /** {@link #insert(int, int, int, long)} for IPv6 neighbour {@code hi:lo}. */
    int insert6(final int port, final long hi, final long lo, final int state, final long mac)
    {
        return insert(ipv6Key(port), hi, lo, state, mac);
    }

    /** Publishes a new state and MAC for the neighbour in {@code slot}, in one seqlock write. */
    void update(final int slot, final int state, final long mac)
    {
        final long base = (long)slot << SLOT_SHIFT;
        final long version = beginWrite(base);
        LONG.setOpaque(slots, base + LINK_OFFSET, link(state, mac));
        endWrite(base, version);
    }

    /** Removes the neighbour in {@code slot}. */
    void remove(final int slot)
    {
        final int mask = this.mask;
        final boolean nextEmpty = plainGet((slot + 1) & mask, KEY_OFFSET) == EMPTY;
        clear(slot, nextEmpty ? EMPTY : TOMBSTONE);
        size--;
        if (!nextEmpty)
        {
            tombstones++;
            return;
        }
        // No probe sequence of a live key runs through a tombstone that an empty slot follows: empty them.
        int previous = (slot - 1) & mask;
        while (plainGet(previous, KEY_OFFSET) == TOMBSTONE)
        {
            clear(previous, EMPTY);
            tombstones--;
            previous = (previous - 1) & mask;
        }
    }

    /** Whether a worker used the neighbour in {@code slot} since the last call; clears the mark. */
    boolean takeUsed(final int slot)
    {
        final long offset = ((long)slot << SLOT_SHIFT) + USED_OFFSET;
        if ((long)LONG.getOpaque(slots, offset) == 0L)
        {
            return false;
        }
        LONG.setOpaque(slots, offset, 0L);
        return true;
    }

    @Override
    public void close()
    {
        arena.close();
    }

    // ------------------------------------------------------------------------------------------------------

    private int find(final long key, final long hi, final long lo)
    {
        int slot = homeSlot(key, hi, lo);
        for (int probe = 0; probe < MAX_PROBES; probe++)
        {
            final long slotKey = plainGet(slot, KEY_OFFSET);
            if (slotKey == EMPTY)
            {
                return NO_SLOT;
            }
            if (slotKey == key && plainGet(slot, ADDRESS_HI_OFFSET) == hi && plainGet(slot, ADDRESS_LO_OFFSET) == lo)
            {
                return slot;
            }
            slot = (slot + 1) & mask;
        }
        return NO_SLOT;
    }

    private int insert(final long key, final long hi, final long lo, final int state, final long mac)
    {
        if (size == maxEntries)
        {
            return NO_SLOT;
        }
        int slot = homeSlot(key, hi, lo);
        for (int probe = 0; probe < MAX_PROBES; probe++)
        {
            final long slotKey = plainGet(slot, KEY_OFFSET);
            if (slotKey == EMPTY || slotKey == TOMBSTONE)
            {
                final long base = (long)slot << SLOT_SHIFT;
                final long version = beginWrite(base);
                LONG.setOpaque(slots, base + ADDRESS_HI_OFFSET, hi);
                LONG.setOpaque(slots, base + ADDRESS_LO_OFFSET, lo);
                LONG.setOpaque(slots, base + LINK_OFFSET, link(state, mac));
                LONG.setOpaque(slots, base + USED_OFFSET, 0L);
                LONG.setOpaque(slots, base + KEY_OFFSET, key);
                endWrite(base, version);
                if (slotKey == TOMBSTONE)
                {
                    tombstones--;
                }
                size++;
                return slot;
            }
            slot = (slot + 1) & mask;
        }
        return NO_SLOT;
    }

    private void clear(final int slot, final long key)
    {
        final long base = (long)slot << SLOT_SHIFT;
        final long version = beginWrite(base);
        LONG.setOpaque(slots, base + KEY_OFFSET, key);
        LONG.setOpaque(slots, base + ADDRESS_HI_OFFSET, 0L);
        LONG.setOpaque(slots, base + ADDRESS_LO_OFFSET, 0L);
        LONG.setOpaque(slots, base + LINK_OFFSET, 0L);
        LONG.setOpaque(slots, base + USED_OFFSET, 0L);
        endWrite(base, version);
    }

    private long beginWrite(final long base)
    {
        final long version = (long)LONG.get(slots, base + VERSION_OFFSET);
        LONG.setOpaque(slots, base + VERSION_OFFSET, version + 1);
        VarHandle.storeStoreFence(); // W0: the odd version is visible before any field write; pairs with R2 in lookupMac
        return version;
    }

    private void endWrite(final long base, final long version)
    {
        LONG.setRelease(slots, base + VERSION_OFFSET, version + 2); // W1: the field writes are visible first; pairs with R1 in lookupMac
    }

    private long plainGet(final int slot, final int offset)
    {
        return (long)LONG.get(slots, ((long)slot << SLOT_SHIFT) + offset);
    }

    private int homeSlot(final long key, final long hi, final long lo)
    {
        long h = key ^ hashSeed;
        h ^= Long.rotateLeft(hi * 0x9E37_79B9_7F4A_7C15L, 23) ^ lo * 0xC2B2_AE3D_27D4_EB4FL;
        // MurmurHash3's fmix64 finaliser.
        h = (h ^ (h >>> 33)) * 0xFF51_AFD7_ED55_8CCDL;
        h = (h ^ (h >>> 33)) * 0xC4CE_B9FE_1A85_EC53L;
        return (int)(h ^ (h >>> 33)) & mask;
    }

    private static long ipv4Key(final int port, final int ipv4)
    {
        return (long)FAMILY_IPV4 << FAMILY_SHIFT | (long)(port & 0xFFFF) << PORT_SHIFT | (ipv4 & 0xFFFF_FFFFL);
    }

    private static long ipv6Key(final int port)
    {
        return (long)FAMILY_IPV6 << FAMILY_SHIFT | (long)(port & 0xFFFF) << PORT_SHIFT;
    }

    private static long link(final int state, final long mac)
    {
        return (long)(state & 0xFF) << STATE_SHIFT | (mac & MAC_MASK);
    }
}
