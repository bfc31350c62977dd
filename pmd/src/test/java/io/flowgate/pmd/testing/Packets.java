package io.flowgate.pmd.testing;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pmd.port.MbufBurst;

/** Fills mbufs with recognisable frames for tests. */
public final class Packets
{
    private Packets()
    {
    }

    /**
     * Allocates {@code count} mbufs from {@code pool} into {@code burst}, each a 60-byte frame whose first
     * eight bytes hold {@code firstTag + i}.
     */
    public static void allocTagged(final Mempool pool, final MbufBurst burst, final int count, final long firstTag)
    {
        if (!pool.allocBulk(burst.address(), count))
        {
            throw new IllegalStateException("pool " + pool.name() + " exhausted");
        }
        for (int i = 0; i < count; i++)
        {
            final long m = burst.mbuf(i);
            Mbuf.length(m, 60);
            final long data = Mbuf.data(m);
            Memory.fill(data, 60, (byte)0);
            Memory.putLong(data, firstTag + i);
        }
        burst.count(count);
    }

    public static long tag(final long mbuf)
    {
        return Memory.getLong(Mbuf.data(mbuf));
    }
}
