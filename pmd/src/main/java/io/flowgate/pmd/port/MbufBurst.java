package io.flowgate.pmd.port;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Mbuf;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A burst: an off-heap array of mbuf pointers, cache-line aligned, allocated once per worker and reused
 * for every receive. Per-packet metadata of later stages lives in parallel primitive arrays of the same
 * capacity (structure of arrays).
 * <p>
 * Thread-safety: owned by one worker thread.
 */
public final class MbufBurst
{
    private static final int CACHE_LINE = 64;

    private final MemorySegment pointers;
    private final long address;
    private final int capacity;
    private int count;

    public MbufBurst(final Arena arena, final int capacity)
    {
        if (capacity < 1 || capacity > 65535)
        {
            throw new IllegalArgumentException("burst capacity must be 1..65535: " + capacity);
        }
        this.pointers = arena.allocate(8L * capacity, CACHE_LINE);
        this.address = pointers.address();
        this.capacity = capacity;
    }

    /** Address of the pointer array ({@code struct rte_mbuf **}). */
    public long address()
    {
        return address;
    }

    /** Address of the pointer at {@code index}. */
    public long addressOf(final int index)
    {
        return address + 8L * index;
    }

    public int capacity()
    {
        return capacity;
    }

    public int count()
    {
        return count;
    }

    public void count(final int count)
    {
        this.count = count;
    }

    public long mbuf(final int index)
    {
        return Memory.getLong(address + 8L * index);
    }

    public void mbuf(final int index, final long mbuf)
    {
        Memory.putLong(address + 8L * index, mbuf);
    }

    /** Receives up to {@link #capacity()} packets from {@code port}'s {@code queue}; returns the count. */
    public int receive(final Port port, final int queue)
    {
        final int n = port.receive(queue, address, capacity);
        count = n;
        return n;
    }

    /** Receives up to {@code max} (at most {@link #capacity()}) packets from {@code port}'s {@code queue}. */
    public int receive(final Port port, final int queue, final int max)
    {
        final int n = port.receive(queue, address, Math.min(max, capacity));
        count = n;
        return n;
    }

    /**
     * Transmits the whole burst on {@code port}'s {@code queue} and frees what the port did not take.
     * Returns how many were sent; the burst is empty afterwards.
     */
    public int transmitOrFree(final Port port, final int queue)
    {
        final int n = count;
        final int sent = n == 0 ? 0 : port.transmit(queue, address, n);
        if (sent < n)
        {
            Mbuf.freeBulk(address + 8L * sent, n - sent);
        }
        count = 0;
        return sent;
    }

    /** Frees every packet of the burst. */
    public void free()
    {
        if (count > 0)
        {
            Mbuf.freeBulk(address, count);
            count = 0;
        }
    }
}
