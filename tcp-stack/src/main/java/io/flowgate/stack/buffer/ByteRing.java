package io.flowgate.stack.buffer;

import io.flowgate.nativebindings.Memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A connection's byte stream buffer: off-heap, single producer and single consumer on different threads,
 * capacity a power of two, positions as ever-growing longs (publication by release stores, reads by acquire
 * loads). The send buffer's producer is the application ({@link #write}), its consumer the stack, which reads
 * without consuming for (re)transmission ({@link #copyOut}) and consumes on acknowledgement ({@link #release}).
 * The receive buffer's producer is the stack: in-order data with {@link #write}, out-of-order data beyond the
 * producer position with {@link #writeAt} then published by {@link #commit} once the gap is filled; its
 * consumer is the application ({@link #read}).
 * <pre>
 *   address                                                      address + capacity
 *   |....consumed....[head ........ published ........ tail) [writeAt area) .... |
 *                    consumer position                      producer position
 * </pre>
 * Ordering (JCTools naming: {@code lv} acquire load, {@code so} release store, {@code lp}/{@code sp} plain):
 * <ul>
 *   <li>P1: the producer's release store of {@code tail} publishes the bytes below it; pairs with C1, the
 *       consumer's acquire load of {@code tail} before it copies them.</li>
 *   <li>C2: the consumer's release store of {@code head} publishes that the bytes below it were read and may be
 *       overwritten; pairs with P2, the producer's acquire load of {@code head} before it writes.</li>
 * </ul>
 * Each side caches the other's position ({@code headCache}, {@code tailCache}) and reloads it only when the
 * cached value says there is no room or no data, keeping the other side's cache line off the fast path.
 */
public final class ByteRing extends ByteRingTail
{
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    final long address;
    final int capacity;
    final int mask;
    /** Intrusive free list of the pool (stack thread only). */
    ByteRing nextFree;

    ByteRing(final long address, final int capacity)
    {
        if (Integer.bitCount(capacity) != 1)
        {
            throw new IllegalArgumentException("capacity must be a power of two: " + capacity);
        }
        this.address = address;
        this.capacity = capacity;
        this.mask = capacity - 1;
    }

    public int capacity()
    {
        return capacity;
    }

    /** Bytes written and not yet consumed (consumer's view). */
    public int size()
    {
        return (int)(lvTail() - lvHead());
    }

    /** Bytes the producer may still write. */
    public int free()
    {
        return capacity - (int)(lpTail() - lvHead());
    }

    /** Producer: appends up to {@code length} bytes from {@code address}; returns how many fit. */
    public int write(final long srcAddress, final int length)
    {
        final long tail = lpTail();
        final int n = Math.min(length, producerFree(tail, length));
        if (n <= 0)
        {
            return 0;
        }
        final int index = (int)tail & mask;
        final int first = Math.min(n, capacity - index);
        Memory.copy(srcAddress, address + index, first);
        if (first < n)
        {
            Memory.copy(srcAddress + first, address, n - first);
        }
        soTail(tail + n); // P1
        return n;
    }

    /** Producer: {@link #write} from a heap array. */
    public int write(final byte[] src, final int offset, final int length)
    {
        final long tail = lpTail();
        final int n = Math.min(length, producerFree(tail, length));
        if (n <= 0)
        {
            return 0;
        }
        final int index = (int)tail & mask;
        final int first = Math.min(n, capacity - index);
        MemorySegment.copy(src, offset, Memory.ALL, BYTE, address + index, first);
        if (first < n)
        {
            MemorySegment.copy(src, offset + first, Memory.ALL, BYTE, address, n - first);
        }
        soTail(tail + n); // P1
        return n;
    }

    /**
     * Producer: writes {@code length} bytes at {@code offset} bytes beyond the producer position without
     * publishing them; false (nothing written) when they would not fit in {@link #free}.
     */
    public boolean writeAt(final int offset, final long srcAddress, final int length)
    {
        final long tail = lpTail();
        if (offset < 0 || length < 0 || (long)offset + length > producerFree(tail, offset + length))
        {
            return false;
        }
        final int index = (int)(tail + offset) & mask;
        final int first = Math.min(length, capacity - index);
        Memory.copy(srcAddress, address + index, first);
        if (first < length)
        {
            Memory.copy(srcAddress + first, address, length - first);
        }
        return true;
    }

    /** Producer: publishes {@code length} bytes already written by {@link #writeAt} (at offset 0 onwards). */
    public void commit(final int length)
    {
        final long tail = lpTail();
        if (length < 0 || length > producerFree(tail, length))
        {
            throw new IllegalArgumentException("commit beyond free space: " + length);
        }
        soTail(tail + length); // P1
    }

    /** Consumer: copies {@code length} bytes starting {@code offset} bytes after the consumer position, without consuming. */
    public void copyOut(final int offset, final long dstAddress, final int length)
    {
        final long head = lpHead();
        if (offset < 0 || length < 0 || (long)offset + length > consumerSize(head, offset + length))
        {
            throw new IndexOutOfBoundsException("copyOut beyond data: offset " + offset + " length " + length);
        }
        final int index = (int)(head + offset) & mask;
        final int first = Math.min(length, capacity - index);
        Memory.copy(address + index, dstAddress, first);
        if (first < length)
        {
            Memory.copy(address, dstAddress + first, length - first);
        }
    }

    /** Consumer: consumes {@code length} bytes. */
    public void release(final int length)
    {
        final long head = lpHead();
        if (length < 0 || length > consumerSize(head, length))
        {
            throw new IllegalArgumentException("release beyond data: " + length);
        }
        soHead(head + length); // C2
    }

    /** Consumer: copies out and consumes up to {@code length} bytes; returns how many. */
    public int read(final long dstAddress, final int length)
    {
        final long head = lpHead();
        final int n = Math.min(length, consumerSize(head, length));
        if (n <= 0)
        {
            return 0;
        }
        final int index = (int)head & mask;
        final int first = Math.min(n, capacity - index);
        Memory.copy(address + index, dstAddress, first);
        if (first < n)
        {
            Memory.copy(address, dstAddress + first, n - first);
        }
        soHead(head + n); // C2
        return n;
    }

    /** Consumer: {@link #read} into a heap array. */
    public int read(final byte[] dst, final int offset, final int length)
    {
        final long head = lpHead();
        final int n = Math.min(length, consumerSize(head, length));
        if (n <= 0)
        {
            return 0;
        }
        final int index = (int)head & mask;
        final int first = Math.min(n, capacity - index);
        MemorySegment.copy(Memory.ALL, BYTE, address + index, dst, offset, first);
        if (first < n)
        {
            MemorySegment.copy(Memory.ALL, BYTE, address, dst, offset + first, n - first);
        }
        soHead(head + n); // C2
        return n;
    }

    /** Empties the ring (both positions equal); only when neither side is using it. */
    public void clear()
    {
        headCache = 0;
        tailCache = 0;
        soHead(0);
        soTail(0);
        VarHandle.fullFence();
    }

    /** Free space as the producer sees it, reloading the consumer position only when the cache says too little. */
    private int producerFree(final long tail, final int wanted)
    {
        int free = capacity - (int)(tail - headCache);
        if (free < wanted)
        {
            headCache = lvHead(); // P2
            free = capacity - (int)(tail - headCache);
        }
        return free;
    }

    /** Published bytes as the consumer sees them, reloading the producer position only when the cache says too few. */
    private int consumerSize(final long head, final int wanted)
    {
        int size = (int)(tailCache - head);
        if (size < wanted)
        {
            tailCache = lvTail(); // C1
            size = (int)(tailCache - head);
        }
        return size;
    }
}

/** Padding so the consumer's fields do not share a cache line with the object header or what precedes it. */
abstract class ByteRingPad0
{
    long p00, p01, p02, p03, p04, p05, p06, p07;
    long p10, p11, p12, p13, p14, p15, p16, p17;
}

/** The consumer's side: its position and its cached view of the producer's. */
abstract class ByteRingHead extends ByteRingPad0
{
    private static final VarHandle HEAD;

    static
    {
        try
        {
            HEAD = MethodHandles.lookup().findVarHandle(ByteRingHead.class, "head", long.class);
        }
        catch (final ReflectiveOperationException e)
        {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile long head;
    /** Consumer-only cache of {@code tail}. */
    long tailCache;

    final long lpHead()
    {
        return (long)HEAD.get(this);
    }

    final long lvHead()
    {
        return (long)HEAD.getAcquire(this);
    }

    final void soHead(final long value)
    {
        HEAD.setRelease(this, value);
    }
}

abstract class ByteRingPad1 extends ByteRingHead
{
    long p20, p21, p22, p23, p24, p25, p26, p27;
    long p30, p31, p32, p33, p34, p35, p36, p37;
}

/** The producer's side: its position and its cached view of the consumer's. */
abstract class ByteRingTail extends ByteRingPad1
{
    private static final VarHandle TAIL;

    static
    {
        try
        {
            TAIL = MethodHandles.lookup().findVarHandle(ByteRingTail.class, "tail", long.class);
        }
        catch (final ReflectiveOperationException e)
        {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile long tail;
    /** Producer-only cache of {@code head}. */
    long headCache;
    long p40, p41, p42, p43, p44, p45, p46, p47;
    long p50, p51, p52, p53, p54, p55, p56, p57;

    final long lpTail()
    {
        return (long)TAIL.get(this);
    }

    final long lvTail()
    {
        return (long)TAIL.getAcquire(this);
    }

    final void soTail(final long value)
    {
        TAIL.setRelease(this, value);
    }
}
