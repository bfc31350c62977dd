package io.flowgate.pipeline.router;

import io.flowgate.nativebindings.dpdk.Eal;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pipeline.defrag.Ipv4DefragHook;
import io.flowgate.pipeline.defrag.Ipv4Reassembler;
import io.flowgate.pipeline.dispatch.BurstRing;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.neigh.NdFlyweight;
import io.flowgate.pipeline.hook.HookPriority;
import io.flowgate.pipeline.neigh.NeighbourParams;
import io.flowgate.pipeline.neigh.NeighbourTable;
import io.flowgate.pipeline.route.RouteTable;
import io.flowgate.pmd.lcore.LcoreAgent;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;
import java.util.SplittableRandom;
import org.agrona.collections.IntHashSet;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;

/**
 * An IPv4 and IPv6 router on DPDK ports: one {@link RouterWorker} per CPU (rss dispatch: worker w polls receive queue
 * w of every port and transmits on queue w) and one {@link SlowPath} thread, whose packets worker 0 sends.
 * Each worker defragments in PREROUTING ({@link Ipv4DefragHook} at {@code CONNTRACK_DEFRAG}, its own
 * {@link Ipv4Reassembler} with Linux's limits and {@link #REASSEMBLY_BUFFERS} datagrams in flight).
 * <p>
 * Usage: open every port with {@code workers} receive and transmit queues, fill a
 * {@link RouteTable} (connected and static routes), then {@link #start}; {@link #close()} stops it. A port routes
 * IPv6 when its {@link RouterPort#addresses()} hold IPv6 addresses (give it its link-local one too,
 * {@code PortAddresses.addLinkLocal}); the box then listens to all-nodes, all-routers and the solicited-node
 * group of each of its addresses.
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

    /**
     * Benchmark instruments: {@code latency} records every forwarded packet's transit time ({@link TransitLatency});
     * {@code rxPacketsPerSecond} > 0 caps what each worker takes from its receive queues ({@link RxPacer}).
     */
    public record Instruments(boolean latency, long rxPacketsPerSecond)
    {
        public static final Instruments NONE = new Instruments(false, 0);
    }

    /** A permanent IPv6 neighbour entry: {@code hi:lo} on port {@code portId} is at {@code mac}. */
    public record StaticNeighbour6(int portId, long hi, long lo, long mac)
    {
    }

    public static Router start(final Eal eal, final RouterPort[] ports, final RouteTable routes, final Mempool pool,
                               final int[] workerCpus, final int slowPathCpu, final int burstSize, final int ringSize,
                               final List<StaticNeighbour> staticNeighbours)
    {
        return start(eal, ports, routes, pool, workerCpus, slowPathCpu, burstSize, ringSize, staticNeighbours, List.of(), Instruments.NONE);
    }

    @SuppressWarnings("unchecked")
    public static Router start(final Eal eal, final RouterPort[] ports, final RouteTable routes, final Mempool pool,
                               final int[] workerCpus, final int slowPathCpu, final int burstSize, final int ringSize,
                               final List<StaticNeighbour> staticNeighbours, final List<StaticNeighbour6> staticNeighbours6,
                               final Instruments instruments)
    {
        final IntHashSet local = new IntHashSet();
        for (final RouterPort port : ports)
        {
            for (int i = 0; i < port.addresses().ipv4Count(); i++)
            {
                local.add(port.addresses().ipv4(i));
            }
        }
        final Ipv6AddressSet local6 = localIpv6(ports);
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
        for (final StaticNeighbour6 n : staticNeighbours6)
        {
            if (!slowPath.resolver().addPermanent6(n.portId(), n.hi(), n.lo(), n.mac(), System.nanoTime()))
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
            final RouterWorker worker = new RouterWorker("router-" + w, w, ports, local, routes.ipv4(), routes.ipv6(), local6,
                routes.nextHops(), neighbours, chain, rings[w], w == 0 ? txRing : null, burstSize);
            if (instruments.latency() || instruments.rxPacketsPerSecond() > 0)
            {
                worker.instrument(instruments.latency() ? new TransitLatency(ports.length) : null, instruments.rxPacketsPerSecond());
            }
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

    /**
     * The IPv6 destinations that are the box's: its addresses, the solicited-node group of each (RFC 4291
     * 2.7.1), and all-nodes and all-routers (ff02::1, ff02::2) when any port has IPv6.
     */
    public static Ipv6AddressSet localIpv6(final RouterPort[] ports)
    {
        int count = 2;
        for (final RouterPort port : ports)
        {
            count += 2 * port.addresses().ipv6Count();
        }
        final Ipv6AddressSet set = new Ipv6AddressSet(count);
        for (final RouterPort port : ports)
        {
            for (int i = 0; i < port.addresses().ipv6Count(); i++)
            {
                set.add(port.addresses().ipv6Hi(i), port.addresses().ipv6Lo(i));
                set.add(NdFlyweight.SOLICITED_NODE_HI, NdFlyweight.solicitedNodeLo(port.addresses().ipv6Lo(i)));
            }
            if (port.hasIpv6())
            {
                set.add(NdFlyweight.ALL_NODES_HI, NdFlyweight.ALL_NODES_LO);
                set.add(NdFlyweight.ALL_NODES_HI, 2L); // ff02::2, all routers
            }
        }
        return set;
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

    /**
     * Control thread: the transit times recorded by all workers since the previous call (the first call: since
     * the start), merged into a new histogram; empty when latency is not recorded.
     */
    public Histogram latencyInterval()
    {
        final Histogram merged = new Histogram(3);
        for (final RouterWorker worker : workers)
        {
            final TransitLatency latency = worker.latency();
            if (latency != null)
            {
                merged.add(latency.interval());
            }
        }
        return merged;
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
