package io.flowgate.pmd.header;

import java.lang.foreign.Arena;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.testing.CapturedPackets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class UdpFlyweightTest
{
    private final Arena arena = Arena.ofConfined();
    private final UdpFlyweight udp = new UdpFlyweight();

    @AfterEach
    void close()
    {
        arena.close();
    }

    @Test
    void shouldReadEveryFieldOfCapturedDatagram()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.IPV4_UDP_ODD) + 34;

        udp.wrap(header);

        assertEquals(44871, udp.srcPort());
        assertEquals(9999, udp.dstPort());
        assertEquals(9, udp.length());
        assertEquals(1, udp.payloadLength());
        assertEquals(0x2d81, udp.checksum());
        assertEquals(header + 8, udp.payloadAddress());
        assertEquals((byte)'x', Memory.getByte(udp.payloadAddress()));
    }

    @Test
    void shouldReadSameFieldsThroughStaticAccessors()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.IPV6_UDP) + 54;

        assertEquals(40000, UdpFlyweight.getSrcPort(header));
        assertEquals(40002, UdpFlyweight.getDstPort(header));
        assertEquals(25, UdpFlyweight.getLength(header));
        assertEquals(0x0db5, UdpFlyweight.getChecksum(header));
    }

    @Test
    void shouldBuildCapturedHeaderFromFields()
    {
        final byte[] captured = CapturedPackets.bytes(CapturedPackets.IPV6_UDP);
        final long header = CapturedPackets.load(arena, new byte[8]);

        udp.wrap(header).srcPort(40000).dstPort(40002).length(25).checksum(0x0db5);

        assertArrayEquals(CapturedPackets.slice(captured, 54, 8), CapturedPackets.read(header, 8));
    }

    @Test
    void shouldWritePortsAndChecksumThroughStaticAccessors()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.IPV4_UDP_ODD) + 34;

        UdpFlyweight.putSrcPort(header, 65535);
        UdpFlyweight.putDstPort(header, 0);
        UdpFlyweight.putChecksum(header, 0xFFFF);

        udp.wrap(header);
        assertEquals(65535, udp.srcPort());
        assertEquals(0, udp.dstPort());
        assertEquals(0xFFFF, udp.checksum());
        assertEquals(9, udp.length());
    }
}
