package io.flowgate.pipeline.conntrack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.conntrack.CtEntry;
import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtPacket;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.checksum.Checksum;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * IPv6 through the parser and the tracker (the differential corpus is IPv4 only): UDP both ways with its
 * checksum checked, ICMPv6 echo by identifier, neighbour discovery untracked as Linux leaves it, an ICMPv6
 * error RELATED to the flow it quotes, and the entry's addresses as a listing reads them.
 */
class Ipv6ConntrackTest
{
    private static final long CLIENT_HI = 0xfd00_0001_0000_0000L;
    private static final long CLIENT_LO = 2;
    private static final long SERVER_HI = 0xfd00_0002_0000_0000L;
    private static final long SERVER_LO = 2;

    private final Arena arena = Arena.ofShared();
    private final long buffer = arena.allocate(2048, 64).address();
    private final CtPacketParser parser = new CtPacketParser(true);
    private final CtPacket facts = new CtPacket();
    private final Conntrack ct = new Conntrack(0, ConntrackConfig.defaults(1024), new HugePageTableMemory(), null, null, 32, 1, 9);

    @AfterEach
    void tearDown()
    {
        ct.table().close();
        arena.close();
    }

    /** An IPv6 header at {@code at} with {@code payload} bytes of {@code nextHeader} after it. */
    private static void ipv6(final long at, final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int nextHeader,
                             final int payload)
    {
        Memory.putIntBE(at, 0x6000_0000);
        Memory.putShortBE(at + 4, payload);
        Memory.putByte(at + 6, (byte)nextHeader);
        Memory.putByte(at + 7, (byte)64);
        Memory.putLongBE(at + 8, srcHi);
        Memory.putLongBE(at + 16, srcLo);
        Memory.putLongBE(at + 24, dstHi);
        Memory.putLongBE(at + 32, dstLo);
    }

    private int udp(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int sport, final int dport, final boolean good)
    {
        ipv6(buffer, srcHi, srcLo, dstHi, dstLo, 17, 12);
        final long udp = buffer + 40;
        Memory.putShortBE(udp, sport);
        Memory.putShortBE(udp + 2, dport);
        Memory.putShortBE(udp + 4, 12);
        Memory.putShortBE(udp + 6, 0);
        Memory.putIntBE(udp + 8, 0xCAFEF00D);
        Memory.putShortBE(udp + 6, Checksum.udpIpv6(buffer, udp) ^ (good ? 0 : 1));
        return pass(52);
    }

    private int icmpv6(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int type, final int id, final int extra)
    {
        ipv6(buffer, srcHi, srcLo, dstHi, dstLo, 58, 8 + extra);
        final long icmp = buffer + 40;
        Memory.putByte(icmp, (byte)type);
        Memory.putByte(icmp + 1, (byte)0);
        Memory.putShortBE(icmp + 2, 0);
        Memory.putShortBE(icmp + 4, id);
        Memory.putShortBE(icmp + 6, 1);
        Memory.putShortBE(icmp + 2, Checksum.icmpv6(buffer, icmp));
        return pass(48 + extra);
    }

    private int pass(final int length)
    {
        parser.ipv6(buffer, length, 0, facts);
        final int ctinfo = ct.in(facts, 0);
        if (ct.index() >= 0)
        {
            ct.confirm(ct.index(), 0);
        }
        ct.endBurst();
        return ctinfo;
    }

    @Test
    void shouldTrackUdpOverIpv6BothWaysAndListItsAddresses()
    {
        assertEquals(CtInfo.NEW, udp(CLIENT_HI, CLIENT_LO, SERVER_HI, SERVER_LO, 40000, 53, true));
        assertEquals(CtInfo.ESTABLISHED_REPLY, udp(SERVER_HI, SERVER_LO, CLIENT_HI, CLIENT_LO, 53, 40000, true));
        assertEquals(CtInfo.INVALID, udp(SERVER_HI, SERVER_LO, CLIENT_HI, CLIENT_LO, 53, 40000, false), "bad UDP checksum");
        assertEquals(1, ct.table().size());
        final CtEntry e = new CtEntry();
        try (ConntrackTable.Reader reader = ct.table().reader())
        {
            reader.enter();
            assertTrue(reader.snapshot(0, 0, e));
            reader.exit();
        }
        assertEquals(CtRecord.FAMILY_IPV6, e.family);
        assertEquals(CLIENT_HI, e.srcHi[0]);
        assertEquals(CLIENT_LO, e.srcLo[0]);
        assertEquals(SERVER_HI, e.dstHi[0]);
        assertEquals(SERVER_HI, e.srcHi[1]);
        assertEquals(CLIENT_LO, e.dstLo[1]);
        assertEquals(40000, e.srcPort[0]);
        assertEquals(1, e.packets[1]);
        assertTrue((e.status & CtStatus.SEEN_REPLY) != 0);
    }

    @Test
    void shouldTrackIcmpv6EchoLeaveNeighbourDiscoveryUntrackedAndRelateErrors()
    {
        assertEquals(CtInfo.NEW, icmpv6(CLIENT_HI, CLIENT_LO, SERVER_HI, SERVER_LO, 128, 7, 0));
        assertEquals(CtInfo.ESTABLISHED_REPLY, icmpv6(SERVER_HI, SERVER_LO, CLIENT_HI, CLIENT_LO, 129, 7, 0));
        assertEquals(CtInfo.INVALID, icmpv6(SERVER_HI, SERVER_LO, CLIENT_HI, CLIENT_LO, 129, 8, 0), "a reply without a request");
        assertEquals(CtInfo.UNTRACKED, icmpv6(CLIENT_HI, CLIENT_LO, SERVER_HI, SERVER_LO, 135, 0, 16), "neighbour solicitation");
        assertEquals(1, ct.table().size());

        // UDP to a closed port, answered by ICMPv6 port unreachable quoting it: RELATED to the UDP flow.
        udp(CLIENT_HI, CLIENT_LO, SERVER_HI, SERVER_LO, 40001, 9, true);
        final byte[] quoted = new byte[52];
        java.lang.foreign.MemorySegment.ofAddress(buffer).reinterpret(52).asByteBuffer().get(quoted);
        ipv6(buffer, SERVER_HI, SERVER_LO, CLIENT_HI, CLIENT_LO, 58, 8 + 52);
        final long icmp = buffer + 40;
        Memory.putByte(icmp, (byte)1);
        Memory.putByte(icmp + 1, (byte)4);
        Memory.putShortBE(icmp + 2, 0);
        Memory.putIntBE(icmp + 4, 0);
        java.lang.foreign.MemorySegment.copy(quoted, 0, java.lang.foreign.MemorySegment.ofAddress(icmp + 8).reinterpret(52),
            java.lang.foreign.ValueLayout.JAVA_BYTE, 0, 52);
        Memory.putShortBE(icmp + 2, Checksum.icmpv6(buffer, icmp));
        assertEquals(CtInfo.RELATED_REPLY, pass(40 + 8 + 52));
        assertFalse(ct.drop());
        assertEquals(1, ct.stats().icmpError);
    }
}
