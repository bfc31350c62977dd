package io.flowgate.pipeline.router;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.EthDev;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pipeline.defrag.Ipv4Fragmenter;
import io.flowgate.pipeline.dispatch.BurstRing;
import io.flowgate.pipeline.hook.Counters;
import io.flowgate.pipeline.host.HostStack;
import io.flowgate.pipeline.route.RouteTable;
import io.flowgate.pipeline.neigh.ArpProcessor;
import io.flowgate.pipeline.neigh.NdProcessor;
import io.flowgate.pipeline.neigh.NeighbourHandler;
import io.flowgate.pipeline.neigh.NeighbourParams;
import io.flowgate.pipeline.neigh.NeighbourResolver;
import io.flowgate.pipeline.neigh.NeighbourTable;
import io.flowgate.pipeline.neigh.PortAddresses;
import io.flowgate.pipeline.slowpath.IcmpRateLimiter;
import io.flowgate.pipeline.slowpath.IcmpSender;
import io.flowgate.pipeline.slowpath.TcpReset;
import io.flowgate.pipeline.rules.RejectCodes;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.IcmpFlyweight;
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.header.Ipv6Flyweight;
import io.flowgate.pmd.port.MbufBurst;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.agrona.concurrent.Agent;

/**
 * The router's slow path, one thread: takes what the workers could not finish from their rings and answers
 * like a host would. ARP (replies, learning, resolution with a bounded queue of waiting packets), ICMP echo
 * for the box's addresses, ICMP errors (net unreachable, time exceeded, fragmentation needed) under Linux's
 * global rate limit. IPv6 likewise: neighbour discovery ({@link NdProcessor}: advertisements for the port's
 * own addresses, learning from solicitations and advertisements, solicitations to the solicited-node group
 * and unicast probes), ICMPv6 echo for the box's unicast addresses, and ICMPv6 errors (no route, beyond
 * scope, hop limit exceeded, packet too big) from the ingress port's global address (its link-local one
 * towards a link-local source). It is the single writer of the neighbour table. What it sends goes to worker 0 over an
 * SPSC ring ({@code txRing}) and leaves on that worker's transmit queue: single-queue devices (af_packet,
 * af_xdp, tap) have no spare queue for a second transmitter.
 * <p>
 * NOTE: an ICMP error goes back out of the port the offending packet came in on, to the MAC it came from
 * (the previous hop). Linux routes the error instead; the two agree whenever the path back is symmetric.
 * Router solicitations, advertisements and redirects are counted and ignored (the box sends no router
 * advertisements).
 * <p>
 * Rate limits follow Linux: one global token bucket for ICMP and ICMPv6 errors ({@code icmp_global_allow},
 * 1000/s, burst 50), except ICMPv6 Packet Too Big, which {@code net.ipv6.icmp.ratemask}'s default (0-1,3-127)
 * leaves unlimited so that path MTU discovery works. Linux's per-peer limit is not implemented.
 * <p>
 * Fragmentation on output ({@link SlowPathBurst#FRAGMENT}): {@link Ipv4Fragmenter} writes each fragment into
 * a fresh mbuf behind a copy of the packet's link-layer header; each then takes the neighbour step (the MAC
 * from the table, or resolution with the fragment queued) and leaves by the egress port. A datagram
 * reassembled by the workers' defragmentation arrives as a chain of mbufs: it is first copied into one
 * contiguous scratch buffer, then refragmented to its largest fragment's size ({@code refragment}), as
 * Linux does with {@code frag_max_size}. An echo request to the box that arrives in fragments is answered
 * the same way, in fragments for the ingress port's MTU.
 * <p>
 * A packet dropped because its neighbour never resolved is answered with ICMP destination (host)
 * unreachable, as Linux's {@code arp_error_report} does, rate-limited like every ICMP error.
 */
public final class SlowPath implements Agent, NeighbourHandler
{
    public static final int RECEIVED = 0;
    public static final int ARP_REPLIES = 1;
    public static final int ECHO_REPLIES = 2;
    public static final int ICMP_ERRORS = 3;
    public static final int ICMP_RATE_LIMITED = 4;
    public static final int SOLICITATIONS = 5;
    public static final int RESOLVED_SENT = 6;
    public static final int DROPPED = 7;
    public static final int NO_MBUF = 8;
    public static final int NOT_SUPPORTED = 9;
    public static final int TX_FULL = 10;
    /** Neighbor advertisements sent in answer to solicitations for the port's own addresses. */
    public static final int NEIGHBOUR_ADVERTISEMENTS = 11;
    /** Neighbour discovery messages consumed without an answer: learned from, or refused ({@link NdProcessor#drops}). */
    public static final int ND_CONSUMED = 12;
    /** Router solicitations and advertisements and redirects: ignored. */
    public static final int ND_IGNORED = 13;
    public static final int ECHO6_REPLIES = 14;
    public static final int ICMP6_ERRORS = 15;
    /** Neighbor solicitations sent to resolve an IPv6 next hop (multicast or unicast probes). */
    public static final int NEIGHBOUR_SOLICITATIONS = 16;

    /** ICMPv6 destination unreachable code 2, beyond scope of source address (RFC 4443 3.1). */
    private static final int CODE_BEYOND_SCOPE = 2;
    /** Fragments sent (or queued for their neighbour) by {@link SlowPathBurst#FRAGMENT} and fragmented echo replies. */
    public static final int FRAGMENTS_OUT = 17;
    /** Datagrams that could not be fragmented: MTU too small for the mbufs or the header, too many fragments. */
    public static final int FRAGMENT_FAILS = 18;
    /** Packets whose neighbour never resolved, answered with ICMP host unreachable. */
    public static final int HOST_UNREACHABLE = 19;
    /** Gratuitous ARPs and unsolicited neighbour advertisements sent by {@link #announce()}. */
    public static final int ANNOUNCEMENTS = 20;
    /** Rejected packets answered (ICMP/ICMPv6 unreachable or TCP reset sent). */
    public static final int REJECTS_SENT = 21;
    /** TCP resets sent (part of {@link #REJECTS_SENT}). */
    public static final int TCP_RESETS = 23;
    /** Rejected packets not answered: no error owed (nf_reject's rules), rate limited, no mbuf, wrong family. */
    public static final int REJECTS_SUPPRESSED = 22;
    /** Packets for the box handed to the host stack (TCP, UDP, ICMP errors, fragments). */
    public static final int HOST_DELIVERED = 24;
    /** Echo requests not answered because the echo rate limit ran out. */
    public static final int ECHO_RATE_LIMITED = 25;
    /** Packets the host stack sent (to worker 0, or queued for their neighbour). */
    public static final int HOST_SENT = 26;
    /** Host stack packets freed: no route. */
    public static final int HOST_NO_ROUTE = 27;
    /** Host stack packets freed: larger than the egress MTU with DF (or IPv6), not IP, or the fragmenter failed. */
    public static final int HOST_UNSENDABLE = 28;
    public static final int COUNTERS = 29;

    /** Echo replies per second and burst: a flood of pings must not take the slow path (Linux does not limit them by default). */
    public static final int ECHO_REPLIES_PER_SECOND = 10_000;
    public static final int ECHO_REPLY_BURST = 1_000;

    /** The most fragments one datagram may need: 65535 bytes in 48-byte pieces at the smallest MTU (68). */
    private static final int MAX_FRAGMENTS = 1366;
    /** Room for the largest datagram behind a link-layer header with two VLAN tags. */
    private static final int LINEAR_BYTES = 65536 + 64;

    private final BurstRing<SlowPathBurst>[] rings;
    private final RouterPort[] portById = new RouterPort[EthDev.MAX_ETHPORTS];
    private final BurstRing<SlowPathBurst> txRing;
    private SlowPathBurst txBurst;
    private final Mempool pool;
    private final NeighbourResolver resolver;
    private final ArpProcessor arp;
    private final NdProcessor nd;
    private final IcmpSender icmp = new IcmpSender();
    private final IcmpRateLimiter icmpLimit;
    private final IcmpRateLimiter echoLimit = new IcmpRateLimiter(ECHO_REPLIES_PER_SECOND, ECHO_REPLY_BURST, System.nanoTime());
    private HostStack host;
    private HostPath hostPath;
    private final Counters counters = new Counters(COUNTERS);
    private final NeighbourTable neighbours;
    private final Ipv4Fragmenter fragmenter = new Ipv4Fragmenter();
    private final Arena arena = Arena.ofShared();
    /** A chained (reassembled) packet copied out whole, link-layer header included. */
    private final long linear;
    private final MbufBurst fragments;
    private final long[] fragmentBuffers = new long[MAX_FRAGMENTS];
    private final int[] fragmentLengths = new int[MAX_FRAGMENTS];
    private long nowNs;

    public SlowPath(final BurstRing<SlowPathBurst>[] rings, final BurstRing<SlowPathBurst> txRing, final RouterPort[] ports,
                    final Mempool pool, final NeighbourTable neighbours, final NeighbourParams params)
    {
        this(rings, txRing, ports, pool, neighbours, params, IcmpRateLimiter.linuxDefault(System.nanoTime()));
    }

    /** With the ICMP rate limit {@code icmpLimit} instead of Linux's default (tests). */
    SlowPath(final BurstRing<SlowPathBurst>[] rings, final BurstRing<SlowPathBurst> txRing, final RouterPort[] ports,
             final Mempool pool, final NeighbourTable neighbours, final NeighbourParams params, final IcmpRateLimiter icmpLimit)
    {
        this.rings = rings.clone();
        for (final RouterPort port : ports)
        {
            portById[port.id()] = port;
        }
        this.txRing = txRing;
        this.pool = pool;
        this.resolver = new NeighbourResolver(neighbours, params, new SplittableRandom(System.nanoTime()), this);
        this.arp = new ArpProcessor(resolver);
        this.nd = new NdProcessor(resolver, true);
        this.icmpLimit = icmpLimit;
        this.neighbours = neighbours;
        this.linear = arena.allocate(LINEAR_BYTES, 64).address();
        this.fragments = new MbufBurst(arena, MAX_FRAGMENTS);
    }

    /** Any thread: the fragmenter's counters ({@code Ipv4Fragmenter.FRAG_OKS}, ...). */
    public long fragmenterCounter(final int counter)
    {
        return fragmenter.counter(counter);
    }

    public NeighbourResolver resolver()
    {
        return resolver;
    }

    /**
     * Gives what this slow path does not answer itself for the box (TCP, UDP, ICMP errors, unreassembled
     * fragments) to {@code stack}, which sends through {@code routes}. Before the slow-path thread starts.
     */
    void attachHost(final HostStack stack, final RouteTable routes)
    {
        this.hostPath = new HostPath(this, routes, portById, pool, neighbours, resolver);
        this.host = stack;
        stack.attach(hostPath);
    }

    /** The neighbour discovery processor, for its drop counters (slow-path thread, or after it stopped). */
    public NdProcessor nd()
    {
        return nd;
    }

    /** Any thread: a counter named by the constants of this class. */
    public long counter(final int counter)
    {
        return counters.get(counter);
    }

    @Override
    public int doWork()
    {
        final long nowNs = System.nanoTime();
        this.nowNs = nowNs;
        int work = 0;
        for (final BurstRing<SlowPathBurst> ring : rings)
        {
            SlowPathBurst b;
            while ((b = ring.poll()) != null)
            {
                final int n = b.count();
                for (int i = 0; i < n; i++)
                {
                    if (b.reason[i] == SlowPathBurst.RESOLVE6)
                    {
                        resolver.resolve6(b.port[i], b.addressHi[i], b.addressLo[i], b.mbufs.mbuf(i), nowNs);
                    }
                    else
                    {
                        handle(b.mbufs.mbuf(i), b.reason[i], b.port[i], b.argument[i], b.nextHop[i], nowNs);
                    }
                }
                work += n;
                counters.add(RECEIVED, n);
                b.mbufs.count(0);
                ring.release(b);
            }
        }
        work += resolver.doWork(nowNs);
        if (host != null)
        {
            work += host.doWork(nowNs);
        }
        publishTx();
        return work;
    }

    private void handle(final long m, final int reason, final int port, final int argument, final int nextHop, final long nowNs)
    {
        switch (reason)
        {
            case SlowPathBurst.ARP -> arp(m, port, nowNs);
            case SlowPathBurst.LOCAL -> local(m, port, nowNs);
            case SlowPathBurst.FRAGMENT -> fragment(m, port, argument, nextHop, nowNs);
            case SlowPathBurst.NO_ROUTE -> icmpError(m, port, IcmpFlyweight.DEST_UNREACHABLE, IcmpFlyweight.CODE_NET_UNREACHABLE, 0, nowNs);
            case SlowPathBurst.TIME_EXCEEDED -> icmpError(m, port, IcmpFlyweight.TIME_EXCEEDED, IcmpFlyweight.CODE_TTL_EXCEEDED, 0, nowNs);
            case SlowPathBurst.FRAGMENTATION_NEEDED ->
                icmpError(m, port, IcmpFlyweight.DEST_UNREACHABLE, IcmpFlyweight.CODE_FRAGMENTATION_NEEDED, argument, nowNs);
            case SlowPathBurst.RESOLVE -> resolver.resolve(port, argument, m, nowNs);
            case SlowPathBurst.LOCAL6 -> local6(m, port, nowNs);
            case SlowPathBurst.NO_ROUTE6 -> icmp6Error(m, port, IcmpFlyweight.V6_DEST_UNREACHABLE, IcmpFlyweight.V6_CODE_NO_ROUTE, 0, nowNs);
            case SlowPathBurst.BEYOND_SCOPE6 ->
                icmp6Error(m, port, IcmpFlyweight.V6_DEST_UNREACHABLE, CODE_BEYOND_SCOPE, 0, nowNs);
            case SlowPathBurst.TIME_EXCEEDED6 ->
                icmp6Error(m, port, IcmpFlyweight.V6_TIME_EXCEEDED, IcmpFlyweight.V6_CODE_HOP_LIMIT_EXCEEDED, 0, nowNs);
            case SlowPathBurst.PACKET_TOO_BIG6 -> icmp6Error(m, port, IcmpFlyweight.V6_PACKET_TOO_BIG, 0, argument, nowNs);
            case SlowPathBurst.REJECT -> counters.increment(reject(m, port, argument, nowNs) ? REJECTS_SENT : REJECTS_SUPPRESSED);
            default ->
            {
                counters.increment(NOT_SUPPORTED);
                drop(m);
            }
        }
    }

    private void arp(final long m, final int port, final long nowNs)
    {
        final RouterPort p = portById[port];
        final int reply = p == null ? ArpProcessor.CONSUMED : arp.process(p.addresses(), Mbuf.data(m), Mbuf.dataLength(m), nowNs);
        if (reply > 0)
        {
            Mbuf.length(m, reply);
            counters.increment(ARP_REPLIES);
            stage(port, m);
        }
        else
        {
            Mbuf.free(m);
        }
    }

    /**
     * For the box itself: an ICMP echo request is answered (under {@link #echoLimit}); anything else goes to the
     * host stack, or is dropped when there is none.
     */
    private void local(final long m, final int port, final long nowNs)
    {
        final long frame = Mbuf.data(m);
        final int offset = EthernetFlyweight.payloadOffset(frame);
        final long ip = frame + offset;
        if (!isEchoRequest(ip, Mbuf.dataLength(m) - offset))
        {
            toHost(m, port, nowNs);
            return;
        }
        if (!echoLimit.tryAcquire(nowNs))
        {
            counters.increment(ECHO_RATE_LIMITED);
            drop(m);
            return;
        }
        if (Mbuf.segments(m) > 1
            || (port < portById.length && portById[port] != null && Mbuf.packetLength(m) - offset > portById[port].mtu()))
        {
            // reassembled here, and its reply may be larger than the ingress port's MTU
            localReassembled(m, port, nowNs);
            return;
        }
        if (icmp.ipv4EchoReply(ip, Mbuf.dataLength(m) - offset))
        {
            EthernetFlyweight.putDstMac(frame, EthernetFlyweight.getSrcMac(frame));
            EthernetFlyweight.putSrcMac(frame, portById[port].mac());
            counters.increment(ECHO_REPLIES);
            stage(port, m, SlowPathBurst.LOCAL_OUT);
            return;
        }
        counters.increment(NOT_SUPPORTED);
        drop(m);
    }

    /** An unfragmented (or reassembled) ICMP echo request whose type byte is in the first segment. */
    private static boolean isEchoRequest(final long ip, final int available)
    {
        if (available < Ipv4Flyweight.MIN_HEADER_LENGTH
            || Memory.getUnsignedByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET) != IpProtocol.ICMP)
        {
            return false;
        }
        final int headerLength = (Memory.getUnsignedByte(ip) & 0x0F) << 2;
        final boolean fragment = (Memory.getUnsignedByte(ip + 6) & 0x3F | Memory.getUnsignedByte(ip + 7)) != 0;
        return !fragment && available > headerLength && Memory.getUnsignedByte(ip + headerLength) == IcmpFlyweight.ECHO_REQUEST;
    }

    /** To the host stack, which owns {@code m} from here; freed and counted as not supported when there is none. */
    private void toHost(final long m, final int port, final long nowNs)
    {
        if (host == null)
        {
            counters.increment(NOT_SUPPORTED);
            drop(m);
            return;
        }
        counters.increment(HOST_DELIVERED);
        host.receive(m, port, nowNs);
    }

    private boolean icmpError(final long m, final int port, final int type, final int code, final int info, final long nowNs)
    {
        final RouterPort p = portById[port];
        if (p == null || p.primaryIpv4() == 0 || !icmpLimit.tryAcquire(nowNs))
        {
            counters.increment(ICMP_RATE_LIMITED);
            drop(m);
            return false;
        }
        final long e = pool.alloc();
        if (e == 0)
        {
            counters.increment(NO_MBUF);
            drop(m);
            return false;
        }
        final long frame = Mbuf.data(m);
        final int offset = EthernetFlyweight.payloadOffset(frame);
        final long out = Mbuf.data(e);
        final int n = icmp.ipv4Error(out + EthernetFlyweight.HEADER_LENGTH, Mbuf.tailroom(e) - EthernetFlyweight.HEADER_LENGTH,
            frame + offset, Mbuf.dataLength(m) - offset, type, code, info, p.primaryIpv4());
        if (n == 0)
        {
            Mbuf.free(e);
            drop(m);
            return false;
        }
        sendError(m, e, frame, p, n, EthernetFlyweight.ETHER_TYPE_IPV4, ICMP_ERRORS);
        return true;
    }

    /**
     * For the box itself (IPv6): neighbour discovery to {@link NdProcessor}, which answers solicitations for
     * this port's addresses in place; echo requests to one of the box's unicast addresses answered; router
     * discovery and redirects ignored; anything else not served yet (no local sockets).
     */
    private void local6(final long m, final int port, final long nowNs)
    {
        final RouterPort p = portById[port];
        final long frame = Mbuf.data(m);
        final int offset = EthernetFlyweight.payloadOffset(frame);
        final long ip = frame + offset;
        final int length = Mbuf.dataLength(m) - offset;
        if (p == null || length < Ipv6Flyweight.HEADER_LENGTH + IcmpFlyweight.HEADER_LENGTH
            || Ipv6Flyweight.getNextHeader(ip) != IpProtocol.ICMPV6)
        {
            toHost(m, port, nowNs);
            return;
        }
        final int type = Memory.getUnsignedByte(ip + Ipv6Flyweight.HEADER_LENGTH);
        switch (type)
        {
            case IcmpFlyweight.V6_NEIGHBOR_SOLICITATION, IcmpFlyweight.V6_NEIGHBOR_ADVERTISEMENT ->
            {
                final int reply = nd.process(p.addresses(), frame, Mbuf.dataLength(m), Mbuf.dataLength(m) + Mbuf.tailroom(m), nowNs);
                if (reply > 0)
                {
                    Mbuf.length(m, reply);
                    counters.increment(NEIGHBOUR_ADVERTISEMENTS);
                    stage(port, m);
                }
                else
                {
                    counters.increment(ND_CONSUMED);
                    Mbuf.free(m);
                }
            }
            case IcmpFlyweight.V6_ROUTER_SOLICITATION, IcmpFlyweight.V6_ROUTER_ADVERTISEMENT, IcmpFlyweight.V6_REDIRECT ->
            {
                counters.increment(ND_IGNORED);
                Mbuf.free(m);
            }
            case IcmpFlyweight.V6_ECHO_REQUEST ->
            {
                if (!echoLimit.tryAcquire(nowNs))
                {
                    counters.increment(ECHO_RATE_LIMITED);
                    drop(m);
                }
                else if (isOwnUnicast(Ipv6Flyweight.getDstAddressHi(ip), Ipv6Flyweight.getDstAddressLo(ip)) && icmp.ipv6EchoReply(ip, length))
                {
                    EthernetFlyweight.putDstMac(frame, EthernetFlyweight.getSrcMac(frame));
                    EthernetFlyweight.putSrcMac(frame, p.mac());
                    Mbuf.length(m, offset + Ipv6Flyweight.HEADER_LENGTH + Ipv6Flyweight.getPayloadLength(ip));
                    counters.increment(ECHO6_REPLIES);
                    stage(port, m, SlowPathBurst.LOCAL_OUT);
                }
                else
                {
                    counters.increment(NOT_SUPPORTED);
                    drop(m);
                }
            }
            default -> toHost(m, port, nowNs);
        }
    }

    private boolean isOwnUnicast(final long hi, final long lo)
    {
        for (final RouterPort p : portById)
        {
            if (p != null && p.addresses().hasIpv6(hi, lo))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * An ICMPv6 error about the packet in {@code m} back out of {@code port}, to the MAC it came from; from the
     * port's address of the offending source's scope. Packet Too Big is not rate limited (Linux's ratemask).
     */
    private boolean icmp6Error(final long m, final int port, final int type, final int code, final int info, final long nowNs)
    {
        final RouterPort p = portById[port];
        final long frame = Mbuf.data(m);
        final int offset = EthernetFlyweight.payloadOffset(frame);
        final long ip = frame + offset;
        final int source = p == null ? -1 : p.ipv6SourceIndexFor(Ipv6Flyweight.getSrcAddressHi(ip));
        if (source < 0)
        {
            counters.increment(NOT_SUPPORTED);
            drop(m);
            return false;
        }
        if (type != IcmpFlyweight.V6_PACKET_TOO_BIG && !icmpLimit.tryAcquire(nowNs))
        {
            counters.increment(ICMP_RATE_LIMITED);
            drop(m);
            return false;
        }
        final long e = pool.alloc();
        if (e == 0)
        {
            counters.increment(NO_MBUF);
            drop(m);
            return false;
        }
        final int length = Math.min(Mbuf.dataLength(m) - offset, Ipv6Flyweight.HEADER_LENGTH + Ipv6Flyweight.getPayloadLength(ip));
        final long out = Mbuf.data(e);
        final int n = icmp.ipv6Error(out + EthernetFlyweight.HEADER_LENGTH, Mbuf.tailroom(e) - EthernetFlyweight.HEADER_LENGTH,
            ip, length, type, code, info, p.addresses().ipv6Hi(source), p.addresses().ipv6Lo(source));
        if (n == 0)
        {
            Mbuf.free(e);
            drop(m);
            return false;
        }
        sendError(m, e, frame, p, n, EthernetFlyweight.ETHER_TYPE_IPV6, ICMP6_ERRORS);
        return true;
    }

    /**
     * A packet a rule rejected ({@code argument} is its {@code RejectCodes} value): the error Linux's nf_reject sends
     * ({@code nf_send_unreach}, {@code nf_send_unreach6}, {@code nf_send_reset}, {@code nf_send_reset6}), back out of
     * {@code port} to the MAC the packet came from; the packet is freed either way. ICMP and ICMPv6 errors are rate
     * limited (icmp_send's global limit) and follow {@link IcmpSender}'s rules of when not to answer; like
     * nf_send_unreach, a TCP or UDP packet whose checksum is wrong is not answered. Resets are not rate limited (Linux
     * does not limit them either). A kind that does not fit the packet's family gets nothing.
     *
     * @return whether something was sent.
     */
    private boolean reject(final long m, final int port, final int argument, final long nowNs)
    {
        final long frame = Mbuf.data(m);
        final int offset = EthernetFlyweight.payloadOffset(frame);
        final int etherType = EthernetFlyweight.payloadEtherType(frame);
        final long ip = frame + offset;
        final int length = Mbuf.dataLength(m) - offset;
        final int kind = RejectCodes.kind(argument);
        final int code = RejectCodes.code(argument);
        final boolean v4 = etherType == EthernetFlyweight.ETHER_TYPE_IPV4;
        final boolean v6 = etherType == EthernetFlyweight.ETHER_TYPE_IPV6;
        if (Mbuf.segments(m) > 1)
        {
            drop(m); // NOTE: a reassembled datagram (a chain) is not answered; its first fragment's bytes are not linear here
            return false;
        }
        switch (kind)
        {
            case RejectCodes.ICMP ->
            {
                if (v4 && l4ChecksumOk4(ip, length))
                {
                    return icmpError(m, port, IcmpFlyweight.DEST_UNREACHABLE, code, 0, nowNs);
                }
            }
            case RejectCodes.ICMPV6 ->
            {
                if (v6 && l4ChecksumOk6(ip, length))
                {
                    return icmp6Error(m, port, IcmpFlyweight.V6_DEST_UNREACHABLE, code, 0, nowNs);
                }
            }
            case RejectCodes.TCP_RESET ->
            {
                if (v4 || v6)
                {
                    return tcpReset(m, port, frame, ip, length, v4);
                }
            }
            default ->
            {
            }
        }
        drop(m);
        return false;
    }

    private boolean tcpReset(final long m, final int port, final long frame, final long ip, final int length, final boolean v4)
    {
        final RouterPort p = port >= 0 && port < portById.length ? portById[port] : null;
        if (p == null)
        {
            drop(m);
            return false;
        }
        final long e = pool.alloc();
        if (e == 0)
        {
            counters.increment(NO_MBUF);
            drop(m);
            return false;
        }
        final long out = Mbuf.data(e) + EthernetFlyweight.HEADER_LENGTH;
        final int room = Mbuf.tailroom(e) - EthernetFlyweight.HEADER_LENGTH;
        final int n = v4 ? TcpReset.ipv4(out, room, ip, length) : TcpReset.ipv6(out, room, ip, length);
        if (n == 0)
        {
            Mbuf.free(e);
            drop(m);
            return false;
        }
        sendError(m, e, frame, p, n, v4 ? EthernetFlyweight.ETHER_TYPE_IPV4 : EthernetFlyweight.ETHER_TYPE_IPV6, TCP_RESETS);
        return true;
    }

    /** nf_send_unreach: a TCP or UDP packet (not a later fragment) is answered only when its checksum holds. */
    private static boolean l4ChecksumOk4(final long ip, final int length)
    {
        if (length < Ipv4Flyweight.MIN_HEADER_LENGTH
            || (Memory.getShortBE(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET)
            & (Ipv4Flyweight.FRAGMENT_OFFSET_MASK | Ipv4Flyweight.FLAG_MORE_FRAGMENTS)) != 0)
        {
            return true; // fragments: icmp_send decides (no answer about a later one); the checksum spans the datagram
        }
        final int headerLength = Ipv4Flyweight.getHeaderLength(ip);
        final int total = Memory.getShortBE(ip + Ipv4Flyweight.TOTAL_LENGTH_OFFSET);
        final int protocol = Memory.getUnsignedByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET);
        if (total > length || total < headerLength)
        {
            return false;
        }
        if (protocol == IpProtocol.TCP)
        {
            return total - headerLength >= 20 && Checksum.isTcpIpv4Valid(ip);
        }
        if (protocol == IpProtocol.UDP)
        {
            return total - headerLength >= 8 && Checksum.isUdpIpv4Valid(ip);
        }
        return true;
    }

    /** nf_send_unreach6: likewise for TCP or UDP right after the fixed header. */
    private static boolean l4ChecksumOk6(final long ip, final int length)
    {
        if (length < Ipv6Flyweight.HEADER_LENGTH)
        {
            return false;
        }
        final int payload = Ipv6Flyweight.getPayloadLength(ip);
        final int next = Ipv6Flyweight.getNextHeader(ip);
        final long l4 = ip + Ipv6Flyweight.HEADER_LENGTH;
        if (Ipv6Flyweight.HEADER_LENGTH + payload > length)
        {
            return false;
        }
        if (next == IpProtocol.TCP)
        {
            return payload >= 20 && Checksum.isTcpIpv6Valid(ip, l4);
        }
        if (next == IpProtocol.UDP)
        {
            return payload >= 8 && Checksum.isUdpIpv6Valid(ip, l4);
        }
        return true;
    }

    /**
     * An ICMP or ICMPv6 error of {@code n} bytes written behind the Ethernet header of {@code e}: addressed back
     * to the MAC the offending packet {@code m} (its frame at {@code frame}) came from, out of the port {@code p}
     * it came in on; {@code m} is freed.
     */
    private void sendError(final long m, final long e, final long frame, final RouterPort p, final int n, final int etherType,
                           final int counter)
    {
        final long out = Mbuf.data(e);
        EthernetFlyweight.putDstMac(out, EthernetFlyweight.getSrcMac(frame));
        EthernetFlyweight.putSrcMac(out, p.mac());
        Memory.putShortBE(out + EthernetFlyweight.ETHER_TYPE_OFFSET, etherType);
        Mbuf.length(e, EthernetFlyweight.HEADER_LENGTH + n);
        Mbuf.free(m);
        counters.increment(counter);
        stage(p.id(), e, SlowPathBurst.LOCAL_OUT);
    }

    @Override
    public void solicit(final NeighbourTable table, final int slot, final long dstMac)
    {
        if (table.family(slot) == NeighbourTable.FAMILY_IPV6)
        {
            solicit6(table, slot, dstMac);
            return;
        }
        final RouterPort p = portById[table.port(slot)];
        if (p == null || table.family(slot) != 4 || p.primaryIpv4() == 0)
        {
            counters.increment(NOT_SUPPORTED);
            return;
        }
        final long m = pool.alloc();
        if (m == 0)
        {
            counters.increment(NO_MBUF);
            return;
        }
        final int n = dstMac == MULTICAST
            ? ArpProcessor.writeRequest(Mbuf.data(m), p.mac(), p.primaryIpv4(), table.ipv4(slot))
            : ArpProcessor.writeRequest(Mbuf.data(m), dstMac, p.mac(), p.primaryIpv4(), table.ipv4(slot));
        Mbuf.length(m, n);
        counters.increment(SOLICITATIONS);
        stage(p.id(), m);
    }

    /**
     * Announces the box's addresses to its links: a gratuitous ARP per IPv4 address (as Linux does with
     * {@code arp_notify} set, or {@code arping -U}) and an unsolicited neighbour advertisement, router flag set,
     * per IPv6 address (RFC 4861 7.2.6), so that neighbours holding a stale MAC for them (a restarted or
     * replaced router) update at once. Call it before this slow path's thread starts, or on that thread.
     *
     * @return the announcements staged for transmission (each leaves through worker 0).
     */
    public int announce()
    {
        int sent = 0;
        for (final RouterPort p : portById)
        {
            if (p == null)
            {
                continue;
            }
            final PortAddresses addresses = p.addresses();
            for (int i = 0; i < addresses.ipv4Count(); i++)
            {
                sent += announce(p, false, addresses.ipv4(i), 0, 0);
            }
            for (int i = 0; i < addresses.ipv6Count(); i++)
            {
                sent += announce(p, true, 0, addresses.ipv6Hi(i), addresses.ipv6Lo(i));
            }
        }
        publishTx();
        return sent;
    }

    private int announce(final RouterPort p, final boolean ipv6, final int ipv4, final long hi, final long lo)
    {
        final long m = pool.alloc();
        if (m == 0)
        {
            counters.increment(NO_MBUF);
            return 0;
        }
        Mbuf.length(m, ipv6 ? NdProcessor.writeUnsolicitedAdvertisement(Mbuf.data(m), p.mac(), hi, lo, true)
            : ArpProcessor.writeGratuitous(Mbuf.data(m), p.mac(), ipv4));
        counters.increment(ANNOUNCEMENTS);
        stage(p.id(), m);
        return 1;
    }

    /** A neighbour solicitation from the port's address of the target's scope (RFC 4861 7.2.2). */
    private void solicit6(final NeighbourTable table, final int slot, final long dstMac)
    {
        final RouterPort p = portById[table.port(slot)];
        final long targetHi = table.ipv6Hi(slot);
        final int source = p == null ? -1 : p.ipv6SourceIndexFor(targetHi);
        if (source < 0)
        {
            counters.increment(NOT_SUPPORTED);
            return;
        }
        final long m = pool.alloc();
        if (m == 0)
        {
            counters.increment(NO_MBUF);
            return;
        }
        final int n = NdProcessor.writeSolicitation(Mbuf.data(m), dstMac, p.mac(), p.addresses().ipv6Hi(source),
            p.addresses().ipv6Lo(source), targetHi, table.ipv6Lo(slot));
        Mbuf.length(m, n);
        counters.increment(NEIGHBOUR_SOLICITATIONS);
        stage(p.id(), m);
    }

    @Override
    public void transmit(final long packet, final int port, final long dstMac)
    {
        final long frame = Mbuf.data(packet);
        EthernetFlyweight.putDstMac(frame, dstMac);
        EthernetFlyweight.putSrcMac(frame, portById[port].mac());
        counters.increment(RESOLVED_SENT);
        stage(port, packet, Mbuf.port(packet) == HostPath.HOST_ORIGIN ? SlowPathBurst.LOCAL_OUT : 0);
    }

    // ------------------------------------------------------------------------------------------------------
    // The host stack's output (HostPath)
    // ------------------------------------------------------------------------------------------------------

    /** A host stack packet with its Ethernet header written: to worker 0 for OUTPUT, POSTROUTING and the egress. */
    void hostStage(final int port, final long m)
    {
        counters.increment(HOST_SENT);
        stage(port, m, SlowPathBurst.LOCAL_OUT);
    }

    /** A host stack packet that cannot leave: freed and counted under {@code counter}. */
    void hostDrop(final long m, final int counter)
    {
        counters.increment(counter);
        Mbuf.free(m);
    }

    /** A host stack IPv4 packet larger than the egress MTU without DF: fragmented like a forwarded one. */
    void hostFragment(final long m, final int egress, final int mtu, final int nextHop, final long nowNs)
    {
        counters.increment(HOST_SENT);
        fragment(m, egress, SlowPathBurst.fragmentArgument(mtu, 0), nextHop, nowNs);
    }

    /**
     * A packet that waited for a neighbour is freed; when the neighbour failed to resolve, an IPv4 packet is
     * answered with ICMP destination unreachable, code host unreachable, from the port it came in on, as
     * Linux's {@code arp_error_report} ({@code dst_link_failure}) does for the packets queued on a FAILED
     * entry. The resolver keeps only the packet: the ingress port is the mbuf's own {@code port}.
     */
    @Override
    public void drop(final long packet, final int reason)
    {
        if (reason == NeighbourHandler.DROP_FAILED && Mbuf.port(packet) < portById.length
            && Mbuf.dataLength(packet) > EthernetFlyweight.HEADER_LENGTH
            && EthernetFlyweight.payloadEtherType(Mbuf.data(packet)) == EthernetFlyweight.ETHER_TYPE_IPV4)
        {
            final long before = counters.get(ICMP_ERRORS);
            icmpError(packet, Mbuf.port(packet), IcmpFlyweight.DEST_UNREACHABLE, IcmpFlyweight.CODE_HOST_UNREACHABLE, 0, nowNs);
            if (counters.get(ICMP_ERRORS) != before)
            {
                counters.increment(HOST_UNREACHABLE);
            }
            return;
        }
        drop(packet);
    }

    // ------------------------------------------------------------------------------------------------------
    // Fragmentation on output
    // ------------------------------------------------------------------------------------------------------

    /**
     * {@link SlowPathBurst#FRAGMENT}: splits the packet for {@code egress}'s MTU (and, reassembled here, its
     * largest fragment's size); each fragment takes the neighbour step towards {@code nextHop}. DF with a
     * largest fragment above the MTU is answered ICMP fragmentation needed, as {@code ip_fragment} does.
     */
    private void fragment(final long m, final int egress, final int argument, final int nextHop, final long nowNs)
    {
        final int mtu = SlowPathBurst.fragmentMtu(argument);
        final int maxFragmentSize = SlowPathBurst.fragmentMaxSize(argument);
        final long ip = contiguousIp(m);
        if (ip == 0)
        {
            counters.increment(FRAGMENT_FAILS);
            drop(m);
            return;
        }
        final int result = emitFragments(m, ip, egress, mtu, maxFragmentSize, nextHop, NeighbourTable.NO_MAC, nowNs);
        if (result == Ipv4Fragmenter.FRAGMENTATION_NEEDED)
        {
            if (Mbuf.port(m) < portById.length)
            {
                icmpError(m, Mbuf.port(m), IcmpFlyweight.DEST_UNREACHABLE, IcmpFlyweight.CODE_FRAGMENTATION_NEEDED, mtu, nowNs);
            }
            else
            {
                drop(m);
            }
            return;
        }
        if (result < 0)
        {
            counters.increment(FRAGMENT_FAILS);
            drop(m);
            return;
        }
        Mbuf.free(m);
    }

    /** An echo request to the box that was reassembled: the reply leaves in fragments for the ingress port. */
    private void localReassembled(final long m, final int port, final long nowNs)
    {
        final RouterPort p = port < portById.length ? portById[port] : null;
        final long ip = contiguousIp(m);
        if (p == null || ip == 0 || Memory.getUnsignedByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET) != IpProtocol.ICMP
            || !icmp.ipv4EchoReply(ip, Ipv4Flyweight.getTotalLength(ip)))
        {
            counters.increment(NOT_SUPPORTED);
            drop(m);
            return;
        }
        final long frame = Mbuf.data(m);
        final int result = emitFragments(m, ip, port, p.mtu(), 0, 0, EthernetFlyweight.getSrcMac(frame), nowNs);
        if (result < 0)
        {
            counters.increment(FRAGMENT_FAILS);
            drop(m);
            return;
        }
        counters.increment(ECHO_REPLIES);
        Mbuf.free(m);
    }

    /**
     * The IPv4 header of {@code m} in contiguous memory: in the mbuf itself when it has one segment, else
     * in {@link #linear}, where the whole chain is copied. 0 when the chain is larger than that.
     */
    private long contiguousIp(final long m)
    {
        final long frame = Mbuf.data(m);
        final int l2Length = EthernetFlyweight.payloadOffset(frame);
        if (Mbuf.segments(m) == 1)
        {
            return frame + l2Length;
        }
        if (Mbuf.packetLength(m) > LINEAR_BYTES)
        {
            return 0;
        }
        long at = linear;
        for (long segment = m; segment != 0; segment = Mbuf.next(segment))
        {
            final int n = Mbuf.dataLength(segment);
            Memory.copy(Mbuf.data(segment), at, n);
            at += n;
        }
        return linear + l2Length;
    }

    /**
     * Writes the fragments of the datagram at {@code ip} into fresh mbufs, each behind a copy of {@code m}'s
     * link-layer header and with {@code m}'s input port, and sends them out of {@code port}: to {@code dstMac},
     * or when that is {@code NO_MAC} through the neighbour step towards {@code nextHop}. {@code m} is left to
     * the caller.
     *
     * @return the fragments sent, or an {@link Ipv4Fragmenter} failure (nothing sent).
     */
    private int emitFragments(final long m, final long ip, final int port, final int mtu, final int maxFragmentSize,
                              final int nextHop, final long dstMac, final long nowNs)
    {
        final RouterPort p = portById[port];
        if (p == null)
        {
            return Ipv4Fragmenter.MTU_TOO_SMALL;
        }
        final long frame = Mbuf.data(m);
        final int l2Length = EthernetFlyweight.payloadOffset(frame);
        final int fragmentMtu = maxFragmentSize > 0 && maxFragmentSize < mtu ? maxFragmentSize : mtu;
        final int count = Ipv4Fragmenter.fragmentCount(ip, fragmentMtu);
        if (count < 0)
        {
            return count;
        }
        if (count > MAX_FRAGMENTS)
        {
            return Ipv4Fragmenter.TOO_FEW_BUFFERS;
        }
        final MbufBurst out = fragments;
        if (!pool.allocBulk(out.address(), count))
        {
            counters.increment(NO_MBUF);
            return Ipv4Fragmenter.TOO_FEW_BUFFERS;
        }
        out.count(count);
        if (Mbuf.tailroom(out.mbuf(0)) < l2Length + Math.min(fragmentMtu, Ipv4Flyweight.getTotalLength(ip)))
        {
            out.free();
            return Ipv4Fragmenter.MTU_TOO_SMALL;
        }
        final long[] buffers = fragmentBuffers;
        final int[] lengths = fragmentLengths;
        for (int k = 0; k < count; k++)
        {
            buffers[k] = Mbuf.data(out.mbuf(k)) + l2Length;
        }
        final int n = maxFragmentSize > 0
            ? fragmenter.refragment(ip, mtu, maxFragmentSize, buffers, lengths, count)
            : fragmenter.fragment(ip, mtu, buffers, lengths, count);
        if (n < 0)
        {
            out.free();
            return n;
        }
        final int inPort = Mbuf.port(m);
        for (int k = 0; k < count; k++)
        {
            final long fragment = out.mbuf(k);
            if (k >= n)
            {
                Mbuf.free(fragment);
                continue;
            }
            Memory.copy(frame, Mbuf.data(fragment), l2Length);
            Mbuf.length(fragment, l2Length + lengths[k]);
            Mbuf.port(fragment, inPort);
            counters.increment(FRAGMENTS_OUT);
            final long mac = dstMac != NeighbourTable.NO_MAC ? dstMac : neighbours.lookupMac(port, nextHop);
            if (mac != NeighbourTable.NO_MAC)
            {
                final long f = Mbuf.data(fragment);
                EthernetFlyweight.putDstMac(f, mac);
                EthernetFlyweight.putSrcMac(f, p.mac());
                stage(port, fragment);
            }
            else
            {
                resolver.resolve(port, nextHop, fragment, nowNs);
            }
        }
        out.count(0);
        return n;
    }

    private void drop(final long m)
    {
        counters.increment(DROPPED);
        Mbuf.free(m);
    }

    /** Queues {@code m} for transmission out of {@code port} by worker 0; frees it when the ring is full. */
    private void stage(final int port, final long m)
    {
        stage(port, m, 0);
    }

    /**
     * {@link #stage} with what the packet is to worker 0: {@link SlowPathBurst#LOCAL_OUT} for a whole IP packet
     * the box itself originates (an echo reply, an ICMP error), which then traverses OUTPUT and POSTROUTING
     * (conntrack sees the box's own replies); 0 for what only leaves (ARP, ND, forwarded packets released by
     * neighbour resolution, fragments of forwarded datagrams).
     */
    private void stage(final int port, final long m, final int why)
    {
        SlowPathBurst b = txBurst;
        if (b != null && b.count() == b.mbufs.capacity())
        {
            publishTx();
            b = txBurst;
        }
        if (b == null)
        {
            b = txRing.acquire();
            txBurst = b;
        }
        if (b == null || !b.add(m, why, port, 0))
        {
            counters.increment(TX_FULL);
            Mbuf.free(m);
        }
    }

    private void publishTx()
    {
        final SlowPathBurst b = txBurst;
        if (b != null && b.count() > 0 && txRing.publish(b))
        {
            txBurst = null;
        }
    }

    /** After the workers stopped: frees what waits in the rings and in neighbour queues. */
    @Override
    public void onClose()
    {
        for (final BurstRing<SlowPathBurst> ring : rings)
        {
            SlowPathBurst b;
            while ((b = ring.poll()) != null)
            {
                b.mbufs.free();
                ring.release(b);
            }
        }
        if (host != null)
        {
            host.close();
        }
        resolver.removeAll();
        if (txBurst != null)
        {
            txBurst.mbufs.free();
        }
        SlowPathBurst b;
        while ((b = txRing.poll()) != null)
        {
            b.mbufs.free();
            txRing.release(b);
        }
        arena.close();
    }

    @Override
    public String roleName()
    {
        return "slowpath";
    }
}
