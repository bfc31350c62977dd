package io.flowgate.stack.udp;

import io.flowgate.nativebindings.Memory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

/**
 * A single-producer single-consumer off-heap ring of datagrams, each record a 24-byte header (payload length,
 * port, address hi and lo: the peer's) and the payload, 8-byte aligned. A record that does not fit before
 * the end of the ring is written at its start after a wrap marker. Bounded in bytes: a UDP socket's receive
 * queue (producer the stack thread, consumer the application) and its send queue (the other way round).
 * Nothing is allocated per datagram.
 */
public final class DatagramRing
{
    static final int HEADER = 24;
    private static final int WRAP = -1;

    private final Arena arena;
    private final long base;
    private final int capacity;
    private volatile long head;
    private volatile long tail;

    public DatagramRing(final int bytes)
    {
        this.capacity = Math.max(64, (bytes + 7) & ~7);
        this.arena = Arena.ofShared();
        this.base = arena.allocate(capacity, 64).address();
    }

    public int capacity()
    {
        return capacity;
    }

    public boolean isEmpty()
    {
        return head == tail;
    }

    /** Producer: where a record of {@code length} payload bytes goes, or 0 when it does not fit; then {@link #commit}. */
    public long claim(final int length)
    {
        final int size = (HEADER + length + 7) & ~7;
        final long t = tail;
        final int index = (int)(t % capacity);
        final int skip = capacity - index < size ? capacity - index : 0;
        if (size > capacity || capacity - (t - head) < (long)size + skip)
        {
            return 0;
        }
        return base + (skip != 0 ? 0 : index);
    }

    /** Producer: publishes the record claimed at {@code record} with its header fields (the payload is written). */
    public void commit(final long record, final int length, final int port, final long hi, final long lo)
    {
        final long t = tail;
        final int index = (int)(t % capacity);
        long next = t;
        if (record == base && index != 0)
        {
            Memory.putInt(base + index, WRAP);
            next += capacity - index;
        }
        Memory.putInt(record, length);
        Memory.putInt(record + 4, port);
        Memory.putLong(record + 8, hi);
        Memory.putLong(record + 16, lo);
        tail = next + ((HEADER + length + 7) & ~7);
    }

    /** Producer: copies {@code length} bytes at {@code address} in; false when full. */
    public boolean offer(final long address, final int length, final int port, final long hi, final long lo)
    {
        final long record = claim(length);
        if (record == 0)
        {
            return false;
        }
        Memory.copy(address, record + HEADER, length);
        commit(record, length, port, hi, lo);
        return true;
    }

    /** Producer: copies the remaining bytes of {@code payload} in (its position is left alone); false when full. */
    public boolean offer(final ByteBuffer payload, final int port, final long hi, final long lo)
    {
        final int length = payload.remaining();
        final long record = claim(length);
        if (record == 0)
        {
            return false;
        }
        final long to = record + HEADER;
        if (payload.hasArray())
        {
            MemorySegment.copy(payload.array(), payload.arrayOffset() + payload.position(), Memory.ALL, ValueLayout.JAVA_BYTE, to,
                length);
        }
        else
        {
            for (int i = 0; i < length; i++)
            {
                Memory.putByte(to + i, payload.get(payload.position() + i));
            }
        }
        commit(record, length, port, hi, lo);
        return true;
    }

    /** Consumer: the oldest record, or 0 when empty. Read it with the accessors, then {@link #release}. */
    public long peek()
    {
        final long h = head;
        if (h == tail)
        {
            return 0;
        }
        final int index = (int)(h % capacity);
        if (Memory.getInt(base + index) == WRAP)
        {
            head = h + capacity - index;
            return peek();
        }
        return base + index;
    }

    public static int length(final long record)
    {
        return Memory.getInt(record);
    }

    public static int port(final long record)
    {
        return Memory.getInt(record + 4);
    }

    public static long hi(final long record)
    {
        return Memory.getLong(record + 8);
    }

    public static long lo(final long record)
    {
        return Memory.getLong(record + 16);
    }

    public static long payload(final long record)
    {
        return record + HEADER;
    }

    /** Consumer: drops the record {@link #peek} returned. */
    public void release(final long record)
    {
        head = head + ((HEADER + length(record) + 7) & ~7);
    }

    /** Copies up to {@code dst.remaining()} payload bytes of {@code record} into {@code dst}, advancing it. */
    public static void copyOut(final long record, final ByteBuffer dst)
    {
        final int n = Math.min(length(record), dst.remaining());
        final long from = payload(record);
        if (dst.hasArray())
        {
            MemorySegment.copy(Memory.ALL, ValueLayout.JAVA_BYTE, from, dst.array(), dst.arrayOffset() + dst.position(), n);
            dst.position(dst.position() + n);
        }
        else
        {
            for (int i = 0; i < n; i++)
            {
                dst.put(Memory.getByte(from + i));
            }
        }
    }

    /** Frees the memory; no call may follow. */
    public void close()
    {
        arena.close();
    }
}
