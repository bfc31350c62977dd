package io.flowgate.stack.buffer;

import java.lang.foreign.Arena;

/**
 * Where connections get their send and receive rings: off-heap memory reused between connections, so an
 * accept does not map memory. Acquire and release on the stack thread.
 * <p>
 * Rings are carved from slabs (one shared arena; a new slab when the current one is used up) and kept on
 * one intrusive free list per power-of-two size class when released; a released ring is reused as is for the
 * next request of its class. Memory only grows, up to the peak number of rings in use, and is freed by
 * {@link #close}.
 */
public final class ByteRingPool implements AutoCloseable
{
    /** Default slab: 32 MiB, a handful of Linux-default-sized connection buffers per mapping. */
    public static final long DEFAULT_SLAB_BYTES = 32L << 20;
    private static final int MAX_CLASS = 31;
    private static final long ALIGNMENT = 4096;

    private final Arena arena = Arena.ofShared();
    private final long slabBytes;
    private final ByteRing[] freeByClass = new ByteRing[MAX_CLASS];
    private long slabNext;
    private long slabEnd;
    private long reservedBytes;
    private int inUse;
    private boolean closed;

    public ByteRingPool()
    {
        this(DEFAULT_SLAB_BYTES);
    }

    /** @param slabBytes how much memory each new slab maps (more when one ring needs more) */
    public ByteRingPool(final long slabBytes)
    {
        if (slabBytes < ALIGNMENT)
        {
            throw new IllegalArgumentException("slab too small: " + slabBytes);
        }
        this.slabBytes = slabBytes;
    }

    /** A cleared ring of at least {@code capacity} bytes (rounded up to a power of two). */
    public ByteRing acquire(final int capacity)
    {
        if (closed)
        {
            throw new IllegalStateException("pool closed");
        }
        if (capacity <= 0 || capacity > 1 << 30)
        {
            throw new IllegalArgumentException("capacity out of range: " + capacity);
        }
        final int sizeClass = 32 - Integer.numberOfLeadingZeros(capacity - 1);
        final ByteRing reused = freeByClass[sizeClass];
        final ByteRing ring;
        if (reused != null)
        {
            freeByClass[sizeClass] = reused.nextFree;
            reused.nextFree = null;
            ring = reused;
        }
        else
        {
            ring = new ByteRing(carve(1L << sizeClass), 1 << sizeClass);
        }
        ring.clear();
        inUse++;
        return ring;
    }

    /** Gives a ring back; it must no longer be used by any thread. */
    public void release(final ByteRing ring)
    {
        final int sizeClass = Integer.numberOfTrailingZeros(ring.capacity);
        ring.nextFree = freeByClass[sizeClass];
        freeByClass[sizeClass] = ring;
        inUse--;
    }

    /** Rings acquired and not released. */
    public int inUse()
    {
        return inUse;
    }

    /** Bytes of slab memory mapped so far. */
    public long reservedBytes()
    {
        return reservedBytes;
    }

    /** Frees all memory (after the stack stopped). */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            java.util.Arrays.fill(freeByClass, null);
            arena.close();
        }
    }

    private long carve(final long bytes)
    {
        if (slabEnd - slabNext < bytes)
        {
            final long size = Math.max(slabBytes, bytes);
            slabNext = arena.allocate(size, ALIGNMENT).address();
            slabEnd = slabNext + size;
            reservedBytes += size;
        }
        final long address = slabNext;
        slabNext += bytes; // sizes are powers of two of at least one byte: keep 64-byte alignment
        slabNext = (slabNext + 63) & ~63L;
        return address;
    }
}
