package io.flowgate.pipeline.router;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.EthDev;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.burst.ParseStage;
import io.flowgate.pipeline.defrag.Ipv4DefragHook;
import io.flowgate.pipeline.dispatch.BurstRing;
import io.flowgate.pipeline.dispatch.SymmetricFlowHash;
import io.flowgate.pipeline.dispatch.TxBurst;
import io.flowgate.pipeline.hook.Counters;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.conntrack.Conntrack;
import io.flowgate.pipeline.conntrack.CtClock;
import io.flowgate.pipeline.offload.WorkerOffload;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.rules.RuleWorker;
import io.flowgate.pipeline.hook.HookHandler;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pipeline.nat.Handoff;
import io.flowgate.pipeline.nat.NatHook;
import io.flowgate.pipeline.nat.helper.HelperHook;
import io.flowgate.pipeline.ip.IpDropReason;
import io.flowgate.pipeline.ip.IpForward;
import io.flowgate.pipeline.ip.Ipv4Input;
import io.flowgate.pipeline.ip.Ipv6Input;
import io.flowgate.pipeline.neigh.NeighbourTable;
import io.flowgate.pipeline.neigh.PortAddresses;
import io.flowgate.pipeline.route.Ipv4Lpm;
import io.flowgate.pipeline.route.Ipv6Lpm;
import io.flowgate.pipeline.route.NextHopTable;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.IcmpFlyweight;
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.header.Ipv6Flyweight;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.port.Port;
import java.lang.foreign.Arena;
import org.agrona.collections.IntHashSet;
import org.agrona.concurrent.Agent;
import io.flowgate.pipeline.hook.HookRegistration;
import io.flowgate.pipeline.rules.queue.Reinjector;
import io.flowgate.pipeline.rules.queue.WorkerQueue;

/**
 * One routing worker. Its input is chosen at construction: with rss dispatch it polls its own receive queue
 * of every port and transmits on its own transmit queue; with software dispatch it takes bursts from its
 * ring ({@code input}, filled by a {@code SoftwareDispatcher}) and either hands what it would transmit back
 * to the dispatcher ({@code output}; single-queue devices, where the dispatcher owns the one transmit queue)
 * or transmits on its own queue (ports with a transmit queue per worker). Either way it runs each burst to
 * completion, stage by stage over the whole burst, with the same code:
 * <pre>
 *   parse -> [ARP/ND -> slow path] -> IPv4 input -> PREROUTING -> local? -> INPUT -> slow path
 *                                                              -> route (LPM, ECMP) -> FORWARD -> TTL -> MTU
 *                                                              -> POSTROUTING -> neighbour -> L2 rewrite -> tx
 * </pre>
 * What it cannot finish (no route, TTL exceeded, fragmentation, unknown next-hop MAC, packets for the box,
 * ARP) goes to the slow path over an SPSC ring with the reason; a full ring drops and counts, never waits.
 * Worker 0 also transmits what the slow path sends, taken from a second ring.
 * <p>
 * IPv6 packets on ports that have IPv6 addresses take their own stages, run only when a burst holds any
 * (the IPv4 stages see them parked, and they see the finished IPv4 packets parked):
 * <pre>
 *   IPv6 input -> PREROUTING -> local? (own address, all-nodes, all-routers, solicited-node, any ND) -> INPUT
 *   -> slow path;  else link-local source -> slow path (beyond scope);  route (LPM, ECMP) -> FORWARD
 *   -> hop limit (<= 1: slow path, time exceeded) -> MTU (too big: slow path, packet too big; never fragmented)
 *   -> hop limit - 1 -> POSTROUTING -> neighbour (miss: slow path, ND) -> L2 rewrite -> tx
 * </pre>
 * IPv6 packets arriving on a port without IPv6 addresses are counted ({@link #NOT_ROUTED_IPV6}) and dropped,
 * as Linux does on an interface with IPv6 disabled.
 * <p>
 * Rules: a packet a hook dropped with {@code burst.reject[i]} set goes to the slow path ({@code SlowPathBurst.REJECT}),
 * which sends the ICMP/ICMPv6 error or TCP reset and frees it. A packet a hook queued (nft {@code queue}) leaves the
 * burst for its {@code WorkerQueue}; each duty cycle applies the verdicts given since ({@link #queues}): ACCEPTed
 * packets go through the stages again as a burst of their own, resuming after the registration that queued them.
 * <p>
 * Thread-safety: one thread. Reads the LPM, next-hop and neighbour tables lock-free (their writers publish
 * with release stores); writes only its own bursts, counters and transmit queues ({@code queue} of every port;
 * none when it hands back). It is the single consumer of {@code input} and single producer of {@code output}.
 * <p>
 * Counters with software dispatch: {@link #RX} counts packets taken from the ring, {@link #TX} packets handed
 * to the dispatcher, {@link #TX_FULL} packets freed because the transmit ring had no room.
 */
public final class RouterWorker implements Agent, Reinjector
{
    public static final int RX = 0;
    public static final int TX = 1;
    public static final int TX_FULL = 2;
    public static final int DROPPED = 3;
    public static final int TO_SLOW_PATH = 4;
    public static final int SLOW_PATH_FULL = 5;
    public static final int NOT_ROUTED_IPV6 = 6;
    public static final int OTHER_ETHERTYPE = 7;
    /** IPv6 packets received on ports that route IPv6. */
    public static final int IPV6_RX = 8;
    /** IPv6 multicast for a group the box does not listen to (MLD reports, mDNS, ...): dropped, as by a host. */
    public static final int IPV6_MULTICAST_DROPPED = 9;
    /** IPv6 to a link-local address that is not the box's: never forwarded (RFC 4291 2.5.6). */
    public static final int IPV6_NOT_FORWARDABLE = 10;
    public static final int COUNTERS = 11;

    /** A verdict value no handler returns: keeps a packet out of one hook's run (HookChain only visits ACCEPT). */
    private static final int PARKED = 0x4000_0000;
    /** Keeps the IPv6 packets out of the IPv4 stages, and the finished IPv4 packets out of the IPv6 stages. */
    private static final int PARKED_IPV6 = 0x4100_0000;
    private static final int PARKED_IPV4 = 0x4200_0000;
    private static final int MAX_PORTS = EthDev.MAX_ETHPORTS;
    private static final int FEW_LOCAL_ADDRESSES = 8;
    /** {@link #doWork} modes: resolved at construction and by {@link #instrument}, one branch per call. */
    private static final int MODE_RSS = 0;
    private static final int MODE_INSTRUMENTED = 1;
    private static final int MODE_RING = 2;
    /** As the input port of {@link #process}: each packet's own, from its mbuf. */
    private static final int FROM_MBUF = -1;
    /**
     * Bursts taken from the other workers per poll: enough that a worker descheduled for a while (a shared CPU)
     * catches up instead of letting the rings fill (seen 2026-11-23 in a hand-run iperf3 test, two workers on two CPUs with
     * the slow path: with 2 per poll and 32-burst rings, 30% of handed-off packets found no room).
     */
    private static final int MAX_HANDED_IN_BURSTS = 16;

    private final String roleName;
    private final int queue;
    private final Port[] rxPorts;
    private final int[] rxPortIds;
    private final Port[] txPortById = new Port[MAX_PORTS];
    private final long[] macById = new long[MAX_PORTS];
    private final int[] mtuById = new int[MAX_PORTS];
    private final MbufBurst[] txStageById = new MbufBurst[MAX_PORTS];
    private final int[] txPortIds;
    private final IntHashSet localAddresses;
    /** The local addresses when there are few (the usual case): a scan of this beats a hash probe. */
    private final int[] fewLocalAddresses;
    /** Bit {@code a & 63} set for every local address {@code a}: a clear bit rules an address out at once. */
    private final long localFilter;
    private final Ipv4Lpm lpm;
    private final NextHopTable nextHops;
    private final NeighbourTable neighbours;
    private final HookChain hooks;
    private RuleWorker rules;
    private final BurstRing<SlowPathBurst> slowRing;
    private final BurstRing<SlowPathBurst> fromSlowPath;
    private final Ipv4Input ipv4Input = new Ipv4Input();
    private final IpForward ipForward = new IpForward();
    private final Counters counters = new Counters(COUNTERS);
    private final Arena arena = Arena.ofShared();
    private final PacketBurst burst;
    private final MbufBurst toFree;
    private final int[] dst;
    private final int[] route;
    private final int[] gateway;
    private final boolean[] local;
    private final BurstRing<MbufBurst> input;
    private final BurstRing<TxBurst> output;
    private final int maxInputBursts;
    private int mode;
    private SlowPathBurst slow;
    /** nft {@code queue}: this worker's queues, or null. */
    private WorkerQueue queues;
    /** While a burst of reinjected packets goes through the stages: the registration they continue after. */
    private HookRegistration resumeAfter;
    /** Packets given ACCEPT by a queue, gathered for one pass ({@link #flushReinjected}). */
    private final long[] reinjectMbuf;
    private final int[] reinjectMark;
    private int reinjectCount;
    private HookRegistration reinjectAfter;
    private TxBurst txOut;
    private TransitLatency latency;
    private RxPacer pacer;
    /** nf_defrag_ipv4 of this worker, registered on its PREROUTING; null when defragmentation is off. */
    private Ipv4DefragHook defrag;
    private Conntrack conntrack;
    private Handoff handoff;
    private NatHook natSource;
    private HelperHook helpers;
    private CtClock ctClock;
    /** The offload of established flows to the XDP fast path; null when there is none (nothing costs but this test). */
    private WorkerOffload offload;
    private HookHandler ctConfirm;
    /** The box's own packets on their way through OUTPUT and POSTROUTING (null while OUTPUT has no handler: they go straight out). */
    private PacketBurst localOut;
    private int[] localPort;
    /** Polls until the next read of the wall clock for new entries' start time. */
    private int wallClockCountdown;
    /** {@link #resolve}'s cache, for one burst: the last route id that is a single next hop, and that hop's fields. */
    private int cachedRoute = -1;
    private int cachedHop;
    private int cachedOut;
    private int cachedVia;
    /** {@link #resolveHop}'s answer besides the hop: its port and gateway. */
    private int hopOut;
    private int hopVia;
    /** IPv4 fragments (MF or an offset) in the current burst, counted by the input pass. */
    private int fragments;

    // IPv6: the burst positions of the IPv6 packets (in classify's order) and, indexed like that list, what
    // their stages computed.
    private final Ipv6Lpm lpm6;
    private final Ipv6AddressSet localAddresses6;
    private final boolean[] ipv6ById = new boolean[MAX_PORTS];
    private final Ipv6Input ipv6Input = new Ipv6Input();
    private final int[] ipv6Index;
    private final long[] dstHi;
    private final long[] dstLo;
    private final int[] route6;
    private final long[] gatewayHi;
    private final long[] gatewayLo;
    private int ipv6Count;

    /** An IPv4-only worker: IPv6 packets are counted ({@link #NOT_ROUTED_IPV6}) and dropped. */
    public RouterWorker(final String roleName, final int queue, final RouterPort[] ports, final IntHashSet localAddresses,
                        final Ipv4Lpm lpm, final NextHopTable nextHops, final NeighbourTable neighbours, final HookChain hooks,
                        final BurstRing<SlowPathBurst> slowRing, final BurstRing<SlowPathBurst> fromSlowPath, final int burstSize)
    {
        this(roleName, queue, ports, localAddresses, lpm, null, null, nextHops, neighbours, hooks, slowRing, fromSlowPath, burstSize,
            null, null);
    }

    /**
     * A dual-stack worker when {@code lpm6} is given: IPv6 is routed between the ports that have IPv6 addresses.
     * {@code localAddresses6} holds the box's IPv6 addresses and the multicast groups it listens to (all-nodes,
     * all-routers, the solicited-node group of each address). Rss dispatch.
     */
    public RouterWorker(final String roleName, final int queue, final RouterPort[] ports, final IntHashSet localAddresses,
                        final Ipv4Lpm lpm, final Ipv6Lpm lpm6, final Ipv6AddressSet localAddresses6, final NextHopTable nextHops,
                        final NeighbourTable neighbours, final HookChain hooks, final BurstRing<SlowPathBurst> slowRing,
                        final BurstRing<SlowPathBurst> fromSlowPath, final int burstSize)
    {
        this(roleName, queue, ports, localAddresses, lpm, lpm6, localAddresses6, nextHops, neighbours, hooks, slowRing, fromSlowPath,
            burstSize, null, null);
    }

    /**
     * The dual-stack worker (IPv4 only when {@code lpm6} is null) with its input: with {@code input} (software
     * dispatch), bursts of at most {@code burstSize} packets come from {@code input} instead of the ports'
     * queues; with {@code output} too, what the worker would transmit goes to {@code output} tagged with its
     * port (the dispatcher transmits it), without, the worker transmits on its own {@code queue} (ports with
     * a transmit queue per worker). Both null: rss dispatch.
     */
    public RouterWorker(final String roleName, final int queue, final RouterPort[] ports, final IntHashSet localAddresses,
                        final Ipv4Lpm lpm, final Ipv6Lpm lpm6, final Ipv6AddressSet localAddresses6, final NextHopTable nextHops,
                        final NeighbourTable neighbours, final HookChain hooks, final BurstRing<SlowPathBurst> slowRing,
                        final BurstRing<SlowPathBurst> fromSlowPath, final int burstSize, final BurstRing<MbufBurst> input,
                        final BurstRing<TxBurst> output)
    {
        if (input == null && output != null)
        {
            throw new IllegalArgumentException("an output ring is for software dispatch (with an input ring)");
        }
        this.input = input;
        this.output = output;
        this.mode = input == null ? MODE_RSS : MODE_RING;
        // The transmit stages hold burstSize * ports packets: at most that many arrive per doWork.
        this.maxInputBursts = ports.length;
        this.roleName = roleName;
        this.queue = queue;
        this.rxPorts = new Port[ports.length];
        this.rxPortIds = new int[ports.length];
        this.txPortIds = new int[ports.length];
        for (int i = 0; i < ports.length; i++)
        {
            final RouterPort p = ports[i];
            rxPorts[i] = p.port();
            rxPortIds[i] = p.id();
            txPortIds[i] = p.id();
            txPortById[p.id()] = p.port();
            macById[p.id()] = p.mac();
            mtuById[p.id()] = p.mtu();
            txStageById[p.id()] = new MbufBurst(arena, burstSize * ports.length);
        }
        this.localAddresses = localAddresses;
        this.fewLocalAddresses = fewOf(localAddresses);
        this.localFilter = filterOf(localAddresses);
        this.lpm = lpm;
        this.nextHops = nextHops;
        this.neighbours = neighbours;
        this.hooks = hooks;
        this.slowRing = slowRing;
        this.fromSlowPath = fromSlowPath;
        this.reinjectMbuf = new long[burstSize];
        this.reinjectMark = new int[burstSize];
        this.burst = new PacketBurst(arena, burstSize);
        this.toFree = new MbufBurst(arena, burstSize);
        this.dst = new int[burstSize];
        this.route = new int[burstSize];
        this.gateway = new int[burstSize];
        this.local = new boolean[burstSize];
        this.lpm6 = lpm6;
        this.localAddresses6 = lpm6 == null ? new Ipv6AddressSet(1) : localAddresses6;
        for (final RouterPort p : ports)
        {
            ipv6ById[p.id()] = lpm6 != null && p.hasIpv6();
        }
        this.ipv6Index = new int[burstSize];
        this.dstHi = new long[burstSize];
        this.dstLo = new long[burstSize];
        this.route6 = new int[burstSize];
        this.gatewayHi = new long[burstSize];
        this.gatewayLo = new long[burstSize];
    }

    /** Any thread: a counter of the IPv6 input stage ({@link Ipv6Input}'s constants). */
    public long ipv6InputCounter(final int counter)
    {
        return ipv6Input.counter(counter);
    }

    /**
     * Before start: this worker's defragmentation, which the caller also registers on the worker's PREROUTING
     * (at {@code HookPriority.CONNTRACK_DEFRAG}). The worker then sweeps its timeouts and sends each datagram
     * it reassembled to the slow path to be refragmented on output, as Linux does with a defragmented skb.
     */
    public void defrag(final Ipv4DefragHook defrag)
    {
        this.defrag = defrag;
    }

    /**
     * Gives the worker its connection tracker: it runs the tracker's housekeeping once per poll, and takes the
     * fused forwarding pass when {@code confirm} is the only handler after routing and the burst created no
     * entry (confirmation then has nothing to do).
     */
    public void conntrack(final Conntrack conntrack, final CtClock clock, final HookHandler confirm)
    {
        this.conntrack = conntrack;
        this.ctClock = clock;
        this.ctConfirm = confirm;
    }

    public Conntrack conntrack()
    {
        return conntrack;
    }

    /**
     * Before start, after {@link #conntrack}: this worker offers its established forwarded connections to the XDP fast
     * path through {@code offload} (built over this worker's conntrack), and applies the agent's folds in housekeeping.
     */
    public void offload(final WorkerOffload offload)
    {
        this.offload = offload;
        if (offload != null && rules != null)
        {
            offload.rules(rules); // its folds add the fast path's packets to the rule counters
        }
    }

    public WorkerOffload offload()
    {
        return offload;
    }

    /**
     * Worker 0 (which transmits what the slow path sends): the box's own packets take OUTPUT and POSTROUTING
     * from now on. Called before the worker starts.
     */
    public void localOutput()
    {
        this.localOut = new PacketBurst(arena, burst.capacity);
        this.localPort = new int[burst.capacity];
    }

    /** Any thread: a counter named by the constants of this class. */
    public long counter(final int counter)
    {
        return counters.get(counter);
    }

    /**
     * Before the worker starts: record every forwarded packet's transit time (receive burst to transmit) into
     * {@code latency}, and take at most {@code rxPacketsPerSecond} from the receive queues (0: no limit).
     */
    public void instrument(final TransitLatency latency, final long rxPacketsPerSecond)
    {
        if (input != null)
        {
            throw new IllegalStateException("instruments are for rss dispatch only");
        }
        this.latency = latency;
        this.pacer = rxPacketsPerSecond > 0 ? new RxPacer(rxPacketsPerSecond, burst.capacity * rxPorts.length) : null;
        this.mode = latency != null || pacer != null ? MODE_INSTRUMENTED : MODE_RSS;
    }

    /** The transit-time recorder given to {@link #instrument}, or null. */
    public TransitLatency latency()
    {
        return latency;
    }

    /** The rule engine on this worker (the engine attaches it before the worker starts); null without one. */
    public void rules(final RuleWorker rules)
    {
        this.rules = rules;
        if (offload != null && rules != null)
        {
            offload.rules(rules); // its folds add the fast path's packets to the rule counters
        }
    }

    @Override
    public int doWork()
    {
        final RuleWorker rules = this.rules;
        if (rules != null)
        {
            rules.enterBurst(); // an idle worker passes the rule engine's epoch here
        }
        if (mode != MODE_RSS)
        {
            return mode == MODE_RING ? doWorkFromRing() : doWorkInstrumented();
        }
        int work = 0;
        for (int p = 0; p < rxPorts.length; p++)
        {
            final int n = burst.mbufs.receive(rxPorts[p], queue);
            if (n > 0)
            {
                burst.count(n);
                counters.add(RX, n);
                process(burst, rxPortIds[p]);
                work += n;
            }
        }
        return finish(work);
    }

    /** {@link #doWork} with software dispatch: up to one burst per port from the ring, then the same stages. */
    private int doWorkFromRing()
    {
        final BurstRing<MbufBurst> input = this.input;
        final PacketBurst b = this.burst;
        int work = 0;
        for (int k = 0; k < maxInputBursts; k++)
        {
            final MbufBurst in = input.poll();
            if (in == null)
            {
                break;
            }
            final int n = in.count();
            final long from = in.address();
            final long to = b.mbufs.address();
            for (int i = 0; i < n; i++)
            {
                Memory.putLong(to + 8L * i, Memory.getLong(from + 8L * i));
            }
            in.count(0);
            input.release(in); // its mbufs are this worker's now (copied into the burst)
            b.count(n);
            counters.add(RX, n);
            process(b, FROM_MBUF); // packets of several ports: the dispatcher wrote each one's into its mbuf
            work += n;
        }
        return finish(work);
    }

    private int finish(final int received)
    {
        int work = received;
        if (handoff != null)
        {
            work += takeHandedOff();
            handoff.flush();
        }
        if (fromSlowPath != null)
        {
            work += takeFromSlowPath();
        }
        if (queues != null)
        {
            work += queues.drain(this);
        }
        if (work > 0)
        {
            transmitAll();
        }
        if (defrag != null)
        {
            work += defrag.sweep();
        }
        if (conntrack != null)
        {
            work += conntrackHousekeeping();
        }
        publishSlowPath();
        return work;
    }

    /**
     * nft {@code queue}: this worker's queues (see {@code PacketQueues}). Queued packets leave the burst; the verdicts
     * given later are applied in the duty cycle, and ACCEPTed packets go on from the registration that queued them.
     * Only PREROUTING before defragmentation is supported ({@code PacketQueues.supported}): a reinjected packet takes
     * the rest of that hook and then every stage, as a received one does.
     */
    public void queues(final WorkerQueue queues)
    {
        this.queues = queues;
        hooks.queueHandler(queues);
    }

    private void runPrerouting(final PacketBurst b)
    {
        final HookRegistration resume = resumeAfter;
        if (resume == null)
        {
            hooks.run(Hook.PREROUTING, b);
        }
        else
        {
            hooks.runAfter(Hook.PREROUTING, resume, b);
        }
    }

    @Override
    public void reinject(final long mbuf, final Hook hook, final HookRegistration after, final int inPort, final int mark)
    {
        if (hook != Hook.PREROUTING)
        {
            free(mbuf); // PacketQueues.supported refuses queues elsewhere: not reachable
            return;
        }
        if (reinjectCount == reinjectMbuf.length || (reinjectCount > 0 && after != reinjectAfter))
        {
            flushReinjected();
        }
        Mbuf.port(mbuf, inPort); // the stages read the receiving port from the mbuf (not every driver writes it)
        reinjectMbuf[reinjectCount] = mbuf;
        reinjectMark[reinjectCount] = mark;
        reinjectAfter = after;
        reinjectCount++;
    }

    @Override
    public void flushReinjected()
    {
        final int n = reinjectCount;
        if (n == 0)
        {
            return;
        }
        // NOTE: the transmit stages hold one burst per port; the bursts received in this cycle may have filled them.
        transmitAll();
        final PacketBurst b = this.burst;
        for (int i = 0; i < n; i++)
        {
            b.mbufs.mbuf(i, reinjectMbuf[i]);
        }
        b.count(n); // not counted as RX again
        resumeAfter = reinjectAfter;
        process(b, FROM_MBUF);
        resumeAfter = null;
        reinjectAfter = null;
        reinjectCount = 0;
    }

    /** NAT with several workers: packets whose connection this worker owns, handed over by the others. */
    public void handoff(final Handoff handoff)
    {
        this.handoff = handoff;
    }

    /** Up to {@code maxInputBursts} bursts from the other workers, through the same stages (never handed on again). */
    private int takeHandedOff()
    {
        final Handoff handoff = this.handoff;
        final PacketBurst b = this.burst;
        int work = 0;
        for (int k = 0; k < MAX_HANDED_IN_BURSTS; k++)
        {
            final MbufBurst in = handoff.poll();
            if (in == null)
            {
                break;
            }
            final int n = in.count();
            final long from = in.address();
            final long to = b.mbufs.address();
            for (int i = 0; i < n; i++)
            {
                Memory.putLong(to + 8L * i, Memory.getLong(from + 8L * i));
            }
            handoff.release(in); // its mbufs are this worker's now (copied into the burst)
            // NOTE: the transmit stages hold one burst per port; this poll's received bursts may have filled them.
            transmitAll();
            b.count(n); // not counted as RX again: the worker that received them did
            b.handedIn = true;
            process(b, FROM_MBUF); // the receiving port is in each mbuf
            b.handedIn = false;
            work += n;
        }
        return work;
    }

    /** Whether no hook after routing has anything to do for this burst: none registered, or only conntrack's confirmation with no new entry to confirm. */
    private boolean nothingAfterRouting()
    {
        if (hooks.isEmpty(Hook.INPUT) && hooks.isEmpty(Hook.FORWARD) && hooks.isEmpty(Hook.POSTROUTING))
        {
            return true;
        }
        final HookHandler confirm = ctConfirm;
        if (confirm == null || conntrack.pendingCount() != 0 || !hooks.isEmpty(Hook.FORWARD))
        {
            return false;
        }
        if (helpers != null)
        {
            // Local packets skip INPUT on the fused pass: fine for the helpers, which only follow forwarded control connections here.
            return hooks.isOnly(Hook.INPUT, helpers, confirm) && hooks.isOnly(Hook.POSTROUTING, natSource, helpers, confirm);
        }
        return hooks.isOnly(Hook.INPUT, confirm)
            && (hooks.isOnly(Hook.POSTROUTING, confirm) || (natSource != null && hooks.isOnly(Hook.POSTROUTING, natSource, confirm)));
    }

    /**
     * NAT's source manip at POSTROUTING: named so that the fused forwarding pass may apply it itself to bursts
     * that created no entry (every translation then is already decided).
     */
    public void natSource(final NatHook natSource)
    {
        this.natSource = natSource;
    }

    /** The helpers' hook (POSTROUTING and INPUT, after NAT): the fused pass runs it after NAT's source manip. */
    public void helpers(final HelperHook helpers)
    {
        this.helpers = helpers;
    }

    private int conntrackHousekeeping()
    {
        final Conntrack ct = conntrack;
        ct.endBurst();
        if (--wallClockCountdown <= 0)
        {
            wallClockCountdown = 1024;
            ct.unixSeconds(System.currentTimeMillis() / 1000);
        }
        final WorkerOffload o = offload;
        return ct.poll(ctClock.nowMs()) + (o == null ? 0 : o.poll());
    }

    /** {@link #doWork} with a receive pacer and/or transit-time recording (benchmarks; a separate method keeps the plain loop lean). */
    private int doWorkInstrumented()
    {
        final TransitLatency latency = this.latency;
        int allowance = pacer == null ? Integer.MAX_VALUE : pacer.allowance();
        int work = 0;
        for (int p = 0; p < rxPorts.length; p++)
        {
            if (allowance == 0)
            {
                break;
            }
            final int n = burst.mbufs.receive(rxPorts[p], queue, allowance);
            if (n > 0)
            {
                if (pacer != null)
                {
                    pacer.consume(n);
                    allowance -= n;
                }
                burst.count(n);
                counters.add(RX, n);
                if (latency == null)
                {
                    process(burst, rxPortIds[p]);
                }
                else
                {
                    final long receivedNs = latency.received();
                    final int before = staged();
                    process(burst, rxPortIds[p]);
                    latency.staged(receivedNs, staged() - before);
                }
                work += n;
            }
        }
        final int done = finish(work);
        if (latency != null)
        {
            latency.transmitted();
        }
        return done;
    }

    private int staged()
    {
        int n = 0;
        for (final int id : txPortIds)
        {
            n += txStageById[id].count();
        }
        return n;
    }

    private void process(final PacketBurst b, final int inPort)
    {
        final RuleWorker rules = this.rules;
        if (rules != null)
        {
            rules.enterBurst(); // a burst sees one ruleset at every hook
        }
        final int n = b.count();
        ingest(b, n, inPort);
        final HookRegistration resume = resumeAfter;
        if (resume != null)
        {
            System.arraycopy(reinjectMark, 0, b.mark, 0, n); // parsing cleared them
        }
        if (!hooks.isEmpty(Hook.PREROUTING) && (resume != null || !onlyDefragWithNothingToDo()))
        {
            runPrerouting(b);
            for (int i = 0; i < n; i++)
            {
                destination(b, i); // a handler may have changed it (DNAT)
            }
        }
        lookupStage(b, n);
        if (nothingAfterRouting() && (defrag == null || defrag.marks() == 0)) // a reassembled datagram takes the stages (refragmentation)
        {
            forwardFused(b, n); // the IPv6 packets, set aside, pass through it untouched
            if (ipv6Count > 0)
            {
                process6(b, n);
                for (int k = 0; k < ipv6Count; k++)
                {
                    tailOne(b, ipv6Index[k]);
                }
                if (toFree.count() > 0)
                {
                    toFree.free();
                }
            }
            return;
        }
        resolveStage(b, n);
        hookOn(Hook.INPUT, b, n, true);
        deliverLocal(b, n);
        // From here on every ACCEPTed packet is being forwarded. The TTL is checked and decremented before FORWARD, as
        // ip_forward does: a packet that expires here never reaches the forward chain's rules (their counters read
        // as Linux's), and the rules see the decremented TTL.
        ipForward.process(b);
        if (!hooks.isEmpty(Hook.FORWARD))
        {
            hooks.run(Hook.FORWARD, b);
        }
        parkReassembled(b, PARKED, Verdict.ACCEPT);
        mtuStage(b, n);
        parkReassembled(b, Verdict.ACCEPT, PARKED);
        if (!hooks.isEmpty(Hook.POSTROUTING))
        {
            hooks.run(Hook.POSTROUTING, b);
        }
        refragmentStage(b);
        neighbourStage(b, n);
        if (ipv6Count > 0)
        {
            process6(b, n);
        }
        tail(b, n);
    }

    /**
     * Everything before PREROUTING in one pass (no hook sits between these stages): parse, ARP to the slow
     * path, IPv6 set aside for its own stages (or dropped on ports without IPv6), other EtherTypes counted
     * and dropped, IPv4 validated as {@code ip_rcv_core} does, and
     * the destination read and checked against the box's own addresses.
     * <p>
     * Measured 2026-11-23 (perf, {@code flowgate run} routing net_pcap -> net_null): as four passes over the
     * burst these were a third of the router's own time.
     */
    private void ingest(final PacketBurst b, final int n, final int inPort)
    {
        // Parse first, in a pass of its own: its loads of every packet's first bytes are independent, so a short
        // loop keeps all of them in flight at once (measured: fused into the pass below, they stalled one by one).
        if (inPort == FROM_MBUF)
        {
            ParseStage.run(b);
        }
        else
        {
            ParseStage.run(b, inPort);
        }
        final int[] etherType = b.etherType;
        final int[] verdict = b.verdict;
        final long[] l3 = b.l3;
        final long[] frame = b.frame;
        final int[] length = b.length;
        int received = 0;
        ipv6Count = 0;
        fragments = 0;
        for (int i = 0; i < n; i++)
        {
            dst[i] = 0;
            local[i] = false;
            if (verdict[i] != Verdict.ACCEPT)
            {
                continue;
            }
            final int type = etherType[i];
            if (type == EthernetFlyweight.ETHER_TYPE_IPV4)
            {
                received++;
                final long ip = l3[i];
                final int offset = (int)(ip - frame[i]);
                final long fast = ip == 0 ? Ipv4Input.NOT_ACCEPTED : Ipv4Input.acceptOptionless(ip, length[i] - offset);
                if (fast != Ipv4Input.NOT_ACCEPTED)
                {
                    length[i] = offset + (int)(fast >>> 32 & 0xFFFF);
                    final int d = (int)fast;
                    dst[i] = d;
                    local[i] = d == -1 || isLocal(d);
                    if ((fast & Ipv4Input.FRAGMENT) != 0)
                    {
                        fragments++;
                    }
                }
                else if (ipv4Input.validate(b, i))
                {
                    destination(b, i);
                    if (Ipv4Flyweight.isFragment(ip))
                    {
                        fragments++;
                    }
                }
            }
            else if (type == EthernetFlyweight.ETHER_TYPE_ARP)
            {
                toSlowPath(b, i, SlowPathBurst.ARP, b.inPort[i], 0);
            }
            else if (type == EthernetFlyweight.ETHER_TYPE_IPV6)
            {
                final int in = b.inPort[i];
                if (in < MAX_PORTS && ipv6ById[in])
                {
                    b.verdict[i] = PARKED_IPV6;
                    ipv6Index[ipv6Count++] = i;
                }
                else
                {
                    counters.increment(NOT_ROUTED_IPV6);
                    b.verdict[i] = Verdict.DROP;
                }
            }
            else
            {
                counters.increment(OTHER_ETHERTYPE);
                b.verdict[i] = Verdict.DROP;
            }
        }
        ipv4Input.countReceived(received);
    }

    /** The destination of IPv4 packet {@code i} (still ACCEPT) for the route lookup, and whether it is the box's. */
    private void destination(final PacketBurst b, final int i)
    {
        if (b.verdict[i] != Verdict.ACCEPT || b.etherType[i] != EthernetFlyweight.ETHER_TYPE_IPV4)
        {
            dst[i] = 0;
            local[i] = false;
            return;
        }
        final int d = Memory.getIntBE(b.l3[i] + Ipv4Flyweight.DST_ADDRESS_OFFSET);
        dst[i] = d;
        local[i] = d == -1 || isLocal(d);
    }

    /** For forwarded packets the LPM lookup (whole burst at once: the table loads of all packets overlap). */
    private void lookupStage(final PacketBurst b, final int n)
    {
        if (nextHops.groupsInUse() > 0)
        {
            SymmetricFlowHash.run(b); // only ECMP needs it
        }
        lpm.lookupBurst(dst, route, n);
        cachedRoute = -1; // the next-hop cache lives for one burst: a route changed since is seen by the next
    }

    /** The next hop of every forwarded packet from its route (ECMP choice), or the slow path when it has none. */
    private void resolveStage(final PacketBurst b, final int n)
    {
        for (int i = 0; i < n; i++)
        {
            if (b.verdict[i] == Verdict.ACCEPT && !local[i])
            {
                resolve(b, i);
            }
        }
    }

    /** {@link #resolveStage} for forwarded packet {@code i}: false when it went to the slow path (no route). */
    private boolean resolve(final PacketBurst b, final int i)
    {
        final int id = route[i];
        if (id < 0)
        {
            toSlowPath(b, i, SlowPathBurst.NO_ROUTE, b.inPort[i], 0);
            return false;
        }
        b.nextHop[i] = resolveHop(id, b.flowHash[i]);
        b.outPort[i] = hopOut;
        gateway[i] = hopVia == 0 ? dst[i] : hopVia;
        return true;
    }

    /**
     * The next hop of route {@code id} for a packet with {@code flowHash}; its port and gateway (0: connected)
     * are left in {@link #hopOut} and {@link #hopVia}. A route whose next hop is not an ECMP group is read from
     * the next-hop table once per run of packets on it within a burst.
     */
    private int resolveHop(final int id, final int flowHash)
    {
        if (id == cachedRoute)
        {
            hopOut = cachedOut;
            hopVia = cachedVia;
            return cachedHop;
        }
        final int hop = nextHops.select(id, flowHash);
        hopOut = nextHops.port(hop);
        hopVia = nextHops.gatewayIpv4(hop);
        if (hop == id) // not an ECMP group: every packet of this route takes this next hop
        {
            cachedRoute = id;
            cachedHop = hop;
            cachedOut = hopOut;
            cachedVia = hopVia;
        }
        return hop;
    }

    private boolean isLocal(final int address)
    {
        if ((localFilter & (1L << address)) == 0)
        {
            return false; // no local address has these low 6 bits: one shift and test for almost every packet
        }
        final int[] few = fewLocalAddresses;
        if (few == null)
        {
            return localAddresses.contains(address);
        }
        for (final int a : few)
        {
            if (a == address)
            {
                return true;
            }
        }
        return false;
    }

    private static long filterOf(final IntHashSet addresses)
    {
        long filter = 0;
        final IntHashSet.IntIterator it = addresses.iterator();
        while (it.hasNext())
        {
            filter |= 1L << it.nextValue(); // Java masks a long shift to its low 6 bits
        }
        return filter;
    }

    private static int[] fewOf(final IntHashSet addresses)
    {
        if (addresses.size() > FEW_LOCAL_ADDRESSES)
        {
            return null;
        }
        final int[] few = new int[addresses.size()];
        final IntHashSet.IntIterator it = addresses.iterator();
        for (int i = 0; i < few.length; i++)
        {
            few[i] = it.nextValue();
        }
        return few;
    }

    /** Runs {@code hook} over the local packets ({@code wantLocal}) or the forwarded ones only, when it has handlers. */
    private void hookOn(final Hook hook, final PacketBurst b, final int n, final boolean wantLocal)
    {
        if (hooks.isEmpty(hook))
        {
            return;
        }
        park(b, n, wantLocal);
        hooks.run(hook, b);
        unpark(b, n);
    }

    /** Hides the accepted packets that are not {@code wantLocal} from the next stage (which visits ACCEPT only). */
    private void park(final PacketBurst b, final int n, final boolean wantLocal)
    {
        final int[] verdict = b.verdict;
        for (int i = 0; i < n; i++)
        {
            if (verdict[i] == Verdict.ACCEPT && local[i] != wantLocal)
            {
                verdict[i] = PARKED;
            }
        }
    }

    private static void unpark(final PacketBurst b, final int n)
    {
        final int[] verdict = b.verdict;
        for (int i = 0; i < n; i++)
        {
            if (verdict[i] == PARKED)
            {
                verdict[i] = Verdict.ACCEPT;
            }
        }
    }

    /** Packets for the box itself, past INPUT, go to the slow path (no local sockets in the worker). */
    private void deliverLocal(final PacketBurst b, final int n)
    {
        for (int i = 0; i < n; i++)
        {
            if (local[i] && b.verdict[i] == Verdict.ACCEPT)
            {
                toSlowPath(b, i, SlowPathBurst.LOCAL, b.inPort[i], 0);
            }
        }
    }

    /** Larger than the egress MTU: fragmentation needed (DF) or fragmentation, both in the slow path. */
    private void mtuStage(final PacketBurst b, final int n)
    {
        for (int i = 0; i < n; i++)
        {
            if (b.verdict[i] != Verdict.ACCEPT)
            {
                continue;
            }
            final long ip = b.l3[i];
            final int mtu = mtuById[b.outPort[i]];
            if (Memory.getShortBE(ip + Ipv4Flyweight.TOTAL_LENGTH_OFFSET) > mtu)
            {
                tooBig(b, i, ip, mtu, b.outPort[i], gateway[i]);
            }
        }
    }

    /** A packet larger than {@code mtu}: fragmentation needed (DF set) or fragmentation, in the slow path. */
    private void tooBig(final PacketBurst b, final int i, final long ip, final int mtu, final int out, final int nextHopAddress)
    {
        final boolean df = (Memory.getShortBE(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET) & Ipv4Flyweight.FLAG_DONT_FRAGMENT) != 0;
        if (df)
        {
            toSlowPath(b, i, SlowPathBurst.FRAGMENTATION_NEEDED, b.inPort[i], mtu);
        }
        else
        {
            toSlowPath(b, i, SlowPathBurst.FRAGMENT, out, mtu, nextHopAddress);
        }
    }

    /** The next hop's MAC from the neighbour table; a miss goes to the slow path to resolve. Then the L2 rewrite. */
    private void neighbourStage(final PacketBurst b, final int n)
    {
        int lastPort = -1;
        int lastGateway = 0;
        long lastMac = NeighbourTable.NO_MAC;
        for (int i = 0; i < n; i++)
        {
            if (b.verdict[i] != Verdict.ACCEPT)
            {
                continue;
            }
            final int out = b.outPort[i];
            final long mac;
            if (out == lastPort && gateway[i] == lastGateway && lastMac != NeighbourTable.NO_MAC)
            {
                mac = lastMac; // same next hop as the previous packet: one table read per run of a burst
            }
            else
            {
                mac = neighbours.lookupMac(out, gateway[i]);
                lastPort = out;
                lastGateway = gateway[i];
                lastMac = mac;
            }
            if (mac == NeighbourTable.NO_MAC)
            {
                toSlowPath(b, i, SlowPathBurst.RESOLVE, out, gateway[i]);
                continue;
            }
            EthernetFlyweight.putDstMac(b.frame[i], mac);
            EthernetFlyweight.putSrcMac(b.frame[i], macById[out]);
        }
    }

    /**
     * The stages after the route lookup in one pass, for when no handler sits on INPUT, FORWARD or POSTROUTING
     * (no hook can see the difference): the next hop, local delivery, TTL, MTU, neighbour and L2 rewrite, and
     * the tail, packet by packet, each decided exactly as the separate stages decide it.
     * <p>
     * Measured 2026-11-23 (perf, {@code flowgate run} routing net_pcap -> net_null): the five passes over the
     * burst cost more than their work; one pass took the worker's own time per packet from 1.18 to 0.95 of the
     * devices' (perf/profile-router; docs/router-performance.md).
     */
    private void forwardFused(final PacketBurst b, final int n)
    {
        final int[] verdict = b.verdict;
        final int[] etherType = b.etherType;
        final long[] l3 = b.l3;
        final long[] frame = b.frame;
        final int[] length = b.length;
        int lastPort = -1; // no port: the first forwarded packet looks its neighbour up
        int lastGateway = 0;
        long l2Head = 0;
        int l2Tail = 0;
        int decremented = 0;
        int expired = 0;
        for (int i = 0; i < n; i++)
        {
            if (verdict[i] != Verdict.ACCEPT)
            {
                tailOne(b, i);
                continue;
            }
            if (local[i])
            {
                toSlowPath(b, i, SlowPathBurst.LOCAL, b.inPort[i], 0);
                continue;
            }
            // The next hop as resolve() finds it, kept in locals: no hook reads the burst's arrays on this path.
            final int id = route[i];
            if (id < 0)
            {
                toSlowPath(b, i, SlowPathBurst.NO_ROUTE, b.inPort[i], 0);
                continue;
            }
            resolveHop(id, b.flowHash[i]);
            final int out = hopOut;
            final int via = hopVia == 0 ? dst[i] : hopVia;
            final long ip = l3[i];
            if (etherType[i] != EthernetFlyweight.ETHER_TYPE_IPV4)
            {
                free(b.mbuf(i)); // no other family reaches this stage yet
                continue;
            }
            if (!Ipv4Flyweight.forwardTtl(ip))
            {
                expired++;
                toSlowPath(b, i, SlowPathBurst.TIME_EXCEEDED, b.inPort[i], 0);
                continue;
            }
            decremented++;
            final int mtu = mtuById[out];
            if (length[i] - (int)(ip - frame[i]) > mtu) // the IPv4 input stage trimmed length to the datagram's end
            {
                tooBig(b, i, ip, mtu, out, via);
                continue;
            }
            if (natSource != null)
            {
                b.outPort[i] = out;
                if (natSource.one(b, i) != Verdict.ACCEPT || (helpers != null && helpers.one(b, i) != Verdict.ACCEPT))
                {
                    verdict[i] = Verdict.DROP;
                    free(b.mbuf(i)); // no free tuple (counted as port_exhausted)
                    continue;
                }
            }
            if (out != lastPort || via != lastGateway)
            {
                final long mac = neighbours.lookupMac(out, via);
                if (mac == NeighbourTable.NO_MAC)
                {
                    toSlowPath(b, i, SlowPathBurst.RESOLVE, out, via);
                    continue;
                }
                lastPort = out;
                lastGateway = via;
                l2Head = l2Head(mac, macById[out]);
                l2Tail = l2Tail(macById[out]);
            }
            final long f = frame[i];
            Memory.putLong(f, l2Head);
            Memory.putInt(f + 8, l2Tail);
            final MbufBurst stage = txStageById[out];
            final int c = stage.count();
            stage.mbuf(c, b.mbuf(i));
            stage.count(c + 1);
            if (offload != null && resumeAfter == null) // a queued packet's verdict came from outside: never offloaded
            {
                offload.consider(b, i, out, mtu);
            }
        }
        ipForward.countIpv4(decremented, expired);
        if (toFree.count() > 0)
        {
            toFree.free();
        }
    }

    /** Bytes 0..7 of an Ethernet header to {@code dst} from {@code src}, as one native-order store. */
    private static long l2Head(final long dst, final long src)
    {
        // Wire order: dst[0..5] src[0..1]; MACs are held in the low 48 bits, first byte most significant.
        return Long.reverseBytes((dst << 16) | ((src >>> 32) & 0xFFFF));
    }

    /** Bytes 8..11: src[2..5], as one native-order store. */
    private static int l2Tail(final long src)
    {
        return Integer.reverseBytes((int)src);
    }

    /** Each packet ends in exactly one place: a transmit stage, the slow path, or freed. */
    private void tail(final PacketBurst b, final int n)
    {
        for (int i = 0; i < n; i++)
        {
            tailOne(b, i);
        }
        if (toFree.count() > 0)
        {
            toFree.free();
        }
    }

    private void tailOne(final PacketBurst b, final int i)
    {
        final int v = b.verdict[i];
        if (v == Verdict.ACCEPT)
        {
            final int out = b.outPort[i];
            final MbufBurst stage = txStageById[out];
            final int c = stage.count();
            stage.mbuf(c, b.mbuf(i));
            stage.count(c + 1);
            if (offload != null && resumeAfter == null) // a queued packet's verdict came from outside: never offloaded
            {
                offload.consider(b, i, out, mtuById[out]);
            }
        }
        else if (v == Verdict.DROP)
        {
            if (b.reject[i] != 0)
            {
                // A rule said reject: the slow path sends the error (nf_reject_ipv4/ipv6) and frees the packet.
                toSlowPath(b, i, SlowPathBurst.REJECT, b.inPort[i], b.reject[i]);
            }
            else if (b.reason[i] == IpDropReason.TIME_EXCEEDED)
            {
                // IpForward drops it; a router owes the sender an ICMP time exceeded (as ip_forward does).
                toSlowPath(b, i, SlowPathBurst.TIME_EXCEEDED, b.inPort[i], 0);
            }
            else
            {
                free(b.mbuf(i));
            }
        }
        // STOLEN (the slow path or a handler has it) and QUEUE: no longer the worker's.
    }

    /**
     * Defragmentation alone on PREROUTING and no fragment in the burst: the hook is skipped, as an empty one
     * is. Running the chain for the defrag handler alone measured 2.4 and 6 ns per packet more than no hook,
     * of 85-95 (2026-11-23, RouterWorkerBenchmark.route, 2 runs on the shared 2-core machine, error +-8 ns);
     * the fragments are counted by the input pass, which reads that header line anyway.
     */
    private boolean onlyDefragWithNothingToDo()
    {
        final Ipv4DefragHook d = defrag;
        return d != null && fragments == 0 && hooks.isOnly(Hook.PREROUTING, d);
    }

    /**
     * Reassembled packets skip the MTU stage (parked around it): a defragmented datagram is refragmented to
     * its largest fragment's size whatever its length, after POSTROUTING, as in Linux's
     * {@code __ip_finish_output}. Swaps {@code from} for {@code to} in their verdicts; nothing without them.
     */
    private void parkReassembled(final PacketBurst b, final int to, final int from)
    {
        final Ipv4DefragHook d = defrag;
        if (d == null || d.marks() == 0)
        {
            return;
        }
        final int[] verdict = b.verdict;
        for (int k = 0; k < d.marks(); k++)
        {
            final int i = d.marked(k);
            if (verdict[i] == from)
            {
                verdict[i] = to;
            }
        }
    }

    /**
     * Reassembled packets still accepted after POSTROUTING go to the slow path to be refragmented for the
     * egress MTU and their largest fragment's size ({@link SlowPathBurst#FRAGMENT}); then the marks go.
     */
    private void refragmentStage(final PacketBurst b)
    {
        final Ipv4DefragHook d = defrag;
        if (d == null || d.marks() == 0)
        {
            return;
        }
        for (int k = 0; k < d.marks(); k++)
        {
            final int i = d.marked(k);
            if (b.verdict[i] == Verdict.ACCEPT)
            {
                final int out = b.outPort[i];
                toSlowPath(b, i, SlowPathBurst.FRAGMENT, out, SlowPathBurst.fragmentArgument(mtuById[out], d.maxFragmentSize(i)),
                    gateway[i]);
            }
        }
        d.clearMarks();
    }

    private void toSlowPath(final PacketBurst b, final int i, final int why, final int port, final int argument)
    {
        toSlowPath(b, i, why, port, argument, 0);
    }

    private void toSlowPath(final PacketBurst b, final int i, final int why, final int port, final int argument, final int nextHop)
    {
        b.verdict[i] = Verdict.STOLEN;
        SlowPathBurst s = slow;
        if (s == null)
        {
            s = slowRing.acquire();
            slow = s;
        }
        if (s == null || !s.add(b.mbuf(i), why, port, argument, nextHop))
        {
            counters.increment(SLOW_PATH_FULL);
            free(b.mbuf(i));
            return;
        }
        counters.increment(TO_SLOW_PATH);
    }

    private void free(final long mbuf)
    {
        counters.increment(DROPPED);
        if (toFree.count() == toFree.capacity())
        {
            toFree.free();
        }
        toFree.mbuf(toFree.count(), mbuf);
        toFree.count(toFree.count() + 1);
    }

    private void transmitAll()
    {
        if (output != null)
        {
            handBack();
            return;
        }
        for (final int id : txPortIds)
        {
            final MbufBurst stage = txStageById[id];
            final int n = stage.count();
            if (n > 0)
            {
                final int sent = stage.transmitOrFree(txPortById[id], queue);
                counters.add(TX, sent);
                if (sent < n)
                {
                    counters.add(TX_FULL, n - sent);
                }
            }
        }
    }

    /**
     * Software dispatch: the staged packets go to the dispatcher, which transmits them; what the transmit ring
     * cannot take (no empty burst, ring full) is freed and counted as {@link #TX_FULL}.
     */
    private void handBack()
    {
        final BurstRing<TxBurst> output = this.output;
        long handed = 0;
        long full = 0;
        TxBurst out = txOut;
        for (final int id : txPortIds)
        {
            final MbufBurst stage = txStageById[id];
            final int n = stage.count();
            for (int i = 0; i < n; i++)
            {
                if (out != null && out.isFull() && output.publish(out))
                {
                    out = null;
                }
                if (out == null)
                {
                    out = output.acquire();
                }
                if (out == null || !out.add(stage.mbuf(i), id))
                {
                    Mbuf.free(stage.mbuf(i));
                    full++;
                    continue;
                }
                handed++;
            }
            stage.count(0);
        }
        if (out != null && out.count() > 0 && output.publish(out))
        {
            out = null;
        }
        txOut = out;
        counters.add(TX, handed);
        if (full > 0)
        {
            counters.add(TX_FULL, full);
        }
    }

    /** What the slow path sends (ARP, ICMP, packets that waited for a neighbour) leaves on this worker's queue. */
    private int takeFromSlowPath()
    {
        int taken = 0;
        final PacketBurst out = localOut;
        SlowPathBurst s;
        while ((s = fromSlowPath.poll()) != null)
        {
            final int n = s.count();
            for (int i = 0; i < n; i++)
            {
                final long m = s.mbufs.mbuf(i);
                if (out != null && s.reason[i] == SlowPathBurst.LOCAL_OUT)
                {
                    if (out.count() == out.capacity)
                    {
                        localOutput(out);
                    }
                    final int k = out.count();
                    out.mbufs.mbuf(k, m);
                    localPort[k] = s.port[i];
                    out.count(k + 1);
                }
                else
                {
                    stageTx(s.port[i], m);
                }
            }
            taken += n;
            s.mbufs.count(0);
            fromSlowPath.release(s);
        }
        if (out != null && out.count() > 0)
        {
            localOutput(out);
        }
        return taken;
    }

    private void stageTx(final int port, final long m)
    {
        final MbufBurst stage = txStageById[port];
        if (stage.count() == stage.capacity())
        {
            transmitAll();
        }
        stage.mbuf(stage.count(), m);
        stage.count(stage.count() + 1);
    }

    /**
     * The box's own packets (echo replies, ICMP errors the slow path built) through OUTPUT and POSTROUTING, as
     * Linux's {@code __ip_local_out} and {@code ip_output} run them: conntrack sees them as the reply to the
     * packet that caused them. What a hook accepts is transmitted; what it drops is freed.
     */
    private void localOutput(final PacketBurst b)
    {
        final RuleWorker rules = this.rules;
        if (rules != null)
        {
            rules.enterBurst();
        }
        final int n = b.count();
        for (int k = 0; k < n; k++)
        {
            ParseStage.parse(b, k, localPort[k]);
        }
        hooks.run(Hook.OUTPUT, b);
        if (!hooks.isEmpty(Hook.POSTROUTING))
        {
            hooks.run(Hook.POSTROUTING, b);
        }
        final int[] verdict = b.verdict;
        for (int k = 0; k < n; k++)
        {
            final int v = verdict[k] & Verdict.VERDICT_MASK;
            if (v == Verdict.ACCEPT)
            {
                stageTx(localPort[k], b.mbuf(k));
            }
            else if (v == Verdict.DROP)
            {
                Mbuf.free(b.mbuf(k));
                counters.add(DROPPED, 1);
            }
            // STOLEN or QUEUE: a handler owns the packet now.
        }
        b.count(0);
    }

    private void publishSlowPath()
    {
        final SlowPathBurst s = slow;
        if (s != null && s.count() > 0 && slowRing.publish(s))
        {
            slow = null;
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // IPv6: the same stages for the burst's IPv6 packets (ipv6Index[0..ipv6Count)), run after the IPv4 ones
    // have finished, with the IPv4 packets parked so that the hooks see each packet once per hook.
    // ------------------------------------------------------------------------------------------------------

    private void process6(final PacketBurst b, final int n)
    {
        final int[] verdict = b.verdict;
        final int[] index = ipv6Index;
        final int m = ipv6Count;
        counters.add(IPV6_RX, m);
        for (int i = 0; i < n; i++)
        {
            if (verdict[i] == Verdict.ACCEPT)
            {
                verdict[i] = PARKED_IPV4;
            }
        }
        for (int k = 0; k < m; k++)
        {
            verdict[index[k]] = Verdict.ACCEPT;
        }
        ipv6Input.process(b);
        if (!hooks.isEmpty(Hook.PREROUTING))
        {
            runPrerouting(b);
        }
        route6Stage(b, m);
        hookOn(Hook.INPUT, b, n, true);
        deliverLocal6(b, m);
        forward6Stage(b, m); // hop limit and packet too big before FORWARD, as ip6_forward does
        if (!hooks.isEmpty(Hook.FORWARD))
        {
            hooks.run(Hook.FORWARD, b);
        }
        if (!hooks.isEmpty(Hook.POSTROUTING))
        {
            hooks.run(Hook.POSTROUTING, b);
        }
        neighbour6Stage(b, m);
        for (int i = 0; i < n; i++)
        {
            if (verdict[i] == PARKED_IPV4)
            {
                verdict[i] = Verdict.ACCEPT;
            }
        }
    }

    /**
     * Local or forwarded (as {@code ip6_route_input}): the box's own addresses and the groups it listens to, and
     * every neighbour discovery message, are local; other multicast is dropped; the rest is looked up in the
     * LPM (whole list at once) and an ECMP member chosen.
     */
    private void route6Stage(final PacketBurst b, final int m)
    {
        final int[] verdict = b.verdict;
        final int[] index = ipv6Index;
        final boolean ecmp = nextHops.groupsInUse() > 0;
        for (int k = 0; k < m; k++)
        {
            final int i = index[k];
            local[i] = false;
            if (verdict[i] != Verdict.ACCEPT)
            {
                dstHi[k] = 0;
                dstLo[k] = 0;
                continue;
            }
            final long ip = b.l3[i];
            final long hi = Ipv6Flyweight.getDstAddressHi(ip);
            final long lo = Ipv6Flyweight.getDstAddressLo(ip);
            dstHi[k] = hi;
            dstLo[k] = lo;
            if (localAddresses6.contains(hi, lo) || isNeighbourDiscovery(ip, b.frame[i] + b.length[i] - ip))
            {
                local[i] = true;
            }
            else if (Ipv6Input.isMulticast(hi))
            {
                counters.increment(IPV6_MULTICAST_DROPPED);
                verdict[i] = Verdict.DROP;
            }
            else if (ecmp)
            {
                b.flowHash[i] = SymmetricFlowHash.ipv6(ip, (int)(b.frame[i] + b.length[i] - ip));
            }
        }
        lpm6.lookupBurst(dstHi, dstLo, route6, m);
        for (int k = 0; k < m; k++)
        {
            final int i = index[k];
            if (verdict[i] != Verdict.ACCEPT || local[i])
            {
                continue;
            }
            if (PortAddresses.isLinkLocal(dstHi[k]))
            {
                counters.increment(IPV6_NOT_FORWARDABLE);
                verdict[i] = Verdict.DROP;
                continue;
            }
            if (PortAddresses.isLinkLocal(Ipv6Flyweight.getSrcAddressHi(b.l3[i])))
            {
                // ip6_forward: a link-local source must not leave its link.
                toSlowPath(b, i, SlowPathBurst.BEYOND_SCOPE6, b.inPort[i], 0);
                continue;
            }
            final int id = route6[k];
            if (id < 0)
            {
                toSlowPath(b, i, SlowPathBurst.NO_ROUTE6, b.inPort[i], 0);
                continue;
            }
            final int hop = nextHops.select(id, b.flowHash[i]);
            b.nextHop[i] = hop;
            b.outPort[i] = nextHops.port(hop);
            if (nextHops.isConnected(hop))
            {
                gatewayHi[k] = dstHi[k];
                gatewayLo[k] = dstLo[k];
            }
            else
            {
                gatewayHi[k] = nextHops.gatewayIpv6Hi(hop);
                gatewayLo[k] = nextHops.gatewayIpv6Lo(hop);
            }
        }
    }

    /** An ICMPv6 router/neighbour solicitation or advertisement or a redirect (RFC 4861), right after the fixed header. */
    private static boolean isNeighbourDiscovery(final long ip, final long available)
    {
        if (Ipv6Flyweight.getNextHeader(ip) != IpProtocol.ICMPV6 || available < Ipv6Flyweight.HEADER_LENGTH + 1)
        {
            return false;
        }
        final int type = Memory.getUnsignedByte(ip + Ipv6Flyweight.HEADER_LENGTH);
        return type >= IcmpFlyweight.V6_ROUTER_SOLICITATION && type <= IcmpFlyweight.V6_REDIRECT;
    }

    private void deliverLocal6(final PacketBurst b, final int m)
    {
        final int[] index = ipv6Index;
        for (int k = 0; k < m; k++)
        {
            final int i = index[k];
            if (local[i] && b.verdict[i] == Verdict.ACCEPT)
            {
                toSlowPath(b, i, SlowPathBurst.LOCAL6, b.inPort[i], 0);
            }
        }
    }

    /**
     * ip6_forward's checks in its order: hop limit 0 or 1 (time exceeded), then the egress MTU (packet too big;
     * an IPv6 router never fragments, RFC 8200 5), then the hop limit is decremented. Both errors quote the
     * packet as it arrived.
     */
    private void forward6Stage(final PacketBurst b, final int m)
    {
        final int[] index = ipv6Index;
        for (int k = 0; k < m; k++)
        {
            final int i = index[k];
            if (b.verdict[i] != Verdict.ACCEPT)
            {
                continue;
            }
            final long ip = b.l3[i];
            if (Ipv6Flyweight.getHopLimit(ip) <= 1)
            {
                toSlowPath(b, i, SlowPathBurst.TIME_EXCEEDED6, b.inPort[i], 0);
                continue;
            }
            final int mtu = mtuById[b.outPort[i]];
            if (Ipv6Flyweight.HEADER_LENGTH + Ipv6Flyweight.getPayloadLength(ip) > mtu)
            {
                toSlowPath(b, i, SlowPathBurst.PACKET_TOO_BIG6, b.inPort[i], mtu);
                continue;
            }
            Ipv6Flyweight.decrementHopLimit(ip);
        }
    }

    /** The IPv6 next hop's MAC; a miss goes to the slow path to solicit it. Then the L2 rewrite. */
    private void neighbour6Stage(final PacketBurst b, final int m)
    {
        final int[] index = ipv6Index;
        int lastPort = -1;
        long lastHi = 0;
        long lastLo = 0;
        long lastMac = NeighbourTable.NO_MAC;
        for (int k = 0; k < m; k++)
        {
            final int i = index[k];
            if (b.verdict[i] != Verdict.ACCEPT)
            {
                continue;
            }
            final int out = b.outPort[i];
            final long hi = gatewayHi[k];
            final long lo = gatewayLo[k];
            final long mac;
            if (out == lastPort && hi == lastHi && lo == lastLo && lastMac != NeighbourTable.NO_MAC)
            {
                mac = lastMac;
            }
            else
            {
                mac = neighbours.lookupMac6(out, hi, lo);
                lastPort = out;
                lastHi = hi;
                lastLo = lo;
                lastMac = mac;
            }
            if (mac == NeighbourTable.NO_MAC)
            {
                toSlowPath6(b, i, SlowPathBurst.RESOLVE6, out, hi, lo);
                continue;
            }
            EthernetFlyweight.putDstMac(b.frame[i], mac);
            EthernetFlyweight.putSrcMac(b.frame[i], macById[out]);
        }
    }

    private void toSlowPath6(final PacketBurst b, final int i, final int why, final int port, final long hi, final long lo)
    {
        b.verdict[i] = Verdict.STOLEN;
        SlowPathBurst s = slow;
        if (s == null)
        {
            s = slowRing.acquire();
            slow = s;
        }
        if (s == null || !s.add6(b.mbuf(i), why, port, hi, lo))
        {
            counters.increment(SLOW_PATH_FULL);
            free(b.mbuf(i));
            return;
        }
        counters.increment(TO_SLOW_PATH);
    }

    @Override
    public void onClose()
    {
        if (rules != null)
        {
            rules.park(); // the rule engine no longer waits for this worker
        }
        if (slow != null)
        {
            counters.add(DROPPED, slow.count());
            slow.mbufs.free();
        }
        if (txOut != null && txOut.count() > 0 && !output.publish(txOut))
        {
            counters.add(TX_FULL, txOut.count());
            txOut.mbufs.free();
        }
        arena.close();
    }

    @Override
    public String roleName()
    {
        return roleName;
    }
}
