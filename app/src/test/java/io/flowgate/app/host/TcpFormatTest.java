package io.flowgate.app.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.stack.InetAddr;
import io.flowgate.stack.tcp.TcpCounters;
import io.flowgate.stack.tcp.TcpInfo;
import io.flowgate.stack.tcp.TcpState;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class TcpFormatTest
{
    private static TcpInfo established()
    {
        final long v4a = InetAddr.v4(0x0A000101);
        final long v4b = InetAddr.v4(0x0A000102);
        return new TcpInfo(TcpState.ESTABLISHED, 0, v4a, 80, 0, v4b, 41234, "cubic",
            true, true, 7, 9,
            204_000, 512, 256, 300,
            1448, 1500, 536,
            10, 20, 0,
            1_000_000, 2896, 999_000, 1234,
            700, 350, 690, 3,
            2, 1, 1, 0, 2,
            64_000, 65_535, 1448, 17,
            4, 8);
    }

    @Test
    void shouldPrintAConnectionLikeSsTin()
    {
        final List<String> lines = TcpFormat.ssLines(List.of(established()), false, true);
        assertEquals(3, lines.size());
        assertEquals("State      Recv-Q Send-Q Local Address:Port             Peer Address:Port", lines.get(0));
        assertEquals("ESTAB          17   1448 10.0.1.1:80                    10.0.1.2:41234", lines.get(1));
        assertEquals("\t ts sack cubic wscale:7,9 rto:204 rtt:0.512/0.256 mss:1448 pmtu:1500 rcvmss:536 cwnd:10 ssthresh:20"
            + " bytes_sent:1000000 bytes_retrans:2896 bytes_acked:999000 bytes_received:1234 segs_out:700 segs_in:350"
            + " data_segs_out:690 data_segs_in:3 lastsnd:4 lastrcv:8 unacked:2 retrans:0/2 lost:1 sacked:1 rcv_space:65535"
            + " snd_wnd:64000 minrtt:0.3", lines.get(2));
    }

    @Test
    void shouldListListenersOnlyWithL()
    {
        final TcpInfo listener = new TcpInfo(TcpState.LISTEN, 0, 0, 80, 0, 0, 0, "cubic", false, false, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 128, 3, 0, 0);
        final List<TcpInfo> all = List.of(listener, established());
        assertEquals(List.of(TcpFormat.SS_HEADER, "LISTEN          3    128 *:80                           0.0.0.0:*"),
            TcpFormat.ssLines(all, true, true));
        assertEquals(2, TcpFormat.ssLines(all, false, false).size());
    }

    @Test
    void shouldBracketIpv6AddressesAndOmitAnInfiniteSsthresh() throws Exception
    {
        final InetAddress a = InetAddress.getByName("fd00:1::1");
        final InetAddress b = InetAddress.getByName("fd00:1::2");
        final TcpInfo c = new TcpInfo(TcpState.SYN_SENT, InetAddr.hi(a), InetAddr.lo(a), 40000, InetAddr.hi(b), InetAddr.lo(b), 443, "reno",
            false, false, 0, 0, 1_000_000, 0, 0, 0, 1428, 1500, 536, 10, Integer.MAX_VALUE, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0);
        assertEquals("SYN-SENT        0      0 [fd00:1::1]:40000              [fd00:1::2]:443", TcpFormat.ssLine(c));
        final String details = TcpFormat.details(c);
        assertTrue(details.startsWith("reno wscale:0,0 rto:1000 rtt:0/0 mss:1428"), details);
        assertTrue(!details.contains("ssthresh"), details);
    }

    @Test
    void shouldNameEveryCounterAsNstatDoes()
    {
        final long[] counters = new long[TcpCounters.COUNTERS];
        counters[TcpCounters.ACTIVE_OPENS] = 5;
        counters[TcpCounters.SYNCOOKIES_SENT] = 7;
        final List<String> lines = TcpFormat.nstatLines(counters);
        assertEquals("#kernel", lines.get(0));
        assertEquals("TcpActiveOpens                  5               0.0", lines.get(1));
        assertTrue(lines.contains("TcpExtSyncookiesSent            7               0.0"), lines.toString());
        assertEquals(31, lines.size(), "30 counters and the header");
        assertEquals("TcpInCsumErrors                 0               0.0", lines.get(30), "the last one");
        assertTrue(lines.contains("TcpExtTCPLossProbes             0               0.0"), lines.toString());
    }

    @Test
    void shouldWriteIpv6AsRfc5952()
    {
        assertEquals("fd00:1::1", TcpFormat.v6(0xfd00_0001_0000_0000L, 1));
        assertEquals("::1", TcpFormat.v6(0, 1));
        assertEquals("1:0:1::", TcpFormat.v6(0x0001_0000_0001_0000L, 0));
        assertEquals("2001:db8::1:0:0:1", TcpFormat.v6(0x2001_0db8_0000_0000L, 0x0001_0000_0000_0001L));
        assertEquals("1:2:3:4:5:6:0:8", TcpFormat.v6(0x0001_0002_0003_0004L, 0x0005_0006_0000_0008L));
    }

    @Test
    void shouldPrintMillisecondsAsSsDoes()
    {
        assertEquals("204", TcpFormat.ms(204_000));
        assertEquals("0.05", TcpFormat.ms(50));
        assertEquals("12.345", TcpFormat.ms(12_345));
    }
}
