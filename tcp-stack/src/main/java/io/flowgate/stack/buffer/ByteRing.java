package io.flowgate.stack.buffer;

/**
 * A connection's byte stream buffer: off-heap, single producer and single consumer on different threads,
 * capacity a power of two, positions as ever-growing longs (publication by release stores, reads by acquire
 * loads). The send buffer's producer is the application ({@link #write}), its consumer the stack, which reads
 * without consuming for (re)transmission ({@link #copyOut}) and consumes on acknowledgement ({@link #release}).
 * The receive buffer's producer is the stack: in-order data with {@link #write}, out-of-order data beyond the
 * producer position with {@link #writeAt} then published by {@link #commit} once the gap is filled; its
 * consumer is the application ({@link #read}).
 */
public final class ByteRing
{
    ByteRing()
    {
        throw new UnsupportedOperationException("contract: built by the api part; rings come from ByteRingPool");
    }

    public int capacity()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Bytes written and not yet consumed (consumer's view). */
    public int size()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Bytes the producer may still write. */
    public int free()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Producer: appends up to {@code length} bytes from {@code address}; returns how many fit. */
    public int write(final long address, final int length)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Producer: {@link #write} from a heap array. */
    public int write(final byte[] src, final int offset, final int length)
    {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * Producer: writes {@code length} bytes at {@code offset} bytes beyond the producer position without
     * publishing them; false (nothing written) when they would not fit in {@link #free}.
     */
    public boolean writeAt(final int offset, final long address, final int length)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Producer: publishes {@code length} bytes already written by {@link #writeAt} (at offset 0 onwards). */
    public void commit(final int length)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Consumer: copies {@code length} bytes starting {@code offset} bytes after the consumer position, without consuming. */
    public void copyOut(final int offset, final long address, final int length)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Consumer: consumes {@code length} bytes. */
    public void release(final int length)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Consumer: copies out and consumes up to {@code length} bytes; returns how many. */
    public int read(final long address, final int length)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Consumer: {@link #read} into a heap array. */
    public int read(final byte[] dst, final int offset, final int length)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Empties the ring (both positions equal); only when neither side is using it. */
    public void clear()
    {
        throw new UnsupportedOperationException("contract");
    }
}
