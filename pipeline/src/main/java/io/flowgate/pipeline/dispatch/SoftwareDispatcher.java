package io.flowgate.pipeline.dispatch;

import io.flowgate.nativebindings.dpdk.EthDev;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.burst.ParseStage;
import io.flowgate.pipeline.hook.Counters;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.port.Port;
import java.lang.foreign.Arena;
import org.agrona.concurrent.Agent;

/**
 * Software dispatch for single-queue ports: a core that receives bursts from one queue of every port, hashes
 * every packet with {@link SymmetricFlowHash} and deals it to the worker {@code hash -> [0, workers)}, so both
 * directions of a flow meet at the same worker. Each worker has its own {@link BurstRing}; a packet that
 * finds its worker's ring full (or no empty burst) is freed and counted, never waited for. The mbuf's port
 * field is set to the port it came in on (some PMDs, e.g. net_ring, leave it unset), so the worker knows it.
 * <p>
 * Transmit: a single-queue port has one transmit queue and a queue has one writer, so with {@code txRings}
 * the workers hand their finished packets back here ({@link TxBurst}s, one ring per worker) and this core
 * transmits them on the same queue it receives from. A packet the port does not take is freed and counted.
 * <p>
 * Usage: {@code new SoftwareDispatcher(ports, 0, workerRings, ports, txRings, burst)} run by an agent runner.
 * <p>
 * Thread-safety: one thread (the dispatcher's): the single producer of every worker ring and the single
 * consumer of every transmit ring. {@link #stopReceiving} and the counters: any thread.
 * <p>
 * Shutdown: {@link #stopReceiving()}, wait for {@link #receiveStopped()}, let the workers drain their rings
 * and stop; then stop this agent: {@link #onClose()} (its own thread) transmits what the transmit rings still
 * hold and frees what it had not published. Bursts left in worker rings are the caller's to free.
 * <p>
 * Hot path: per port one receive, the parse and hash stages over the burst, one pass to scatter; at the end of
 * every {@code doWork()} a worker whose ring is empty gets its pending burst, so a packet waits here for at
 * most one receive when its worker keeps up (see {@link #publish}).
 */
public final class SoftwareDispatcher implements Agent
{
    public static final int RX = 0;
    public static final int DISPATCHED = 1;
    public static final int DROPPED = 2;
    public static final int TX = 3;
    public static final int TX_FULL = 4;
    private static final int PER_WORKER = 5;

    private final Port[] rxPorts;
    private final int queue;
    private final BurstRing<MbufBurst>[] rings;
    private final MbufBurst[] pending;
    /** Packets dealt to each worker in the current receive burst, added to the counters once per burst. */
    private final int[] dealt;
    private final BurstRing<TxBurst>[] txRings;
    private final Port[] txPortById = new Port[EthDev.MAX_ETHPORTS];
    private final MbufBurst[] txStageById = new MbufBurst[EthDev.MAX_ETHPORTS];
    private final int[] txPortIds;
    private final PacketBurst burst;
    private final Arena arena;
    private final Counters counters;
    private final String roleName;
    private volatile boolean receiving = true;
    private volatile boolean receiveStopped;

    /** One port, no transmit rings (the workers transmit themselves). */
    public SoftwareDispatcher(final Port port, final int queue, final BurstRing<MbufBurst>[] rings, final int burstSize)
    {
        this(new Port[] {port}, queue, rings, new Port[0], null, burstSize);
    }

    /**
     * Receives from {@code queue} of every port in {@code rxPorts} and deals to {@code rings} (one per worker);
     * transmits what {@code txRings} (one per worker, or null for none) carry on {@code queue} of the port of
     * {@code txPorts} each packet names.
     */
    @SuppressWarnings("unchecked")
    public SoftwareDispatcher(final Port[] rxPorts, final int queue, final BurstRing<MbufBurst>[] rings, final Port[] txPorts,
                              final BurstRing<TxBurst>[] txRings, final int burstSize)
    {
        if (rings.length == 0)
        {
            throw new IllegalArgumentException("no worker ring");
        }
        this.rxPorts = rxPorts.clone();
        this.queue = queue;
        this.rings = rings.clone();
        this.pending = new MbufBurst[rings.length];
        this.dealt = new int[rings.length];
        this.txRings = txRings == null ? new BurstRing[0] : txRings.clone();
        this.arena = Arena.ofShared();
        this.burst = new PacketBurst(arena, burstSize);
        this.txPortIds = new int[txPorts.length];
        for (int i = 0; i < txPorts.length; i++)
        {
            final Port p = txPorts[i];
            txPortIds[i] = p.id();
            txPortById[p.id()] = p;
            txStageById[p.id()] = new MbufBurst(arena, 2 * burstSize);
        }
        this.counters = new Counters(PER_WORKER + 2 * rings.length);
        final StringBuilder name = new StringBuilder("dispatch");
        for (final Port p : rxPorts)
        {
            name.append('-').append(p.name());
        }
        this.roleName = name.append("-q").append(queue).toString();
    }

    /** The worker of a flow hash: Lemire's multiply-shift range reduction, uniform for a uniform hash. */
    public static int workerOf(final int flowHash, final int workers)
    {
        return (int)((Integer.toUnsignedLong(flowHash) * workers) >>> 32);
    }

    @Override
    public int doWork()
    {
        int work = 0;
        if (receiving)
        {
            for (final Port port : rxPorts)
            {
                work += dispatch(port);
            }
            publish(false);
        }
        else if (!receiveStopped)
        {
            publish(true);
            receiveStopped = true; // after the last publish: the control thread now waits for the workers
        }
        if (txRings.length > 0)
        {
            work += transmit();
        }
        return work;
    }

    private int dispatch(final Port port)
    {
        final int n = burst.mbufs.receive(port, queue);
        if (n == 0)
        {
            return 0;
        }
        counters.add(RX, n);
        burst.count(n);
        ParseStage.run(burst);
        SymmetricFlowHash.run(burst);
        final int portId = port.id();
        final BurstRing<MbufBurst>[] rings = this.rings;
        final MbufBurst[] pending = this.pending;
        final int[] dealt = this.dealt;
        final int workers = rings.length;
        for (int i = 0; i < n; i++)
        {
            final long m = burst.mbuf(i);
            final int w = workerOf(burst.flowHash[i], workers);
            MbufBurst out = pending[w];
            if (out == null || out.count() == out.capacity())
            {
                out = next(w, out); // several ports' packets for one worker can fill a burst in one doWork
            }
            if (out == null || out.count() == out.capacity())
            {
                Mbuf.free(m);
                counters.increment(DROPPED);
                counters.increment(PER_WORKER + 2 * w + 1);
                continue;
            }
            Mbuf.port(m, portId);
            out.mbuf(out.count(), m);
            out.count(out.count() + 1);
            dealt[w]++;
        }
        for (int w = 0; w < workers; w++)
        {
            if (dealt[w] > 0)
            {
                counters.add(PER_WORKER + 2 * w, dealt[w]);
                dealt[w] = 0;
            }
        }
        return n;
    }

    /** A burst with room for worker {@code w}: {@code full} (or none) is published first; null when there is none. */
    private MbufBurst next(final int w, final MbufBurst full)
    {
        if (full != null)
        {
            if (!rings[w].publish(full))
            {
                return full;
            }
            counters.add(DISPATCHED, full.count());
        }
        final MbufBurst out = rings[w].acquire();
        pending[w] = out;
        return out;
    }

    /**
     * Hands pending bursts with packets to their workers; one the ring cannot take stays pending. Unless
     * {@code all}, a burst that is not full waits while its worker still has bursts to take: a worker that
     * keeps up gets every packet after one receive, one that is behind gets full bursts instead of using up
     * the ring's slots with small ones (it would not have taken them sooner).
     */
    private void publish(final boolean all)
    {
        final MbufBurst[] pending = this.pending;
        long dispatched = 0;
        for (int w = 0; w < pending.length; w++)
        {
            final MbufBurst out = pending[w];
            if (out != null && out.count() > 0 && (all || out.count() == out.capacity() || rings[w].isEmpty()) && rings[w].publish(out))
            {
                dispatched += out.count();
                pending[w] = null;
            }
        }
        if (dispatched > 0)
        {
            counters.add(DISPATCHED, dispatched);
        }
    }

    /** What the workers handed back, grouped by port and transmitted on {@link #queue}. */
    private int transmit()
    {
        int taken = 0;
        for (final BurstRing<TxBurst> ring : txRings)
        {
            TxBurst b;
            while ((b = ring.poll()) != null)
            {
                final int n = b.count();
                for (int i = 0; i < n; i++)
                {
                    final int id = b.port[i];
                    final MbufBurst stage = txStageById[id];
                    if (stage.count() == stage.capacity())
                    {
                        flush(id);
                    }
                    stage.mbuf(stage.count(), b.mbufs.mbuf(i));
                    stage.count(stage.count() + 1);
                }
                taken += n;
                b.mbufs.count(0);
                ring.release(b);
            }
        }
        if (taken > 0)
        {
            for (final int id : txPortIds)
            {
                if (txStageById[id].count() > 0)
                {
                    flush(id);
                }
            }
        }
        return taken;
    }

    private void flush(final int portId)
    {
        final MbufBurst stage = txStageById[portId];
        final int n = stage.count();
        final int sent = stage.transmitOrFree(txPortById[portId], queue);
        counters.add(TX, sent);
        if (sent < n)
        {
            counters.add(TX_FULL, n - sent);
        }
    }

    /** Any thread: stop receiving; the thread publishes what is pending and then reports {@link #receiveStopped()}. */
    public void stopReceiving()
    {
        receiving = false;
    }

    /** Any thread: true once the dispatcher received and published its last packets. */
    public boolean receiveStopped()
    {
        return receiveStopped;
    }

    /** Transmits what the transmit rings still hold, frees what is still pending here (on the agent's thread, after its last doWork). */
    @Override
    public void onClose()
    {
        while (txRings.length > 0 && transmit() > 0)
        {
            // the workers have stopped: this ends
        }
        for (int w = 0; w < pending.length; w++)
        {
            if (pending[w] != null)
            {
                counters.add(DROPPED, pending[w].count());
                counters.add(PER_WORKER + 2 * w + 1, pending[w].count());
                counters.add(PER_WORKER + 2 * w, -pending[w].count());
                pending[w].free();
                pending[w] = null;
            }
        }
        arena.close();
    }

    /** Any thread: a counter named by the constants of this class. */
    public long counter(final int counter)
    {
        return counters.get(counter);
    }

    /** Packets handed to the workers' rings (published). */
    public long dispatched()
    {
        return counters.get(DISPATCHED);
    }

    public long dropped()
    {
        return counters.get(DROPPED);
    }

    /** Packets dealt to worker {@code w} (published or still pending here). */
    public long dispatched(final int w)
    {
        return counters.get(PER_WORKER + 2 * w);
    }

    /** Packets for worker {@code w} that found its ring full (or no empty burst) and were freed. */
    public long dropped(final int w)
    {
        return counters.get(PER_WORKER + 2 * w + 1);
    }

    public int workers()
    {
        return rings.length;
    }

    @Override
    public String roleName()
    {
        return roleName;
    }
}
