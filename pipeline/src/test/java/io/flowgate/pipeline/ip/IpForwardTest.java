package io.flowgate.pipeline.ip;

import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.header.Ipv6Flyweight;
import io.flowgate.pmd.testing.CapturedPackets;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IpForwardTest
{
    private static final int ETHERNET = EthernetFlyweight.HEADER_LENGTH;

    private final Arena arena = Arena.ofConfined();
    private final PacketBurst burst = new PacketBurst(arena, 32);
    private final IpForward forward = new IpForward();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();

    @AfterEach
    void close()
    {
        arena.close();
    }

    private long add(final String hex, final int etherType)
    {
        final byte[] bytes = CapturedPackets.bytes(hex);
        final long frame = CapturedPackets.load(arena, bytes);
        final int i = burst.count();
        burst.count(i + 1);
        burst.frame[i] = frame;
        burst.length[i] = bytes.length;
        burst.l3[i] = frame + ETHERNET;
        burst.etherType[i] = etherType;
        burst.verdict[i] = Verdict.ACCEPT;
        return frame + ETHERNET;
    }

    @Test
    void shouldReportTtlExpiredAtOneAndZeroOnly()
    {
        final long header = add(CapturedPackets.TCP_SYN, EthernetFlyweight.ETHER_TYPE_IPV4);

        assertFalse(IpForward.ttlExpired(header));
        ipv4.wrap(header).ttl(2);
        assertFalse(IpForward.ttlExpired(header));
        ipv4.ttl(1);
        assertTrue(IpForward.ttlExpired(header));
        ipv4.ttl(0);
        assertTrue(IpForward.ttlExpired(header));
    }

    @Test
    void shouldDecrementTtlWithChecksumEqualToFullRecomputationForEveryTtl()
    {
        final long header = add(CapturedPackets.TCP_SYN, EthernetFlyweight.ETHER_TYPE_IPV4);
        ipv4.wrap(header);

        for (int ttl = 255; ttl >= 1; ttl--)
        {
            ipv4.ttl(ttl).updateHeaderChecksum();

            assertEquals(ttl - 1, Ipv4Flyweight.decrementTtl(header));

            assertEquals(ttl - 1, ipv4.ttl());
            assertEquals(ipv4.computeHeaderChecksum(), ipv4.checksum(), "ttl " + ttl);
            assertTrue(ipv4.isHeaderChecksumValid());
        }
        assertEquals(0, Ipv4Flyweight.decrementTtl(header));
        assertEquals(0, ipv4.ttl());
    }

    @Test
    void shouldDecrementHopLimitAndLeaveZeroAlone()
    {
        final long header = add(CapturedPackets.IPV6_UDP, EthernetFlyweight.ETHER_TYPE_IPV6);

        assertFalse(IpForward.hopLimitExpired(header));
        assertEquals(63, Ipv6Flyweight.decrementHopLimit(header));
        ipv6.wrap(header).hopLimit(1);
        assertTrue(IpForward.hopLimitExpired(header));
        ipv6.hopLimit(0);
        assertEquals(0, Ipv6Flyweight.decrementHopLimit(header));
    }

    @Test
    void shouldDropExpiredPacketsForTimeExceededAndDecrementTheRest()
    {
        final long live4 = add(CapturedPackets.TCP_SYN, EthernetFlyweight.ETHER_TYPE_IPV4);
        ipv4.wrap(add(CapturedPackets.ICMP_ECHO_REQUEST, EthernetFlyweight.ETHER_TYPE_IPV4)).ttl(1).updateHeaderChecksum();
        final long live6 = add(CapturedPackets.IPV6_UDP, EthernetFlyweight.ETHER_TYPE_IPV6);
        ipv6.wrap(add(CapturedPackets.IPV6_UDP, EthernetFlyweight.ETHER_TYPE_IPV6)).hopLimit(0);
        add(CapturedPackets.ARP_REQUEST, EthernetFlyweight.ETHER_TYPE_ARP);
        final long decided = add(CapturedPackets.TCP_SYN, EthernetFlyweight.ETHER_TYPE_IPV4);
        burst.verdict[5] = Verdict.DROP;

        assertEquals(2, forward.process(burst));

        assertEquals(Verdict.ACCEPT, burst.verdict[0]);
        assertEquals(63, Ipv4Flyweight.getTtl(live4));
        assertTrue(ipv4.wrap(live4).isHeaderChecksumValid());
        assertEquals(Verdict.DROP, burst.verdict[1]);
        assertEquals(IpDropReason.TIME_EXCEEDED, burst.reason[1]);
        assertEquals(1, Ipv4Flyweight.getTtl(burst.l3[1]));
        assertEquals(63, Ipv6Flyweight.getHopLimit(live6));
        assertEquals(Verdict.DROP, burst.verdict[3]);
        assertEquals(IpDropReason.TIME_EXCEEDED, burst.reason[3]);
        assertEquals(Verdict.ACCEPT, burst.verdict[4]);
        assertEquals(64, Ipv4Flyweight.getTtl(decided));
        assertEquals(1, forward.counter(IpForward.IPV4_IN_HDR_ERRORS));
        assertEquals(1, forward.counter(IpForward.IPV6_IN_HDR_ERRORS));
        assertEquals(1, forward.counter(IpForward.IPV4_DECREMENTED));
        assertEquals(1, forward.counter(IpForward.IPV6_DECREMENTED));
    }
}
