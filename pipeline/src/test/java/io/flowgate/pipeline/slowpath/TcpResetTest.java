package io.flowgate.pipeline.slowpath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv6Flyweight;
import io.flowgate.pmd.header.TcpFlyweight;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** nf_send_reset's cases that the router test does not reach: what is answered with what, and what gets nothing. */
class TcpResetTest
{
    private final Arena arena = Arena.ofConfined();
    private final long in = arena.allocate(256, 8).address();
    private final long out = arena.allocate(256, 8).address();

    @AfterEach
    void close()
    {
        arena.close();
    }

    private void ipv4(final int dst, final int flags, final int seq, final int payload)
    {
        Memory.fill(in, 256, (byte)0);
        Memory.putByte(in, (byte)0x45);
        Memory.putShortBE(in + 2, 40 + payload);
        Memory.putByte(in + 8, (byte)64);
        Memory.putByte(in + 9, (byte)IpProtocol.TCP);
        Memory.putIntBE(in + 12, 0x0A010002);
        Memory.putIntBE(in + 16, dst);
        Memory.putShortBE(in + 10, Checksum.checksum(in, 20));
        final long th = in + 20;
        Memory.putShortBE(th, 5555);
        Memory.putShortBE(th + 2, 80);
        Memory.putIntBE(th + 4, seq);
        Memory.putByte(th + 12, (byte)0x50);
        Memory.putByte(th + 13, (byte)flags);
        Memory.putShortBE(th + TcpFlyweight.CHECKSUM_OFFSET, Checksum.tcpIpv4(in));
    }

    @Test
    void shouldAcknowledgeSynFinAndPayload()
    {
        ipv4(0x0A020002, TcpFlyweight.SYN | TcpFlyweight.FIN, 0xFFFF_FFF0, 100);
        assertEquals(TcpReset.IPV4_LENGTH, TcpReset.ipv4(out, 256, in, 140));
        final long th = out + 20;
        assertEquals(0, Memory.getIntBE(th + 4));
        assertEquals(0xFFFF_FFF0 + 2 + 100, Memory.getIntBE(th + 8), "seq + SYN + FIN + payload, modulo 2^32");
        assertEquals(TcpFlyweight.RST | TcpFlyweight.ACK, Memory.getUnsignedByte(th + 13));
        assertEquals(80, Memory.getShortBE(th));
        assertEquals(5555, Memory.getShortBE(th + 2));
        assertTrue(Checksum.isTcpIpv4Valid(out));
        assertEquals(0, Checksum.checksum(out, 20));
    }

    @Test
    void shouldNotResetBroadcastOrMulticastOrTruncated()
    {
        ipv4(0xFFFF_FFFF, TcpFlyweight.SYN, 1, 0);
        assertEquals(0, TcpReset.ipv4(out, 256, in, 40));
        ipv4(0xE000_0001, TcpFlyweight.SYN, 1, 0);
        assertEquals(0, TcpReset.ipv4(out, 256, in, 40));
        ipv4(0x0A020002, TcpFlyweight.SYN, 1, 0);
        assertEquals(0, TcpReset.ipv4(out, 256, in, 30), "TCP header not all there");
        assertEquals(0, TcpReset.ipv4(out, 30, in, 40), "no room");
    }

    private void ipv6(final int nextHeader, final long dstHi)
    {
        ipv6(nextHeader, dstHi, -1, 0);
    }

    /**
     * An IPv6 TCP segment; with {@code extension} >= 0 an 8-byte extension header of that type (destination options
     * 60, fragment 44 with {@code fragmentOffset}) sits between the fixed header and TCP.
     */
    private void ipv6(final int nextHeader, final long dstHi, final int extension, final int fragmentOffset)
    {
        Memory.fill(in, 256, (byte)0);
        final int ext = extension >= 0 ? 8 : 0;
        Memory.putIntBE(in, 6 << 28);
        Memory.putShortBE(in + 4, 20 + ext);
        Memory.putByte(in + Ipv6Flyweight.NEXT_HEADER_OFFSET, (byte)nextHeader);
        Memory.putByte(in + Ipv6Flyweight.HOP_LIMIT_OFFSET, (byte)64);
        Memory.putLongBE(in + Ipv6Flyweight.SRC_ADDRESS_OFFSET, 0xFD00_0001_0000_0000L);
        Memory.putLongBE(in + Ipv6Flyweight.SRC_ADDRESS_OFFSET + 8, 2);
        Memory.putLongBE(in + Ipv6Flyweight.DST_ADDRESS_OFFSET, dstHi);
        Memory.putLongBE(in + Ipv6Flyweight.DST_ADDRESS_OFFSET + 8, 2);
        if (extension >= 0)
        {
            Memory.putByte(in + Ipv6Flyweight.NEXT_HEADER_OFFSET, (byte)extension);
            Memory.putByte(in + 40, (byte)nextHeader);
            Memory.putShortBE(in + 42, fragmentOffset << 3);
        }
        final long th = in + 40 + ext;
        Memory.putShortBE(th, 5555);
        Memory.putShortBE(th + 2, 80);
        Memory.putIntBE(th + 4, 7);
        Memory.putIntBE(th + 8, 99);
        Memory.putByte(th + 12, (byte)0x50);
        Memory.putByte(th + 13, (byte)TcpFlyweight.ACK);
        Memory.putShortBE(th + TcpFlyweight.CHECKSUM_OFFSET, Checksum.tcpIpv6(in, th));
    }

    @Test
    void shouldResetIpv6FromTheAckAndNotToMulticastOrFragments()
    {
        ipv6(IpProtocol.TCP, 0xFD00_0002_0000_0000L);
        assertEquals(TcpReset.IPV6_LENGTH, TcpReset.ipv6(out, 256, in, 60));
        assertEquals(99, Memory.getIntBE(out + 40 + 4), "seq = the offending ack");
        assertEquals(TcpFlyweight.RST, Memory.getUnsignedByte(out + 40 + 13));
        assertTrue(Checksum.isTcpIpv6Valid(out, out + 40));
        ipv6(IpProtocol.TCP, 0xFF02_0000_0000_0000L);
        assertEquals(0, TcpReset.ipv6(out, 256, in, 60), "multicast destination");
        ipv6(IpProtocol.TCP, 0xFD00_0002_0000_0000L, 44, 100);
        assertEquals(0, TcpReset.ipv6(out, 256, in, 68), "a non-first fragment");
        ipv6(IpProtocol.TCP, 0xFD00_0002_0000_0000L, 44, 0);
        assertEquals(TcpReset.IPV6_LENGTH, TcpReset.ipv6(out, 256, in, 68), "a first fragment holds the TCP header (ipv6_skip_exthdr)");
        ipv6(IpProtocol.TCP, 0xFD00_0002_0000_0000L, 60, 0);
        assertEquals(TcpReset.IPV6_LENGTH, TcpReset.ipv6(out, 256, in, 68), "after destination options");
        assertEquals(99, Memory.getIntBE(out + 40 + 4), "seq = the offending ack, read past the extension header");
        assertTrue(Checksum.isTcpIpv6Valid(out, out + 40));
        ipv6(IpProtocol.UDP, 0xFD00_0002_0000_0000L, 60, 0);
        assertEquals(0, TcpReset.ipv6(out, 256, in, 68), "UDP after the extension header");
        ipv6(IpProtocol.TCP, 0xFD00_0002_0000_0000L);
        Memory.putShortBE(in + 40 + TcpFlyweight.CHECKSUM_OFFSET, Memory.getShortBE(in + 40 + TcpFlyweight.CHECKSUM_OFFSET) ^ 1);
        assertEquals(0, TcpReset.ipv6(out, 256, in, 60), "bad checksum");
    }
}
