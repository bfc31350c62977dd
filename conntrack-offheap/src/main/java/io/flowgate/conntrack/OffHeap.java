package io.flowgate.conntrack;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Raw access to the conntrack module's off-heap tables by absolute address, native byte order. The module
 * depends on the JDK and Agrona only (DESIGN.md), so it carries its own view of all memory instead of the
 * native-bindings {@code Memory}. The ordered accessors are the ones a reader on another thread pairs with.
 * <p>
 * Requires {@code --enable-native-access} for the module path's unnamed module (the application passes it).
 */
public final class OffHeap
{
    /** All of memory; addresses are absolute. */
    public static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final VarHandle INT_HANDLE = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG_HANDLE = ValueLayout.JAVA_LONG.varHandle();

    private OffHeap()
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

    public static void putByte(final long address, final int value)
    {
        ALL.set(ValueLayout.JAVA_BYTE, address, (byte)value);
    }

    public static int getUnsignedShort(final long address)
    {
        return ALL.get(SHORT, address) & 0xFFFF;
    }

    public static void putShort(final long address, final int value)
    {
        ALL.set(SHORT, address, (short)value);
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

    /** Acquire load of an aligned int. */
    public static int getIntAcquire(final long address)
    {
        return (int)INT_HANDLE.getAcquire(ALL, address);
    }

    /** Release store of an aligned int. */
    public static void putIntRelease(final long address, final int value)
    {
        INT_HANDLE.setRelease(ALL, address, value);
    }

    /** Volatile load of an aligned int. */
    public static int getIntVolatile(final long address)
    {
        return (int)INT_HANDLE.getVolatile(ALL, address);
    }

    /** Acquire load of an aligned long. */
    public static long getLongAcquire(final long address)
    {
        return (long)LONG_HANDLE.getAcquire(ALL, address);
    }

    /** Release store of an aligned long. */
    public static void putLongRelease(final long address, final long value)
    {
        LONG_HANDLE.setRelease(ALL, address, value);
    }

    public static void fill(final long address, final long length, final byte value)
    {
        ALL.asSlice(address, length).fill(value);
    }

    public static void copy(final long from, final long to, final long length)
    {
        MemorySegment.copy(ALL, from, ALL, to, length);
    }
}
