package io.flowgate.pipeline.router;

import io.flowgate.nativebindings.dpdk.Eal;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.conntrack.nat.NatStats;
import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.conntrack.nat.NatBinder;
import io.flowgate.conntrack.expect.ExpectTable;
import io.flowgate.pipeline.nat.Handoff;
import io.flowgate.pipeline.nat.helper.HelperHook;
import io.flowgate.pipeline.nat.NatConfig;
import io.flowgate.pipeline.nat.NatHook;
import io.flowgate.pipeline.nat.NatOwnership;
import io.flowgate.pipeline.nat.NatPolicy;
import io.flowgate.pipeline.nat.NatRewriter;
import io.flowgate.conntrack.CtEventRing;
import io.flowgate.conntrack.CtMailbox;
import io.flowgate.pipeline.conntrack.ConfirmHook;
import io.flowgate.pipeline.conntrack.ConntrackHook;
import io.flowgate.pipeline.conntrack.ConntrackService;
import io.flowgate.pipeline.conntrack.CtClock;
import io.flowgate.pipeline.offload.WorkerOffload;
import io.flowgate.pipeline.conntrack.HugePageTableMemory;
import io.flowgate.pipeline.defrag.Ipv4DefragHook;
import io.flowgate.pipeline.defrag.Ipv4Reassembler;
import io.flowgate.pipeline.dispatch.BurstRing;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.dispatch.SoftwareDispatcher;
import io.flowgate.pipeline.dispatch.TxBurst;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.rules.queue.PacketQueues;
import io.flowgate.pipeline.neigh.NdFlyweight;
import io.flowgate.pipeline.hook.HookPriority;
import io.flowgate.pipeline.host.HostStack;
import io.flowgate.pipeline.neigh.NeighbourParams;
import io.flowgate.pipeline.neigh.NeighbourTable;
import io.flowgate.pipeline.route.RouteTable;
import io.flowgate.pipeline.conntrack.CtAccess;
import io.flowgate.pipeline.rules.RuleEngine;
import io.flowgate.pipeline.rules.RuleWorker;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.RulesetException;
import io.flowgate.pmd.lcore.LcoreAgent;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.port.Port;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.HdrHistogram.Histogram;
import java.util.SplittableRandom;
import org.agrona.collections.IntHashSet;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;

/**
 * An IPv4 and IPv6 router on DPDK ports: one {@link RouterWorker} per CPU and one {@link SlowPath} thread,
 * whose packets worker 0 sends. Each worker defragments in PREROUTING ({@link Ipv4DefragHook} at
 * {@code CONNTRACK_DEFRAG}, its own {@link Ipv4Reassembler} with Linux's limits and {@link #REASSEMBLY_BUFFERS}
 * datagrams in flight). Two ways in:
 * <ul>
 * <li>rss dispatch: worker w polls receive queue w of every port and transmits on queue w;</li>
 * <li>software dispatch (single-queue ports: af_packet, af_xdp, tap): a {@link SoftwareDispatcher} on its own
 * CPU polls queue 0 of every port and deals packets to the workers' rings by a symmetric flow hash; it also
 * transmits on queue 0 what the workers hand back over one transmit ring each, unless every port has a
 * transmit queue per worker ({@link #workersTransmit}; docs/pipeline-dispatch.md).</li>
 * </ul>
 * <p>
 * Usage: open every port with {@code workers} receive and transmit queues (software dispatch: one receive
 * queue and {@link #softwareDispatchTxQueues} transmit queues), fill a {@link RouteTable} (connected and
 * static routes), then {@link #start}; {@link #close()} stops it. A port routes IPv6 when its
 * {@link RouterPort#addresses()} hold IPv6 addresses (give it its link-local one too,
 * {@code PortAddresses.addLinkLocal}); the box then listens to all-nodes, all-routers and the solicited-node
 * group of each of its addresses.
 * <p>
 * Thread-safety: start and close from one control thread; counters from any thread.
 * <p>
 * Shutdown: with software dispatch the dispatcher stops receiving first and the workers drain their rings;
 * workers stop (their last bursts are sent, handed over or freed), then the slow path frees what waits in
 * the rings and neighbour queues, then the dispatcher transmits what the workers handed back. The ports can
 * then be drained and closed.
 */
public final class Router implements AutoCloseable
{
    /** Datagrams each worker reassembles at once: 64 x 64 KiB, Linux's ipfrag_high_thresh of 4 MiB. */
    public static final int REASSEMBLY_BUFFERS = 64;
    /** Control-plane threads that may read a conntrack table at once (listing, events, statistics). */
    private static final int CONNTRACK_READERS = 4;
    /** Expectations (helpers' announced connections) and helped connections per worker. */
    private static final int EXPECTATIONS = 4096;
    private static final int HELPED_CONNECTIONS = 16384;
    /** Bursts one worker poll can take in (software dispatch: one per port from the ring); sizes conntrack's per-poll pending list. */
    private static final int MAX_BURSTS_PER_POLL = 8;

    private final List<RouterWorker> workers;
    private final List<Ipv4DefragHook> defrags = new ArrayList<>();
    private RuleEngine rules;
    private final List<Conntrack> conntracks = new ArrayList<>();
    /** Request slots per worker towards the offload agent (a burst of new connections beyond it waits for a later packet). */
    static final int OFFLOAD_REQUEST_SLOTS = 4096;
    private WorkerOffload[] offloads = new WorkerOffload[0];
    private ConntrackService conntrackService;
    private final List<NatStats> natStats = new ArrayList<>();
    private final List<Handoff> handoffs = new ArrayList<>();
    private PacketQueues queues;
    private final SlowPath slowPath;
    private final List<AgentRunner> workerRunners;
    private final AgentRunner slowPathRunner;
    private final NeighbourTable neighbours;
    private final Arena arena;
    private final SoftwareDispatcher dispatcher;
    private final AgentRunner dispatcherRunner;
    private final BurstRing<MbufBurst>[] inputRings;
    private final BurstRing<TxBurst>[] txRings;

    private Router(final List<RouterWorker> workers, final SlowPath slowPath, final List<AgentRunner> workerRunners,
                   final AgentRunner slowPathRunner, final NeighbourTable neighbours, final Arena arena,
                   final SoftwareDispatcher dispatcher, final AgentRunner dispatcherRunner, final BurstRing<MbufBurst>[] inputRings,
                   final BurstRing<TxBurst>[] txRings)
    {
        this.workers = workers;
        this.slowPath = slowPath;
        this.workerRunners = workerRunners;
        this.slowPathRunner = slowPathRunner;
        this.neighbours = neighbours;
        this.arena = arena;
        this.dispatcher = dispatcher;
        this.dispatcherRunner = dispatcherRunner;
        this.inputRings = inputRings;
        this.txRings = txRings;
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

    public static Router start(final Eal eal, final RouterPort[] ports, final RouteTable routes, final Mempool pool,
                               final int[] workerCpus, final int slowPathCpu, final int burstSize, final int ringSize,
                               final List<StaticNeighbour> staticNeighbours, final List<StaticNeighbour6> staticNeighbours6,
                               final Instruments instruments)
    {
        return start(eal, ports, routes, pool, workerCpus, -1, slowPathCpu, burstSize, ringSize, staticNeighbours, staticNeighbours6,
            instruments, null);
    }

    /**
     * {@code dispatcherCpu} >= 0: software dispatch, the dispatcher pinned to that CPU (ports opened with one
     * receive queue and {@link #softwareDispatchTxQueues} transmit queues); -1: rss dispatch. Instruments are
     * for rss dispatch only.
     */
    @SuppressWarnings("unchecked")
    public static Router start(final Eal eal, final RouterPort[] ports, final RouteTable routes, final Mempool pool,
                               final int[] workerCpus, final int dispatcherCpu, final int slowPathCpu, final int burstSize,
                               final int ringSize, final List<StaticNeighbour> staticNeighbours,
                               final List<StaticNeighbour6> staticNeighbours6, final Instruments instruments)
    {
        return start(eal, ports, routes, pool, workerCpus, dispatcherCpu, slowPathCpu, burstSize, ringSize, staticNeighbours, staticNeighbours6,
            instruments, null);
    }

    /**
     * As above, with connection tracking when {@code conntrack} is not null: each worker gets its own table
     * ({@link Conntrack}), conntrack at PREROUTING and confirmation at INPUT and POSTROUTING; the control
     * plane reaches the tables through {@link #conntrack()}.
     */
    public static Router start(final Eal eal, final RouterPort[] ports, final RouteTable routes, final Mempool pool,
                               final int[] workerCpus, final int dispatcherCpu, final int slowPathCpu, final int burstSize,
                               final int ringSize, final List<StaticNeighbour> staticNeighbours,
                               final List<StaticNeighbour6> staticNeighbours6, final Instruments instruments,
                               final ConntrackConfig conntrackConfig)
    {
        return start(eal, ports, routes, pool, workerCpus, dispatcherCpu, slowPathCpu, burstSize, ringSize, staticNeighbours,
            staticNeighbours6, instruments, conntrackConfig, null);
    }

    /**
     * As above, with NAT when {@code natConfig} is not null (it needs {@code conntrackConfig}): NAT at PREROUTING
     * (-100) and POSTROUTING (100) of every worker, each connection owned by one worker and misdirected packets
     * handed to it (docs/nat.md).
     */
    public static Router start(final Eal eal, final RouterPort[] ports, final RouteTable routes, final Mempool pool,
                               final int[] workerCpus, final int dispatcherCpu, final int slowPathCpu, final int burstSize,
                               final int ringSize, final List<StaticNeighbour> staticNeighbours,
                               final List<StaticNeighbour6> staticNeighbours6, final Instruments instruments,
                               final ConntrackConfig conntrackConfig, final NatConfig natConfig)
    {
        try
        {
            return start(eal, ports, routes, pool, workerCpus, dispatcherCpu, slowPathCpu, burstSize, ringSize, staticNeighbours,
                staticNeighbours6, instruments, conntrackConfig, natConfig, Ruleset.empty());
        }
        catch (final RulesetException e)
        {
            throw new IllegalStateException("the empty ruleset was refused", e);
        }
    }

    /**
     * As above, with the nftables {@code ruleset} loaded before the workers start (docs/rules.md): the rule engine's
     * hook handlers at the (hook, priority) of its filter and route base chains, its nat chains deciding NAT for a
     * connection's first packet (then {@code natConfig} must have no rules of its own). Reload through
     * {@link #rules()}. A ruleset that cannot be loaded is refused before anything starts.
     */
    public static Router start(final Eal eal, final RouterPort[] ports, final RouteTable routes, final Mempool pool,
                               final int[] workerCpus, final int dispatcherCpu, final int slowPathCpu, final int burstSize,
                               final int ringSize, final List<StaticNeighbour> staticNeighbours,
                               final List<StaticNeighbour6> staticNeighbours6, final Instruments instruments,
                               final ConntrackConfig conntrackConfig, final NatConfig natConfig, final Ruleset ruleset)
        throws RulesetException
    {
        return start(eal, ports, routes, pool, workerCpus, dispatcherCpu, slowPathCpu, burstSize, ringSize, staticNeighbours,
            staticNeighbours6, instruments, conntrackConfig, natConfig, ruleset, null);
    }

    /**
     * As above, with the host stack {@code host} (null: none) serving the box's own addresses: the slow path gives
     * it every packet for the box that it does not answer itself (all but ARP, neighbour discovery and echo), on
     * the slow-path thread, and sends what it writes through {@link io.flowgate.pipeline.host.HostOutput}
     * (docs/tcp-stack.md).
     */
    public static Router start(final Eal eal, final RouterPort[] ports, final RouteTable routes, final Mempool pool,
                               final int[] workerCpus, final int dispatcherCpu, final int slowPathCpu, final int burstSize,
                               final int ringSize, final List<StaticNeighbour> staticNeighbours,
                               final List<StaticNeighbour6> staticNeighbours6, final Instruments instruments,
                               final ConntrackConfig conntrackConfig, final NatConfig natConfig, final Ruleset ruleset,
                               final HostStack host)
        throws RulesetException
    {
        return start(eal, ports, routes, pool, workerCpus, dispatcherCpu, slowPathCpu, burstSize, ringSize, staticNeighbours,
            staticNeighbours6, instruments, conntrackConfig, natConfig, ruleset, host, 0);
    }

    /**
     * As above; with {@code offloadFlows} > 0 (and conntrack) every worker gets a {@link WorkerOffload} before it starts
     * (docs/xdp-fastpath.md): it offers its established forwarded connections to the XDP fast path, whose agent takes
     * {@link #offloads()}; its fold ring holds twice {@code offloadFlows}.
     */
    public static Router start(final Eal eal, final RouterPort[] ports, final RouteTable routes, final Mempool pool,
                               final int[] workerCpus, final int dispatcherCpu, final int slowPathCpu, final int burstSize,
                               final int ringSize, final List<StaticNeighbour> staticNeighbours,
                               final List<StaticNeighbour6> staticNeighbours6, final Instruments instruments,
                               final ConntrackConfig conntrackConfig, final NatConfig natConfig, final Ruleset ruleset,
                               final HostStack host, final int offloadFlows)
        throws RulesetException
    {
        final RuleEngine engine = ruleEngine(ports);
        engine.check(ruleset, workerCpus.length);
        if (RuleEngine.hasNatChains(ruleset) && natConfig != null && (!natConfig.rules().isEmpty() || !natConfig.mappings().isEmpty()))
        {
            throw new IllegalArgumentException("NAT rules in both the configuration (nat:) and the ruleset (nat chains): use one");
        }
        if (RuleEngine.needsConntrack(ruleset) && conntrackConfig == null)
        {
            throw new IllegalArgumentException("the ruleset's nat chains need connection tracking (a conntrack section)");
        }
        if (natConfig != null && conntrackConfig == null)
        {
            throw new IllegalArgumentException("NAT needs connection tracking (a conntrack section)");
        }
        final boolean software = dispatcherCpu >= 0;
        if (software && (instruments.latency() || instruments.rxPacketsPerSecond() > 0))
        {
            throw new IllegalArgumentException("latency and receive pacing are measured with rss dispatch only");
        }
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
        // With a host stack the slow-path rings carry TCP: a worker publishes each burst as it is (af_packet's are
        // often one or two packets), so slots run out long before packets do. ringSize slots then, as for the dispatch
        // rings (tcp-bulk with ringSize / burstSize slots: over 100k slow_path_full per 500 MB).
        final int slowBursts = host == null ? Math.max(2, ringSize / burstSize) : Math.max(2, ringSize);
        for (int w = 0; w < workerCpus.length; w++)
        {
            rings[w] = new BurstRing<>(slowBursts, () -> new SlowPathBurst(arena, burstSize));
        }
        final BurstRing<SlowPathBurst> txRing = new BurstRing<>(slowBursts, () -> new SlowPathBurst(arena, burstSize));
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
        // A dispatch ring has ringSize slots of one burst each: at low rates the dispatcher publishes small bursts
        // (it never waits to fill one), so slots, not packets, run out first (IT under iperf3, 2026-11-23: with
        // ringSize / burstSize slots, 434 of 450k packets found no empty burst while the worker shared its CPU).
        final int ringBursts = ringSize;
        final BurstRing<MbufBurst>[] inputRings = software ? new BurstRing[workerCpus.length] : null;
        final boolean workersTransmit = workersTransmit(ports, workerCpus.length);
        final BurstRing<TxBurst>[] txRings = software && !workersTransmit ? new BurstRing[workerCpus.length] : null;
        for (int w = 0; software && w < workerCpus.length; w++)
        {
            inputRings[w] = BurstRing.ofMbufBursts(arena, ringBursts, burstSize);
            if (txRings != null)
            {
                txRings[w] = new BurstRing<>(ringBursts, () -> new TxBurst(arena, burstSize));
            }
        }
        final List<RouterWorker> workers = new ArrayList<>();
        final List<Ipv4DefragHook> defrags = new ArrayList<>();
        final List<Conntrack> conntracks = new ArrayList<>();
        final List<CtEventRing> ctEvents = new ArrayList<>();
        final List<CtMailbox> ctMailboxes = new ArrayList<>();
        final CtClock ctClock = new CtClock();
        final HugePageTableMemory tableMemory = new HugePageTableMemory();
        final SplittableRandom seeds = new SplittableRandom();
        final List<AgentRunner> runners = new ArrayList<>();
        final List<ConntrackHook> tracks = new ArrayList<>();
        final List<HookChain> chains = new ArrayList<>();
        for (int w = 0; w < workerCpus.length; w++)
        {
            final HookChain chain = new HookChain(burstSize);
            final RouterWorker worker = new RouterWorker("router-" + w, w, ports, local, routes.ipv4(), routes.ipv6(), local6,
                routes.nextHops(), neighbours, chain, rings[w], w == 0 ? txRing : null, burstSize,
                software ? inputRings[w] : null, txRings != null ? txRings[w] : null);
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
            if (conntrackConfig != null)
            {
                final CtEventRing events = new CtEventRing(conntrackConfig.eventRingBytes());
                final CtMailbox mailbox = new CtMailbox();
                final Conntrack conntrack = new Conntrack(w, conntrackConfig, tableMemory, events, mailbox, burstSize * MAX_BURSTS_PER_POLL,
                    CONNTRACK_READERS + workerCpus.length, seeds.nextLong()); // other workers read it for NAT's ownership
                final ConntrackHook track = new ConntrackHook(conntrack, conntrackConfig.checksum(), ctClock, 0, burstSize);
                chain.register(Hook.PREROUTING, HookPriority.CONNTRACK, "nf_conntrack_in", track);
                tracks.add(track);
                chains.add(chain);
                if (workerCpus.length == 1)
                {
                    // The box's own packets (echo replies, ICMP errors) leave through worker 0: with one worker it
                    // owns every connection, so it tracks them at OUTPUT as Linux does. With several, a reply
                    // belongs to the worker that owns its connection; that hand-off comes with NAT.
                    chain.register(Hook.OUTPUT, HookPriority.CONNTRACK, "nf_conntrack_local", track);
                    worker.localOutput();
                }
                final ConfirmHook confirm = new ConfirmHook(conntrack);
                chain.register(Hook.INPUT, HookPriority.CONNTRACK_CONFIRM, "nf_confirm", confirm);
                chain.register(Hook.POSTROUTING, HookPriority.CONNTRACK_CONFIRM, "nf_confirm", confirm);
                worker.conntrack(conntrack, ctClock, confirm);
                conntracks.add(conntrack);
                ctEvents.add(events);
                ctMailboxes.add(mailbox);
            }
            final RuleWorker ruleWorker = engine.attach(chain);
            worker.rules(ruleWorker);
            if (conntrackConfig != null)
            {
                ruleWorker.conntrack(new CtAccess(conntracks.get(w).table()));
            }
            workers.add(worker);
        }
        final List<NatStats> natStats = new ArrayList<>();
        final List<Handoff> handoffs = new ArrayList<>();
        final NatConfig nat = natConfig == null && RuleEngine.hasNatChains(ruleset) ? new NatConfig(List.of(), List.of(), NatConfig.Filtering.ADDRESS_AND_PORT_DEPENDENT) : natConfig;
        if (nat != null)
        {
            wireNat(nat, ports, workers, chains, tracks, conntracks, natStats, handoffs, arena, ringBursts, burstSize, seeds, engine);
        }
        engine.load(ruleset); // checked above: the workers do not run yet, nothing to wait for
        final PacketQueues queues = new PacketQueues(workerCpus.length); // nft queue: listeners bind later (Router.queues)
        for (int w = 0; w < workerCpus.length; w++)
        {
            workers.get(w).queues(queues.worker(w));
        }
        final List<WorkerOffload> offloads = new ArrayList<>();
        if (offloadFlows > 0 && !conntracks.isEmpty())
        {
            final int foldSlots = Integer.highestOneBit(Math.max(1024, offloadFlows) - 1) << 2; // power of two >= 2 x flows
            for (int w = 0; w < workerCpus.length; w++)
            {
                final WorkerOffload offload = new WorkerOffload(arena, w, conntracks.get(w), ctClock, OFFLOAD_REQUEST_SLOTS, foldSlots);
                workers.get(w).offload(offload);
                offloads.add(offload);
            }
        }
        for (int w = 0; w < workerCpus.length; w++)
        {
            runners.add(LcoreAgent.start(eal, workerCpus[w], workers.get(w), new BusySpinIdleStrategy()));
        }
        if (host != null)
        {
            slowPath.attachHost(host, routes);
        }
        slowPath.announce(); // before its thread starts: this thread is the tx ring's producer until then
        // With a host stack the slow path carries TCP: parking at most 50 us (not Agrona's default 1 ms) keeps an idle
        // connection's first segment from waiting a millisecond, at the cost of more wake-ups when idle.
        final AgentRunner slowPathRunner = LcoreAgent.start(eal, slowPathCpu, slowPath,
            host == null ? new BackoffIdleStrategy() : new BackoffIdleStrategy(100, 10, 1_000, 50_000));
        SoftwareDispatcher dispatcher = null;
        AgentRunner dispatcherRunner = null;
        if (software)
        {
            final Port[] devices = new Port[ports.length];
            for (int i = 0; i < ports.length; i++)
            {
                devices[i] = ports[i].port();
            }
            dispatcher = new SoftwareDispatcher(devices, 0, inputRings, devices, txRings, burstSize);
            dispatcherRunner = LcoreAgent.start(eal, dispatcherCpu, dispatcher, new BusySpinIdleStrategy());
        }
        final Router router = new Router(workers, slowPath, runners, slowPathRunner, neighbours, arena, dispatcher, dispatcherRunner,
            inputRings, txRings);
        router.queues = queues;
        router.offloads = offloads.toArray(new WorkerOffload[0]);
        router.defrags.addAll(defrags);
        router.rules = engine;
        router.natStats.addAll(natStats);
        router.handoffs.addAll(handoffs);
        if (!conntracks.isEmpty())
        {
            router.conntracks.addAll(conntracks);
            router.conntrackService = new ConntrackService(conntracks, ctMailboxes, ctEvents, ctClock);
        }
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

    /**
     * Software dispatch: whether the workers transmit on their own queues, which needs ports opened with several
     * transmit queues, at least one per worker. Otherwise (single-queue devices: af_packet, af_xdp, tap) the
     * workers hand their packets back to the dispatcher, the one writer of each port's one transmit queue; a
     * single worker does too, so that af_packet runs the same path with one worker as with several.
     */
    public static boolean workersTransmit(final RouterPort[] ports, final int workers)
    {
        for (final RouterPort port : ports)
        {
            if (port.port().txQueues() < Math.max(2, workers))
            {
                return false;
            }
        }
        return true;
    }

    /** The transmit queues to open per port with software dispatch: see {@link #workersTransmit}. */
    public static int softwareDispatchTxQueues(final int[] maxTxQueues, final int workers)
    {
        for (final int max : maxTxQueues)
        {
            if (max < Math.max(2, workers))
            {
                return 1;
            }
        }
        return Math.max(2, workers);
    }

    /** Software dispatch with the workers handing their packets back to the dispatcher for transmission. */
    public boolean dispatcherTransmits()
    {
        return txRings != null;
    }

    /** The dispatcher with software dispatch, null with rss. */
    public SoftwareDispatcher dispatcher()
    {
        return dispatcher;
    }

    public RouterWorker worker(final int w)
    {
        return workers.get(w);
    }

    public int workerCount()
    {
        return workers.size();
    }

    /** Software dispatch: worker {@code w}'s input ring (the dispatcher produces, the worker consumes). */
    public BurstRing<MbufBurst> inputRing(final int w)
    {
        return inputRings[w];
    }

    /** Software dispatch: worker {@code w}'s transmit ring (the worker produces, the dispatcher consumes); null when workers transmit. */
    public BurstRing<TxBurst> txRing(final int w)
    {
        return txRings == null ? null : txRings[w];
    }

    /** Packets received from the ports: the workers' with rss, the dispatcher's with software dispatch. */
    public long received()
    {
        return dispatcher == null ? workerTotal(RouterWorker.RX) : dispatcher.counter(SoftwareDispatcher.RX);
    }

    /** Packets the ports took for transmission: the workers' or, when the dispatcher transmits, the dispatcher's. */
    public long transmitted()
    {
        return txRings == null ? workerTotal(RouterWorker.TX) : dispatcher.counter(SoftwareDispatcher.TX);
    }

    /** Packets freed because a transmit queue (or, with software dispatch, a transmit ring) had no room. */
    public long transmitFull()
    {
        return workerTotal(RouterWorker.TX_FULL) + (dispatcher == null ? 0 : dispatcher.counter(SoftwareDispatcher.TX_FULL));
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

    /** The connection trackers of the workers for the control plane, null when the router runs without conntrack. */
    /** The workers' offload sides, for the offload agent; empty without offload. */
    public WorkerOffload[] offloads()
    {
        return offloads.clone();
    }

    public ConntrackService conntrack()
    {
        return conntrackService;
    }

    /**
     * NAT on every worker: a binder on its table, NAT at PREROUTING and POSTROUTING, and, with several workers,
     * the ownership check in conntrack's hook and a hand-off ring for every pair of workers.
     */
    @SuppressWarnings("unchecked")
    private static void wireNat(final NatConfig config, final RouterPort[] ports, final List<RouterWorker> workers, final List<HookChain> chains,
                                final List<ConntrackHook> tracks, final List<Conntrack> conntracks,
                                final List<NatStats> natStats, final List<Handoff> handoffs, final Arena arena, final int ringBursts,
                                final int burstSize, final SplittableRandom seeds, final RuleEngine engine)
    {
        final int n = workers.size();
        final int[] portIds = new int[ports.length];
        final int[] portAddresses = new int[ports.length];
        for (int i = 0; i < ports.length; i++)
        {
            portIds[i] = ports[i].port().id();
            portAddresses[i] = ports[i].addresses().ipv4Count() > 0 ? ports[i].addresses().ipv4(0) : 0;
        }
        final NatPolicy policy = new NatPolicy(config, portIds, portAddresses);
        int maxId = 0;
        for (final int id : portIds)
        {
            maxId = Math.max(maxId, id);
        }
        final int[] addressById = new int[maxId + 1];
        for (int i = 0; i < ports.length; i++)
        {
            addressById[portIds[i]] = portAddresses[i];
        }
        engine.nat(policy, !config.rules().isEmpty() || !config.mappings().isEmpty(), addressById);
        final BurstRing<MbufBurst>[][] rings = new BurstRing[n][n];
        for (int from = 0; n > 1 && from < n; from++)
        {
            for (int to = 0; to < n; to++)
            {
                if (from != to)
                {
                    rings[from][to] = BurstRing.ofMbufBursts(arena, ringBursts, burstSize); // as the dispatch rings: slots run out before packets
                }
            }
        }
        for (int w = 0; w < n; w++)
        {
            final Conntrack conntrack = conntracks.get(w);
            final NatStats stats = new NatStats();
            final NatBinder binder = new NatBinder(conntrack, w, n, conntrack.table().capacity(), stats, seeds.nextLong());
            binder.uniqueMappings(config.filtering() == NatConfig.Filtering.ENDPOINT_INDEPENDENT);
            conntrack.binding(binder);
            final RouterWorker worker = workers.get(w);
            final HookChain chain = chains.get(w);
            final NatHook destination = new NatHook(NatRewriter.MANIP_DST, conntrack, binder, policy);
            chain.register(Hook.PREROUTING, HookPriority.NAT_DST, "nf_nat_prerouting", destination);
            final NatHook source = new NatHook(NatRewriter.MANIP_SRC, conntrack, binder, policy);
            chain.register(Hook.POSTROUTING, HookPriority.NAT_SRC, "nf_nat_postrouting", source);
            destination.rulesetNat(engine.workers().get(w));
            source.rulesetNat(engine.workers().get(w));
            natStats.add(stats);
            worker.natSource(source);
            if (config.hasHelpers())
            {
                final ExpectTable expect = new ExpectTable(conntrack.table(), EXPECTATIONS, HELPED_CONNECTIONS);
                conntrack.expectations(expect);
                destination.expectations(expect);
                source.expectations(expect);
                final HelperHook helpers = new HelperHook(conntrack, expect, w, n, ints(config.ftpPorts()), ints(config.tftpPorts()),
                    seeds.nextLong());
                chain.register(Hook.POSTROUTING, HookPriority.CONNTRACK_HELPER, "nf_conntrack_helper", helpers);
                chain.register(Hook.INPUT, HookPriority.CONNTRACK_HELPER, "nf_conntrack_helper", helpers);
                worker.helpers(helpers);
            }
            if (n > 1)
            {
                final ConntrackTable.Reader[] readers = new ConntrackTable.Reader[n];
                for (int o = 0; o < n; o++)
                {
                    if (o != w)
                    {
                        readers[o] = conntracks.get(o).table().reader();
                    }
                }
                final Handoff handoff = new Handoff(w, rings, stats);
                tracks.get(w).ownership(new NatOwnership(w, n, policy, readers), handoff);
                worker.handoff(handoff);
                handoffs.add(handoff);
            }
        }
    }

    private static int[] ints(final List<Integer> values)
    {
        final int[] out = new int[values.size()];
        for (int i = 0; i < out.length; i++)
        {
            out[i] = values.get(i);
        }
        return out;
    }

    /** NAT counters summed over the workers (read while they run: a little stale); null without NAT. */
    public NatStats natStats()
    {
        if (natStats.isEmpty())
        {
            return null;
        }
        final NatStats total = new NatStats();
        for (final NatStats worker : natStats)
        {
            total.add(worker);
        }
        return total;
    }

    /** Each worker's NAT counters (copies, a little stale), in worker order; empty without NAT. */
    public List<NatStats> natStatsPerWorker()
    {
        final List<NatStats> copies = new ArrayList<>();
        for (final NatStats worker : natStats)
        {
            final NatStats copy = new NatStats();
            copy.add(worker);
            copies.add(copy);
        }
        return copies;
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

    /** The rule engine: {@code load} a new ruleset, {@code list} the running one with its counters, statistics. */
    public RuleEngine rules()
    {
        return rules;
    }

    /** The rule engine for {@code ports}: their names and IPv4 addresses by port id. */
    static RuleEngine ruleEngine(final RouterPort[] ports)
    {
        int maxId = -1;
        for (final RouterPort port : ports)
        {
            maxId = Math.max(maxId, port.port().id());
        }
        final List<String> names = new ArrayList<>();
        final boolean[] hasIpv4 = new boolean[maxId + 1];
        for (int id = 0; id <= maxId; id++)
        {
            names.add(null);
        }
        for (final RouterPort port : ports)
        {
            names.set(port.port().id(), port.port().name());
            hasIpv4[port.port().id()] = port.addresses().ipv4Count() > 0;
        }
        return new RuleEngine(names, hasIpv4);
    }

    public int neighbours()
    {
        return neighbours.size();
    }

    /** nft {@code queue}: bind a {@code PacketQueueHandler} to a queue number here ({@link PacketQueues#listen}). */
    public PacketQueues queues()
    {
        return queues;
    }

    @Override
    public void close()
    {
        if (dispatcher != null)
        {
            // Receiving stops first, then the workers take what the rings still hold (bounded waits: a thread
            // that does not answer leaves its ring to the loop at the end).
            dispatcher.stopReceiving();
            awaitQuiet(dispatcher::receiveStopped);
            for (final BurstRing<MbufBurst> ring : inputRings)
            {
                awaitQuiet(ring::isEmpty);
            }
        }
        for (final AgentRunner runner : workerRunners)
        {
            runner.close();
        }
        slowPathRunner.close();
        queues.close(); // every worker has stopped: the queue threads end, what they still held is freed
        for (final Handoff handoff : handoffs)
        {
            handoff.drain(); // every worker has stopped: what one handed to another and nobody took
        }
        for (final Ipv4DefragHook defrag : defrags)
        {
            defrag.close();
        }
        if (conntrackService != null)
        {
            conntrackService.close();
        }
        for (final Conntrack conntrack : conntracks)
        {
            conntrack.table().close();
        }
        if (dispatcherRunner != null)
        {
            dispatcherRunner.close(); // its onClose transmits what the workers handed back
            for (final BurstRing<MbufBurst> ring : inputRings)
            {
                // Only when a worker stopped early: every thread has ended, this thread is the consumer now.
                MbufBurst b;
                while ((b = ring.poll()) != null)
                {
                    b.free();
                    ring.release(b);
                }
            }
        }
        neighbours.close();
        if (rules != null)
        {
            rules.close();
        }
        arena.close();
    }

    private static void awaitQuiet(final BooleanSupplier done)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (!done.getAsBoolean() && System.nanoTime() < deadlineNs)
        {
            Thread.onSpinWait();
        }
    }
}
