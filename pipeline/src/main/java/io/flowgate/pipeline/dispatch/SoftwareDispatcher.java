package io.flowgate.pipeline.dispatch;

import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.burst.ParseStage;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.port.Port;
import java.lang.foreign.Arena;
import org.agrona.concurrent.Agent;

/**
 * Software dispatch for single-queue ports: a core that receives bursts, hashes every packet with
 * {@link SymmetricFlowHash} and deals it to the worker {@code hash -> [0, workers)}, so both directions of
 * a flow meet at the same worker. Each worker has its own {@link BurstRing}; a packet that finds its
 * worker's ring full (or no empty burst) is freed and counted, never waited for.
 * <p>
 * Thread-safety: one thread (the dispatcher's); it is the single producer of every worker ring.
 * <p>
 * Hot path: one receive, the parse and hash stages over the burst, one pass to scatter; bursts are
 * published at the end of every {@code doWork()}, so a packet waits for at most one receive burst.
 */
public final class SoftwareDispatcher implements Agent
{
    private final Port port;
    private final int queue;
    private final BurstRing<MbufBurst>[] rings;
    private final MbufBurst[] pending;
    private final PacketBurst burst;
    private final Arena arena;
    private long dispatched;
    private long dropped;

    public SoftwareDispatcher(final Port port, final int queue, final BurstRing<MbufBurst>[] rings, final int burstSize)
    {
        if (rings.length == 0)
        {
            throw new IllegalArgumentException("no worker ring");
        }
        this.port = port;
        this.queue = queue;
        this.rings = rings.clone();
        this.pending = new MbufBurst[rings.length];
        this.arena = Arena.ofShared();
        this.burst = new PacketBurst(arena, burstSize);
    }

    /** The worker of a flow hash: Lemire's multiply-shift range reduction, uniform for a uniform hash. */
    public static int workerOf(final int flowHash, final int workers)
    {
        return (int)((Integer.toUnsignedLong(flowHash) * workers) >>> 32);
    }

    @Override
    public int doWork()
    {
        final int n = burst.mbufs.receive(port, queue);
        if (n == 0)
        {
            return 0;
        }
        burst.count(n);
        ParseStage.run(burst);
        SymmetricFlowHash.run(burst);
        final BurstRing<MbufBurst>[] rings = this.rings;
        final MbufBurst[] pending = this.pending;
        final int workers = rings.length;
        for (int i = 0; i < n; i++)
        {
            final long m = burst.mbuf(i);
            final int w = workerOf(burst.flowHash[i], workers);
            MbufBurst out = pending[w];
            if (out == null)
            {
                out = rings[w].acquire();
                pending[w] = out;
            }
            if (out == null || out.count() == out.capacity())
            {
                Mbuf.free(m);
                dropped++;
                continue;
            }
            out.mbuf(out.count(), m);
            out.count(out.count() + 1);
            dispatched++;
        }
        for (int w = 0; w < workers; w++)
        {
            final MbufBurst out = pending[w];
            if (out != null && out.count() > 0 && rings[w].publish(out))
            {
                pending[w] = null;
            }
        }
        return n;
    }

    /** Frees what is still pending here (call after the thread stopped). */
    @Override
    public void onClose()
    {
        for (int w = 0; w < pending.length; w++)
        {
            if (pending[w] != null)
            {
                dropped += pending[w].count();
                pending[w].free();
            }
        }
        arena.close();
    }

    public long dispatched()
    {
        return dispatched;
    }

    public long dropped()
    {
        return dropped;
    }

    @Override
    public String roleName()
    {
        return "dispatch-" + port.name() + "-q" + queue;
    }
}
