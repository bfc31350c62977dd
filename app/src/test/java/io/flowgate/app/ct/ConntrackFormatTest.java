package io.flowgate.app.ct;

import static io.flowgate.app.ct.InMemoryConntrackControl.ipv4;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flowgate.conntrack.CtEntry;
import io.flowgate.conntrack.CtEvent;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.tcp.TcpState;
import org.junit.jupiter.api.Test;

/**
 * Formats that need packets to reproduce with the real tool, held as goldens recorded from conntrack-tools
 * 1.4.7 on Linux 6.18 ({@code conntrack -E} in a namespace while a TCP connection, a UDP datagram and a ping
 * crossed its loopback with an nft rule using conntrack); and IPv6 addresses as glibc's inet_ntop writes them.
 */
class ConntrackFormatTest
{
    private static CtEvent event(final int type, final CtEntry entry)
    {
        final CtEvent event = new CtEvent();
        event.type = type;
        event.entry.copyFrom(entry);
        return event;
    }

    private static CtEntry loopbackTcp(final int state, final int status, final long timeout)
    {
        final CtEntry entry = ipv4(6, "127.0.0.1", "127.0.0.1", 49732, 5555);
        entry.tcpState = state;
        entry.status = status;
        entry.timeoutSeconds = timeout;
        return entry;
    }

    @Test
    void shouldPadEventTypesAndLeaveCountersToDestroyEvents()
    {
        assertEquals("    [NEW] tcp      6 120 SYN_SENT src=127.0.0.1 dst=127.0.0.1 sport=49732 dport=5555 [UNREPLIED] "
                + "src=127.0.0.1 dst=127.0.0.1 sport=5555 dport=49732",
            ConntrackFormat.event(event(CtEvent.NEW, loopbackTcp(TcpState.SYN_SENT, CtStatus.CONFIRMED, 120)), 0));
        assertEquals(" [UPDATE] tcp      6 432000 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=49732 dport=5555 "
                + "src=127.0.0.1 dst=127.0.0.1 sport=5555 dport=49732 [ASSURED]",
            ConntrackFormat.event(event(CtEvent.UPDATE, loopbackTcp(TcpState.ESTABLISHED,
                CtStatus.CONFIRMED | CtStatus.SEEN_REPLY | CtStatus.ASSURED, 432000)), 0));
        final CtEntry closing = loopbackTcp(TcpState.TIME_WAIT, CtStatus.CONFIRMED | CtStatus.SEEN_REPLY | CtStatus.ASSURED, 119);
        closing.packets[0] = 6;
        closing.bytes[0] = 321;
        closing.packets[1] = 4;
        closing.bytes[1] = 217;
        assertEquals("[DESTROY] tcp      6 119 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=49732 dport=5555 packets=6 bytes=321 "
                + "src=127.0.0.1 dst=127.0.0.1 sport=5555 dport=49732 packets=4 bytes=217 [ASSURED]",
            ConntrackFormat.event(event(CtEvent.DESTROY, closing), 0));
    }

    @Test
    void shouldShowMarkInEventsOnlyWhenSet()
    {
        final CtEntry udp = ipv4(17, "10.0.0.5", "10.0.0.6", 1, 2);
        udp.timeoutSeconds = 29;
        udp.mark = 3;
        assertEquals(" [UPDATE] udp      17 29 src=10.0.0.5 dst=10.0.0.6 sport=1 dport=2 [UNREPLIED] src=10.0.0.6 dst=10.0.0.5 "
            + "sport=2 dport=1 mark=3", ConntrackFormat.event(event(CtEvent.UPDATE, udp), 0));
        final CtEntry icmp = ipv4(1, "127.0.0.1", "127.0.0.1", 23322, 8 << 8);
        icmp.dstPort[1] = 0;
        icmp.srcPort[1] = 23322;
        icmp.timeoutSeconds = 30;
        assertEquals("    [NEW] icmp     1 30 src=127.0.0.1 dst=127.0.0.1 type=8 code=0 id=23322 [UNREPLIED] src=127.0.0.1 "
            + "dst=127.0.0.1 type=0 code=0 id=23322", ConntrackFormat.event(event(CtEvent.NEW, icmp), 0));
    }

    @Test
    void shouldPrefixEventsWithTheTimeAsConntrackOTimestampDoes()
    {
        final CtEntry udp = ipv4(17, "10.0.0.5", "10.0.0.6", 1, 2);
        udp.timeoutSeconds = 30;
        final CtEvent event = event(CtEvent.NEW, udp);
        event.timestampMicros = 1_795_466_316_867_260L;
        assertEquals("[1795466316.867260]\t    [NEW] udp      17 30 src=10.0.0.5 dst=10.0.0.6 sport=1 dport=2 [UNREPLIED] "
            + "src=10.0.0.6 dst=10.0.0.5 sport=2 dport=1", ConntrackFormat.event(event, ConntrackFormat.TIMESTAMP));
        event.timestampMicros = 1_795_466_316_005_000L;
        assertEquals("[1795466316.5000  ]\t", ConntrackFormat.event(event, ConntrackFormat.TIMESTAMP).substring(0, 20));
    }

    @Test
    void shouldWriteIpv6AddressesAsInetNtop()
    {
        assertEquals("::", v6(0, 0));
        assertEquals("::1", v6(0, 1));
        assertEquals("2001:db8::1", v6(0x2001_0db8_0000_0000L, 1));
        assertEquals("2001:db8::1:0:0:2", v6(0x2001_0db8_0000_0000L, 0x0001_0000_0000_0002L));
        assertEquals("2001:db8:0:1:1:1:1:1", v6(0x2001_0db8_0000_0001L, 0x0001_0001_0001_0001L));
        assertEquals("1::", v6(0x0001_0000_0000_0000L, 0));
        assertEquals("1:0:0:1::", v6(0x0001_0000_0000_0001L, 0));
        assertEquals("::ffff:1.2.3.4", v6(0, 0x0000_ffff_0102_0304L));
        assertEquals("::1.2.3.5", v6(0, 0x0000_0000_0102_0305L));
        assertEquals("fe80::1:2", v6(0xfe80_0000_0000_0000L, 0x0000_0000_0001_0002L));
    }

    @Test
    void shouldShowIdOnlyWhenAskedAndUseTwoForAGet()
    {
        final CtEntry entry = ipv4(17, "10.0.0.1", "10.0.0.2", 5, 6);
        entry.status = CtStatus.SEEN_REPLY;
        entry.worker = 1;
        entry.index = 2;
        assertEquals("udp      17 0 src=10.0.0.1 dst=10.0.0.2 sport=5 dport=6 packets=0 bytes=0 src=10.0.0.2 dst=10.0.0.1 sport=6 "
            + "dport=5 packets=0 bytes=0 mark=0 use=2 id=" + entry.id(), ConntrackFormat.entry(entry, ConntrackFormat.ID, 2));
    }

    private static String v6(final long hi, final long lo)
    {
        return ConntrackFormat.address(CtRecord.FAMILY_IPV6, hi, lo);
    }
}
