package io.flowgate.pipeline.nat;

import io.flowgate.conntrack.nat.NatStats;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.pipeline.dispatch.BurstRing;
import io.flowgate.pmd.port.MbufBurst;

/**
 * One worker's side of the hand-off between workers (VPP's {@code nat44_ed_handoff}): packets whose connection
 * another worker owns are staged per owner and published to that owner's ring at the end of the poll; the
 * owner takes bursts from its rings and runs them through its pipeline. A full ring (or no empty burst)
 * frees the packets and counts them as {@code handoff_dropped}: the worker never waits.
 * <p>
 * Thread-safety: {@code out[w]} is produced by this worker only and consumed by worker {@code w} only (SPSC);
 * {@link #stage}/{@link #flush} run on this worker, {@link #poll}/{@link #release} on it for its inbound rings.
 */
public final class Handoff
{
    private final int worker;
    private final BurstRing<MbufBurst>[] out;
    private final BurstRing<MbufBurst>[] in;
    private final MbufBurst[] staging;
    private final NatStats stats;
    private int nextIn;
    private int lastIn;

    /**
     * @param rings {@code rings[from][to]}: the ring from worker {@code from} to worker {@code to} (null on the diagonal)
     */
    @SuppressWarnings("unchecked")
    public Handoff(final int worker, final BurstRing<MbufBurst>[][] rings, final NatStats stats)
    {
        this.worker = worker;
        final int workers = rings.length;
        this.out = rings[worker];
        this.in = new BurstRing[workers];
        for (int w = 0; w < workers; w++)
        {
            in[w] = rings[w][worker];
        }
        this.staging = new MbufBurst[workers];
        this.stats = stats;
    }

    public int worker()
    {
        return worker;
    }

    /** Hands {@code mbuf} to worker {@code owner}; false when it had to be freed (no room): the caller forgets it either way. */
    public boolean stage(final int owner, final long mbuf)
    {
        MbufBurst b = staging[owner];
        if (b == null)
        {
            b = out[owner].acquire();
            if (b == null)
            {
                drop(mbuf);
                return false;
            }
            staging[owner] = b;
        }
        final int n = b.count();
        b.mbuf(n, mbuf);
        b.count(n + 1);
        stats.handedOff++;
        if (n + 1 == b.capacity())
        {
            publish(owner, b);
        }
        return true;
    }

    /** Publishes every staged burst (end of the worker's poll). */
    public void flush()
    {
        final MbufBurst[] staging = this.staging;
        for (int w = 0; w < staging.length; w++)
        {
            final MbufBurst b = staging[w];
            if (b != null && b.count() > 0)
            {
                publish(w, b);
            }
        }
    }

    /** The next burst handed to this worker by any other (round robin over the rings), or null. */
    public MbufBurst poll()
    {
        final int workers = in.length;
        for (int k = 0; k < workers; k++)
        {
            final int w = nextIn;
            nextIn = w + 1 == workers ? 0 : w + 1;
            final BurstRing<MbufBurst> ring = in[w];
            if (ring != null)
            {
                final MbufBurst b = ring.poll();
                if (b != null)
                {
                    stats.handedIn += b.count();
                    lastIn = w;
                    return b;
                }
            }
        }
        return null;
    }

    /** Returns the burst {@link #poll} gave, emptied (its mbufs are the caller's now). */
    public void release(final MbufBurst b)
    {
        b.count(0);
        in[lastIn].release(b);
    }

    /** After the workers stopped: frees what is staged or still in the inbound rings. */
    public void drain()
    {
        for (int w = 0; w < staging.length; w++)
        {
            if (staging[w] != null)
            {
                staging[w].free();
            }
        }
        for (final BurstRing<MbufBurst> ring : in)
        {
            if (ring == null)
            {
                continue;
            }
            MbufBurst b;
            while ((b = ring.poll()) != null)
            {
                b.free();
                ring.release(b);
            }
        }
    }

    private void publish(final int owner, final MbufBurst b)
    {
        staging[owner] = null;
        if (!out[owner].publish(b))
        {
            stats.handoffDropped += b.count();
            stats.handedOff -= b.count();
            b.free();
            staging[owner] = b; // still ours: reused for the next packets
        }
    }

    private void drop(final long mbuf)
    {
        stats.handoffDropped++;
        Mbuf.free(mbuf);
    }
}
