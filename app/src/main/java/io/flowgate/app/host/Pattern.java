package io.flowgate.app.host;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The test pattern the services send and check: the byte at stream offset {@code i} is {@code i % 251} (251 is
 * prime, so no power-of-two buffer or segment size lines up with it and a misplaced block shows). One off-heap
 * block, built once, holds the pattern from offset 0 over many periods, so a writer sends any range by address
 * without copying or allocating.
 */
public final class Pattern
{
    public static final int PERIOD = 251;
    /** The longest run one call hands out: the block less one period. */
    public static final int MAX_RUN = PERIOD * 256;
    private static final MemorySegment BLOCK = Arena.global().allocate(MAX_RUN + PERIOD, 64);

    static
    {
        for (int i = 0; i < MAX_RUN + PERIOD; i++)
        {
            BLOCK.set(ValueLayout.JAVA_BYTE, i, (byte)(i % PERIOD));
        }
    }

    private Pattern()
    {
    }

    /** The pattern byte at {@code streamOffset}. */
    public static byte at(final long streamOffset)
    {
        return (byte)(streamOffset % PERIOD);
    }

    /** The address of {@link #MAX_RUN} pattern bytes starting at {@code streamOffset}'s value. */
    public static long address(final long streamOffset)
    {
        return BLOCK.address() + streamOffset % PERIOD;
    }

    /** Fills {@code dst[offset, offset + length)} with the pattern from {@code streamOffset}. */
    public static void fill(final byte[] dst, final int offset, final int length, final long streamOffset)
    {
        int value = (int)(streamOffset % PERIOD);
        for (int i = 0; i < length; i++)
        {
            dst[offset + i] = (byte)value;
            if (++value == PERIOD)
            {
                value = 0;
            }
        }
    }

    /** The first offset in {@code src[offset, offset + length)} that is not the pattern from {@code streamOffset}, or -1. */
    public static long mismatch(final byte[] src, final int offset, final int length, final long streamOffset)
    {
        int value = (int)(streamOffset % PERIOD);
        for (int i = 0; i < length; i++)
        {
            if (src[offset + i] != (byte)value)
            {
                return streamOffset + i;
            }
            if (++value == PERIOD)
            {
                value = 0;
            }
        }
        return -1;
    }
}
