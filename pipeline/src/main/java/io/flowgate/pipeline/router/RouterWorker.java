package io.flowgate.pipeline.router;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.EthDev;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.burst.ParseStage;
import io.flowgate.pipeline.defrag.Ipv4DefragHook;
import io.flowgate.pipeline.dispatch.BurstRing;
import io.flowgate.pipeline.dispatch.SymmetricFlowHash;
import io.flowgate.pipeline.hook.Counters;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pipeline.ip.IpDropReason;
import io.flowgate.pipeline.ip.IpForward;
import io.flowgate.pipeline.ip.Ipv4Input;
import io.flowgate.pipeline.neigh.NeighbourTable;
import io.flowgate.pipeline.route.Ipv4Lpm;
import io.flowgate.pipeline.route.NextHopTable;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.port.Port;
import java.lang.foreign.Arena;
import org.agrona.collections.IntHashSet;
import org.agrona.concurrent.Agent;

/**
 * One routing worker (rss dispatch): polls its own receive queue of every port and runs each burst to
 * completion, stage by stage over the whole burst:
 * <pre>
 *   parse -> [ARP/ND -> slow path] -> IPv4 input -> PREROUTING -> local? -> INPUT -> slow path
 *                                                              -> route (LPM, ECMP) -> FORWARD -> TTL -> MTU
 *                                                              -> POSTROUTING -> neighbour -> L2 rewrite -> tx
 * </pre>
 * What it cannot finish (no route, TTL exceeded, fragmentation, unknown next-hop MAC, packets for the box,
 * ARP) goes to the slow path over an SPSC ring with the reason; a full ring drops and counts, never waits.
 * Worker 0 also transmits what the slow path sends, taken from a second ring.
 * IPv6 is not routed yet: IPv6 packets are counted and dropped.
 * <p>
 * Thread-safety: one thread. Reads the LPM, next-hop and neighbour tables lock-free (their writers publish
 * with release stores); writes only its own bursts, counters and transmit queues ({@code queue} of every port).
 */
public final class RouterWorker implements Agent
{
    public static final int RX = 0;
    public static final int TX = 1;
    public static final int TX_FULL = 2;
    public static final int DROPPED = 3;
    public static final int TO_SLOW_PATH = 4;
    public static final int SLOW_PATH_FULL = 5;
    public static final int NOT_ROUTED_IPV6 = 6;
    public static final int OTHER_ETHERTYPE = 7;
    public static final int COUNTERS = 8;

    /** A verdict value no handler returns: keeps a packet out of one hook's run (HookChain only visits ACCEPT). */
    private static final int PARKED = 0x4000_0000;
    private static final int MAX_PORTS = EthDev.MAX_ETHPORTS;

    private final String roleName;
    private final int queue;
    private final Port[] rxPorts;
    private final Port[] txPortById = new Port[MAX_PORTS];
    private final long[] macById = new long[MAX_PORTS];
    private final int[] mtuById = new int[MAX_PORTS];
    private final MbufBurst[] txStageById = new MbufBurst[MAX_PORTS];
    private final int[] txPortIds;
    private final IntHashSet localAddresses;
    private final Ipv4Lpm lpm;
    private final NextHopTable nextHops;
    private final NeighbourTable neighbours;
    private final HookChain hooks;
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
    private SlowPathBurst slow;
    /** nf_defrag_ipv4 of this worker, registered on its PREROUTING; null when defragmentation is off. */
    private Ipv4DefragHook defrag;

    public RouterWorker(final String roleName, final int queue, final RouterPort[] ports, final IntHashSet localAddresses,
                        final Ipv4Lpm lpm, final NextHopTable nextHops, final NeighbourTable neighbours, final HookChain hooks,
                        final BurstRing<SlowPathBurst> slowRing, final BurstRing<SlowPathBurst> fromSlowPath, final int burstSize)
    {
        this.roleName = roleName;
        this.queue = queue;
        this.rxPorts = new Port[ports.length];
        this.txPortIds = new int[ports.length];
        for (int i = 0; i < ports.length; i++)
        {
            final RouterPort p = ports[i];
            rxPorts[i] = p.port();
            txPortIds[i] = p.id();
            txPortById[p.id()] = p.port();
            macById[p.id()] = p.mac();
            mtuById[p.id()] = p.mtu();
            txStageById[p.id()] = new MbufBurst(arena, burstSize * ports.length);
        }
        this.localAddresses = localAddresses;
        this.lpm = lpm;
        this.nextHops = nextHops;
        this.neighbours = neighbours;
        this.hooks = hooks;
        this.slowRing = slowRing;
        this.fromSlowPath = fromSlowPath;
        this.burst = new PacketBurst(arena, burstSize);
        this.toFree = new MbufBurst(arena, burstSize);
        this.dst = new int[burstSize];
        this.route = new int[burstSize];
        this.gateway = new int[burstSize];
        this.local = new boolean[burstSize];
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

    /** Any thread: a counter named by the constants of this class. */
    public long counter(final int counter)
    {
        return counters.get(counter);
    }

    @Override
    public int doWork()
    {
        int work = 0;
        for (final Port port : rxPorts)
        {
            final int n = burst.mbufs.receive(port, queue);
            if (n > 0)
            {
                burst.count(n);
                counters.add(RX, n);
                process(burst);
                work += n;
            }
        }
        if (fromSlowPath != null)
        {
            work += takeFromSlowPath();
        }
        if (work > 0)
        {
            transmitAll();
        }
        if (defrag != null)
        {
            work += defrag.sweep();
        }
        publishSlowPath();
        return work;
    }

    private void process(final PacketBurst b)
    {
        final int n = b.count();
        ParseStage.run(b);
        classify(b, n);
        ipv4Input.process(b);
        if (!hooks.isEmpty(Hook.PREROUTING) && !onlyDefragWithNothingToDo(b))
        {
            hooks.run(Hook.PREROUTING, b);
        }
        routeStage(b, n);
        hookOn(Hook.INPUT, b, n, true);
        deliverLocal(b, n);
        // From here on every ACCEPTed packet is being forwarded.
        if (!hooks.isEmpty(Hook.FORWARD))
        {
            hooks.run(Hook.FORWARD, b);
        }
        ipForward.process(b);
        parkReassembled(b, PARKED, Verdict.ACCEPT);
        mtuStage(b, n);
        parkReassembled(b, Verdict.ACCEPT, PARKED);
        if (!hooks.isEmpty(Hook.POSTROUTING))
        {
            hooks.run(Hook.POSTROUTING, b);
        }
        refragmentStage(b);
        neighbourStage(b, n);
        tail(b, n);
    }

    /** ARP to the slow path; IPv6 and other EtherTypes counted and dropped; IPv4 goes on. */
    private void classify(final PacketBurst b, final int n)
    {
        for (int i = 0; i < n; i++)
        {
            if (b.verdict[i] != Verdict.ACCEPT)
            {
                continue;
            }
            final int type = b.etherType[i];
            if (type == EthernetFlyweight.ETHER_TYPE_ARP)
            {
                toSlowPath(b, i, SlowPathBurst.ARP, b.inPort[i], 0);
            }
            else if (type == EthernetFlyweight.ETHER_TYPE_IPV6)
            {
                counters.increment(NOT_ROUTED_IPV6);
                b.verdict[i] = Verdict.DROP;
            }
            else if (type != EthernetFlyweight.ETHER_TYPE_IPV4)
            {
                counters.increment(OTHER_ETHERTYPE);
                b.verdict[i] = Verdict.DROP;
            }
        }
    }

    /** Local or forwarded; for forwarded packets the LPM lookup (whole burst at once) and the ECMP choice. */
    private void routeStage(final PacketBurst b, final int n)
    {
        if (nextHops.groupsInUse() > 0)
        {
            SymmetricFlowHash.run(b); // only ECMP needs it
        }
        for (int i = 0; i < n; i++)
        {
            local[i] = false;
            if (b.verdict[i] == Verdict.ACCEPT)
            {
                final int d = Memory.getIntBE(b.l3[i] + Ipv4Flyweight.DST_ADDRESS_OFFSET);
                dst[i] = d;
                local[i] = d == -1 || localAddresses.contains(d);
            }
            else
            {
                dst[i] = 0;
            }
        }
        lpm.lookupBurst(dst, route, n);
        for (int i = 0; i < n; i++)
        {
            if (b.verdict[i] != Verdict.ACCEPT || local[i])
            {
                continue;
            }
            final int id = route[i];
            if (id < 0)
            {
                toSlowPath(b, i, SlowPathBurst.NO_ROUTE, b.inPort[i], 0);
                continue;
            }
            final int hop = nextHops.select(id, b.flowHash[i]);
            b.nextHop[i] = hop;
            b.outPort[i] = nextHops.port(hop);
            gateway[i] = nextHops.isConnected(hop) ? dst[i] : nextHops.gatewayIpv4(hop);
        }
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
                final boolean df = (Memory.getShortBE(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET) & Ipv4Flyweight.FLAG_DONT_FRAGMENT) != 0;
                if (df)
                {
                    toSlowPath(b, i, SlowPathBurst.FRAGMENTATION_NEEDED, b.inPort[i], mtu);
                }
                else
                {
                    toSlowPath(b, i, SlowPathBurst.FRAGMENT, b.outPort[i], mtu, gateway[i]);
                }
            }
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

    /** Each packet ends in exactly one place: a transmit stage, the slow path, or freed. */
    private void tail(final PacketBurst b, final int n)
    {
        for (int i = 0; i < n; i++)
        {
            final int v = b.verdict[i];
            if (v == Verdict.ACCEPT)
            {
                final MbufBurst stage = txStageById[b.outPort[i]];
                stage.mbuf(stage.count(), b.mbuf(i));
                stage.count(stage.count() + 1);
            }
            else if (v == Verdict.DROP)
            {
                if (b.reason[i] == IpDropReason.TIME_EXCEEDED)
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
        if (toFree.count() > 0)
        {
            toFree.free();
        }
    }

    /**
     * Defragmentation alone on PREROUTING and no fragment in the burst: the hook is skipped, as an empty one
     * is. Running the chain for the defrag handler alone measured 2.4 and 6 ns per packet more than no hook,
     * of 85-95 (2026-11-23, RouterWorkerBenchmark.route, 2 runs on the shared 2-core machine, error +-8 ns);
     * this check is one load and OR per packet.
     */
    private boolean onlyDefragWithNothingToDo(final PacketBurst b)
    {
        final Ipv4DefragHook d = defrag;
        return d != null && hooks.isOnly(Hook.PREROUTING, d) && !Ipv4DefragHook.anyFragment(b);
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

    /** What the slow path sends (ARP, ICMP, packets that waited for a neighbour) leaves on this worker's queue. */
    private int takeFromSlowPath()
    {
        int taken = 0;
        SlowPathBurst s;
        while ((s = fromSlowPath.poll()) != null)
        {
            final int n = s.count();
            for (int i = 0; i < n; i++)
            {
                final MbufBurst stage = txStageById[s.port[i]];
                if (stage.count() == stage.capacity())
                {
                    transmitAll();
                }
                stage.mbuf(stage.count(), s.mbufs.mbuf(i));
                stage.count(stage.count() + 1);
            }
            taken += n;
            s.mbufs.count(0);
            fromSlowPath.release(s);
        }
        return taken;
    }

    private void publishSlowPath()
    {
        final SlowPathBurst s = slow;
        if (s != null && s.count() > 0 && slowRing.publish(s))
        {
            slow = null;
        }
    }

    @Override
    public void onClose()
    {
        if (slow != null)
        {
            counters.add(DROPPED, slow.count());
            slow.mbufs.free();
        }
        arena.close();
    }

    @Override
    public String roleName()
    {
        return roleName;
    }
}
