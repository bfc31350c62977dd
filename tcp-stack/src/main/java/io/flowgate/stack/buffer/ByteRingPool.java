package io.flowgate.stack.buffer;

/**
 * Where connections get their send and receive rings: off-heap memory reused between connections, so an
 * accept does not map memory. Acquire and release on the stack thread.
 */
public final class ByteRingPool implements AutoCloseable
{
    public ByteRingPool()
    {
        throw new UnsupportedOperationException("contract: built by the api part");
    }

    /** A cleared ring of at least {@code capacity} bytes (rounded up to a power of two). */
    public ByteRing acquire(final int capacity)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Gives a ring back; it must no longer be used by any thread. */
    public void release(final ByteRing ring)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Frees all memory (after the stack stopped). */
    @Override
    public void close()
    {
        throw new UnsupportedOperationException("contract");
    }
}
