package io.flowgate.pmd.header;

import java.lang.foreign.Arena;

import io.flowgate.pmd.testing.CapturedPackets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.flowgate.pmd.testing.CapturedPackets.IPV6_DOCUMENTATION_HI;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv6FlyweightTest
{
    private final Arena arena = Arena.ofConfined();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();

    @AfterEach
    void close()
    {
        arena.close();
    }

    @Test
    void shouldReadEveryFieldOfCapturedUdpPacket()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.IPV6_UDP) + 14;

        ipv6.wrap(header);

        assertEquals(6, ipv6.version());
        assertEquals(0, ipv6.trafficClass());
        assertEquals(0, ipv6.dscp());
        assertEquals(0, ipv6.ecn());
        assertEquals(0x0edd7, ipv6.flowLabel());
        assertEquals(0x6000edd7, ipv6.versionClassFlow());
        assertEquals(25, ipv6.payloadLength());
        assertEquals(IpProtocol.UDP, ipv6.nextHeader());
        assertEquals(64, ipv6.hopLimit());
        assertEquals(IPV6_DOCUMENTATION_HI, ipv6.srcAddressHi());
        assertEquals(1L, ipv6.srcAddressLo());
        assertEquals(IPV6_DOCUMENTATION_HI, ipv6.dstAddressHi());
        assertEquals(2L, ipv6.dstAddressLo());
        assertEquals(0x20, ipv6.srcAddressByte(0));
        assertEquals(0x0d, ipv6.srcAddressByte(2));
        assertEquals(0xb8, ipv6.srcAddressByte(3));
        assertEquals(0x01, ipv6.srcAddressByte(15));
        assertEquals(0x02, ipv6.dstAddressByte(15));
        assertEquals(header + 40, ipv6.payloadAddress());
        assertTrue(Ipv6Flyweight.isWellFormed(header, 65));
    }

    @Test
    void shouldReadSameFieldsThroughStaticAccessors()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.ICMPV6_NEIGHBOR_SOLICITATION) + 14;

        assertEquals(32, Ipv6Flyweight.getPayloadLength(header));
        assertEquals(IpProtocol.ICMPV6, Ipv6Flyweight.getNextHeader(header));
        assertEquals(255, Ipv6Flyweight.getHopLimit(header));
        assertEquals(IPV6_DOCUMENTATION_HI, Ipv6Flyweight.getSrcAddressHi(header));
        assertEquals(1L, Ipv6Flyweight.getSrcAddressLo(header));
        assertEquals(0xff02_0000_0000_0000L, Ipv6Flyweight.getDstAddressHi(header));
        assertEquals(0x0000_0001_ff00_0002L, Ipv6Flyweight.getDstAddressLo(header));
    }

    @Test
    void shouldBuildCapturedHeaderFromFields()
    {
        final byte[] captured = CapturedPackets.bytes(CapturedPackets.IPV6_UDP);
        final long header = CapturedPackets.load(arena, new byte[40]);

        ipv6.wrap(header)
            .version(6)
            .trafficClass(0)
            .flowLabel(0x0edd7)
            .payloadLength(25)
            .nextHeader(IpProtocol.UDP)
            .hopLimit(64)
            .srcAddress(IPV6_DOCUMENTATION_HI, 1L)
            .dstAddress(IPV6_DOCUMENTATION_HI, 2L);

        assertArrayEquals(CapturedPackets.slice(captured, 14, 40), CapturedPackets.read(header, 40));
    }

    @Test
    void shouldSetFirstWordFieldsWithoutDisturbingTheirNeighbours()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.IPV6_UDP) + 14;
        ipv6.wrap(header);

        ipv6.trafficClass(0xFF);
        assertEquals(6, ipv6.version());
        assertEquals(0x0edd7, ipv6.flowLabel());
        ipv6.dscp(46);
        assertEquals(3, ipv6.ecn());
        ipv6.ecn(1);
        assertEquals(46, ipv6.dscp());
        assertEquals((46 << 2) | 1, ipv6.trafficClass());
        ipv6.flowLabel(0xFFFFF);
        assertEquals((46 << 2) | 1, ipv6.trafficClass());
        ipv6.flowLabel(0x123456);
        assertEquals(0x23456, ipv6.flowLabel());
        ipv6.version(15);
        assertEquals(15, ipv6.version());
        assertEquals(0x23456, ipv6.flowLabel());
        assertEquals((46 << 2) | 1, ipv6.trafficClass());
        assertEquals(25, ipv6.payloadLength());
    }

    @Test
    void shouldWriteAddressBytesInWireOrder()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.IPV6_UDP) + 14;
        ipv6.wrap(header);

        ipv6.srcAddressByte(0, 0xfe).srcAddressByte(1, 0x80).srcAddressByte(15, 0xff);
        ipv6.dstAddressByte(8, 0xab);

        assertEquals(0xfe80_0db8_0000_0000L, ipv6.srcAddressHi());
        assertEquals(0xffL, ipv6.srcAddressLo());
        assertEquals(0xab00_0000_0000_0002L, ipv6.dstAddressLo());
        assertEquals(IPV6_DOCUMENTATION_HI, ipv6.dstAddressHi());
    }

    @Test
    void shouldDecrementHopLimitButNotBelowZero()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.IPV6_UDP) + 14;
        ipv6.wrap(header);

        assertEquals(63, ipv6.decrementHopLimit());
        assertEquals(63, ipv6.hopLimit());
        assertEquals(0, ipv6.hopLimit(1).decrementHopLimit());
        assertEquals(0, ipv6.decrementHopLimit());
        assertEquals(0, ipv6.hopLimit());
        assertEquals(IpProtocol.UDP, ipv6.nextHeader());
    }

    @Test
    void shouldRejectTruncatedIpv6Packet()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.IPV6_UDP) + 14;

        assertFalse(Ipv6Flyweight.isWellFormed(header, 39));
        assertFalse(Ipv6Flyweight.isWellFormed(header, 64));
        assertTrue(Ipv6Flyweight.isWellFormed(header, 65));
    }

    @Test
    void shouldRejectWrongVersionAndJumboPayloadLength()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.IPV6_UDP) + 14;
        ipv6.wrap(header);

        assertFalse(Ipv6Flyweight.isWellFormed(ipv6.version(4).address(), 65));
        assertFalse(Ipv6Flyweight.isWellFormed(ipv6.version(6).payloadLength(0).address(), 65));
    }
}
