package io.flowgate.pmd;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;

import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.IcmpFlyweight;
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.header.Ipv6Flyweight;
import io.flowgate.pmd.header.TcpFlyweight;
import io.flowgate.pmd.header.UdpFlyweight;
import io.flowgate.pmd.header.VlanFlyweight;
import io.flowgate.pmd.testing.CapturedPackets;
import io.flowgate.pmd.traffic.UdpFlowGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The per-packet work of this module allocates nothing, interpreted or compiled: a guard for the
 * "0 B/op" rule between JMH runs. Counts the current thread's allocated bytes around many iterations.
 */
class HotPathAllocationTest
{
    private static final int ITERATIONS = 20_000;

    private final Arena arena = Arena.ofConfined();
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final VlanFlyweight vlan = new VlanFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();
    private final TcpFlyweight tcp = new TcpFlyweight();
    private final UdpFlyweight udp = new UdpFlyweight();
    private final IcmpFlyweight icmp = new IcmpFlyweight();

    @AfterEach
    void close()
    {
        arena.close();
    }

    @Test
    void shouldParseRewriteAndChecksumWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "no per-thread allocation counter");
        threads.setThreadAllocatedMemoryEnabled(true);

        final long vlanFrame = CapturedPackets.load(arena, CapturedPackets.TCP_ACK_VLAN_100);
        final long udp6 = CapturedPackets.load(arena, CapturedPackets.IPV6_UDP);
        final long echo = CapturedPackets.load(arena, CapturedPackets.ICMP_ECHO_REQUEST);
        final long generated = CapturedPackets.load(arena, new byte[1514]);
        final UdpFlowGenerator generator = new UdpFlowGenerator(UdpFlowGenerator.Config.of(1024, 1518));

        long checksum = work(vlanFrame, udp6, echo, generated, generator);
        final long threadId = Thread.currentThread().threadId();
        final long before = threads.getThreadAllocatedBytes(threadId);
        checksum += work(vlanFrame, udp6, echo, generated, generator);
        final long allocated = threads.getThreadAllocatedBytes(threadId) - before;

        assertEquals(0, allocated, "bytes allocated (checksum " + checksum + ")");
    }

    private long work(
        final long vlanFrame, final long udp6Frame, final long echoFrame, final long generated,
        final UdpFlowGenerator generator)
    {
        long result = 0;
        for (int i = 0; i < ITERATIONS; i++)
        {
            ethernet.wrap(vlanFrame);
            final int offset = EthernetFlyweight.payloadOffset(vlanFrame);
            result += vlan.wrap(ethernet.payloadAddress()).vid() + EthernetFlyweight.payloadEtherType(vlanFrame);
            ipv4.wrap(vlanFrame + offset);
            if (Ipv4Flyweight.isWellFormed(ipv4.address(), 52) && ipv4.protocol() == IpProtocol.TCP)
            {
                tcp.wrap(ipv4.payloadAddress());
                result += tcp.findOption(TcpFlyweight.OPTION_TIMESTAMP) + tcp.srcPort() + tcp.flags();
                final int oldAddress = ipv4.srcAddress();
                final int newAddress = oldAddress + 1;
                ipv4.srcAddress(newAddress).checksum(Checksum.adjust32(ipv4.checksum(), oldAddress, newAddress));
                tcp.checksum(Checksum.adjust32(tcp.checksum(), oldAddress, newAddress));
                ipv4.srcAddress(oldAddress).updateHeaderChecksum();
                tcp.checksum(Checksum.tcpIpv4(ipv4.address()));
                result += Checksum.isTcpIpv4Valid(ipv4.address()) ? 1 : 0;
                ipv4.ttl(64).updateHeaderChecksum();
                result += ipv4.decrementTtl();
            }

            ipv6.wrap(udp6Frame + EthernetFlyweight.HEADER_LENGTH);
            udp.wrap(ipv6.payloadAddress());
            result += ipv6.flowLabel() + ipv6.srcAddressLo() + udp.dstPort();
            result += Checksum.isUdpIpv6Valid(ipv6.address(), udp.address()) ? 1 : 0;

            icmp.wrap(echoFrame + 34);
            result += icmp.identifier() + (icmp.isChecksumValid(24) ? 1 : 0) + icmp.computeChecksum(24);

            result += generator.write(generated, i & 1023);
        }
        return result;
    }
}
