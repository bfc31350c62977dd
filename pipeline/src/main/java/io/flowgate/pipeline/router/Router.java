package io.flowgate.pipeline.router;

import io.flowgate.nativebindings.dpdk.Eal;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pipeline.defrag.Ipv4DefragHook;
import io.flowgate.pipeline.defrag.Ipv4Reassembler;
import io.flowgate.pipeline.dispatch.BurstRing;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.hook.HookPriority;
import io.flowgate.pipeline.neigh.NeighbourParams;
import io.flowgate.pipeline.neigh.NeighbourTable;
import io.flowgate.pipeline.route.RouteTable;
import io.flowgate.pmd.lcore.LcoreAgent;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.agrona.collections.IntHashSet;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;

/**
 * An IPv4 router on DPDK ports: one {@link RouterWorker} per CPU (rss dispatch: worker w polls receive queue
 * w of every port and transmits on queue w) and one {@link SlowPath} thread, whose packets worker 0 sends.
 * Each worker defragments in PREROUTING ({@link Ipv4DefragHook} at {@code CONNTRACK_DEFRAG}, its own
 * {@link Ipv4Reassembler} with Linux's limits and {@link #REASSEMBLY_BUFFERS} datagrams in flight).
 * <p>
 * Usage: open every port with {@code workers} receive and transmit queues, fill a
 * {@link RouteTable} (connected and static routes), then {@link #start}; {@link #close()} stops it.
 * <p>
 * Thread-safety: start and close from one control thread; counters from any thread.
 * <p>
 * Shutdown: workers stop first (their last bursts are sent, handed over or freed), then the slow path frees
 * what waits in the rings and neighbour queues. The ports can then be drained and closed.
 */
public final class Router implements AutoCloseable
{
    /** Datagrams each worker reassembles at once: 64 x 64 KiB, Linux's ipfrag_high_thresh of 4 MiB. */
    public static final int REASSEMBLY_BUFFERS = 64;

    private final List<RouterWorker> workers;
    private final List<Ipv4DefragHook> defrags = new ArrayList<>();
    private final SlowPath slowPath;
    private final List<AgentRunner> workerRunners;
    private final AgentRunner slowPathRunner;
    private final NeighbourTable neighbours;
    private final Arena arena;

    private Router(final List<RouterWorker> workers, final SlowPath slowPath, final List<AgentRunner> workerRunners,
                   final AgentRunner slowPathRunner, final NeighbourTable neighbours, final Arena arena)
    {
        this.workers = workers;
        this.slowPath = slowPath;
        this.workerRunners = workerRunners;
        this.slowPathRunner = slowPathRunner;
        this.neighbours = neighbours;
        this.arena = arena;
    }

    /** A permanent neighbour entry: IPv4 {@code address} on port {@code portId} is at {@code mac}. */
    public record StaticNeighbour(int portId, int address, long mac)
    {
    }

    @SuppressWarnings("unchecked")
    public static Router start(final Eal eal, final RouterPort[] ports, final RouteTable routes, final Mempool pool,
                               final int[] workerCpus, final int slowPathCpu, final int burstSize, final int ringSize,
                               final List<StaticNeighbour> staticNeighbours)
    {
        final IntHashSet local = new IntHashSet();
        for (final RouterPort port : ports)
        {
            for (int i = 0; i < port.addresses().ipv4Count(); i++)
            {
                local.add(port.addresses().ipv4(i));
            }
        }
        final Arena arena = Arena.ofShared();
        final NeighbourTable neighbours = new NeighbourTable(4096, System.nanoTime());
        final BurstRing<SlowPathBurst>[] rings = new BurstRing[workerCpus.length];
        for (int w = 0; w < workerCpus.length; w++)
        {
            rings[w] = new BurstRing<>(Math.max(2, ringSize / burstSize), () -> new SlowPathBurst(arena, burstSize));
        }
        final BurstRing<SlowPathBurst> txRing = new BurstRing<>(Math.max(2, ringSize / burstSize), () -> new SlowPathBurst(arena, burstSize));
        final SlowPath slowPath = new SlowPath(rings, txRing, ports, pool, neighbours, NeighbourParams.linuxDefaults());
        for (final StaticNeighbour n : staticNeighbours)
        {
            // Before the slow path's thread starts, which then is the table's only writer (start() publishes).
            if (!slowPath.resolver().addPermanent(n.portId(), n.address(), n.mac(), System.nanoTime()))
            {
                throw new IllegalStateException("cannot add neighbour entry " + n);
            }
        }
        final List<RouterWorker> workers = new ArrayList<>();
        final List<Ipv4DefragHook> defrags = new ArrayList<>();
        final List<AgentRunner> runners = new ArrayList<>();
        for (int w = 0; w < workerCpus.length; w++)
        {
            final HookChain chain = new HookChain(burstSize);
            final RouterWorker worker = new RouterWorker("router-" + w, w, ports, local, routes.ipv4(), routes.nextHops(),
                neighbours, chain, rings[w], w == 0 ? txRing : null, burstSize);
            final Ipv4DefragHook defrag = new Ipv4DefragHook(new Ipv4Reassembler(REASSEMBLY_BUFFERS, Ipv4Reassembler.DEFAULT_MAX_PENDING_BYTES,
                REASSEMBLY_BUFFERS / 4, Ipv4Reassembler.DEFAULT_MAX_RUNS, Ipv4Reassembler.DEFAULT_TIMEOUT_NS,
                new SplittableRandom().nextInt()), pool, burstSize);
            worker.defrag(defrag);
            chain.register(Hook.PREROUTING, HookPriority.CONNTRACK_DEFRAG, "nf_defrag_ipv4", defrag);
            defrags.add(defrag);
            workers.add(worker);
            runners.add(LcoreAgent.start(eal, workerCpus[w], worker, new BusySpinIdleStrategy()));
        }
        final AgentRunner slowPathRunner = LcoreAgent.start(eal, slowPathCpu, slowPath, new BackoffIdleStrategy());
        final Router router = new Router(workers, slowPath, runners, slowPathRunner, neighbours, arena);
        router.defrags.addAll(defrags);
        return router;
    }

    /** Sum of a {@link RouterWorker} counter over the workers. */
    public long workerTotal(final int counter)
    {
        long sum = 0;
        for (final RouterWorker worker : workers)
        {
            sum += worker.counter(counter);
        }
        return sum;
    }

    /** Sum of an {@link Ipv4DefragHook} counter over the workers. */
    public long defragTotal(final int counter)
    {
        long sum = 0;
        for (final Ipv4DefragHook defrag : defrags)
        {
            sum += defrag.counter(counter);
        }
        return sum;
    }

    /** Sum of an {@link Ipv4Reassembler} counter (ReasmReqds, ReasmFails, ReasmTimeout, ...) over the workers. */
    public long reassemblerTotal(final int counter)
    {
        long sum = 0;
        for (final Ipv4DefragHook defrag : defrags)
        {
            sum += defrag.reassembler().counter(counter);
        }
        return sum;
    }

    /** An {@code Ipv4Fragmenter} counter of the slow path (FragOKs, FragFails, FragCreates). */
    public long fragmenterCounter(final int counter)
    {
        return slowPath.fragmenterCounter(counter);
    }

    public long slowPathCounter(final int counter)
    {
        return slowPath.counter(counter);
    }

    public int neighbours()
    {
        return neighbours.size();
    }

    @Override
    public void close()
    {
        for (final AgentRunner runner : workerRunners)
        {
            runner.close();
        }
        slowPathRunner.close();
        for (final Ipv4DefragHook defrag : defrags)
        {
            defrag.close();
        }
        neighbours.close();
        arena.close();
    }
}
