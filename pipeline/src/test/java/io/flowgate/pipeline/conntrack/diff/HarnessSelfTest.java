package io.flowgate.pipeline.conntrack.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.CtEntry;
import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStats;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.tcp.TcpState;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The harness's own pieces, without root or namespaces: packets, parsing, conversion, comparison, corpus. */
class HarnessSelfTest
{
    private static final String TCP_LINE = "ipv4     2 tcp      6 431999 ESTABLISHED src=10.77.1.2 dst=10.77.2.2 sport=40002 dport=80 " +
        "packets=2 bytes=92 src=10.77.2.2 dst=10.77.1.2 sport=80 dport=40002 packets=1 bytes=52 [ASSURED] mark=0 use=1";
    private static final String ICMP_LINE = "ipv4     2 icmp     1 29 src=10.77.1.2 dst=10.77.2.2 type=8 code=0 id=40061 packets=1 bytes=84 " +
        "[UNREPLIED] src=10.77.2.2 dst=10.77.1.2 type=0 code=0 id=40061 packets=0 bytes=0 mark=7 zone=3 use=1";
    private static final String GENERIC_LINE = "ipv4     2 unknown  253 599 src=10.77.1.2 dst=10.77.2.2 packets=2 bytes=140 [UNREPLIED] " +
        "src=10.77.2.2 dst=10.77.1.2 packets=0 bytes=0 mark=0 use=1";

    @Test
    void shouldBuildPacketsWithValidChecksums()
    {
        final byte[] syn = PacketBuilder.tcp("10.77.1.2", "10.77.2.2", 1234, 80).seq(1).flags(PacketBuilder.SYN).mss(1460)
            .sackPerm(true).wscale(7).build();
        assertEquals(20 + 32, syn.length);
        assertEquals(0, PacketBuilder.checksum(syn, 0, 20, 0));
        assertEquals(0, l4Sum(syn, PacketBuilder.PROTO_TCP));
        final byte[] udp = PacketBuilder.udp("10.77.1.2", "10.77.2.2", 1, 2, 33);
        assertEquals(0, l4Sum(udp, PacketBuilder.PROTO_UDP));
        final byte[] echo = PacketBuilder.icmpEcho("10.77.1.2", "10.77.2.2", 7, 1, 56);
        assertEquals(0, PacketBuilder.checksum(echo, 20, echo.length - 20, 0));
        final byte[] error = PacketBuilder.icmpError("10.77.2.9", "10.77.1.2", 3, 4, syn, 28);
        assertEquals(20 + 8 + 28, error.length);
        assertEquals(0, PacketBuilder.checksum(error, 20, error.length - 20, 0));
        final byte[] bad = PacketBuilder.tcp("10.77.1.2", "10.77.2.2", 1234, 80).flags(PacketBuilder.SYN).badChecksum().build();
        assertTrue(l4Sum(bad, PacketBuilder.PROTO_TCP) != 0);
    }

    @Test
    void shouldBuildIpv6PacketsWithValidChecksums()
    {
        final String c = "fd77:1::2";
        final String s = "fd77:2::2";
        final byte[] syn = PacketBuilder.tcp(c, s, 1234, 80).seq(1).flags(PacketBuilder.SYN).mss(1440).sackPerm(true).wscale(7).build();
        assertEquals(0x60, syn[0] & 0xF0);
        assertEquals(40 + 32, syn.length);
        assertEquals(32, PacketBuilder.get16(syn, 4));
        assertEquals(PacketBuilder.PROTO_TCP, syn[6]);
        assertEquals(0, l6Sum(syn));
        assertEquals(0, l6Sum(PacketBuilder.udp(c, s, 1, 2, 33)));
        final byte[] echo = PacketBuilder.icmp6Echo(c, s, 7, 1, 56);
        assertEquals(128, echo[40] & 0xFF);
        assertEquals(0, l6Sum(echo));
        final byte[] tooBig = PacketBuilder.icmp6Error("fd77:2::9", c, 2, 0, PacketBuilder.tcp(c, s, 1, 2).payload(1400).build(), 2000);
        assertEquals(1280, tooBig.length);
        assertEquals(1280, PacketBuilder.get32(tooBig, 44));
        assertEquals(0, l6Sum(tooBig));
        final byte[] ns = PacketBuilder.neighbourSolicitation(c, s, s, new byte[6]);
        assertEquals(255, ns[7] & 0xFF);
        assertEquals(135, ns[40] & 0xFF);
        assertEquals(0, l6Sum(ns));
        assertEquals(40 + 40, PacketBuilder.rawIp(c, s, 253, 40).length);
        assertTrue(PacketBuilder.describe(syn).startsWith("TCP6 [fd77:1::2]:1234 > [fd77:2::2]:80 [SYN]"), PacketBuilder.describe(syn));
    }

    @Test
    void shouldPrintIpv6AddressesAsInetNtop()
    {
        assertEquals("fd77:1::2", ntop("fd77:1:0:0:0:0:0:2"));
        assertEquals("::", ntop("0:0:0:0:0:0:0:0"));
        assertEquals("::1", ntop("0:0:0:0:0:0:0:1"));
        assertEquals("fe80::", ntop("fe80:0:0:0:0:0:0:0"));
        assertEquals("1:0:2::3", ntop("1:0:2:0:0:0:0:3"));
        assertEquals("1::2:0:0:3", ntop("1:0:0:0:2:0:0:3"));
        assertEquals("1:2:3:4:5:6:7:8", ntop("1:2:3:4:5:6:7:8"));
        assertEquals("2001:db8::1:0:0:1", ntop("2001:db8:0:0:1:0:0:1"));
        assertEquals("abcd:ef01::", ntop("ABCD:EF01:0:0:0:0:0:0"));
        final CtEntry e = new CtEntry();
        e.family = CtRecord.FAMILY_IPV6;
        e.protocol = 17;
        final byte[] client = PacketBuilder.address6("fd77:1::2");
        final byte[] server = PacketBuilder.address6("fd77:2::2");
        final java.nio.ByteBuffer cb = java.nio.ByteBuffer.wrap(client);
        final java.nio.ByteBuffer sb = java.nio.ByteBuffer.wrap(server);
        e.srcHi[0] = cb.getLong(0);
        e.srcLo[0] = cb.getLong(8);
        e.dstHi[0] = sb.getLong(0);
        e.dstLo[0] = sb.getLong(8);
        e.srcHi[1] = e.dstHi[0];
        e.srcLo[1] = e.dstLo[0];
        e.dstHi[1] = e.srcHi[0];
        e.dstLo[1] = e.srcLo[0];
        e.srcPort[0] = 40000;
        e.dstPort[0] = 53;
        e.srcPort[1] = 53;
        e.dstPort[1] = 40000;
        final CtRow row = CtRow.of(e);
        assertEquals("ipv6", row.l3());
        assertEquals(10, row.l3Number());
        assertEquals("src=fd77:1::2 dst=fd77:2::2 sport=40000 dport=53", row.original().toString());
        final CtRow parsed = CtRow.parse("ipv6     10 udp      17 29 src=fd77:1::2 dst=fd77:2::2 sport=40000 dport=53 packets=1 " +
            "bytes=58 [UNREPLIED] src=fd77:2::2 dst=fd77:1::2 sport=53 dport=40000 packets=0 bytes=0 mark=0 use=1");
        assertEquals(row.key(), parsed.key());
        assertEquals(row.reply(), parsed.reply());
    }

    private static String ntop(final String javaForm)
    {
        return PacketBuilder.ntop6(PacketBuilder.address6(javaForm), 0);
    }

    private static int l6Sum(final byte[] packet)
    {
        final byte[] l4 = java.util.Arrays.copyOfRange(packet, 40, packet.length);
        return PacketBuilder.l4Checksum(PacketBuilder.ntop6(packet, 8), PacketBuilder.ntop6(packet, 24), packet[6] & 0xFF, l4);
    }

    @Test
    void shouldFixLengthAndHeaderChecksumWhenTruncating()
    {
        final byte[] udp = PacketBuilder.udp("10.77.1.2", "10.77.2.2", 1, 2, 30);
        final byte[] cut = PacketBuilder.truncate(udp, 26);
        assertEquals(26, cut.length);
        assertEquals(26, PacketBuilder.get16(cut, 2));
        assertEquals(0, PacketBuilder.checksum(cut, 0, 20, 0));
    }

    @Test
    void shouldParseConntrackExtendedLines()
    {
        final CtRow tcp = CtRow.parse(TCP_LINE);
        assertEquals("tcp", tcp.l4());
        assertEquals("ESTABLISHED", tcp.tcpState());
        assertEquals(Set.of("ASSURED"), tcp.flags());
        assertEquals(new CtRow.Tuple("10.77.1.2", "10.77.2.2", 40002, 80, -1, -1, -1), tcp.original());
        assertEquals(new CtRow.Tuple("10.77.2.2", "10.77.1.2", 80, 40002, -1, -1, -1), tcp.reply());
        assertEquals(92, tcp.origBytes());
        assertEquals(1, tcp.replyPackets());
        final CtRow icmp = CtRow.parse(ICMP_LINE);
        assertNull(icmp.tcpState());
        assertEquals(Set.of("UNREPLIED"), icmp.flags());
        assertEquals(new CtRow.Tuple("10.77.2.2", "10.77.1.2", -1, -1, 0, 0, 40061), icmp.reply());
        assertEquals(7, icmp.mark());
        assertEquals(3, icmp.zone());
        final CtRow generic = CtRow.parse(GENERIC_LINE);
        assertEquals(253, generic.l4Number());
        assertEquals(new CtRow.Tuple("10.77.1.2", "10.77.2.2", -1, -1, -1, -1, -1), generic.original());
        assertEquals(599, generic.timeoutSeconds());
        assertEquals(CtRow.parse(generic.toString()), generic);
        assertEquals(CtRow.parse(tcp.toString()), tcp);
        assertEquals(CtRow.parse(icmp.toString()), icmp);
    }

    @Test
    void shouldConvertFlowgateEntriesToTheSameRowsAsLinux()
    {
        final CtEntry tcp = entry(6, 40002, 80, 80, 40002);
        tcp.status = CtStatus.CONFIRMED | CtStatus.SEEN_REPLY | CtStatus.ASSURED;
        tcp.tcpState = TcpState.ESTABLISHED;
        tcp.timeoutSeconds = 431999;
        tcp.packets[0] = 2;
        tcp.bytes[0] = 92;
        tcp.packets[1] = 1;
        tcp.bytes[1] = 52;
        assertEquals(CtRow.parse(TCP_LINE).withStatus(tcp.status), CtRow.of(tcp));

        final CtEntry icmp = entry(1, 40061, 8 << 8, 40061, 0);
        icmp.status = CtStatus.CONFIRMED;
        icmp.timeoutSeconds = 29;
        icmp.packets[0] = 1;
        icmp.bytes[0] = 84;
        icmp.mark = 7;
        icmp.zone = 3;
        assertEquals(CtRow.parse(ICMP_LINE).withStatus(icmp.status), CtRow.of(icmp));

        final CtEntry generic = entry(253, 0, 0, 0, 0);
        generic.status = CtStatus.CONFIRMED;
        generic.timeoutSeconds = 599;
        generic.packets[0] = 2;
        generic.bytes[0] = 140;
        assertEquals(CtRow.parse(GENERIC_LINE).withStatus(generic.status), CtRow.of(generic));
        generic.status |= CtStatus.FIXED_TIMEOUT | CtStatus.SEEN_REPLY;
        final CtRow fixed = CtRow.of(generic);
        assertEquals(Set.of("FIXED_TIMEOUT"), fixed.flags());
        assertEquals(fixed, CtRow.parse(fixed.toString()));
    }

    @Test
    void shouldReportDisagreementsWithBothSides()
    {
        final CtCorpus.Case handshake = CtCorpus.get("tcp-handshake");
        final Outcome newOrig = Outcome.ofCtInfo(CtInfo.NEW);
        final Outcome estReply = Outcome.ofCtInfo(CtInfo.ESTABLISHED_REPLY);
        final Outcome estOrig = Outcome.ofCtInfo(CtInfo.ESTABLISHED);
        final CtRow row = CtRow.parse(TCP_LINE);
        final ConntrackDiff.Run linux = new ConntrackDiff.Run(List.of(newOrig, estReply, estOrig), List.of(row), Map.of("invalid", 0L));
        final CtRow later = CtRow.parse(TCP_LINE.replace("431999", "431997"));
        final ConntrackDiff.Run same = new ConntrackDiff.Run(List.of(newOrig, estReply, estOrig), List.of(later), Map.of());
        assertTrue(ConntrackDiff.compare(handshake, "linux", linux, "flowgate", same).agrees(), "timeouts within the tolerance agree");

        final CtRow synRecv = CtRow.parse(TCP_LINE.replace("ESTABLISHED", "SYN_RECV").replace(" [ASSURED]", ""));
        final ConntrackDiff.Run other = new ConntrackDiff.Run(List.of(newOrig, estReply, Outcome.INVALID), List.of(synRecv),
            Map.of("invalid", 1L));
        final ConntrackDiff.Result result = ConntrackDiff.compare(handshake, "linux", linux, "flowgate", other);
        assertFalse(result.agrees());
        assertEquals(3, result.disagreements().size(), result.report());
        assertTrue(result.disagreements().get(0).startsWith("packet 3: linux ESTABLISHED/ORIGINAL, flowgate INVALID"), result.report());
        assertTrue(result.disagreements().get(1).contains("[state, flags]"), result.report());
        assertTrue(result.disagreements().get(2).startsWith("stat invalid"), result.report());
        final String report = result.report();
        assertTrue(report.contains("linux: " + row), report);
        assertTrue(report.contains("flowgate: " + synRecv), report);
        assertTrue(report.contains("3!="), report);

        final CtRow confirmed = row.withStatus(CtStatus.CONFIRMED | CtStatus.SEEN_REPLY | CtStatus.ASSURED);
        final CtRow unconfirmed = row.withStatus(CtStatus.SEEN_REPLY | CtStatus.ASSURED | CtStatus.DYING);
        assertEquals(List.of("status"), ConntrackDiff.differences(confirmed, unconfirmed));
        assertEquals(List.of(), ConntrackDiff.differences(confirmed, confirmed.withStatus(confirmed.status() | CtStatus.DYING)));

        final ConntrackDiff.Run missing = new ConntrackDiff.Run(List.of(newOrig, estReply, estOrig), List.of(), Map.of());
        assertTrue(ConntrackDiff.compare(handshake, "linux", linux, "flowgate", missing).disagreements().get(0).contains("only on linux"));
    }

    @Test
    void shouldNameFlowgateStatisticsAsConntrackDoes()
    {
        final CtStats stats = new CtStats();
        stats.invalid = 3;
        stats.insertFailed = 1;
        stats.error = 2;
        final Map<String, Long> named = ConntrackDiff.statsOf(stats);
        assertEquals(3L, named.get("invalid"));
        assertEquals(1L, named.get("insert_failed"));
        assertEquals(2L, named.get("error"));
        assertTrue(named.keySet().containsAll(ConntrackDiff.COMPARED_STATS));
    }

    @Test
    void shouldKeepCorpusCasesApartAndPacketsOnTheirSide()
    {
        final Set<String> names = new HashSet<>();
        for (final CtCorpus.Case c : CtCorpus.all())
        {
            assertTrue(names.add(c.name()), c.name());
            assertFalse(c.packets().isEmpty(), c.name());
            for (final CorpusPacket p : c.packets())
            {
                final byte[] b = p.bytes();
                if ((b[0] & 0xF0) == 0x60)
                {
                    assertEquals(b.length - 40, PacketBuilder.get16(b, 4), c.name() + ": IPv6 payload length");
                    final String src6 = PacketBuilder.ntop6(b, 8);
                    final String dst6 = PacketBuilder.ntop6(b, 24);
                    final String near6 = p.side() == CorpusPacket.Side.CLIENT ? "fd77:1::" : "fd77:2::";
                    final String far6 = p.side() == CorpusPacket.Side.CLIENT ? "fd77:2::" : "fd77:1::";
                    assertTrue(src6.startsWith(near6) && dst6.startsWith(far6), c.name() + ": " + p.describe());
                    continue;
                }
                assertEquals(0, PacketBuilder.checksum(b, 0, 20, 0), c.name() + ": IP header checksum");
                assertEquals(b.length, PacketBuilder.get16(b, 2), c.name() + ": IP total length");
                final String src = PacketBuilder.dotted(PacketBuilder.get32(b, 12));
                final String dst = PacketBuilder.dotted(PacketBuilder.get32(b, 16));
                final String near = p.side() == CorpusPacket.Side.CLIENT ? "10.77.1." : "10.77.2.";
                final String far = p.side() == CorpusPacket.Side.CLIENT ? "10.77.2." : "10.77.1.";
                assertTrue(src.startsWith(near) && dst.startsWith(far), c.name() + ": " + p.describe());
            }
        }
        assertTrue(names.size() >= 60, "corpus size " + names.size());
    }

    private static CtEntry entry(final int protocol, final int sport0, final int dport0, final int sport1, final int dport1)
    {
        final CtEntry e = new CtEntry();
        e.family = CtRecord.FAMILY_IPV4;
        e.protocol = protocol;
        e.srcLo[0] = PacketBuilder.address("10.77.1.2");
        e.dstLo[0] = PacketBuilder.address("10.77.2.2");
        e.srcLo[1] = PacketBuilder.address("10.77.2.2");
        e.dstLo[1] = PacketBuilder.address("10.77.1.2");
        e.srcPort[0] = sport0;
        e.dstPort[0] = dport0;
        e.srcPort[1] = sport1;
        e.dstPort[1] = dport1;
        return e;
    }

    private static int l4Sum(final byte[] packet, final int protocol)
    {
        final byte[] l4 = java.util.Arrays.copyOfRange(packet, 20, packet.length);
        return PacketBuilder.l4Checksum(PacketBuilder.dotted(PacketBuilder.get32(packet, 12)),
            PacketBuilder.dotted(PacketBuilder.get32(packet, 16)),
            protocol, l4);
    }
}
