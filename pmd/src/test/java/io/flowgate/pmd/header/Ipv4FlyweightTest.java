package io.flowgate.pmd.header;

import java.lang.foreign.Arena;
import java.util.Random;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.testing.CapturedPackets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.flowgate.pmd.testing.CapturedPackets.IPV4_A;
import static io.flowgate.pmd.testing.CapturedPackets.IPV4_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv4FlyweightTest
{
    private final Arena arena = Arena.ofConfined();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();

    @AfterEach
    void close()
    {
        arena.close();
    }

    @Test
    void shouldReadEveryFieldOfCapturedTcpSyn()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.TCP_SYN) + 14;

        ipv4.wrap(header);

        assertEquals(4, ipv4.version());
        assertEquals(5, ipv4.ihl());
        assertEquals(20, ipv4.headerLength());
        assertEquals(0, ipv4.optionsLength());
        assertEquals(0, ipv4.tos());
        assertEquals(0, ipv4.dscp());
        assertEquals(0, ipv4.ecn());
        assertEquals(60, ipv4.totalLength());
        assertEquals(40, ipv4.payloadLength());
        assertEquals(0x0de4, ipv4.id());
        assertEquals(0x4000, ipv4.flagsAndFragmentOffset());
        assertEquals(2, ipv4.flags());
        assertTrue(ipv4.dontFragment());
        assertFalse(ipv4.moreFragments());
        assertEquals(0, ipv4.fragmentOffset());
        assertFalse(ipv4.isFragment());
        assertEquals(64, ipv4.ttl());
        assertEquals(IpProtocol.TCP, ipv4.protocol());
        assertEquals(0xa8d4, ipv4.checksum());
        assertEquals(IPV4_A, ipv4.srcAddress());
        assertEquals(IPV4_B, ipv4.dstAddress());
        assertEquals(header + 20, ipv4.payloadAddress());
        assertTrue(Ipv4Flyweight.isWellFormed(header, 60));
    }

    @Test
    void shouldReadSameFieldsThroughStaticAccessors()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.ICMP_ECHO_REPLY) + 14;

        assertEquals(20, Ipv4Flyweight.getHeaderLength(header));
        assertEquals(44, Ipv4Flyweight.getTotalLength(header));
        assertEquals(IpProtocol.ICMP, Ipv4Flyweight.getProtocol(header));
        assertEquals(64, Ipv4Flyweight.getTtl(header));
        assertEquals(0x145b, Ipv4Flyweight.getChecksum(header));
        assertEquals(IPV4_B, Ipv4Flyweight.getSrcAddress(header));
        assertEquals(IPV4_A, Ipv4Flyweight.getDstAddress(header));
        assertFalse(Ipv4Flyweight.isFragment(header));
        assertFalse(ipv4.wrap(header).dontFragment());
    }

    @Test
    void shouldReadDscpOfCapturedIcmpError()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.ICMP_PORT_UNREACHABLE) + 14;

        ipv4.wrap(header);

        assertEquals(0xc0, ipv4.tos());
        assertEquals(48, ipv4.dscp());
        assertEquals(0, ipv4.ecn());
    }

    @Test
    void shouldValidateCapturedHeaderChecksums()
    {
        for (final String frame : new String[]{
            CapturedPackets.ICMP_ECHO_REQUEST, CapturedPackets.ICMP_ECHO_REPLY, CapturedPackets.TCP_SYN,
            CapturedPackets.IPV4_UDP_ODD, CapturedPackets.ICMP_PORT_UNREACHABLE})
        {
            final long header = CapturedPackets.load(arena, frame) + 14;
            ipv4.wrap(header);
            final int stored = ipv4.checksum();

            assertTrue(ipv4.isHeaderChecksumValid(), frame);
            assertEquals(stored, ipv4.computeHeaderChecksum(), frame);
            assertEquals(stored, ipv4.checksum(0xBEEF).computeHeaderChecksum(), frame);
            assertFalse(ipv4.isHeaderChecksumValid(), frame);
            assertEquals(stored, ipv4.updateHeaderChecksum().checksum(), frame);
        }
    }

    @Test
    void shouldBuildCapturedHeaderFromFields()
    {
        final byte[] captured = CapturedPackets.bytes(CapturedPackets.TCP_SYN);
        final long header = CapturedPackets.load(arena, new byte[20]);

        ipv4.wrap(header)
            .version(4)
            .headerLength(20)
            .tos(0)
            .totalLength(60)
            .id(0x0de4)
            .flagsAndFragmentOffset(0)
            .dontFragment(true)
            .ttl(64)
            .protocol(IpProtocol.TCP)
            .srcAddress(IPV4_A)
            .dstAddress(IPV4_B)
            .updateHeaderChecksum();

        assertArrayEquals(
            CapturedPackets.slice(captured, 14, 20), CapturedPackets.read(header, 20));
    }

    @Test
    void shouldSetBitFieldsWithoutDisturbingTheirNeighbours()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.ICMP_PORT_UNREACHABLE) + 14;
        ipv4.wrap(header);

        ipv4.ihl(15);
        assertEquals(4, ipv4.version());
        assertEquals(60, ipv4.headerLength());
        assertEquals(40, ipv4.optionsLength());
        ipv4.version(6);
        assertEquals(15, ipv4.ihl());
        ipv4.version(4).ihl(5);

        ipv4.ecn(3);
        assertEquals(48, ipv4.dscp());
        ipv4.dscp(46);
        assertEquals(3, ipv4.ecn());
        assertEquals((46 << 2) | 3, ipv4.tos());

        ipv4.fragmentOffset(0x1FFF).moreFragments(true);
        assertFalse(ipv4.dontFragment());
        assertEquals(0x1FFF, ipv4.fragmentOffset());
        assertTrue(ipv4.isFragment());
        ipv4.dontFragment(true).moreFragments(false);
        assertEquals(0x1FFF, ipv4.fragmentOffset());
        assertEquals(2, ipv4.flags());
        ipv4.fragmentOffset(0x2005);
        assertEquals(5, ipv4.fragmentOffset());
        assertTrue(ipv4.dontFragment());
        ipv4.fragmentOffset(0);
        assertFalse(ipv4.isFragment());
        ipv4.moreFragments(true);
        assertTrue(Ipv4Flyweight.isFragment(header));
    }

    @Test
    void shouldDecrementTtlAndKeepChecksumCorrect()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.TCP_SYN) + 14;
        ipv4.wrap(header);

        assertEquals(63, ipv4.decrementTtl());

        assertEquals(63, ipv4.ttl());
        assertEquals(IpProtocol.TCP, ipv4.protocol());
        assertEquals(0xa9d4, ipv4.checksum());
        assertTrue(ipv4.isHeaderChecksumValid());
    }

    @Test
    void shouldMatchRecomputedChecksumAfterDecrementingTtlOfRandomHeaders()
    {
        final Random random = new Random(0x1624);
        final long header = CapturedPackets.load(arena, new byte[Ipv4Flyweight.MAX_HEADER_LENGTH]);
        ipv4.wrap(header);

        for (int i = 0; i < 20_000; i++)
        {
            for (int offset = 0; offset < Ipv4Flyweight.MAX_HEADER_LENGTH; offset++)
            {
                Memory.putByte(header + offset, (byte)random.nextInt());
            }
            ipv4.version(4).ihl(5 + random.nextInt(11)).ttl(1 + random.nextInt(255)).updateHeaderChecksum();
            final int ttl = ipv4.ttl();

            assertEquals(ttl - 1, ipv4.decrementTtl());

            assertEquals(ipv4.computeHeaderChecksum(), ipv4.checksum(), "iteration " + i);
        }
    }

    @Test
    void forwardTtlShouldDoWhatTheExpiryCheckAndDecrementDo()
    {
        final Random random = new Random(0x1812);
        final long a = CapturedPackets.load(arena, new byte[Ipv4Flyweight.MAX_HEADER_LENGTH]);
        final long b = CapturedPackets.load(arena, new byte[Ipv4Flyweight.MAX_HEADER_LENGTH]);
        for (int i = 0; i < 50_000; i++)
        {
            for (int offset = 0; offset < Ipv4Flyweight.MIN_HEADER_LENGTH; offset++)
            {
                final byte v = (byte)random.nextInt();
                Memory.putByte(a + offset, v);
                Memory.putByte(b + offset, v);
            }
            ipv4.wrap(a).version(4).ihl(5).ttl(random.nextInt(256)).updateHeaderChecksum();
            for (int offset = 0; offset < Ipv4Flyweight.MIN_HEADER_LENGTH; offset++)
            {
                Memory.putByte(b + offset, Memory.getByte(a + offset));
            }
            final boolean alive = Ipv4Flyweight.getTtl(b) > 1;
            if (alive)
            {
                Ipv4Flyweight.decrementTtl(b);
            }
            assertEquals(alive, Ipv4Flyweight.forwardTtl(a), "iteration " + i);
            for (int offset = 0; offset < Ipv4Flyweight.MIN_HEADER_LENGTH; offset++)
            {
                assertEquals(Memory.getByte(b + offset), Memory.getByte(a + offset), "iteration " + i + " byte " + offset);
            }
        }
    }

    @Test
    void shouldLeaveZeroTtlAlone()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.TCP_SYN) + 14;
        ipv4.wrap(header).ttl(0).updateHeaderChecksum();
        final int checksum = ipv4.checksum();

        assertEquals(0, ipv4.decrementTtl());

        assertEquals(0, ipv4.ttl());
        assertEquals(checksum, ipv4.checksum());
    }

    @Test
    void shouldRejectTruncatedIpv4Header()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.TCP_SYN) + 14;

        assertFalse(Ipv4Flyweight.isWellFormed(header, 19));
        assertFalse(Ipv4Flyweight.isWellFormed(header, 59));
        ipv4.wrap(header).ihl(6);
        assertFalse(Ipv4Flyweight.isWellFormed(header, 23));
        assertTrue(Ipv4Flyweight.isWellFormed(header, 60));
    }

    @Test
    void shouldRejectWrongVersionShortIhlAndTotalLengthBelowHeader()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.TCP_SYN) + 14;
        ipv4.wrap(header);

        assertFalse(Ipv4Flyweight.isWellFormed(ipv4.version(6).address(), 60));
        assertFalse(Ipv4Flyweight.isWellFormed(ipv4.version(4).ihl(4).address(), 60));
        assertFalse(Ipv4Flyweight.isWellFormed(ipv4.ihl(5).totalLength(19).address(), 60));
        assertTrue(Ipv4Flyweight.isWellFormed(ipv4.totalLength(20).address(), 60));
    }

    @Test
    void shouldAcceptEthernetPaddingAfterTotalLength()
    {
        final String padding = " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00";
        final long header = CapturedPackets.load(arena, CapturedPackets.IPV4_UDP_ODD + padding) + 14;

        assertEquals(29, Ipv4Flyweight.getTotalLength(header));
        assertTrue(Ipv4Flyweight.isWellFormed(header, 46));
    }

    @Test
    void shouldFormatAndParseDottedQuads()
    {
        assertEquals("192.0.2.1", Ipv4Flyweight.addressToString(IPV4_A));
        assertEquals("255.255.255.255", Ipv4Flyweight.addressToString(-1));
        assertEquals(IPV4_B, Ipv4Flyweight.parseAddress("192.0.2.2"));
        assertEquals(0, Ipv4Flyweight.parseAddress("0.0.0.0"));
        assertEquals(-1, Ipv4Flyweight.parseAddress("255.255.255.255"));
        assertThrows(IllegalArgumentException.class, () -> Ipv4Flyweight.parseAddress("192.0.2"));
        assertThrows(IllegalArgumentException.class, () -> Ipv4Flyweight.parseAddress("192.0.2.256"));
        assertThrows(IllegalArgumentException.class, () -> Ipv4Flyweight.parseAddress("192.0.2.+1"));
        assertThrows(IllegalArgumentException.class, () -> Ipv4Flyweight.parseAddress("192.0..1"));
        assertThrows(IllegalArgumentException.class, () -> Ipv4Flyweight.parseAddress("192.0.2.1."));
    }
}
