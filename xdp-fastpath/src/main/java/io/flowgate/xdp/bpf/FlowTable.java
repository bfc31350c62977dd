package io.flowgate.xdp.bpf;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.bpf.BpfException;
import io.flowgate.nativebindings.bpf.LibBpf;
import io.flowgate.pmd.header.EthernetFlyweight;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The BPF hash map of offloaded flows ({@code fg_flows}, see docs/xdp-fastpath.md). Control plane only:
 * every call is a bpf(2) system call over buffers allocated once (no garbage per entry).
 * Layouts: {@code struct fg_flow_key} and {@code struct fg_flow_action} of flowgate_xdp.h, mirrored by the
 * offsets below (FlowLayoutProbeTest compares them with the C compiler's). Addresses and ports are written
 * in network order; ifindex, egress, mtu, cookie and the counters in host order.
 * Thread-safety: one control thread.
 */
public final class FlowTable
{
    /** Visits one entry read by {@link #forEach}. */
    @FunctionalInterface
    public interface Visitor
    {
        void entry(FlowRecord flow);
    }

    /*
     * struct fg_flow_key (44 bytes)            struct fg_flow_action (88 bytes)
     *  0 ifindex          u32 host             0 cookie        u64 host
     *  4 family u8 | 5 protocol u8 | 6 pad u16  8 egress       u32 host
     *  8 src_port u16 BE | 10 dst_port u16 BE  12 mtu u16 host | 14 flags u8 | 15 pad u8
     * 12 src[4]           16 bytes, BE         16 dst_mac[6]   | 22 src_mac[6]
     * 28 dst[4]           16 bytes, BE         28 new_src_port u16 BE | 30 new_dst_port u16 BE
     *                                          32 new_src[4] BE | 48 new_dst[4] BE
     *  IPv4: the address in the first 4 bytes,  64 packets u64 | 72 bytes u64 | 80 last_seen_ns u64
     *  the other 12 zero.                       (counters written by the program, atomically)
     */
    // struct fg_flow_key
    static final int KEY_IFINDEX = 0;
    static final int KEY_FAMILY = 4;
    static final int KEY_PROTOCOL = 5;
    static final int KEY_PAD = 6;
    static final int KEY_SRC_PORT = 8;
    static final int KEY_DST_PORT = 10;
    static final int KEY_SRC = 12;
    static final int KEY_DST = 28;
    static final int KEY_SIZE = 44;
    // struct fg_flow_action
    static final int ACT_COOKIE = 0;
    static final int ACT_EGRESS = 8;
    static final int ACT_MTU = 12;
    static final int ACT_FLAGS = 14;
    static final int ACT_PAD = 15;
    static final int ACT_DST_MAC = 16;
    static final int ACT_SRC_MAC = 22;
    static final int ACT_NEW_SRC_PORT = 28;
    static final int ACT_NEW_DST_PORT = 30;
    static final int ACT_NEW_SRC = 32;
    static final int ACT_NEW_DST = 48;
    static final int ACT_PACKETS = 64;
    static final int ACT_BYTES = 72;
    static final int ACT_LAST_SEEN = 80;
    static final int ACT_SIZE = 88;

    /** Entries per batched lookup. */
    static final int BATCH = 256;

    private final int fd;
    private final int capacity;
    private final MemorySegment key;
    private final MemorySegment nextKey;
    private final MemorySegment value;
    private final MemorySegment batchKeys;
    private final MemorySegment batchValues;
    private final MemorySegment inBatch;
    private final MemorySegment outBatch;
    private final MemorySegment count;
    private final MemorySegment batchOpts;
    private final FlowRecord scratch = new FlowRecord();

    FlowTable(final int fd, final int capacity, final Arena arena)
    {
        this.fd = fd;
        this.capacity = capacity;
        this.key = arena.allocate(KEY_SIZE, 8);
        this.nextKey = arena.allocate(KEY_SIZE, 8);
        this.value = arena.allocate(ACT_SIZE, 8);
        this.batchKeys = arena.allocate((long)KEY_SIZE * BATCH, 8);
        this.batchValues = arena.allocate((long)ACT_SIZE * BATCH, 8);
        this.inBatch = arena.allocate(KEY_SIZE, 8);
        this.outBatch = arena.allocate(KEY_SIZE, 8);
        this.count = arena.allocate(ValueLayout.JAVA_INT);
        this.batchOpts = LibBpf.batchOpts(arena);
    }

    /** The map's file descriptor. */
    public int fd()
    {
        return fd;
    }

    /** The map's bound (max_entries). */
    public int capacity()
    {
        return capacity;
    }

    /** Inserts a new entry (BPF_NOEXIST) with zero counters; false when the map is full or the key exists. */
    public boolean insert(final FlowRecord flow)
    {
        writeKey(flow, key.address());
        writeAction(flow, value.address());
        final int rc = LibBpf.mapUpdate(fd, key, value, LibBpf.BPF_NOEXIST);
        if (rc == 0)
        {
            return true;
        }
        if (rc == -LibBpf.EEXIST || rc == -LibBpf.E2BIG || rc == -LibBpf.ENOMEM || rc == -LibBpf.ENOSPC)
        {
            return false;
        }
        throw new BpfException("bpf_map_update_elem(fg_flows)", rc);
    }

    /** Reads the entry of {@code flow}'s key into {@code flow}'s action and counters; false when absent. */
    public boolean lookup(final FlowRecord flow)
    {
        writeKey(flow, key.address());
        final int rc = LibBpf.mapLookup(fd, key, value);
        if (rc == -LibBpf.ENOENT)
        {
            return false;
        }
        if (rc != 0)
        {
            throw new BpfException("bpf_map_lookup_elem(fg_flows)", rc);
        }
        readAction(value.address(), flow);
        return true;
    }

    /** Deletes the entry of {@code flow}'s key, first reading its final counters into {@code flow}; false when absent. */
    public boolean remove(final FlowRecord flow)
    {
        writeKey(flow, key.address());
        // One system call reads and deletes: no hit can land between the final read and the delete.
        final int rc = LibBpf.mapLookupAndDelete(fd, key, value);
        if (rc == -LibBpf.ENOENT)
        {
            return false;
        }
        if (rc != 0)
        {
            throw new BpfException("bpf_map_lookup_and_delete_elem(fg_flows)", rc);
        }
        readAction(value.address(), flow);
        return true;
    }

    /** Reads every entry (batched lookups) into one reused holder; returns how many were visited. */
    public int forEach(final Visitor visitor)
    {
        int visited = 0;
        boolean first = true;
        while (true)
        {
            count.set(ValueLayout.JAVA_INT, 0, BATCH);
            final int rc = LibBpf.mapLookupBatch(fd, first ? MemorySegment.NULL : inBatch, outBatch, batchKeys, batchValues, count,
                batchOpts);
            if (rc != 0 && rc != -LibBpf.ENOENT)
            {
                throw new BpfException("bpf_map_lookup_batch(fg_flows)", rc);
            }
            final int n = count.get(ValueLayout.JAVA_INT, 0);
            for (int i = 0; i < n; i++)
            {
                readKey(batchKeys.address() + (long)i * KEY_SIZE, scratch);
                readAction(batchValues.address() + (long)i * ACT_SIZE, scratch);
                visitor.entry(scratch);
            }
            visited += n;
            if (rc == -LibBpf.ENOENT)
            {
                return visited;
            }
            MemorySegment.copy(outBatch, 0, inBatch, 0, KEY_SIZE);
            first = false;
        }
    }

    /**
     * Deletes every entry and returns how many. The next key is read before the current one is deleted: asked for
     * the successor of a key that is gone, the kernel's hash map starts again from its first bucket, and clearing
     * would cost buckets x entries.
     */
    public int clear()
    {
        int deleted = 0;
        int next = LibBpf.mapGetNextKey(fd, MemorySegment.NULL, key);
        while (next == 0)
        {
            next = LibBpf.mapGetNextKey(fd, key, nextKey);
            final int rc = LibBpf.mapDelete(fd, key);
            if (rc == 0)
            {
                deleted++;
            }
            else if (rc != -LibBpf.ENOENT)
            {
                throw new BpfException("bpf_map_delete_elem(fg_flows)", rc);
            }
            MemorySegment.copy(nextKey, 0, key, 0, KEY_SIZE);
        }
        return deleted;
    }

    static void writeKey(final FlowRecord flow, final long address)
    {
        Memory.putInt(address + KEY_IFINDEX, flow.ifindex);
        Memory.putByte(address + KEY_FAMILY, (byte)flow.family);
        Memory.putByte(address + KEY_PROTOCOL, (byte)flow.protocol);
        Memory.putShort(address + KEY_PAD, (short)0);
        Memory.putShortBE(address + KEY_SRC_PORT, flow.srcPort);
        Memory.putShortBE(address + KEY_DST_PORT, flow.dstPort);
        putAddress(address + KEY_SRC, flow.family, flow.srcHi, flow.srcLo);
        putAddress(address + KEY_DST, flow.family, flow.dstHi, flow.dstLo);
    }

    static void readKey(final long address, final FlowRecord flow)
    {
        flow.ifindex = Memory.getInt(address + KEY_IFINDEX);
        flow.family = Memory.getUnsignedByte(address + KEY_FAMILY);
        flow.protocol = Memory.getUnsignedByte(address + KEY_PROTOCOL);
        flow.srcPort = Memory.getShortBE(address + KEY_SRC_PORT);
        flow.dstPort = Memory.getShortBE(address + KEY_DST_PORT);
        flow.srcHi = getHi(address + KEY_SRC, flow.family);
        flow.srcLo = getLo(address + KEY_SRC, flow.family);
        flow.dstHi = getHi(address + KEY_DST, flow.family);
        flow.dstLo = getLo(address + KEY_DST, flow.family);
    }

    /** The action with zero counters. */
    static void writeAction(final FlowRecord flow, final long address)
    {
        Memory.putLong(address + ACT_COOKIE, flow.cookie);
        Memory.putInt(address + ACT_EGRESS, flow.egress);
        Memory.putShort(address + ACT_MTU, (short)flow.mtu);
        Memory.putByte(address + ACT_FLAGS, (byte)flow.flags);
        Memory.putByte(address + ACT_PAD, (byte)0);
        EthernetFlyweight.putMac(address + ACT_DST_MAC, flow.dstMac);
        EthernetFlyweight.putMac(address + ACT_SRC_MAC, flow.srcMac);
        Memory.putShortBE(address + ACT_NEW_SRC_PORT, flow.newSrcPort);
        Memory.putShortBE(address + ACT_NEW_DST_PORT, flow.newDstPort);
        putAddress(address + ACT_NEW_SRC, flow.family, flow.newSrcHi, flow.newSrcLo);
        putAddress(address + ACT_NEW_DST, flow.family, flow.newDstHi, flow.newDstLo);
        Memory.putLong(address + ACT_PACKETS, 0L);
        Memory.putLong(address + ACT_BYTES, 0L);
        Memory.putLong(address + ACT_LAST_SEEN, 0L);
    }

    /** The action and counters; the family of {@code flow} (its key) says how to read the addresses. */
    static void readAction(final long address, final FlowRecord flow)
    {
        flow.cookie = Memory.getLong(address + ACT_COOKIE);
        flow.egress = Memory.getInt(address + ACT_EGRESS);
        flow.mtu = Memory.getShort(address + ACT_MTU) & 0xFFFF;
        flow.flags = Memory.getUnsignedByte(address + ACT_FLAGS);
        flow.dstMac = EthernetFlyweight.getMac(address + ACT_DST_MAC);
        flow.srcMac = EthernetFlyweight.getMac(address + ACT_SRC_MAC);
        flow.newSrcPort = Memory.getShortBE(address + ACT_NEW_SRC_PORT);
        flow.newDstPort = Memory.getShortBE(address + ACT_NEW_DST_PORT);
        flow.newSrcHi = getHi(address + ACT_NEW_SRC, flow.family);
        flow.newSrcLo = getLo(address + ACT_NEW_SRC, flow.family);
        flow.newDstHi = getHi(address + ACT_NEW_DST, flow.family);
        flow.newDstLo = getLo(address + ACT_NEW_DST, flow.family);
        flow.packets = Memory.getLong(address + ACT_PACKETS);
        flow.bytes = Memory.getLong(address + ACT_BYTES);
        flow.lastSeenNs = Memory.getLong(address + ACT_LAST_SEEN);
    }

    private static void putAddress(final long address, final int family, final long hi, final long lo)
    {
        if (family == 4)
        {
            Memory.putIntBE(address, (int)lo);
            Memory.putInt(address + 4, 0);
            Memory.putLong(address + 8, 0L);
        }
        else
        {
            Memory.putLongBE(address, hi);
            Memory.putLongBE(address + 8, lo);
        }
    }

    private static long getHi(final long address, final int family)
    {
        return family == 4 ? 0L : Memory.getLongBE(address);
    }

    private static long getLo(final long address, final int family)
    {
        return family == 4 ? Memory.getIntBE(address) & 0xFFFF_FFFFL : Memory.getLongBE(address + 8);
    }
}
