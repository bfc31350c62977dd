package io.flowgate.pipeline.hook;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A block of event counters of one stage of one worker, written only by that worker and read by a
 * statistics thread: the hook chain, the IP input stages, the reassembler and the fragmenter each own one.
 * <p>
 * The block is padded by two cache lines at both ends, so a worker's stores never share a line with another
 * worker's block. The writer publishes with opaque stores (no fence on the hot path); a reader sees each
 * counter's latest value eventually and never a torn one. Counters of one block are not read as a
 * consistent snapshot: one may lead another by a burst.
 * <p>
 * Usage: a stage names its counters with {@code int} constants 0..n-1 and increments them with
 * {@link #increment(int)} or, once per burst, {@link #add(int, long)}.
 */
public final class Counters
{
    private static final int LONGS_PER_LINE = 8;
    private static final int PAD = LONGS_PER_LINE * 2;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] values;
    private final int count;

    public Counters(final int count)
    {
        if (count < 1)
        {
            throw new IllegalArgumentException("counter count must be positive: " + count);
        }
        this.count = count;
        this.values = new long[PAD + count + PAD];
    }

    public int count()
    {
        return count;
    }

    /** Owning worker only. */
    public void increment(final int counter)
    {
        final long[] v = values;
        final int index = PAD + counter;
        LONGS.setOpaque(v, index, v[index] + 1);
    }

    /** Owning worker only. */
    public void add(final int counter, final long delta)
    {
        final long[] v = values;
        final int index = PAD + counter;
        LONGS.setOpaque(v, index, v[index] + delta);
    }

    /** Any thread. */
    public long get(final int counter)
    {
        if (counter < 0 || counter >= count)
        {
            throw new IndexOutOfBoundsException(counter);
        }
        return (long)LONGS.getOpaque(values, PAD + counter);
    }
}
