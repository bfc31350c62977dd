package io.flowgate.app.ct;

import static io.flowgate.app.ct.InMemoryConntrackControl.ipv4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.CtEntry;
import io.flowgate.conntrack.CtEvent;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.tcp.TcpState;
import java.util.List;
import org.junit.jupiter.api.Test;

/** conntrack-tools' options parsed into a request, and filters matched against entries as conntrack matches them. */
class CtRequestTest
{
    private static CtRequest parse(final String... args)
    {
        return CtRequest.parse(List.of(args));
    }

    private static CtEntry established()
    {
        final CtEntry entry = ipv4(6, "10.0.0.1", "10.0.0.2", 1234, 80);
        entry.tcpState = TcpState.ESTABLISHED;
        entry.status = CtStatus.SEEN_REPLY | CtStatus.ASSURED | CtStatus.CONFIRMED;
        entry.mark = 0x15;
        entry.zone = 7;
        return entry;
    }

    @Test
    void shouldAcceptWordsAndConntrackLettersForOperations()
    {
        assertEquals(CtRequest.Op.LIST, parse("list").op);
        assertEquals(CtRequest.Op.LIST, parse("-L").op);
        assertEquals(CtRequest.Op.DELETE, parse("-D", "-p", "udp").op);
        assertEquals(CtRequest.Op.COUNT, parse("--count").op);
        assertEquals(CtRequest.Op.EVENTS, parse("-E", "-e", "NEW,DESTROY").op);
        assertEquals(CtEvent.NEW | CtEvent.DESTROY, parse("-E", "-e", "NEW,DESTROY").eventMask);
        assertEquals(List.of("list", "-p", "tcp", "--dport", "80"), parse("-p", "tcp", "list", "--dport=80", "--socket", "/x").words);
        assertEquals("/x", parse("list", "--socket", "/x").socket);
    }

    @Test
    void shouldRefuseWhatConntrackWouldRefuse()
    {
        assertThrows(IllegalArgumentException.class, () -> parse("-p", "tcp"));
        assertThrows(IllegalArgumentException.class, () -> parse("-L", "-D"));
        assertThrows(IllegalArgumentException.class, () -> parse("-L", "-p", "bogus"));
        assertThrows(IllegalArgumentException.class, () -> parse("-L", "-s", "10.0.0.300"));
        assertThrows(IllegalArgumentException.class, () -> parse("-L", "-s", "example.com"));
        assertThrows(IllegalArgumentException.class, () -> parse("-L", "--dport", "70000"));
        assertThrows(IllegalArgumentException.class, () -> parse("-L", "--state", "OPEN"));
        assertThrows(IllegalArgumentException.class, () -> parse("-L", "-u", "FRIENDLY"));
        assertThrows(IllegalArgumentException.class, () -> parse("-L", "-o", "xml"));
        assertThrows(IllegalArgumentException.class, () -> parse("-L", "-p"));
        assertThrows(IllegalArgumentException.class, () -> parse("-L", "-f", "ipv4", "-s", "2001:db8::1"));
        assertThrows(IllegalArgumentException.class, () -> parse("-G", "-p", "tcp", "-s", "10.0.0.1"));
        assertThrows(IllegalArgumentException.class, () -> parse("-U", "-p", "tcp"));
    }

    @Test
    void shouldMatchOriginalAndReplyTuples()
    {
        final CtEntry entry = established();
        assertTrue(parse("-L").filter.matches(entry));
        assertTrue(parse("-L", "-p", "tcp", "-s", "10.0.0.1", "-d", "10.0.0.2", "--sport", "1234", "--dport", "80").filter.matches(entry));
        assertTrue(parse("-L", "-r", "10.0.0.2", "-q", "10.0.0.1", "--reply-port-src", "80", "--reply-port-dst", "1234").filter.matches(entry));
        assertTrue(parse("-L", "--orig-src", "10.0.0.0/24").filter.matches(entry));
        assertFalse(parse("-L", "-s", "10.0.0.2").filter.matches(entry));
        assertFalse(parse("-L", "-r", "10.0.0.1").filter.matches(entry));
        assertFalse(parse("-L", "--reply-port-src", "1234").filter.matches(entry));
        assertFalse(parse("-L", "-p", "udp").filter.matches(entry));
        assertFalse(parse("-L", "-f", "ipv6").filter.matches(entry));
        assertFalse(parse("-L", "-s", "2001:db8::1").filter.matches(entry));
    }

    @Test
    void shouldMatchStateMarkZoneAndStatus()
    {
        final CtEntry entry = established();
        assertTrue(parse("-L", "--state", "ESTABLISHED").filter.matches(entry));
        assertFalse(parse("-L", "--state", "SYN_SENT").filter.matches(entry));
        assertTrue(parse("-L", "-m", "21").filter.matches(entry));
        assertTrue(parse("-L", "-m", "0x5/0xf").filter.matches(entry));
        assertFalse(parse("-L", "-m", "5").filter.matches(entry));
        assertTrue(parse("-L", "-w", "7").filter.matches(entry));
        assertFalse(parse("-L", "--zone", "0").filter.matches(entry));
        assertTrue(parse("-L", "-u", "ASSURED").filter.matches(entry));
        assertTrue(parse("-L", "--status", "SEEN_REPLY,ASSURED").filter.matches(entry));
        assertFalse(parse("-L", "-u", "UNREPLIED").filter.matches(entry));
        assertFalse(parse("-L", "-u", "DST_NAT").filter.matches(entry));
    }

    @Test
    void shouldMatchIcmpTypeCodeAndId()
    {
        final CtEntry ping = ipv4(1, "10.0.0.1", "10.0.0.2", 77, 8 << 8);
        assertTrue(parse("-L", "-p", "icmp", "--icmp-type", "8", "--icmp-code", "0", "--icmp-id", "77").filter.matches(ping));
        assertFalse(parse("-L", "--icmp-type", "0").filter.matches(ping));
        assertFalse(parse("-L", "--icmp-id", "78").filter.matches(ping));
        assertFalse(parse("-L", "--icmp-type", "8").filter.matches(established()));
    }

    @Test
    void shouldBuildTheLookupKeyOfAGet()
    {
        final CtKey key = parse("-G", "-p", "tcp", "-s", "10.0.0.1", "-d", "10.0.0.2", "--sport", "1234", "--dport", "80", "-w", "7")
            .filter.originalKey(new CtKey());
        assertEquals(new CtKey().ipv4(7, 6, 0x0A000001, 0x0A000002, 1234, 80).toString(), key.toString());
        final CtKey v6 = parse("get", "-p", "icmpv6", "-s", "2001:db8::1", "-d", "::1", "--icmpv6-type", "128", "--icmpv6-code", "0",
            "--icmpv6-id", "5").filter.originalKey(new CtKey());
        assertEquals(CtRecord.FAMILY_IPV6, v6.family);
        assertEquals(0x2001_0db8_0000_0000L, v6.srcHi);
        assertEquals(1, v6.dstLo);
        assertEquals(5, v6.srcPort);
        assertEquals(128 << 8, v6.dstPort);
    }
}
