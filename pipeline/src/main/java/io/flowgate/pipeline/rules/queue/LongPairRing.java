package io.flowgate.pipeline.rules.queue;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A bounded ring of records of two {@code long}s, many producers, one consumer, no allocation per record: a cell
 * per record with a sequence number, as in Dmitry Vyukov's bounded queue (the producer claims a position with a CAS
 * on the tail and publishes the cell by storing its sequence; the consumer waits for that sequence).
 * <p>
 * Why not a library ring: Agrona's ring buffers need {@code jdk.internal.misc.Unsafe} (not exported to the class
 * path on JDK 25), and JCTools' Unsafe-free queues carry references, so a pair of longs would be boxed per packet.
 * <p>
 * Thread-safety: {@link #offer} from any thread; {@link #poll} from one thread only.
 */
final class LongPairRing
{
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle TAIL;

    static
    {
        try
        {
            TAIL = MethodHandles.lookup().findVarHandle(LongPairRing.class, "tail", long.class);
        }
        catch (final ReflectiveOperationException e)
        {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int mask;
    private final long[] sequence;
    private final long[] first;
    private final long[] second;

    // Producers' position, padded off the consumer's line.
    @SuppressWarnings("unused")
    private long p01, p02, p03, p04, p05, p06, p07;
    private volatile long tail;
    @SuppressWarnings("unused")
    private long p11, p12, p13, p14, p15, p16, p17;
    /** Consumer only. */
    private long head;

    /** At least {@code capacity} records (rounded up to a power of two). */
    LongPairRing(final int capacity)
    {
        final int size = Integer.highestOneBit(Math.max(2, capacity) * 2 - 1);
        this.mask = size - 1;
        this.sequence = new long[size];
        this.first = new long[size];
        this.second = new long[size];
        for (int i = 0; i < size; i++)
        {
            sequence[i] = i;
        }
    }

    int capacity()
    {
        return mask + 1;
    }

    /** Any thread: appends {@code (a, b)}; false when full. */
    boolean offer(final long a, final long b)
    {
        long position = (long)TAIL.getVolatile(this);
        while (true)
        {
            final int cell = (int)(position & mask);
            final long seq = (long)LONGS.getAcquire(sequence, cell);   // A1: pairs with R2 in poll (the cell is free)
            final long diff = seq - position;
            if (diff == 0)
            {
                if (TAIL.compareAndSet(this, position, position + 1))
                {
                    first[cell] = a;
                    second[cell] = b;
                    LONGS.setRelease(sequence, cell, position + 1);   // R1: publishes the record; pairs with A2 in poll
                    return true;
                }
                position = (long)TAIL.getVolatile(this);
            }
            else if (diff < 0)
            {
                return false;
            }
            else
            {
                position = (long)TAIL.getVolatile(this);
            }
        }
    }

    /** Consumer: whether a record is ready ({@link #first()}/{@link #second()} of it after {@link #poll}). */
    boolean poll()
    {
        final long position = head;
        final int cell = (int)(position & mask);
        final long seq = (long)LONGS.getAcquire(sequence, cell);   // A2: pairs with R1 in offer
        if (seq != position + 1)
        {
            return false;
        }
        polledFirst = first[cell];
        polledSecond = second[cell];
        LONGS.setRelease(sequence, cell, position + mask + 1);   // R2: the cell is free again; pairs with A1 in offer
        head = position + 1;
        return true;
    }

    private long polledFirst;
    private long polledSecond;

    long first()
    {
        return polledFirst;
    }

    long second()
    {
        return polledSecond;
    }
}
