package io.flowgate.nativebindings;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Static accessors over raw native addresses: the one way hot-path code reads and writes packet and
 * mbuf memory.
 * <p>
 * Usage: {@code Memory.getShortBE(ipHeaderAddress + 2)} reads a total-length field in network order.
 * Addresses come from DPDK (mbuf pointers, {@code buf_addr + data_off}) or from segments this process
 * allocated.
 * <p>
 * Thread-safety: plain accesses, no ordering; callers that publish across threads use {@code VarHandle}
 * access modes on their own fields.
 * <p>
 * Why not a {@code MemorySegment} per packet: one allocates 160 B per packet as soon as escape analysis
 * fails (measured 2026-11, DESIGN.md). A single segment spanning the whole address space is created once;
 * its bounds check folds away and nothing is allocated per access. The price is that a wrong address is
 * not caught: every address handed to these methods must come from DPDK or from a live segment.
 */
public final class Memory
{
    /** The whole address space as one segment; never closed. */
    public static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfShort SHORT_BE = SHORT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = INT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE = LONG.withOrder(ByteOrder.BIG_ENDIAN);

    private Memory()
    {
    }

    public static byte getByte(final long address)
    {
        return ALL.get(ValueLayout.JAVA_BYTE, address);
    }

    public static int getUnsignedByte(final long address)
    {
        return ALL.get(ValueLayout.JAVA_BYTE, address) & 0xFF;
    }

    public static void putByte(final long address, final byte value)
    {
        ALL.set(ValueLayout.JAVA_BYTE, address, value);
    }

    /** Native (host) byte order: struct fields. */
    public static short getShort(final long address)
    {
        return ALL.get(SHORT, address);
    }

    public static int getUnsignedShort(final long address)
    {
        return ALL.get(SHORT, address) & 0xFFFF;
    }

    public static void putShort(final long address, final short value)
    {
        ALL.set(SHORT, address, value);
    }

    public static int getInt(final long address)
    {
        return ALL.get(INT, address);
    }

    public static void putInt(final long address, final int value)
    {
        ALL.set(INT, address, value);
    }

    public static long getLong(final long address)
    {
        return ALL.get(LONG, address);
    }

    public static void putLong(final long address, final long value)
    {
        ALL.set(LONG, address, value);
    }

    /** Network (big-endian) byte order: wire fields. Returns 0..65535. */
    public static int getShortBE(final long address)
    {
        return ALL.get(SHORT_BE, address) & 0xFFFF;
    }

    public static void putShortBE(final long address, final int value)
    {
        ALL.set(SHORT_BE, address, (short)value);
    }

    public static int getIntBE(final long address)
    {
        return ALL.get(INT_BE, address);
    }

    public static void putIntBE(final long address, final int value)
    {
        ALL.set(INT_BE, address, value);
    }

    public static long getLongBE(final long address)
    {
        return ALL.get(LONG_BE, address);
    }

    public static void putLongBE(final long address, final long value)
    {
        ALL.set(LONG_BE, address, value);
    }

    public static void copy(final long srcAddress, final long dstAddress, final long length)
    {
        MemorySegment.copy(ALL, srcAddress, ALL, dstAddress, length);
    }

    public static void fill(final long address, final long length, final byte value)
    {
        ALL.asSlice(address, length).fill(value);
    }
}
