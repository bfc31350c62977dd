package io.flowgate.pipeline.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pipeline.dispatch.BurstRing;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.host.HostOutput;
import io.flowgate.pipeline.host.HostStack;
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
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv4Flyweight;
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
 * The hand-off to the host stack: the slow path keeps ARP and echo, gives every other packet for the box to the
 * {@link HostStack}; what the stack sends through {@link HostOutput} is routed (LPM, next hop, the egress port's
 * MAC), goes to worker 0 as LOCAL_OUT when the neighbour is known, and waits for resolution (an ARP request goes
 * out) when not. Every mbuf freed exactly once.
 */
class SlowPathHostTest
{
    private static final int HOST_A = 0x0A010002;   // 10.1.0.2, behind "in" (MAC learned only by the test's static entry)
    private static final int HOST_B = 0x0A020002;   // 10.2.0.2, behind "out", static neighbour
    private static final int HOST_C = 0x0A020009;   // 10.2.0.9, behind "out", unknown: resolution
    private static final int ROUTER_IN = 0x0A010001;
    private static final int ROUTER_OUT = 0x0A020001;
    private static final long MAC_A = 0x02_00_00_00_00_0AL;
    private static final long MAC_B = 0x02_00_00_00_00_0BL;
    private static final long MAC_IN = 0x02_00_00_00_01_01L;
    private static final long MAC_OUT = 0x02_00_00_00_02_02L;

    private static Mempool pool;

    @BeforeAll
    static void initEal()
    {
        TestEal.get();
        pool = Mempool.createPktmbufPool("slowpath-host", 1023, 32, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
    }

    @AfterAll
    static void freePool()
    {
        pool.close();
    }

    /** A host stack that records what it gets and, for each UDP datagram, sends one to each of A, B and C. */
    private static final class RecordingHost implements HostStack
    {
        final List<String> received = new ArrayList<>();
        HostOutput output;
        int work;
        boolean closed;

        @Override
        public void attach(final HostOutput out)
        {
            this.output = out;
        }

        @Override
        public void receive(final long mbuf, final int port, final long nowNs)
        {
            final long ip = Mbuf.data(mbuf) + EthernetFlyweight.HEADER_LENGTH;
            final int protocol = Memory.getUnsignedByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET);
            received.add("proto=" + protocol + " port=" + port);
            Mbuf.free(mbuf);
            if (protocol == IpProtocol.UDP)
            {
                send(HOST_A, nowNs);
                send(HOST_B, nowNs);
                send(HOST_C, nowNs);
                send(0x0B000001, nowNs); // 11.0.0.1: no route
            }
        }

        private void send(final int dst, final long nowNs)
        {
            final long m = output.allocate();
            assertTrue(m != 0);
            final long ip = Mbuf.data(m) + HostOutput.IP_OFFSET;
            final int src = output.sourceAddress4(output.route4(dst) & 0xFFFF);
            ipv4(ip, IpProtocol.UDP, src, dst, 8);
            Memory.putShortBE(ip + 20, 7);
            Memory.putShortBE(ip + 22, 7);
            Memory.putShortBE(ip + 24, 8);
            Memory.putShortBE(ip + 26, 0);
            Mbuf.length(m, HostOutput.IP_OFFSET + 28);
            output.send(m, nowNs);
        }

        @Override
        public int doWork(final long nowNs)
        {
            work++;
            return 0;
        }

        @Override
        public void close()
        {
            closed = true;
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldHandTheBoxsPacketsToTheHostStackAndRouteWhatItSends()
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
            final RouterPort[] ports = {
                new RouterPort(in, MAC_IN, 1500, new PortAddresses(in.id(), MAC_IN, 2).addIpv4(ROUTER_IN)),
                new RouterPort(out, MAC_OUT, 1400, new PortAddresses(out.id(), MAC_OUT, 2).addIpv4(ROUTER_OUT))};
            final IntHashSet local = new IntHashSet();
            local.add(ROUTER_IN);
            local.add(ROUTER_OUT);
            final BurstRing<SlowPathBurst> toSlow = new BurstRing<>(4, () -> new SlowPathBurst(arena, 32));
            final BurstRing<SlowPathBurst> fromSlow = new BurstRing<>(4, () -> new SlowPathBurst(arena, 32));
            final SlowPath slowPath = new SlowPath(new BurstRing[] {toSlow}, fromSlow, ports, pool, neighbours,
                NeighbourParams.linuxDefaults(), new IcmpRateLimiter(1000, 50, System.nanoTime()));
            final long now = System.nanoTime();
            assertTrue(slowPath.resolver().addPermanent(in.id(), HOST_A, MAC_A, now));
            assertTrue(slowPath.resolver().addPermanent(out.id(), HOST_B, MAC_B, now));
            final RecordingHost host = new RecordingHost();
            slowPath.attachHost(host, routes);
            assertEquals((1400 << 16) | out.id(), host.output.route4(HOST_B), "egress port and its MTU");
            assertEquals(HostOutput.NO_ROUTE, host.output.route4(0x0B000001));
            assertEquals(ROUTER_OUT, host.output.sourceAddress4(out.id()));
            assertTrue(host.output.isLocal4(ROUTER_IN));
            assertTrue(!host.output.isLocal4(HOST_A));
            final RouterWorker worker = new RouterWorker("host", 0, ports, local, routes.ipv4(), routes.nextHops(), neighbours,
                new HookChain(32), toSlow, fromSlow, 32);

            final MbufBurst tx = new MbufBurst(arena, 32);
            tx.mbuf(0, frame(IpProtocol.UDP, 8));
            tx.mbuf(1, frame(IpProtocol.TCP, 20));
            tx.mbuf(2, echoRequest());
            tx.count(3);
            assertEquals(3, tx.transmitOrFree(in, 0));
            worker.doWork();
            slowPath.doWork();

            assertEquals(List.of("proto=17 port=" + in.id(), "proto=6 port=" + in.id()), host.received,
                "UDP and TCP to the host stack; the echo request answered by the slow path");
            assertTrue(host.work > 0, "the host's duty cycle runs in the slow path's");
            assertEquals(2, slowPath.counter(SlowPath.HOST_DELIVERED));
            assertEquals(1, slowPath.counter(SlowPath.ECHO_REPLIES));
            assertEquals(2, slowPath.counter(SlowPath.HOST_SENT), "to A and B; C waits for ARP");
            assertEquals(1, slowPath.counter(SlowPath.HOST_NO_ROUTE));

            final List<String> sent = new ArrayList<>();
            SlowPathBurst s;
            while ((s = fromSlow.poll()) != null)
            {
                for (int i = 0; i < s.count(); i++)
                {
                    final long frame = Mbuf.data(s.mbufs.mbuf(i));
                    final String what = EthernetFlyweight.getEtherType(frame) == EthernetFlyweight.ETHER_TYPE_ARP ? "arp"
                        : String.format("%08x", Memory.getIntBE(frame + 14 + Ipv4Flyweight.DST_ADDRESS_OFFSET));
                    sent.add(what + " reason=" + s.reason[i] + " port=" + s.port[i] + " dst=" + Long.toHexString(EthernetFlyweight.getDstMac(frame))
                        + " src=" + Long.toHexString(EthernetFlyweight.getSrcMac(frame)));
                }
                s.mbufs.free();
                fromSlow.release(s);
            }
            sent.sort(null);
            final List<String> expected = new ArrayList<>(List.of(
                "0a010002 reason=" + SlowPathBurst.LOCAL_OUT + " port=" + in.id() + " dst=2000000000a src=" + Long.toHexString(MAC_IN),
                "0a010002 reason=" + SlowPathBurst.LOCAL_OUT + " port=" + in.id() + " dst=2000000000a src=" + Long.toHexString(MAC_IN),
                "0a020002 reason=" + SlowPathBurst.LOCAL_OUT + " port=" + out.id() + " dst=2000000000b src=" + Long.toHexString(MAC_OUT),
                "arp reason=0 port=" + out.id() + " dst=ffffffffffff src=" + Long.toHexString(MAC_OUT)));
            expected.sort(null);
            assertEquals(expected, sent, "the echo reply and A's datagram to A, B's to B, an ARP request for C");
            worker.onClose();
            slowPath.onClose();
            assertTrue(host.closed, "the host stack closed with the slow path");
        }
        assertEquals(baseline, pool.inUse(), "every mbuf freed exactly once (C's datagram freed with the resolver)");
    }

    private static long frame(final int protocol, final int l4Length)
    {
        final long m = pool.alloc();
        assertTrue(m != 0);
        final long frame = Mbuf.data(m);
        EthernetFlyweight.putDstMac(frame, MAC_IN);
        EthernetFlyweight.putSrcMac(frame, MAC_A);
        Memory.putShortBE(frame + EthernetFlyweight.ETHER_TYPE_OFFSET, EthernetFlyweight.ETHER_TYPE_IPV4);
        final long ip = frame + EthernetFlyweight.HEADER_LENGTH;
        ipv4(ip, protocol, HOST_A, ROUTER_IN, l4Length);
        Memory.fill(ip + 20, l4Length, (byte)0);
        Mbuf.length(m, EthernetFlyweight.HEADER_LENGTH + 20 + l4Length);
        return m;
    }

    private static long echoRequest()
    {
        final long m = frame(IpProtocol.ICMP, 16);
        final long icmp = Mbuf.data(m) + EthernetFlyweight.HEADER_LENGTH + 20;
        Memory.putByte(icmp, (byte)8);
        Memory.putShortBE(icmp + 4, 1);
        Memory.putShortBE(icmp + 6, 1);
        Memory.putShortBE(icmp + 2, Checksum.checksum(icmp, 16));
        return m;
    }

    private static void ipv4(final long ip, final int protocol, final int src, final int dst, final int l4Length)
    {
        Memory.putByte(ip, (byte)0x45);
        Memory.putByte(ip + 1, (byte)0);
        Memory.putShortBE(ip + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, 20 + l4Length);
        Memory.putShortBE(ip + Ipv4Flyweight.ID_OFFSET, 1);
        Memory.putShortBE(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET, 0x4000);
        Memory.putByte(ip + Ipv4Flyweight.TTL_OFFSET, (byte)64);
        Memory.putByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET, (byte)protocol);
        Memory.putShortBE(ip + Ipv4Flyweight.CHECKSUM_OFFSET, 0);
        Memory.putIntBE(ip + Ipv4Flyweight.SRC_ADDRESS_OFFSET, src);
        Memory.putIntBE(ip + Ipv4Flyweight.DST_ADDRESS_OFFSET, dst);
        Memory.putShortBE(ip + Ipv4Flyweight.CHECKSUM_OFFSET, Checksum.checksum(ip, 20));
    }
}
