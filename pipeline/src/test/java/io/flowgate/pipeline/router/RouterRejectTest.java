package io.flowgate.pipeline.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pipeline.dispatch.BurstRing;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.hook.HookPriority;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pipeline.neigh.NeighbourParams;
import io.flowgate.pipeline.neigh.NeighbourTable;
import io.flowgate.pipeline.neigh.PortAddresses;
import io.flowgate.pipeline.route.Ipv4Lpm;
import io.flowgate.pipeline.route.Ipv6Lpm;
import io.flowgate.pipeline.route.NextHopTable;
import io.flowgate.pipeline.route.RouteTable;
import io.flowgate.pipeline.rules.RejectCodes;
import io.flowgate.pipeline.slowpath.IcmpRateLimiter;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.IcmpFlyweight;
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.header.Ipv6Flyweight;
import io.flowgate.pmd.header.TcpFlyweight;
import io.flowgate.pmd.port.DpdkPort;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.port.PortConfig;
import io.flowgate.pmd.testing.TestEal;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import org.agrona.collections.IntHashSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A packet a hook handler rejects (verdict DROP, {@code burst.reject[i]} set) leaves the worker for the slow path,
 * which answers as Linux's nf_reject does: ICMP/ICMPv6 destination unreachable with the code, or a TCP reset, back
 * out of the port it came in on, checksums valid; and nothing where nf_reject sends nothing. Both ways through the
 * worker (fused: the handler on PREROUTING only; staged: on FORWARD), IPv4 and IPv6; every mbuf freed once.
 */
class RouterRejectTest
{
    private static final int HOST_A = 0x0A010002;   // 10.1.0.2, behind "in"
    private static final int HOST_B = 0x0A020002;   // 10.2.0.2, behind "out"
    private static final int ROUTER_IN = 0x0A010001;
    private static final long NET_1 = 0xFD00_0001_0000_0000L;
    private static final long NET_2 = 0xFD00_0002_0000_0000L;
    private static final long MAC_A = 0x02_00_00_00_00_0AL;
    private static final long MAC_B = 0x02_00_00_00_00_0BL;
    private static final long MAC_IN = 0x02_00_00_00_01_01L;
    private static final long MAC_OUT = 0x02_00_00_00_02_02L;
    private static final int SRC_PORT = 40000;

    private static Mempool pool;

    @BeforeAll
    static void initEal()
    {
        TestEal.get();
        pool = Mempool.createPktmbufPool("router-reject", 1023, 32, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
    }

    @AfterAll
    static void freePool()
    {
        pool.close();
    }

    /** The reject code by destination port, as a rule {@code udp dport 1001 reject with ...} would set it. */
    private static int codeFor(final int dport)
    {
        return switch (dport)
        {
            case 1001, 1005 -> RejectCodes.of(RejectCodes.ICMP, IcmpFlyweight.CODE_PORT_UNREACHABLE);
            case 1002, 1003, 1004, 1006, 1010, 1011 -> RejectCodes.of(RejectCodes.TCP_RESET, 0);
            case 1009 -> RejectCodes.of(RejectCodes.ICMPV6, 4);
            case 1012 -> RejectCodes.of(RejectCodes.ICMP, 13);
            default -> 0;
        };
    }

    @Test
    void shouldAnswerRejectedPacketsOnTheFusedPath()
    {
        run(Hook.PREROUTING);
    }

    @Test
    void shouldAnswerRejectedPacketsOnTheStagedPath()
    {
        run(Hook.FORWARD);
    }

    @SuppressWarnings("unchecked")
    private static void run(final Hook hook)
    {
        final int baseline = pool.inUse();
        try (Arena arena = Arena.ofShared();
             DpdkPort in = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
             DpdkPort out = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
             RouteTable routes = new RouteTable(new Ipv4Lpm(64), new Ipv6Lpm(64), new NextHopTable(64, 16));
             NeighbourTable neighbours = new NeighbourTable(64, 1))
        {
            routes.addConnected("10.1.0.0/24", in.id());
            routes.addConnected("10.2.0.0/24", out.id());
            routes.addConnected("fd00:1::/64", in.id());
            routes.addConnected("fd00:2::/64", out.id());
            final RouterPort[] ports = {
                new RouterPort(in, MAC_IN, 1500, new PortAddresses(in.id(), MAC_IN, 2).addIpv4(ROUTER_IN).addIpv6(NET_1, 1)),
                new RouterPort(out, MAC_OUT, 1500, new PortAddresses(out.id(), MAC_OUT, 2).addIpv4(0x0A020001).addIpv6(NET_2, 1))};
            final IntHashSet local = new IntHashSet();
            local.add(ROUTER_IN);
            local.add(0x0A020001);
            final HookChain hooks = new HookChain(32);
            hooks.register(hook, HookPriority.FILTER, "reject", (h, burst, packets, count, verdicts) ->
            {
                for (int k = 0; k < count; k++)
                {
                    final int i = packets[k];
                    final int code = codeFor(dport(burst.l3[i]));
                    verdicts[i] = code == 0 && dport(burst.l3[i]) != 1007 ? Verdict.ACCEPT : Verdict.DROP;
                    burst.reject[i] = code;
                }
            });
            final BurstRing<SlowPathBurst> toSlow = new BurstRing<>(4, () -> new SlowPathBurst(arena, 32));
            final BurstRing<SlowPathBurst> fromSlow = new BurstRing<>(4, () -> new SlowPathBurst(arena, 32));
            final SlowPath slowPath = new SlowPath(new BurstRing[] {toSlow}, fromSlow, ports, pool, neighbours,
                NeighbourParams.linuxDefaults(), new IcmpRateLimiter(1000, 50, System.nanoTime()));
            assertTrue(slowPath.resolver().addPermanent(out.id(), HOST_B, MAC_B, System.nanoTime()));
            assertTrue(slowPath.resolver().addPermanent6(out.id(), NET_2, 2, MAC_B, System.nanoTime()));
            final RouterWorker worker = new RouterWorker("reject", 0, ports, local, routes.ipv4(), routes.ipv6(),
                Router.localIpv6(ports), routes.nextHops(), neighbours, hooks, toSlow, fromSlow, 32);

            final MbufBurst tx = new MbufBurst(arena, 32);
            int n = 0;
            tx.mbuf(n++, udp4(1001, false));                   // ICMP port unreachable
            tx.mbuf(n++, tcp4(1002, TcpFlyweight.SYN, 1000, 0, 0, false, 0));   // RST|ACK, ack 1001
            tx.mbuf(n++, tcp4(1003, TcpFlyweight.ACK | TcpFlyweight.PSH, 5, 7777, 10, false, 0)); // RST, seq 7777
            tx.mbuf(n++, tcp4(1004, TcpFlyweight.RST, 1, 0, 0, false, 0));    // no RST for a RST
            tx.mbuf(n++, udp4(1005, true));                    // bad UDP checksum: no ICMP
            tx.mbuf(n++, tcp4(1006, TcpFlyweight.SYN, 1, 0, 0, true, 0));     // bad TCP checksum: no RST
            tx.mbuf(n++, udp4(1007, false));                   // plain drop: freed by the worker
            tx.mbuf(n++, udp4(1008, false));                   // accepted: forwarded
            tx.mbuf(n++, udp6(1009));                          // ICMPv6 port unreachable
            tx.mbuf(n++, tcp6(1010));                          // RST over IPv6
            tx.mbuf(n++, tcp4(1011, TcpFlyweight.SYN, 1, 0, 0, false, 185)); // a later fragment: nothing
            tx.mbuf(n++, udp4(1012, false));                   // ICMP admin prohibited
            tx.count(n);
            assertEquals(n, tx.transmitOrFree(in, 0));

            worker.doWork();
            assertEquals(10, worker.counter(RouterWorker.TO_SLOW_PATH), "every rejected packet to the slow path");
            assertEquals(1, worker.counter(RouterWorker.DROPPED), "the plain drop freed");
            slowPath.doWork();
            assertEquals(6, slowPath.counter(SlowPath.REJECTS_SENT));
            assertEquals(4, slowPath.counter(SlowPath.REJECTS_SUPPRESSED));
            assertEquals(3, slowPath.counter(SlowPath.TCP_RESETS));

            final List<String> answers = new ArrayList<>();
            SlowPathBurst s;
            while ((s = fromSlow.poll()) != null)
            {
                for (int i = 0; i < s.count(); i++)
                {
                    assertEquals(SlowPathBurst.LOCAL_OUT, s.reason[i], "through OUTPUT and POSTROUTING");
                    assertEquals(in.id(), s.port[i], "out of the port it came in on");
                    answers.add(describe(s.mbufs.mbuf(i)));
                }
                s.mbufs.free();
                fromSlow.release(s);
            }
            answers.sort(null);
            final List<String> expected = new ArrayList<>(List.of(
                "icmp type=3 code=3 from=0a010001 quoting dport=1001",
                "icmp type=3 code=13 from=0a010001 quoting dport=1012",
                "rst4 1002->40000 seq=0 ack=1001 flags=14",
                "rst4 1003->40000 seq=7777 ack=0 flags=4",
                "icmp6 type=1 code=4 quoting dport=1009",
                "rst6 1010->40000 seq=0 ack=101 flags=14"));
            expected.sort(null);
            assertEquals(expected, answers);

            final MbufBurst rx = new MbufBurst(arena, 32);
            assertEquals(1, rx.receive(out, 0), "the accepted packet forwarded");
            rx.free();
            worker.onClose();
            slowPath.onClose();
        }
        assertEquals(baseline, pool.inUse(), "every mbuf freed exactly once");
    }

    private static int dport(final long ip)
    {
        if ((Memory.getUnsignedByte(ip) >>> 4) == 6)
        {
            return Memory.getShortBE(ip + Ipv6Flyweight.HEADER_LENGTH + 2);
        }
        return Memory.getShortBE(ip + Ipv4Flyweight.getHeaderLength(ip) + 2);
    }

    private static String describe(final long m)
    {
        final long frame = Mbuf.data(m);
        assertEquals(MAC_A, EthernetFlyweight.getDstMac(frame), "to the previous hop");
        assertEquals(MAC_IN, EthernetFlyweight.getSrcMac(frame));
        final long ip = frame + EthernetFlyweight.HEADER_LENGTH;
        final int length = Mbuf.dataLength(m) - EthernetFlyweight.HEADER_LENGTH;
        if (EthernetFlyweight.getEtherType(frame) == EthernetFlyweight.ETHER_TYPE_IPV6)
        {
            assertEquals(Ipv6Flyweight.HEADER_LENGTH + Ipv6Flyweight.getPayloadLength(ip), length);
            assertEquals(64, Ipv6Flyweight.getHopLimit(ip));
            final long l4 = ip + Ipv6Flyweight.HEADER_LENGTH;
            if (Ipv6Flyweight.getNextHeader(ip) == IpProtocol.ICMPV6)
            {
                assertTrue(Checksum.isIcmpv6Valid(ip, l4));
                assertEquals(NET_1, Ipv6Flyweight.getSrcAddressHi(ip), "from the ingress port's address");
                return "icmp6 type=" + Memory.getUnsignedByte(l4) + " code=" + Memory.getUnsignedByte(l4 + 1) + " quoting dport="
                    + Memory.getShortBE(l4 + 8 + Ipv6Flyweight.HEADER_LENGTH + 2);
            }
            assertEquals(IpProtocol.TCP, Ipv6Flyweight.getNextHeader(ip));
            assertTrue(Checksum.isTcpIpv6Valid(ip, l4), "TCP checksum");
            assertEquals(NET_2, Ipv6Flyweight.getSrcAddressHi(ip), "from the address the packet was for");
            assertEquals(NET_1, Ipv6Flyweight.getDstAddressHi(ip));
            assertEquals(0, Memory.getIntBE(ip) & 0x0FFF_FFFF, "traffic class and flow label 0");
            return "rst6 " + tcp(l4);
        }
        assertEquals(0, Checksum.checksum(ip, 20), "IPv4 header checksum");
        assertEquals(HOST_A, Memory.getIntBE(ip + Ipv4Flyweight.DST_ADDRESS_OFFSET));
        assertEquals(length, Memory.getShortBE(ip + Ipv4Flyweight.TOTAL_LENGTH_OFFSET));
        final long l4 = ip + 20;
        if (Memory.getUnsignedByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET) == IpProtocol.ICMP)
        {
            assertEquals(0, Checksum.checksum(l4, length - 20), "ICMP checksum");
            return "icmp type=" + Memory.getUnsignedByte(l4) + " code=" + Memory.getUnsignedByte(l4 + 1) + " from="
                + String.format("%08x", Memory.getIntBE(ip + Ipv4Flyweight.SRC_ADDRESS_OFFSET)) + " quoting dport="
                + Memory.getShortBE(l4 + 8 + 20 + 2);
        }
        assertEquals(IpProtocol.TCP, Memory.getUnsignedByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET));
        assertTrue(Checksum.isTcpIpv4Valid(ip), "TCP checksum");
        assertEquals(HOST_B, Memory.getIntBE(ip + Ipv4Flyweight.SRC_ADDRESS_OFFSET), "from the address the packet was for");
        assertEquals(64, Memory.getUnsignedByte(ip + Ipv4Flyweight.TTL_OFFSET));
        assertEquals(0x4000, Memory.getShortBE(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET), "DF, as nf_reject_iphdr_put");
        assertEquals(0, Memory.getShortBE(ip + Ipv4Flyweight.ID_OFFSET));
        assertEquals(0, Memory.getUnsignedByte(ip + Ipv4Flyweight.TOS_OFFSET));
        return "rst4 " + tcp(l4);
    }

    private static String tcp(final long th)
    {
        assertEquals(0, Memory.getShortBE(th + TcpFlyweight.WINDOW_OFFSET), "window 0");
        assertEquals(5 << 4, Memory.getUnsignedByte(th + TcpFlyweight.DATA_OFFSET_OFFSET));
        return Memory.getShortBE(th) + "->" + Memory.getShortBE(th + 2) + " seq=" + Integer.toUnsignedString(Memory.getIntBE(th + 4))
            + " ack=" + Integer.toUnsignedString(Memory.getIntBE(th + 8)) + " flags=" + Integer.toHexString(Memory.getUnsignedByte(th + 13));
    }

    // ----------------------------------------------------------------------------------------------------------
    // Frames from HOST_A (MAC_A) to HOST_B, received on "in"
    // ----------------------------------------------------------------------------------------------------------

    private static long alloc()
    {
        final long m = pool.alloc();
        assertTrue(m != 0);
        return m;
    }

    private static long ipv4(final long m, final int protocol, final int l4Length, final int fragmentOffset8)
    {
        final long frame = Mbuf.data(m);
        EthernetFlyweight.putDstMac(frame, MAC_IN);
        EthernetFlyweight.putSrcMac(frame, MAC_A);
        Memory.putShortBE(frame + EthernetFlyweight.ETHER_TYPE_OFFSET, EthernetFlyweight.ETHER_TYPE_IPV4);
        final long ip = frame + EthernetFlyweight.HEADER_LENGTH;
        Memory.putByte(ip, (byte)0x45);
        Memory.putByte(ip + 1, (byte)0);
        Memory.putShortBE(ip + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, 20 + l4Length);
        Memory.putShortBE(ip + Ipv4Flyweight.ID_OFFSET, 77);
        Memory.putShortBE(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET, fragmentOffset8);
        Memory.putByte(ip + Ipv4Flyweight.TTL_OFFSET, (byte)64);
        Memory.putByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET, (byte)protocol);
        Memory.putShortBE(ip + Ipv4Flyweight.CHECKSUM_OFFSET, 0);
        Memory.putIntBE(ip + Ipv4Flyweight.SRC_ADDRESS_OFFSET, HOST_A);
        Memory.putIntBE(ip + Ipv4Flyweight.DST_ADDRESS_OFFSET, HOST_B);
        Memory.putShortBE(ip + Ipv4Flyweight.CHECKSUM_OFFSET, Checksum.checksum(ip, 20));
        Mbuf.length(m, EthernetFlyweight.HEADER_LENGTH + 20 + l4Length);
        return ip;
    }

    private static long udp4(final int dport, final boolean badChecksum)
    {
        final long m = alloc();
        final long ip = ipv4(m, IpProtocol.UDP, 8 + 18, 0);
        final long udp = ip + 20;
        Memory.fill(udp + 8, 18, (byte)0x5A);
        Memory.putShortBE(udp, SRC_PORT);
        Memory.putShortBE(udp + 2, dport);
        Memory.putShortBE(udp + 4, 8 + 18);
        Memory.putShortBE(udp + 6, 0);
        Memory.putShortBE(udp + 6, Checksum.udpIpv4(ip) ^ (badChecksum ? 0x0101 : 0));
        return m;
    }

    private static long tcp4(final int dport, final int flags, final int seq, final int ack, final int payload, final boolean badChecksum,
                             final int fragmentOffset8)
    {
        final long m = alloc();
        final long ip = ipv4(m, IpProtocol.TCP, 20 + payload, fragmentOffset8);
        tcpHeader(ip + 20, dport, flags, seq, ack, payload);
        Memory.putShortBE(ip + 20 + TcpFlyweight.CHECKSUM_OFFSET, Checksum.tcpIpv4(ip) ^ (badChecksum ? 0x0101 : 0));
        return m;
    }

    private static void tcpHeader(final long th, final int dport, final int flags, final int seq, final int ack, final int payload)
    {
        Memory.fill(th, 20 + payload, (byte)0x33);
        Memory.putShortBE(th, SRC_PORT);
        Memory.putShortBE(th + 2, dport);
        Memory.putIntBE(th + 4, seq);
        Memory.putIntBE(th + 8, ack);
        Memory.putByte(th + 12, (byte)(5 << 4));
        Memory.putByte(th + 13, (byte)flags);
        Memory.putShortBE(th + 14, 64240);
        Memory.putShortBE(th + 16, 0);
        Memory.putShortBE(th + 18, 0);
    }

    private static long ipv6(final long m, final int nextHeader, final int payload)
    {
        final long frame = Mbuf.data(m);
        EthernetFlyweight.putDstMac(frame, MAC_IN);
        EthernetFlyweight.putSrcMac(frame, MAC_A);
        Memory.putShortBE(frame + EthernetFlyweight.ETHER_TYPE_OFFSET, EthernetFlyweight.ETHER_TYPE_IPV6);
        final long ip = frame + EthernetFlyweight.HEADER_LENGTH;
        Memory.putIntBE(ip, 6 << 28);
        Memory.putShortBE(ip + 4, payload);
        Memory.putByte(ip + Ipv6Flyweight.NEXT_HEADER_OFFSET, (byte)nextHeader);
        Memory.putByte(ip + Ipv6Flyweight.HOP_LIMIT_OFFSET, (byte)64);
        Memory.putLongBE(ip + Ipv6Flyweight.SRC_ADDRESS_OFFSET, NET_1);
        Memory.putLongBE(ip + Ipv6Flyweight.SRC_ADDRESS_OFFSET + 8, 2);
        Memory.putLongBE(ip + Ipv6Flyweight.DST_ADDRESS_OFFSET, NET_2);
        Memory.putLongBE(ip + Ipv6Flyweight.DST_ADDRESS_OFFSET + 8, 2);
        Mbuf.length(m, EthernetFlyweight.HEADER_LENGTH + Ipv6Flyweight.HEADER_LENGTH + payload);
        return ip;
    }

    private static long udp6(final int dport)
    {
        final long m = alloc();
        final long ip = ipv6(m, IpProtocol.UDP, 8 + 12);
        final long udp = ip + Ipv6Flyweight.HEADER_LENGTH;
        Memory.fill(udp + 8, 12, (byte)0x5A);
        Memory.putShortBE(udp, SRC_PORT);
        Memory.putShortBE(udp + 2, dport);
        Memory.putShortBE(udp + 4, 8 + 12);
        Memory.putShortBE(udp + 6, 0);
        Memory.putShortBE(udp + 6, Checksum.udpIpv6(ip, udp));
        return m;
    }

    private static long tcp6(final int dport)
    {
        final long m = alloc();
        final long ip = ipv6(m, IpProtocol.TCP, 20);
        final long th = ip + Ipv6Flyweight.HEADER_LENGTH;
        tcpHeader(th, dport, TcpFlyweight.SYN, 100, 0, 0);
        Memory.putShortBE(th + TcpFlyweight.CHECKSUM_OFFSET, Checksum.tcpIpv6(ip, th));
        return m;
    }
}
