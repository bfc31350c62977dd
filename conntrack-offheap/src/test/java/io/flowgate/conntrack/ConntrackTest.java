package io.flowgate.conntrack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tracker's nf_conntrack_in / confirm logic for UDP, ICMP and the generic tracker, on a real table:
 * ctinfo per packet, status bits, timeouts, counters, RELATED ICMP errors, unconfirmed entries, the mailbox
 * and events. (TCP's own behaviour is TcpTracker's tests; the differential test compares all with Linux.)
 */
class ConntrackTest
{
    private static final int CLIENT = 0x0A4D0102; // 10.77.1.2
    private static final int SERVER = 0x0A4D0202; // 10.77.2.2
    private static final int ROUTER = 0x0A4D0201;

    private final ConntrackTestMemory memory = new ConntrackTestMemory();
    private final Arena arena = Arena.ofShared();
    private long l4;
    private Conntrack ct;
    private CtEventRing events;
    private CtMailbox mailbox;
    private final CtPacket p = new CtPacket();

    @BeforeEach
    void setUp()
    {
        l4 = arena.allocate(256, 8).address();
        events = new CtEventRing(1 << 16);
        mailbox = new CtMailbox();
        ct = new Conntrack(0, ConntrackConfig.defaults(1024), memory, events, mailbox, 64, 2, 42);
    }

    @AfterEach
    void tearDown()
    {
        ct.table().close();
        memory.close();
        arena.close();
    }

    private CtPacket udp(final int src, final int dst, final int sport, final int dport, final int payload)
    {
        p.key.ipv4(0, Conntrack.IPPROTO_UDP, src, dst, sport, dport);
        p.status = CtPacket.OK;
        p.icmpError = false;
        p.l4 = l4;
        p.l4Length = 8 + payload;
        p.l3Length = 20 + 8 + payload;
        OffHeap.putByte(l4 + 4, (8 + payload) >>> 8);
        OffHeap.putByte(l4 + 5, (8 + payload) & 0xFF);
        p.outerDstHi = 0;
        p.outerDstLo = dst & 0xFFFF_FFFFL;
        return p;
    }

    private CtPacket icmp(final int src, final int dst, final int type, final int code, final int id)
    {
        p.key.ipv4(0, Conntrack.IPPROTO_ICMP, src, dst, id, type << 8 | code);
        p.status = CtPacket.OK;
        p.icmpError = false;
        p.l4 = l4;
        p.l4Length = 64;
        p.l3Length = 84;
        p.outerDstHi = 0;
        p.outerDstLo = dst & 0xFFFF_FFFFL;
        return p;
    }

    /** One packet through PREROUTING and (when it is tracked) confirmation, as the hooks do. */
    private int pass(final CtPacket packet, final int nowMs)
    {
        final int ctinfo = ct.in(packet, nowMs);
        if (ct.index() >= 0)
        {
            assertNotEquals(ConntrackTable.NONE, ct.confirm(ct.index(), nowMs));
        }
        ct.endBurst();
        return ctinfo;
    }

    private long recordOf(final int src, final int dst, final int sport, final int dport, final int nowMs)
    {
        final int ref = ct.table().lookup(new CtKey().ipv4(0, Conntrack.IPPROTO_UDP, src, dst, sport, dport), nowMs);
        assertNotEquals(ConntrackTable.NONE, ref, "entry missing");
        return ct.table().record(ref >>> 1);
    }

    @Test
    void shouldTrackUdpAsLinuxDoesUnrepliedThenRepliedThenStream()
    {
        assertEquals(CtInfo.NEW, pass(udp(CLIENT, SERVER, 40000, 53, 10), 1000));
        long record = recordOf(CLIENT, SERVER, 40000, 53, 1000);
        assertEquals(1000 + 30_000, CtRecord.expires(record));
        assertEquals(0, CtRecord.status(record) & CtStatus.SEEN_REPLY);
        assertEquals(CtInfo.NEW, pass(udp(CLIENT, SERVER, 40000, 53, 10), 1500), "unreplied: still NEW");

        assertEquals(CtInfo.ESTABLISHED_REPLY, pass(udp(SERVER, CLIENT, 53, 40000, 100), 1600));
        record = recordOf(CLIENT, SERVER, 40000, 53, 1600);
        assertTrue((CtRecord.status(record) & CtStatus.SEEN_REPLY) != 0);
        assertEquals(1600 + 30_000, CtRecord.expires(record), "the first reply refreshes with the unreplied timeout");
        assertEquals(0, CtRecord.status(record) & CtStatus.ASSURED);

        assertEquals(CtInfo.ESTABLISHED, pass(udp(CLIENT, SERVER, 40000, 53, 10), 2500));
        assertEquals(2500 + 30_000, CtRecord.expires(record), "within two seconds: not a stream yet");
        assertEquals(0, CtRecord.status(record) & CtStatus.ASSURED);

        assertEquals(CtInfo.ESTABLISHED, pass(udp(CLIENT, SERVER, 40000, 53, 10), 3100));
        assertEquals(3100 + 120_000, CtRecord.expires(record), "after two seconds: the stream timeout");
        assertTrue((CtRecord.status(record) & CtStatus.ASSURED) != 0);

        assertEquals(4, CtRecord.packets(record, 0));
        assertEquals(4 * 38, CtRecord.bytes(record, 0));
        assertEquals(1, CtRecord.packets(record, 1));
        assertEquals(128, CtRecord.bytes(record, 1));
        assertEquals(1, ct.table().size());
    }

    @Test
    void shouldLeaveNoEntryWhenTheFirstPacketIsDroppedBeforeConfirmation()
    {
        assertEquals(CtInfo.NEW, ct.in(udp(CLIENT, SERVER, 40001, 53, 0), 0));
        assertTrue(ct.index() >= 0);
        ct.endBurst(); // dropped by a rule: never confirmed
        assertEquals(0, ct.table().size());
        assertEquals(ConntrackTable.NONE, ct.table().lookup(new CtKey().ipv4(0, 17, CLIENT, SERVER, 40001, 53), 0));
    }

    @Test
    void shouldShareOneUnconfirmedEntryBetweenPacketsOfANewFlowInOneBurst()
    {
        ct.in(udp(CLIENT, SERVER, 40002, 53, 0), 0);
        final int first = ct.index();
        ct.in(udp(CLIENT, SERVER, 40002, 53, 0), 0);
        assertEquals(first, ct.index());
        assertEquals(first, ct.confirm(first, 0));
        assertEquals(first, ct.confirm(first, 0));
        ct.endBurst();
        assertEquals(1, ct.table().size());
        assertEquals(2, CtRecord.packets(ct.table().record(first), 0));
        assertEquals(1, ct.stats().created);
    }

    @Test
    void shouldTrackIcmpEchoByIdAndRefuseRepliesWithoutRequest()
    {
        assertEquals(CtInfo.NEW, pass(icmp(CLIENT, SERVER, 8, 0, 77), 0));
        assertEquals(CtInfo.ESTABLISHED_REPLY, pass(icmp(SERVER, CLIENT, 0, 0, 77), 10));
        assertEquals(CtInfo.INVALID, pass(icmp(SERVER, CLIENT, 0, 0, 78), 20), "an echo reply cannot start a connection");
        assertEquals(CtInfo.INVALID, pass(icmp(CLIENT, SERVER, 9, 0, 0), 20), "router advertisement: no inverse");
        assertEquals(1, ct.table().size());
        assertEquals(2, ct.stats().invalid);
    }

    @Test
    void shouldRelateAnIcmpErrorToTheConnectionOfItsEmbeddedPacket()
    {
        pass(udp(CLIENT, SERVER, 40003, 9999, 4), 0);
        // The server answers port unreachable: outer SERVER -> CLIENT, inner CLIENT -> SERVER udp 40003 -> 9999.
        icmp(SERVER, CLIENT, 3, 3, 0);
        p.icmpError = true;
        p.inner.ipv4(0, Conntrack.IPPROTO_UDP, CLIENT, SERVER, 40003, 9999);
        assertEquals(CtInfo.RELATED_REPLY, ct.in(p, 5));
        final long record = ct.table().record(ct.index());
        assertEquals(0, CtRecord.packets(record, 1), "a RELATED error is not counted into the connection");
        assertEquals(1, ct.stats().icmpError);

        // An error from the router itself (time exceeded on the way to the server) goes to the client: related too.
        icmp(ROUTER, CLIENT, 11, 0, 0);
        p.icmpError = true;
        p.inner.ipv4(0, Conntrack.IPPROTO_UDP, CLIENT, SERVER, 40003, 9999);
        assertEquals(CtInfo.RELATED_REPLY, ct.in(p, 6));

        // An error about a flow nobody tracks: invalid, and counted as an error.
        icmp(SERVER, CLIENT, 3, 3, 0);
        p.icmpError = true;
        p.inner.ipv4(0, Conntrack.IPPROTO_UDP, CLIENT, SERVER, 1, 2);
        assertEquals(CtInfo.INVALID, ct.in(p, 7));
        assertEquals(1, ct.stats().error);

        // An error sent to someone else than the connection's endpoint: "outer daddr != inner".
        icmp(SERVER, ROUTER, 3, 3, 0);
        p.icmpError = true;
        p.inner.ipv4(0, Conntrack.IPPROTO_UDP, CLIENT, SERVER, 40003, 9999);
        assertEquals(CtInfo.INVALID, ct.in(p, 8));
    }

    @Test
    void shouldTrackUnknownProtocolsWithTheGenericTracker()
    {
        p.key.ipv4(0, 253, CLIENT, SERVER, 0, 0);
        p.status = CtPacket.OK;
        p.icmpError = false;
        p.l3Length = 100;
        assertEquals(CtInfo.NEW, pass(p, 0));
        final int ref = ct.table().lookup(new CtKey().ipv4(0, 253, CLIENT, SERVER, 0, 0), 0);
        assertEquals(600_000, CtRecord.expires(ct.table().record(ref >>> 1)));
        p.key.ipv4(0, 253, SERVER, CLIENT, 0, 0);
        assertEquals(CtInfo.ESTABLISHED_REPLY, pass(p, 1));
    }

    @Test
    void shouldCountMalformedPacketsInvalidAndIcmpOnesAsErrorsToo()
    {
        udp(CLIENT, SERVER, 1, 2, 0);
        p.status = CtPacket.BAD_CHECKSUM;
        assertEquals(CtInfo.INVALID, pass(p, 0));
        udp(CLIENT, SERVER, 1, 2, 0);
        OffHeap.putByte(l4 + 5, 200); // UDP length beyond the packet
        assertEquals(CtInfo.INVALID, pass(p, 0));
        icmp(CLIENT, SERVER, 8, 0, 1);
        p.status = CtPacket.NO_TUPLE;
        assertEquals(CtInfo.INVALID, pass(p, 0));
        assertEquals(2, ct.stats().invalid, "an ICMP packet the error handler refuses counts as error only");
        assertEquals(1, ct.stats().error);
        assertEquals(0, ct.table().size());
    }

    @Test
    void shouldDeleteMarkAndFlushThroughTheMailboxOnTheOwnersPoll() throws Exception
    {
        for (int port = 1; port <= 10; port++)
        {
            pass(udp(CLIENT, SERVER, port, 53, 0), 0);
        }
        final ConntrackTable.Reader reader = ct.table().reader();
        final List<CtEntry> all = new ArrayList<>();
        reader.enter();
        for (int i = 0; i < reader.limit(); i++)
        {
            final CtEntry e = new CtEntry();
            if (reader.snapshot(i, 0, e))
            {
                e.index = i;
                all.add(e);
            }
        }
        reader.exit();
        assertEquals(10, all.size());
        final int[] result = new int[3];
        final Thread control = new Thread(() ->
        {
            result[0] = mailbox.call(CtMailbox.MARK, all.subList(0, 3).toArray(new CtEntry[0]), 7, 5_000_000_000L);
            result[1] = mailbox.call(CtMailbox.DELETE, all.subList(0, 2).toArray(new CtEntry[0]), 0, 5_000_000_000L);
            result[2] = mailbox.call(CtMailbox.FLUSH, null, 0, 5_000_000_000L);
        });
        control.start();
        while (control.isAlive())
        {
            ct.poll(0); // the owner serves the requests in its poll
        }
        control.join();
        assertEquals(3, result[0]);
        assertEquals(2, result[1]);
        assertEquals(8, result[2]);
        assertEquals(0, ct.table().size());
        reader.close();
    }

    @Test
    void shouldPublishNewUpdateAndDestroyEventsOnlyWhenSomeoneListens()
    {
        pass(udp(CLIENT, SERVER, 5000, 53, 0), 0);
        final List<String> seen = new ArrayList<>();
        assertEquals(0, events.drain(e -> seen.add("x"), 100), "no subscriber: nothing published");
        events.mask(CtEvent.ALL);
        pass(udp(CLIENT, SERVER, 5001, 53, 0), 0);
        pass(udp(SERVER, CLIENT, 53, 5001, 0), 1);
        ct.kill(ct.table().lookup(new CtKey().ipv4(0, 17, CLIENT, SERVER, 5001, 53), 2) >>> 1);
        events.drain(e -> seen.add(CtEvent.typeName(e.type) + " " + e.entry.srcPort[0] + " " + (e.entry.status & CtStatus.SEEN_REPLY)), 100);
        assertEquals(List.of("NEW 5001 0", "UPDATE 5001 2", "DESTROY 5001 2"), seen);
    }

    @Test
    void shouldDropANewConnectionWhenTheTableIsFullOfAssuredEntries()
    {
        final Conntrack small = new Conntrack(1, new ConntrackConfig(16, 16, 16, CtTimeouts.LINUX, ConntrackConfig.defaults(16).tcp(), true,
            4096), memory, null, null, 64, 1, 7);
        try
        {
            int accepted = 0;
            for (int port = 1; port <= 40; port++)
            {
                final int ctinfo = small.in(udp(CLIENT, SERVER, port, 53, 0), 0);
                if (small.index() >= 0)
                {
                    small.confirm(small.index(), 0);
                    final long record = small.table().record(small.index());
                    CtRecord.status(record, CtRecord.status(record) | CtStatus.ASSURED);
                    accepted++;
                }
                else
                {
                    assertEquals(CtInfo.INVALID, ctinfo);
                    assertTrue(small.drop());
                }
                small.endBurst();
            }
            assertTrue(accepted <= 16);
            assertTrue(small.stats().drop > 0);
            assertEquals(small.stats().drop, small.stats().insertFailed);
        }
        finally
        {
            small.table().close();
        }
        assertFalse(ct.drop());
    }
}
