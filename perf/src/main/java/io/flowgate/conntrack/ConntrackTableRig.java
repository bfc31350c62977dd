package io.flowgate.conntrack;

import io.flowgate.nativebindings.os.HugePageMemory;
import java.util.HashMap;
import java.util.Map;

/**
 * Shared set-up of the table benchmarks: table memory on transparent huge pages ({@link HugePageMemory}, as the
 * application gives its workers), and flow keys derived from a flow number.
 */
final class ConntrackTableRig implements ConntrackTable.Memory, AutoCloseable
{
    static final int UDP = 17;

    private final Map<Long, HugePageMemory> blocks = new HashMap<>();

    @Override
    public long allocate(final long bytes)
    {
        final HugePageMemory block = HugePageMemory.allocate(bytes);
        blocks.put(block.address(), block);
        return block.address();
    }

    @Override
    public void free(final long address, final long bytes)
    {
        final HugePageMemory block = blocks.remove(address);
        if (block != null)
        {
            block.close();
        }
    }

    @Override
    public void close()
    {
        for (final HugePageMemory block : blocks.values())
        {
            block.close();
        }
        blocks.clear();
    }

    /** A bijective 64-bit mix: distinct flow numbers give distinct (src, dst) pairs. */
    static long mix(final long flow)
    {
        long h = flow * 0x9E37_79B9_7F4A_7C15L;
        h ^= h >>> 32;
        h *= 0xD6E8_FEB8_6659_FD93L;
        h ^= h >>> 32;
        return h;
    }

    static CtKey original(final long flow, final CtKey out)
    {
        final long h = mix(flow);
        return out.ipv4(0, UDP, (int)h, (int)(h >>> 32), (int)(flow & 0xFFFF) | 1024, 53);
    }

    static CtKey reply(final long flow, final CtKey out)
    {
        final long h = mix(flow);
        return out.ipv4(0, UDP, (int)(h >>> 32), (int)h, 53, (int)(flow & 0xFFFF) | 1024);
    }
}
