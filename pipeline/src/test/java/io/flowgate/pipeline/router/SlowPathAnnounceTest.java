package io.flowgate.pipeline.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pipeline.dispatch.BurstRing;
import io.flowgate.pipeline.neigh.NdFlyweight;
import io.flowgate.pipeline.neigh.NeighbourParams;
import io.flowgate.pipeline.neigh.NeighbourTable;
import io.flowgate.pipeline.neigh.PortAddresses;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.ArpFlyweight;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.IcmpFlyweight;
import io.flowgate.pmd.header.Ipv6Flyweight;
import io.flowgate.pmd.port.DpdkPort;
import io.flowgate.pmd.port.PortConfig;
import io.flowgate.pmd.testing.TestEal;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The slow path announces the box's addresses at start: a gratuitous ARP per IPv4 address, an unsolicited NA per IPv6 one. */
class SlowPathAnnounceTest
{
    private static final long MAC = 0x02_00_00_00_05_05L;
    private static final int IPV4_A = 0x0A010001;     // 10.1.0.1
    private static final int IPV4_B = 0x0A010101;     // 10.1.1.1
    private static final long IPV6_HI = 0xFD00_0001_0000_0000L;

    @Test
    @SuppressWarnings("unchecked")
    void shouldAnnounceEveryAddressOfEveryPortOnce()
    {
        TestEal.get();
        try (Mempool pool = Mempool.createPktmbufPool("announce", 255, 0, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
             Arena arena = Arena.ofConfined())
        {
            final int baseline = pool.inUse();
            try (DpdkPort port = DpdkPort.open(TestEal.newPort("net_null", "no-rx=1"), PortConfig.DEFAULT, pool);
                 NeighbourTable neighbours = new NeighbourTable(16, 1))
            {
                final PortAddresses addresses = new PortAddresses(port.id(), MAC, 4).addIpv4(IPV4_A).addIpv4(IPV4_B).addIpv6(IPV6_HI, 1)
                    .addLinkLocal();
                final BurstRing<SlowPathBurst> tx = new BurstRing<>(4, () -> new SlowPathBurst(arena, 32));
                final SlowPath slowPath = new SlowPath(new BurstRing[] {new BurstRing<>(2, () -> new SlowPathBurst(arena, 32))}, tx,
                    new RouterPort[] {new RouterPort(port, MAC, 1500, addresses)}, pool, neighbours, NeighbourParams.linuxDefaults());

                assertEquals(4, slowPath.announce());
                assertEquals(4, slowPath.counter(SlowPath.ANNOUNCEMENTS));
                final List<String> seen = new ArrayList<>();
                SlowPathBurst b;
                while ((b = tx.poll()) != null)
                {
                    for (int i = 0; i < b.count(); i++)
                    {
                        assertEquals(port.id(), b.port[i]);
                        seen.add(describe(Mbuf.data(b.mbufs.mbuf(i)), Mbuf.dataLength(b.mbufs.mbuf(i))));
                    }
                    b.mbufs.free();
                    tx.release(b);
                }
                assertEquals(List.of(
                    "garp " + Integer.toHexString(IPV4_A),
                    "garp " + Integer.toHexString(IPV4_B),
                    "na fd00000100000000:1 router+override",
                    "na fe80000000000000:" + Long.toHexString(addresses.ipv6Lo(1)) + " router+override"), seen);
            }
            assertEquals(baseline, pool.inUse(), "every announcement freed");
        }
    }

    private static String describe(final long frame, final int length)
    {
        assertEquals(MAC, EthernetFlyweight.getSrcMac(frame));
        final int type = EthernetFlyweight.getEtherType(frame);
        final long l3 = frame + EthernetFlyweight.HEADER_LENGTH;
        if (type == EthernetFlyweight.ETHER_TYPE_ARP)
        {
            assertEquals(EthernetFlyweight.BROADCAST_MAC, EthernetFlyweight.getDstMac(frame));
            assertEquals(1, Memory.getShortBE(l3 + ArpFlyweight.OPERATION_OFFSET), "a request, as Linux announces");
            final int sender = Memory.getIntBE(l3 + ArpFlyweight.SENDER_IP_OFFSET);
            assertEquals(sender, Memory.getIntBE(l3 + ArpFlyweight.TARGET_IP_OFFSET), "gratuitous: target = sender");
            assertEquals(MAC, EthernetFlyweight.getMac(l3 + ArpFlyweight.SENDER_MAC_OFFSET));
            return "garp " + Integer.toHexString(sender);
        }
        assertEquals(EthernetFlyweight.ETHER_TYPE_IPV6, type);
        assertEquals(0x3333_0000_0001L, EthernetFlyweight.getDstMac(frame), "to all nodes");
        assertEquals(NdFlyweight.ALL_NODES_HI, Ipv6Flyweight.getDstAddressHi(l3));
        assertEquals(NdFlyweight.HOP_LIMIT, Ipv6Flyweight.getHopLimit(l3));
        final long icmp = l3 + Ipv6Flyweight.HEADER_LENGTH;
        assertEquals(IcmpFlyweight.V6_NEIGHBOR_ADVERTISEMENT, Memory.getUnsignedByte(icmp));
        assertEquals(Checksum.VALID_SUM, Checksum.sum(icmp, length - EthernetFlyweight.HEADER_LENGTH - Ipv6Flyweight.HEADER_LENGTH,
            Checksum.ipv6PseudoHeaderSumAt(l3 + 8, l3 + 24, 58, length - EthernetFlyweight.HEADER_LENGTH - Ipv6Flyweight.HEADER_LENGTH)));
        final int flags = Memory.getIntBE(icmp + NdFlyweight.FLAGS_OFFSET);
        assertTrue((flags & NdFlyweight.FLAG_SOLICITED) == 0, "unsolicited");
        return "na " + Long.toHexString(Memory.getLongBE(icmp + NdFlyweight.TARGET_OFFSET)) + ":"
            + Long.toHexString(Memory.getLongBE(icmp + NdFlyweight.TARGET_OFFSET + 8))
            + ((flags & NdFlyweight.FLAG_ROUTER) != 0 ? " router" : "") + ((flags & NdFlyweight.FLAG_OVERRIDE) != 0 ? "+override" : "");
    }
}
