package io.flowgate.pipeline.dispatch;

import io.flowgate.pmd.port.MbufBurst;
import java.lang.foreign.Arena;

/**
 * Finished packets a worker hands back to the dispatcher for transmission (software dispatch: a single-queue
 * port has one transmit queue, which only the dispatcher uses), each with the id of the port it leaves by.
 * Circulates preallocated in a {@link BurstRing}; whoever holds it owns its mbufs.
 */
public final class TxBurst
{
    public final MbufBurst mbufs;
    public final int[] port;

    public TxBurst(final Arena arena, final int capacity)
    {
        this.mbufs = new MbufBurst(arena, capacity);
        this.port = new int[capacity];
    }

    /** Appends a packet; false when the burst is full. */
    public boolean add(final long mbuf, final int portId)
    {
        final int n = mbufs.count();
        if (n == mbufs.capacity())
        {
            return false;
        }
        mbufs.mbuf(n, mbuf);
        port[n] = portId;
        mbufs.count(n + 1);
        return true;
    }

    public boolean isFull()
    {
        return mbufs.count() == mbufs.capacity();
    }

    public int count()
    {
        return mbufs.count();
    }
}
