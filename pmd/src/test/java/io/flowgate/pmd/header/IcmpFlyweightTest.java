package io.flowgate.pmd.header;

import java.lang.foreign.Arena;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.testing.CapturedPackets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.flowgate.pmd.testing.CapturedPackets.IPV4_A;
import static io.flowgate.pmd.testing.CapturedPackets.IPV4_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IcmpFlyweightTest
{
    private final Arena arena = Arena.ofConfined();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final IcmpFlyweight icmp = new IcmpFlyweight();

    @AfterEach
    void close()
    {
        arena.close();
    }

    @Test
    void shouldReadEveryFieldOfCapturedEchoRequest()
    {
        final long message = CapturedPackets.load(arena, CapturedPackets.ICMP_ECHO_REQUEST) + 34;

        icmp.wrap(message);

        assertEquals(IcmpFlyweight.ECHO_REQUEST, icmp.type());
        assertEquals(0, icmp.code());
        assertEquals(0x19c2, icmp.checksum());
        assertEquals(0xfc65, icmp.identifier());
        assertEquals(1, icmp.sequence());
        assertEquals(0xfc650001, icmp.restOfHeader());
        assertEquals(message + 8, icmp.payloadAddress());
        assertTrue(icmp.isChecksumValid(24));
        assertEquals(IcmpFlyweight.ECHO_REQUEST, IcmpFlyweight.getType(message));
        assertEquals(0, IcmpFlyweight.getCode(message));
        assertEquals(0xfc65, IcmpFlyweight.getIdentifier(message));
    }

    @Test
    void shouldReadCapturedPortUnreachableAndTheDatagramItQuotes()
    {
        final long packet = CapturedPackets.load(arena, CapturedPackets.ICMP_PORT_UNREACHABLE) + 14;
        ipv4.wrap(packet);
        icmp.wrap(ipv4.payloadAddress());

        assertEquals(IcmpFlyweight.DEST_UNREACHABLE, icmp.type());
        assertEquals(IcmpFlyweight.CODE_PORT_UNREACHABLE, icmp.code());
        assertEquals(0x811b, icmp.checksum());
        assertEquals(0, icmp.restOfHeader());
        assertTrue(icmp.isChecksumValid(ipv4.payloadLength()));
        assertTrue(IcmpFlyweight.isError(icmp.type()));

        final Ipv4Flyweight quoted = new Ipv4Flyweight().wrap(icmp.payloadAddress());
        assertEquals(IpProtocol.UDP, quoted.protocol());
        assertEquals(IPV4_A, quoted.srcAddress());
        assertEquals(IPV4_B, quoted.dstAddress());
        assertTrue(quoted.isHeaderChecksumValid());
        assertEquals(9999, UdpFlyweight.getDstPort(quoted.payloadAddress()));
    }

    @Test
    void shouldComputeCapturedChecksumsWhateverIsStored()
    {
        for (final String frame : new String[]{
            CapturedPackets.ICMP_ECHO_REQUEST, CapturedPackets.ICMP_ECHO_REPLY, CapturedPackets.ICMP_PORT_UNREACHABLE})
        {
            ipv4.wrap(CapturedPackets.load(arena, frame) + 14);
            icmp.wrap(ipv4.payloadAddress());
            final int length = ipv4.payloadLength();
            final int stored = icmp.checksum();

            assertEquals(stored, icmp.computeChecksum(length), frame);
            assertFalse(icmp.checksum(stored ^ 0x0100).isChecksumValid(length), frame);
            assertEquals(stored, icmp.updateChecksum(length).checksum(), frame);
            assertTrue(icmp.isChecksumValid(length), frame);
        }
    }

    @Test
    void shouldTurnCapturedEchoRequestIntoTheReplyLinuxSent()
    {
        final byte[] reply = CapturedPackets.bytes(CapturedPackets.ICMP_ECHO_REPLY);
        ipv4.wrap(CapturedPackets.load(arena, CapturedPackets.ICMP_ECHO_REQUEST) + 14);
        icmp.wrap(ipv4.payloadAddress());

        icmp.type(IcmpFlyweight.ECHO_REPLY).updateChecksum(ipv4.payloadLength());

        assertEquals(0x21c2, icmp.checksum());
        assertArrayEquals(CapturedPackets.slice(reply, 34, 24), CapturedPackets.read(icmp.address(), 24));
    }

    @Test
    void shouldBuildEchoRequestFromFields()
    {
        final byte[] request = CapturedPackets.bytes(CapturedPackets.ICMP_ECHO_REQUEST);
        final long message = CapturedPackets.load(arena, CapturedPackets.slice(request, 34, 24));
        icmp.wrap(message).type(0).code(0xFF).checksum(0).identifier(0).sequence(0);

        icmp.type(IcmpFlyweight.ECHO_REQUEST).code(0).identifier(0xfc65).sequence(1).updateChecksum(24);

        assertArrayEquals(CapturedPackets.slice(request, 34, 24), CapturedPackets.read(message, 24));
    }

    @Test
    void shouldTellErrorsFromQueries()
    {
        assertTrue(IcmpFlyweight.isError(IcmpFlyweight.DEST_UNREACHABLE));
        assertTrue(IcmpFlyweight.isError(IcmpFlyweight.SOURCE_QUENCH));
        assertTrue(IcmpFlyweight.isError(IcmpFlyweight.REDIRECT));
        assertTrue(IcmpFlyweight.isError(IcmpFlyweight.TIME_EXCEEDED));
        assertTrue(IcmpFlyweight.isError(IcmpFlyweight.PARAMETER_PROBLEM));
        assertFalse(IcmpFlyweight.isError(IcmpFlyweight.ECHO_REQUEST));
        assertFalse(IcmpFlyweight.isError(IcmpFlyweight.ECHO_REPLY));
        assertFalse(IcmpFlyweight.isError(IcmpFlyweight.TIMESTAMP_REQUEST));

        assertTrue(IcmpFlyweight.isV6Error(IcmpFlyweight.V6_DEST_UNREACHABLE));
        assertTrue(IcmpFlyweight.isV6Error(IcmpFlyweight.V6_PACKET_TOO_BIG));
        assertTrue(IcmpFlyweight.isV6Error(IcmpFlyweight.V6_TIME_EXCEEDED));
        assertTrue(IcmpFlyweight.isV6Error(IcmpFlyweight.V6_PARAMETER_PROBLEM));
        assertFalse(IcmpFlyweight.isV6Error(IcmpFlyweight.V6_ECHO_REQUEST));
        assertFalse(IcmpFlyweight.isV6Error(IcmpFlyweight.V6_NEIGHBOR_SOLICITATION));
    }

    @Test
    void shouldReadCapturedNeighborSolicitation()
    {
        final long packet = CapturedPackets.load(arena, CapturedPackets.ICMPV6_NEIGHBOR_SOLICITATION) + 14;

        icmp.wrap(packet + Ipv6Flyweight.HEADER_LENGTH);

        assertEquals(IcmpFlyweight.V6_NEIGHBOR_SOLICITATION, icmp.type());
        assertEquals(0, icmp.code());
        assertEquals(0xe54d, icmp.checksum());
        assertEquals(0, icmp.restOfHeader());
        assertEquals(CapturedPackets.IPV6_DOCUMENTATION_HI, Memory.getLongBE(icmp.payloadAddress()));
        assertEquals(2L, Memory.getLongBE(icmp.payloadAddress() + 8));
    }
}
