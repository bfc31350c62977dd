package io.flowgate.pipeline.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.nativebindings.gen.rte_mbuf;
import io.flowgate.pipeline.dispatch.BurstRing;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.ip.Ipv6Input;
import io.flowgate.pipeline.neigh.NdFlyweight;
import io.flowgate.pipeline.neigh.NdProcessor;
import io.flowgate.pipeline.neigh.NeighbourHandler;
import io.flowgate.pipeline.neigh.NeighbourParams;
import io.flowgate.pipeline.neigh.NeighbourTable;
import io.flowgate.pipeline.neigh.PortAddresses;
import io.flowgate.pipeline.route.Ipv4Lpm;
import io.flowgate.pipeline.route.Ipv6Lpm;
import io.flowgate.pipeline.route.NextHopTable;
import io.flowgate.pipeline.route.RouteTable;
import io.flowgate.pipeline.slowpath.IcmpRateLimiter;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.IcmpFlyweight;
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.header.Ipv6Flyweight;
import io.flowgate.pmd.port.DpdkPort;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.port.PortConfig;
import io.flowgate.pmd.testing.TestEal;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import org.agrona.collections.IntHashSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * IPv6 through the router worker and its slow path on the real EAL, both driven on the test thread: crafted
 * packets are injected into loopback ring ports ("in" faces host A, "out" host B); what the worker transmits
 * waits in those rings for the test to read (the worker's next doWork would read it back, so each test reads
 * before that). Every test ends with every mbuf back in the pool.
 */
class RouterIpv6Test
{
    private static final long MAC_IN = 0x02_00_00_00_01_01L;
    private static final long MAC_OUT = 0x02_00_00_00_02_02L;
    private static final long MAC_A = 0x02_00_00_00_00_0AL;
    private static final long MAC_B = 0x02_00_00_00_00_0BL;
    private static final long NET_1 = 0xFD00_0001_0000_0000L;      // fd00:1::/64, on "in"
    private static final long NET_2 = 0xFD00_0002_0000_0000L;      // fd00:2::/64, on "out"
    private static final long UNROUTED = 0x2001_0DB8_0000_0000L;   // 2001:db8::/64, no route
    private static final int OUT_MTU = 1280;

    private static Mempool pool;

    private Arena arena;
    private DpdkPort in;
    private DpdkPort out;
    private RouteTable routes;
    private NeighbourTable neighbours;
    private RouterWorker worker;
    private SlowPath slowPath;
    private RouterPort inPort;
    private int baseline;

    @BeforeAll
    static void initEal()
    {
        TestEal.get();
        pool = Mempool.createPktmbufPool("router6-test", 4095, 64, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
    }

    @AfterAll
    static void freePool()
    {
        pool.close();
    }

    @BeforeEach
    @SuppressWarnings("unchecked")
    void startRouter()
    {
        baseline = pool.inUse();
        arena = Arena.ofShared();
        in = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
        out = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
        routes = new RouteTable(new Ipv4Lpm(64), new Ipv6Lpm(64), new NextHopTable(64, 16));
        neighbours = new NeighbourTable(64, 1);
        routes.addConnected("10.1.0.0/24", in.id());
        routes.addConnected("10.2.0.0/24", out.id());
        routes.addConnected("fd00:1::/64", in.id());
        routes.addConnected("fd00:2::/64", out.id());
        inPort = new RouterPort(in, MAC_IN, 1500,
            new PortAddresses(in.id(), MAC_IN, 2).addIpv4(0x0A010001).addIpv6(NET_1, 1).addLinkLocal());
        final RouterPort outPort = new RouterPort(out, MAC_OUT, OUT_MTU,
            new PortAddresses(out.id(), MAC_OUT, 2).addIpv4(0x0A020001).addIpv6(NET_2, 1).addLinkLocal());
        final RouterPort[] ports = {inPort, outPort};
        final IntHashSet local = new IntHashSet();
        local.add(0x0A010001);
        local.add(0x0A020001);
        final BurstRing<SlowPathBurst> toSlow = new BurstRing<>(4, () -> new SlowPathBurst(arena, 32));
        final BurstRing<SlowPathBurst> fromSlow = new BurstRing<>(4, () -> new SlowPathBurst(arena, 32));
        slowPath = new SlowPath(new BurstRing[] {toSlow}, fromSlow, ports, pool, neighbours, NeighbourParams.linuxDefaults());
        assertTrue(slowPath.resolver().addPermanent6(out.id(), NET_2, 2, MAC_B, System.nanoTime()));
        assertTrue(slowPath.resolver().addPermanent(out.id(), 0x0A020002, MAC_B, System.nanoTime()));
        worker = new RouterWorker("test6", 0, ports, local, routes.ipv4(), routes.ipv6(), Router.localIpv6(ports), routes.nextHops(),
            neighbours, new HookChain(32), toSlow, fromSlow, 32);
    }

    @AfterEach
    void stopRouter()
    {
        worker.onClose();
        slowPath.onClose();
        drain(in);
        drain(out);
        in.close();
        out.close();
        routes.close();
        neighbours.close();
        arena.close();
        assertEquals(baseline, pool.inUse(), "every mbuf back in the pool");
    }

    @Test
    void shouldForwardWithHopLimitDecrementedAndMacsRewritten()
    {
        inject(in, udp6(MAC_IN, NET_1, 2, NET_2, 2, 64, 100));
        worker.doWork();
        final long m = receiveOne(out);
        final long frame = Mbuf.data(m);
        assertEquals(MAC_B, EthernetFlyweight.getDstMac(frame));
        assertEquals(MAC_OUT, EthernetFlyweight.getSrcMac(frame));
        final long ip = frame + EthernetFlyweight.HEADER_LENGTH;
        assertEquals(63, Ipv6Flyweight.getHopLimit(ip));
        assertEquals(NET_2, Ipv6Flyweight.getDstAddressHi(ip));
        assertEquals(2, Ipv6Flyweight.getDstAddressLo(ip));
        Mbuf.free(m);
        assertEquals(1, worker.counter(RouterWorker.TX));
        assertEquals(1, worker.counter(RouterWorker.IPV6_RX));
        assertEquals(0, worker.counter(RouterWorker.DROPPED));
    }

    @Test
    void shouldForwardIpv4AndIpv6OfOneBurstBothUntouchedByTheOtherFamilysStages()
    {
        final long[] frames = new long[6];
        for (int i = 0; i < frames.length; i++)
        {
            frames[i] = i % 2 == 0 ? udp4(MAC_IN, 0x0A010002, 0x0A020002) : udp6(MAC_IN, NET_1, 2, NET_2, 2, 64, 60 + i);
        }
        inject(in, frames);
        worker.doWork();
        final MbufBurst rx = new MbufBurst(arena, 8);
        assertEquals(6, rx.receive(out, 0));
        int v4 = 0;
        int v6 = 0;
        for (int i = 0; i < 6; i++)
        {
            final long frame = Mbuf.data(rx.mbuf(i));
            assertEquals(MAC_B, EthernetFlyweight.getDstMac(frame));
            final long ip = frame + EthernetFlyweight.HEADER_LENGTH;
            if (EthernetFlyweight.getEtherType(frame) == EthernetFlyweight.ETHER_TYPE_IPV4)
            {
                assertEquals(63, Memory.getUnsignedByte(ip + Ipv4Flyweight.TTL_OFFSET));
                assertEquals(0, Checksum.checksum(ip, 20));
                v4++;
            }
            else
            {
                assertEquals(63, Ipv6Flyweight.getHopLimit(ip));
                v6++;
            }
        }
        rx.free();
        assertEquals(3, v4);
        assertEquals(3, v6);
        assertEquals(6, worker.counter(RouterWorker.TX));
    }

    @Test
    void shouldAnswerHopLimitOneWithTimeExceededFromTheIngressGlobalAddress()
    {
        inject(in, udp6(MAC_IN, NET_1, 2, NET_2, 2, 1, 100));
        final long icmp = roundTripToIn();
        assertEquals(IcmpFlyweight.V6_TIME_EXCEEDED, Memory.getUnsignedByte(icmp));
        assertEquals(IcmpFlyweight.V6_CODE_HOP_LIMIT_EXCEEDED, Memory.getUnsignedByte(icmp + 1));
        final long quoted = icmp + IcmpFlyweight.HEADER_LENGTH;
        assertEquals(1, Ipv6Flyweight.getHopLimit(quoted), "the offending packet quoted as it arrived");
        assertEquals(1, slowPath.counter(SlowPath.ICMP6_ERRORS));
    }

    @Test
    void shouldAnswerNoRouteWithDestinationUnreachable()
    {
        inject(in, udp6(MAC_IN, NET_1, 2, UNROUTED, 7, 64, 100));
        final long icmp = roundTripToIn();
        assertEquals(IcmpFlyweight.V6_DEST_UNREACHABLE, Memory.getUnsignedByte(icmp));
        assertEquals(IcmpFlyweight.V6_CODE_NO_ROUTE, Memory.getUnsignedByte(icmp + 1));
    }

    @Test
    void shouldAnswerTooBigWithPacketTooBigCarryingTheEgressMtuAndNeverFragment()
    {
        inject(in, udp6(MAC_IN, NET_1, 2, NET_2, 2, 64, OUT_MTU - Ipv6Flyweight.HEADER_LENGTH + 1));
        final long icmp = roundTripToIn();
        assertEquals(IcmpFlyweight.V6_PACKET_TOO_BIG, Memory.getUnsignedByte(icmp));
        assertEquals(0, Memory.getUnsignedByte(icmp + 1));
        assertEquals(OUT_MTU, Memory.getIntBE(icmp + 4));
        final long ip = icmp - Ipv6Flyweight.HEADER_LENGTH;
        assertTrue(Ipv6Flyweight.HEADER_LENGTH + Ipv6Flyweight.getPayloadLength(ip) <= 1280, "RFC 4443 2.4(c)");
        assertEquals(0, out.stats().opackets(), "nothing left towards B");
    }

    @Test
    void shouldForwardAPacketOfExactlyTheEgressMtu()
    {
        inject(in, udp6(MAC_IN, NET_1, 2, NET_2, 2, 64, OUT_MTU - Ipv6Flyweight.HEADER_LENGTH));
        worker.doWork();
        Mbuf.free(receiveOne(out));
    }

    @Test
    void shouldAnswerEchoToItsOwnAddressesIncludingLinkLocal()
    {
        inject(in, echo6(MAC_IN, NET_1, 2, NET_2, 1, 64));
        long icmp = roundTripToIn();
        assertEquals(IcmpFlyweight.V6_ECHO_REPLY, Memory.getUnsignedByte(icmp));
        long ip = icmp - Ipv6Flyweight.HEADER_LENGTH;
        assertEquals(NET_2, Ipv6Flyweight.getSrcAddressHi(ip), "from the address pinged");
        assertEquals(1, Ipv6Flyweight.getSrcAddressLo(ip));

        final long linkLocalA = PortAddresses.eui64(MAC_A);
        inject(in, echo6(MAC_IN, PortAddresses.LINK_LOCAL_HI, linkLocalA, PortAddresses.LINK_LOCAL_HI, PortAddresses.eui64(MAC_IN), 64));
        icmp = roundTripToIn();
        assertEquals(IcmpFlyweight.V6_ECHO_REPLY, Memory.getUnsignedByte(icmp));
        ip = icmp - Ipv6Flyweight.HEADER_LENGTH;
        assertEquals(PortAddresses.eui64(MAC_IN), Ipv6Flyweight.getSrcAddressLo(ip));
        assertEquals(linkLocalA, Ipv6Flyweight.getDstAddressLo(ip));
        assertEquals(2, slowPath.counter(SlowPath.ECHO6_REPLIES));
    }

    @Test
    void shouldAdvertiseItsOwnAddressAndLearnTheSolicitor()
    {
        final long frame = alloc();
        Mbuf.length(frame, NdProcessor.writeSolicitation(Mbuf.data(frame), NeighbourHandler.MULTICAST, MAC_A, NET_1, 2, NET_1, 1));
        inject(in, frame);
        final long icmp = roundTripToIn();
        assertEquals(IcmpFlyweight.V6_NEIGHBOR_ADVERTISEMENT, Memory.getUnsignedByte(icmp));
        assertEquals(NET_1, NdFlyweight.getTargetHi(icmp));
        assertEquals(1, NdFlyweight.getTargetLo(icmp));
        assertTrue((NdFlyweight.getFlags(icmp) & NdFlyweight.FLAG_SOLICITED) != 0);
        assertTrue((NdFlyweight.getFlags(icmp) & NdFlyweight.FLAG_ROUTER) != 0);
        assertEquals(MAC_IN, EthernetFlyweight.getMac(icmp + NdFlyweight.OPTIONS_OFFSET + 2));
        assertEquals(MAC_A, neighbours.lookupMac6(in.id(), NET_1, 2), "learned from the solicitation");
        assertEquals(1, slowPath.counter(SlowPath.NEIGHBOUR_ADVERTISEMENTS));
    }

    @Test
    void shouldSolicitAnUnknownNextHopAndSendThePacketOnceAdvertised()
    {
        inject(in, udp6(MAC_IN, NET_1, 2, NET_2, 3, 64, 100));
        worker.doWork();
        slowPath.doWork();
        worker.doWork();
        final long ns = receiveOne(out);
        final long frame = Mbuf.data(ns);
        assertEquals(0x3333_FF00_0003L, EthernetFlyweight.getDstMac(frame), "solicited-node group of fd00:2::3");
        final long ip = frame + EthernetFlyweight.HEADER_LENGTH;
        assertEquals(NET_2, Ipv6Flyweight.getSrcAddressHi(ip));
        assertEquals(1, Ipv6Flyweight.getSrcAddressLo(ip), "from the egress port's global address");
        final long icmp = ip + Ipv6Flyweight.HEADER_LENGTH;
        assertEquals(IcmpFlyweight.V6_NEIGHBOR_SOLICITATION, Memory.getUnsignedByte(icmp));
        assertEquals(3, NdFlyweight.getTargetLo(icmp));
        assertTrue(Checksum.isIcmpv6Valid(ip, icmp));
        Mbuf.free(ns);

        // Host fd00:2::3 answers, solicited, to fd00:2::1.
        final long na = alloc();
        final long naFrame = Mbuf.data(na);
        EthernetFlyweight.putDstMac(naFrame, MAC_OUT);
        EthernetFlyweight.putSrcMac(naFrame, MAC_B + 1);
        Memory.putShortBE(naFrame + EthernetFlyweight.ETHER_TYPE_OFFSET, EthernetFlyweight.ETHER_TYPE_IPV6);
        final long naIp = naFrame + EthernetFlyweight.HEADER_LENGTH;
        final int payload = NdFlyweight.MESSAGE_LENGTH + NdFlyweight.LINK_LAYER_OPTION_LENGTH;
        ipv6Header(naIp, NET_2, 3, NET_2, 1, IpProtocol.ICMPV6, NdFlyweight.HOP_LIMIT, payload);
        final long naIcmp = naIp + Ipv6Flyweight.HEADER_LENGTH;
        Memory.putByte(naIcmp, (byte)IcmpFlyweight.V6_NEIGHBOR_ADVERTISEMENT);
        Memory.putByte(naIcmp + 1, (byte)0);
        NdFlyweight.putFlags(naIcmp, NdFlyweight.FLAG_SOLICITED | NdFlyweight.FLAG_OVERRIDE);
        NdFlyweight.putTarget(naIcmp, NET_2, 3);
        NdFlyweight.putLinkLayerOption(naIcmp + NdFlyweight.OPTIONS_OFFSET, NdFlyweight.OPTION_TARGET_LINK_LAYER, MAC_B + 1);
        Memory.putShortBE(naIcmp + IcmpFlyweight.CHECKSUM_OFFSET, Checksum.icmpv6(naIp, naIcmp));
        Mbuf.length(na, EthernetFlyweight.HEADER_LENGTH + Ipv6Flyweight.HEADER_LENGTH + payload);
        inject(out, na);
        worker.doWork();        // reads the advertisement from "out"
        slowPath.doWork();      // learns, releases the waiting packet
        worker.doWork();
        final long sent = receiveOne(out);
        final long sentFrame = Mbuf.data(sent);
        assertEquals(MAC_B + 1, EthernetFlyweight.getDstMac(sentFrame));
        assertEquals(MAC_OUT, EthernetFlyweight.getSrcMac(sentFrame));
        assertEquals(63, Ipv6Flyweight.getHopLimit(sentFrame + EthernetFlyweight.HEADER_LENGTH));
        Mbuf.free(sent);
        assertEquals(1, slowPath.counter(SlowPath.NEIGHBOUR_SOLICITATIONS));
        assertEquals(1, slowPath.counter(SlowPath.RESOLVED_SENT));
    }

    @Test
    void shouldCountAndDropMalformedPackets()
    {
        final long wrongVersion = udp6(MAC_IN, NET_1, 2, NET_2, 2, 64, 100);
        Memory.putByte(Mbuf.data(wrongVersion) + EthernetFlyweight.HEADER_LENGTH, (byte)0x40);
        final long truncated = udp6(MAC_IN, NET_1, 2, NET_2, 2, 64, 100);
        Mbuf.length(truncated, Mbuf.dataLength(truncated) - 20);
        final long loopback = udp6(MAC_IN, 0, 1, NET_2, 2, 64, 100);
        final long runt = alloc();
        Mbuf.length(runt, EthernetFlyweight.HEADER_LENGTH + 20);
        EthernetFlyweight.putDstMac(Mbuf.data(runt), MAC_IN);
        Memory.putShortBE(Mbuf.data(runt) + EthernetFlyweight.ETHER_TYPE_OFFSET, EthernetFlyweight.ETHER_TYPE_IPV6);
        inject(in, wrongVersion, truncated, loopback, runt);
        worker.doWork();
        assertEquals(4, worker.counter(RouterWorker.DROPPED));
        assertEquals(3, worker.ipv6InputCounter(Ipv6Input.IN_HDR_ERRORS));
        assertEquals(1, worker.ipv6InputCounter(Ipv6Input.IN_TRUNCATED_PKTS));
        assertEquals(0, worker.counter(RouterWorker.TX) + worker.counter(RouterWorker.TO_SLOW_PATH));
    }

    @Test
    void shouldDropMulticastForGroupsItIsNotIn()
    {
        // An MLD-like report to ff02::16 and mDNS to ff02::fb: not for the box, never forwarded.
        inject(in, udp6(0x3333_0000_0016L, NET_1, 2, 0xFF02_0000_0000_0000L, 0x16, 1, 40),
            udp6(0x3333_0000_00FBL, NET_1, 2, 0xFF02_0000_0000_0000L, 0xFB, 255, 40));
        worker.doWork();
        assertEquals(2, worker.counter(RouterWorker.IPV6_MULTICAST_DROPPED));
        assertEquals(2, worker.counter(RouterWorker.DROPPED));
    }

    @Test
    void shouldAnswerALinkLocalSourceBeyondItsScope()
    {
        inject(in, udp6(MAC_IN, PortAddresses.LINK_LOCAL_HI, PortAddresses.eui64(MAC_A), NET_2, 2, 64, 100));
        final long icmp = roundTripToIn();
        assertEquals(IcmpFlyweight.V6_DEST_UNREACHABLE, Memory.getUnsignedByte(icmp));
        assertEquals(2, Memory.getUnsignedByte(icmp + 1));
        final long ip = icmp - Ipv6Flyweight.HEADER_LENGTH;
        assertEquals(PortAddresses.LINK_LOCAL_HI, Ipv6Flyweight.getSrcAddressHi(ip), "from our link-local address to a link-local one");
    }

    @Test
    void shouldDropIpv6WhenThePortHasNoIpv6Address()
    {
        final RouterPort[] v4Only = {new RouterPort(in, MAC_IN, 1500, new PortAddresses(in.id(), MAC_IN, 1).addIpv4(0x0A010001))};
        @SuppressWarnings("unchecked")
        final BurstRing<SlowPathBurst> ring = new BurstRing<>(4, () -> new SlowPathBurst(arena, 32));
        final RouterWorker w = new RouterWorker("v4", 0, v4Only, new IntHashSet(), routes.ipv4(), routes.ipv6(),
            Router.localIpv6(v4Only), routes.nextHops(), neighbours, new HookChain(32), ring, null, 32);
        inject(in, udp6(MAC_IN, NET_1, 2, NET_2, 2, 64, 100));
        w.doWork();
        assertEquals(1, w.counter(RouterWorker.NOT_ROUTED_IPV6));
        assertEquals(1, w.counter(RouterWorker.DROPPED));
        w.onClose();
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldRateLimitErrorsButNeverPacketTooBig()
    {
        // Linux's burst of 50 without refill, so that the count does not depend on the test's speed.
        final BurstRing<SlowPathBurst> toSlow = new BurstRing<>(4, () -> new SlowPathBurst(arena, 32));
        final BurstRing<SlowPathBurst> fromSlow = new BurstRing<>(4, () -> new SlowPathBurst(arena, 32));
        final RouterPort[] ports = {inPort, new RouterPort(out, MAC_OUT, OUT_MTU, new PortAddresses(out.id(), MAC_OUT, 2).addIpv6(NET_2, 1))};
        worker.onClose();
        slowPath.onClose();
        slowPath = new SlowPath(new BurstRing[] {toSlow}, fromSlow, ports, pool, neighbours, NeighbourParams.linuxDefaults(),
            new IcmpRateLimiter(0, 50, System.nanoTime()));
        worker = new RouterWorker("test6", 0, ports, new IntHashSet(), routes.ipv4(), routes.ipv6(), Router.localIpv6(ports),
            routes.nextHops(), neighbours, new HookChain(32), toSlow, fromSlow, 32);
        final int rounds = 10;
        int timeExceeded = 0;
        int tooBig = 0;
        final MbufBurst rx = new MbufBurst(arena, 32);
        for (int r = 0; r < rounds; r++)
        {
            final long[] frames = new long[32];
            for (int i = 0; i < frames.length; i++)
            {
                frames[i] = i % 2 == 0 ? udp6(MAC_IN, NET_1, 2, NET_2, 2, 1, 40) : udp6(MAC_IN, NET_1, 2, NET_2, 2, 64, OUT_MTU);
            }
            inject(in, frames);
            worker.doWork();
            slowPath.doWork();
            worker.doWork();
            int n;
            while ((n = rx.receive(in, 0)) > 0)
            {
                for (int i = 0; i < n; i++)
                {
                    final int type = Memory.getUnsignedByte(Mbuf.data(rx.mbuf(i)) + EthernetFlyweight.HEADER_LENGTH + Ipv6Flyweight.HEADER_LENGTH);
                    timeExceeded += type == IcmpFlyweight.V6_TIME_EXCEEDED ? 1 : 0;
                    tooBig += type == IcmpFlyweight.V6_PACKET_TOO_BIG ? 1 : 0;
                }
                rx.free();
            }
        }
        assertEquals(16 * rounds, tooBig, "packet too big is not rate limited (net.ipv6.icmp.ratemask 0-1,3-127)");
        assertEquals(50, timeExceeded, "the burst of the global ICMP limit");
        assertEquals(16 * rounds - timeExceeded, slowPath.counter(SlowPath.ICMP_RATE_LIMITED));
    }

    @Test
    void shouldSpreadAnEcmpRouteOverItsGatewaysByFlow()
    {
        routes.addStatic("fd00:99::/48", "fd00:2::a", "fd00:2::b");
        assertTrue(slowPath.resolver().addPermanent6(out.id(), NET_2, 0xA, MAC_B + 0xA, System.nanoTime()));
        assertTrue(slowPath.resolver().addPermanent6(out.id(), NET_2, 0xB, MAC_B + 0xB, System.nanoTime()));
        final long[] frames = new long[32];
        for (int i = 0; i < frames.length; i++)
        {
            frames[i] = udp6(MAC_IN, NET_1, 2, 0xFD00_0099_0000_0000L, 1, 64, 40);
            Memory.putShortBE(Mbuf.data(frames[i]) + EthernetFlyweight.HEADER_LENGTH + Ipv6Flyweight.HEADER_LENGTH, 20000 + 7 * i);
        }
        inject(in, frames);
        worker.doWork();
        final MbufBurst rx = new MbufBurst(arena, 32);
        assertEquals(32, rx.receive(out, 0));
        int viaA = 0;
        int viaB = 0;
        for (int i = 0; i < 32; i++)
        {
            final long frame = Mbuf.data(rx.mbuf(i));
            final long mac = EthernetFlyweight.getDstMac(frame);
            viaA += mac == MAC_B + 0xA ? 1 : 0;
            viaB += mac == MAC_B + 0xB ? 1 : 0;
            assertEquals(63, Ipv6Flyweight.getHopLimit(frame + EthernetFlyweight.HEADER_LENGTH));
        }
        rx.free();
        assertEquals(32, viaA + viaB);
        assertTrue(viaA > 0 && viaB > 0, "both gateways used: " + viaA + " / " + viaB);
    }

    @Test
    void shouldForwardMixedBurstsWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "no per-thread allocation counter");
        threads.setThreadAllocatedMemoryEnabled(true);
        final MbufBurst burst = new MbufBurst(arena, 32);
        for (int i = 0; i < 32; i++)
        {
            burst.mbuf(i, i % 4 == 0 ? udp4(MAC_IN, 0x0A010002, 0x0A020002) : udp6(MAC_IN, NET_1, 2, NET_2, 2, 64, 60));
        }
        burst.count(32);
        long result = 0;
        for (int warmUp = 0; warmUp < 3; warmUp++)
        {
            result += forwardRounds(burst, 2_000);
        }
        // The best of three windows: a JIT recompilation now and then allocates a few hundred bytes once; an
        // allocation per burst would show as at least 2000 bytes in every window.
        final long threadId = Thread.currentThread().threadId();
        long allocated = Long.MAX_VALUE;
        for (int window = 0; window < 3; window++)
        {
            final long before = threads.getThreadAllocatedBytes(threadId);
            result += forwardRounds(burst, 2_000);
            allocated = Math.min(allocated, threads.getThreadAllocatedBytes(threadId) - before);
        }
        burst.free();
        assertTrue(allocated < 2_000, "bytes allocated in 2000 bursts: " + allocated + " (forwarded " + result + ")");
        assertEquals(6L * 2_000 * 32, result, "every packet of every round forwarded");
    }

    /** Sends the burst through the worker {@code rounds} times, taking it back from "out" each time. */
    private long forwardRounds(final MbufBurst burst, final int rounds)
    {
        long forwarded = 0;
        for (int r = 0; r < rounds; r++)
        {
            for (int i = 0; i < 32; i++)
            {
                final long m = burst.mbuf(i);
                Memory.putShort(m + rte_mbuf.port$OFFSET, (short)in.id());
                final long ip = Mbuf.data(m) + EthernetFlyweight.HEADER_LENGTH;
                if (EthernetFlyweight.getEtherType(Mbuf.data(m)) == EthernetFlyweight.ETHER_TYPE_IPV6)
                {
                    Memory.putByte(ip + Ipv6Flyweight.HOP_LIMIT_OFFSET, (byte)64);
                }
                else
                {
                    Memory.putByte(ip + Ipv4Flyweight.TTL_OFFSET, (byte)64);
                    Memory.putShortBE(ip + Ipv4Flyweight.CHECKSUM_OFFSET, 0);
                    Memory.putShortBE(ip + Ipv4Flyweight.CHECKSUM_OFFSET, Checksum.checksum(ip, 20));
                }
            }
            burst.count(32);
            if (burst.transmitOrFree(in, 0) != 32)
            {
                throw new AssertionError("ring full");
            }
            worker.doWork();
            forwarded += burst.receive(out, 0);
        }
        return forwarded;
    }

    // ------------------------------------------------------------------------------------------------------

    /** Worker (to the slow path), slow path, worker (transmits): the single answer sent back to host A. */
    private long roundTripToIn()
    {
        worker.doWork();
        slowPath.doWork();
        worker.doWork();
        final long m = receiveOne(in);
        final long frame = Mbuf.data(m);
        assertEquals(MAC_A, EthernetFlyweight.getDstMac(frame), "back to the host it came from");
        assertEquals(MAC_IN, EthernetFlyweight.getSrcMac(frame));
        assertEquals(EthernetFlyweight.ETHER_TYPE_IPV6, EthernetFlyweight.getEtherType(frame));
        final long ip = frame + EthernetFlyweight.HEADER_LENGTH;
        final long icmp = ip + Ipv6Flyweight.HEADER_LENGTH;
        assertEquals(IpProtocol.ICMPV6, Ipv6Flyweight.getNextHeader(ip));
        assertTrue(Checksum.isIcmpv6Valid(ip, icmp), "ICMPv6 checksum");
        final int type = Memory.getUnsignedByte(icmp);
        if (type < 128)
        {
            final long srcHi = Ipv6Flyweight.getSrcAddressHi(ip);
            assertTrue(srcHi == NET_1 || srcHi == PortAddresses.LINK_LOCAL_HI, "an error comes from the ingress port");
        }
        // Copied out so that the mbuf can go back to the pool before the test's assertions.
        final long copy = arena.allocate(2048).address();
        Memory.copy(icmp, copy + Ipv6Flyweight.HEADER_LENGTH, Mbuf.dataLength(m) - EthernetFlyweight.HEADER_LENGTH - Ipv6Flyweight.HEADER_LENGTH);
        Memory.copy(ip, copy, Ipv6Flyweight.HEADER_LENGTH);
        Mbuf.free(m);
        return copy + Ipv6Flyweight.HEADER_LENGTH;
    }

    private long receiveOne(final DpdkPort port)
    {
        final MbufBurst rx = new MbufBurst(arena, 4);
        final int n = rx.receive(port, 0);
        if (n != 1)
        {
            rx.free();
        }
        assertEquals(1, n, "one packet sent; worker " + worker.counter(RouterWorker.TX) + " tx, " + worker.counter(RouterWorker.DROPPED)
            + " dropped, " + worker.counter(RouterWorker.TO_SLOW_PATH) + " to slow path; slow path errors "
            + slowPath.counter(SlowPath.ICMP6_ERRORS) + " limited " + slowPath.counter(SlowPath.ICMP_RATE_LIMITED)
            + " unsupported " + slowPath.counter(SlowPath.NOT_SUPPORTED) + " dropped " + slowPath.counter(SlowPath.DROPPED));
        return rx.mbuf(0);
    }

    private void inject(final DpdkPort port, final long... mbufs)
    {
        final MbufBurst tx = new MbufBurst(arena, mbufs.length);
        for (int i = 0; i < mbufs.length; i++)
        {
            // A PMD sets the input port on receive; net_ring hands over the mbuf as it was sent.
            Memory.putShort(mbufs[i] + rte_mbuf.port$OFFSET, (short)port.id());
            tx.mbuf(i, mbufs[i]);
        }
        tx.count(mbufs.length);
        assertEquals(mbufs.length, tx.transmitOrFree(port, 0));
    }

    private void drain(final DpdkPort port)
    {
        final MbufBurst rx = new MbufBurst(arena, 32);
        while (rx.receive(port, 0) > 0)
        {
            rx.free();
        }
    }

    private static long alloc()
    {
        final long m = pool.alloc();
        assertTrue(m != 0);
        return m;
    }

    /** A UDP datagram from host A's MAC with {@code payload} bytes after the IPv6 header. */
    private static long udp6(final long dstMac, final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int hopLimit,
                             final int payload)
    {
        final long m = alloc();
        final long frame = Mbuf.data(m);
        ethernet(frame, dstMac);
        final long ip = frame + EthernetFlyweight.HEADER_LENGTH;
        ipv6Header(ip, srcHi, srcLo, dstHi, dstLo, IpProtocol.UDP, hopLimit, payload);
        final long udp = ip + Ipv6Flyweight.HEADER_LENGTH;
        Memory.fill(udp, payload, (byte)0x5A);
        Memory.putShortBE(udp, 40000);
        Memory.putShortBE(udp + 2, 9);
        Memory.putShortBE(udp + 4, payload);
        Memory.putShortBE(udp + 6, 0);
        Memory.putShortBE(udp + 6, Checksum.udpIpv6(ip, udp));
        Mbuf.length(m, EthernetFlyweight.HEADER_LENGTH + Ipv6Flyweight.HEADER_LENGTH + payload);
        return m;
    }

    private static long echo6(final long dstMac, final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int hopLimit)
    {
        final int payload = IcmpFlyweight.HEADER_LENGTH + 56;
        final long m = alloc();
        final long frame = Mbuf.data(m);
        ethernet(frame, dstMac);
        final long ip = frame + EthernetFlyweight.HEADER_LENGTH;
        ipv6Header(ip, srcHi, srcLo, dstHi, dstLo, IpProtocol.ICMPV6, hopLimit, payload);
        final long icmp = ip + Ipv6Flyweight.HEADER_LENGTH;
        Memory.fill(icmp, payload, (byte)0x11);
        Memory.putByte(icmp, (byte)IcmpFlyweight.V6_ECHO_REQUEST);
        Memory.putByte(icmp + 1, (byte)0);
        Memory.putIntBE(icmp + 4, 0x1234_0001);
        Memory.putShortBE(icmp + IcmpFlyweight.CHECKSUM_OFFSET, Checksum.icmpv6(ip, icmp));
        Mbuf.length(m, EthernetFlyweight.HEADER_LENGTH + Ipv6Flyweight.HEADER_LENGTH + payload);
        return m;
    }

    private static long udp4(final long dstMac, final int src, final int dst)
    {
        final long m = alloc();
        final long frame = Mbuf.data(m);
        EthernetFlyweight.putDstMac(frame, dstMac);
        EthernetFlyweight.putSrcMac(frame, MAC_A);
        Memory.putShortBE(frame + EthernetFlyweight.ETHER_TYPE_OFFSET, EthernetFlyweight.ETHER_TYPE_IPV4);
        final long ip = frame + EthernetFlyweight.HEADER_LENGTH;
        Memory.fill(ip, 48, (byte)0);
        Memory.putByte(ip, (byte)0x45);
        Memory.putShortBE(ip + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, 48);
        Memory.putByte(ip + Ipv4Flyweight.TTL_OFFSET, (byte)64);
        Memory.putByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET, (byte)IpProtocol.UDP);
        Memory.putIntBE(ip + Ipv4Flyweight.SRC_ADDRESS_OFFSET, src);
        Memory.putIntBE(ip + Ipv4Flyweight.DST_ADDRESS_OFFSET, dst);
        Memory.putShortBE(ip + Ipv4Flyweight.CHECKSUM_OFFSET, Checksum.checksum(ip, 20));
        Memory.putShortBE(ip + 20, 40000);
        Memory.putShortBE(ip + 22, 9);
        Memory.putShortBE(ip + 24, 28);
        Mbuf.length(m, EthernetFlyweight.HEADER_LENGTH + 48);
        return m;
    }

    private static void ethernet(final long frame, final long dstMac)
    {
        EthernetFlyweight.putDstMac(frame, dstMac);
        EthernetFlyweight.putSrcMac(frame, MAC_A);
        Memory.putShortBE(frame + EthernetFlyweight.ETHER_TYPE_OFFSET, EthernetFlyweight.ETHER_TYPE_IPV6);
    }

    private static void ipv6Header(final long ip, final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int nextHeader,
                                   final int hopLimit, final int payload)
    {
        Memory.putIntBE(ip, 6 << 28);
        Memory.putShortBE(ip + Ipv6Flyweight.PAYLOAD_LENGTH_OFFSET, payload);
        Memory.putByte(ip + Ipv6Flyweight.NEXT_HEADER_OFFSET, (byte)nextHeader);
        Memory.putByte(ip + Ipv6Flyweight.HOP_LIMIT_OFFSET, (byte)hopLimit);
        Memory.putLongBE(ip + Ipv6Flyweight.SRC_ADDRESS_OFFSET, srcHi);
        Memory.putLongBE(ip + Ipv6Flyweight.SRC_ADDRESS_OFFSET + 8, srcLo);
        Memory.putLongBE(ip + Ipv6Flyweight.DST_ADDRESS_OFFSET, dstHi);
        Memory.putLongBE(ip + Ipv6Flyweight.DST_ADDRESS_OFFSET + 8, dstLo);
    }
}
