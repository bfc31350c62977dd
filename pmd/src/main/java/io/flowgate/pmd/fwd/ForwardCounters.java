package io.flowgate.pmd.fwd;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Per-stream packet counters of one worker, written only by that worker and read by a statistics thread.
 * <p>
 * Each stream's counters fill their own 64-byte line, and the array is padded at both ends, so the
 * worker's stores never share a cache line with another worker's. The worker publishes with opaque stores
 * (no fence on the hot path); a reader sees each counter's latest value eventually and never a torn one.
 * Counters of one stream are not read as a consistent snapshot: rx may lead tx by a burst.
 */
public final class ForwardCounters
{
    public static final int RX = 0;
    public static final int TX = 1;
    public static final int DROP = 2;
    public static final int BURSTS = 3;

    private static final int LONGS_PER_LINE = 8;
    private static final int PAD = LONGS_PER_LINE * 2;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] values;
    private final int streams;

    public ForwardCounters(final int streams)
    {
        this.streams = streams;
        this.values = new long[PAD + streams * LONGS_PER_LINE + PAD];
    }

    public int streams()
    {
        return streams;
    }

    /** Worker only: adds a burst's outcome to stream {@code stream}. */
    public void addBurst(final int stream, final int received, final int sent)
    {
        final long[] v = values;
        final int base = PAD + stream * LONGS_PER_LINE;
        LONGS.setOpaque(v, base + RX, v[base + RX] + received);
        LONGS.setOpaque(v, base + TX, v[base + TX] + sent);
        LONGS.setOpaque(v, base + DROP, v[base + DROP] + (received - sent));
        LONGS.setOpaque(v, base + BURSTS, v[base + BURSTS] + 1);
    }

    /** Any thread. */
    public long get(final int stream, final int counter)
    {
        return (long)LONGS.getOpaque(values, PAD + stream * LONGS_PER_LINE + counter);
    }

    /** Any thread: sum over streams. */
    public long total(final int counter)
    {
        long sum = 0;
        for (int s = 0; s < streams; s++)
        {
            sum += get(s, counter);
        }
        return sum;
    }
}
