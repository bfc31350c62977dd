package io.flowgate.conntrack.expect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtPacket;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.OffHeap;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Expectations through a real tracker: a matching first packet creates its entry RELATED and EXPECTED with the
 * master's mark and NAT to follow; expectations expire, die with their master, are bounded per master (oldest
 * evicted) and in total, refuse overlaps of other masters, and replace themselves.
 */
class ExpectTableTest
{
    private static final int CLIENT = 0x0A000002; // 10.0.0.2, inside
    private static final int NATTED = 0xC6336401; // 198.51.100.1, the client as the outside sees it
    private static final int SERVER = 0xCB007105; // 203.0.113.5
    private static final int OTHER = 0xCB007106;
    private static final int TIMEOUT_MS = 300_000;

    private final Arena arena = Arena.ofShared();
    private final List<Arena> blocks = new ArrayList<>();
    private final CtPacket p = new CtPacket();
    private long l4;
    private Conntrack ct;
    private ExpectTable expect;

    @BeforeEach
    void setUp()
    {
        l4 = arena.allocate(256, 8).address();
        ct = new Conntrack(0, ConntrackConfig.defaults(1024), new ConntrackTable.Memory()
        {
            @Override
            public long allocate(final long bytes)
            {
                final Arena a = Arena.ofShared();
                blocks.add(a);
                return a.allocate(bytes, 64).address();
            }

            @Override
            public void free(final long address, final long bytes)
            {
            }
        }, null, null, 64, 2, 7);
        expect = new ExpectTable(ct.table(), 8, 16);
        ct.expectations(expect);
    }

    @AfterEach
    void tearDown()
    {
        ct.table().close();
        blocks.forEach(Arena::close);
        arena.close();
    }

    private CtPacket udp(final int src, final int dst, final int sport, final int dport)
    {
        p.key.ipv4(0, Conntrack.IPPROTO_UDP, src, dst, sport, dport);
        p.status = CtPacket.OK;
        p.icmpError = false;
        p.l4 = l4;
        p.l4Length = 12;
        p.l3Length = 32;
        OffHeap.putByte(l4 + 4, 0);
        OffHeap.putByte(l4 + 5, 12);
        p.outerDstLo = dst & 0xFFFF_FFFFL;
        return p;
    }

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

    /** A master UDP flow 10.0.0.2:sport -> server:69, SNATed to 198.51.100.1 (reply tuple written as NAT would), helped. */
    private int master(final int sport, final int nowMs, final int mark)
    {
        ct.in(udp(CLIENT, SERVER, sport, 69), nowMs);
        final int idx = ct.index();
        ct.table().replyTuple(idx, new CtKey().ipv4(0, Conntrack.IPPROTO_UDP, SERVER, NATTED, 69, sport));
        final long record = ct.table().record(idx);
        CtRecord.status(record, CtRecord.status(record) | CtStatus.HELPER | CtStatus.SRC_NAT);
        CtRecord.mark(record, mark);
        assertNotEquals(HelpTable.NONE, expect.help().attach(idx, HelpTable.HELPER_TFTP));
        assertEquals(idx, ct.confirm(idx, nowMs));
        ct.endBurst();
        return idx;
    }

    /** TFTP's expectation: from the server, any source port, to where the master's reply goes. */
    private int expectReply(final int masterIdx, final int sport, final int max, final int nowMs)
    {
        final CtKey tuple = new CtKey().ipv4(0, Conntrack.IPPROTO_UDP, SERVER, NATTED, 0, sport);
        return expect.expect(masterIdx, ExpectTable.CLASS_TFTP, ExpectTable.FLAG_NAT_FOLLOW, tuple, true, false, 1, sport, max, TIMEOUT_MS, nowMs);
    }

    @Test
    void shouldCreateTheExpectedConnectionRelatedWithTheMastersMarkAndNat()
    {
        final int m = master(1069, 1000, 0x42);
        assertTrue(expectReply(m, 1069, 1, 1000) >= 0);
        assertEquals(1, expect.size());

        assertEquals(CtInfo.RELATED, ct.in(udp(SERVER, NATTED, 3333, 1069), 2000));
        final int child = ct.index();
        final long record = ct.table().record(child);
        assertEquals(CtStatus.EXPECTED, CtRecord.status(record) & CtStatus.EXPECTED);
        assertEquals(0x42, CtRecord.mark(record));
        assertEquals(0, expect.size(), "used once: gone");
        assertEquals(1, expect.expectNew);

        final NatFollow follow = new NatFollow();
        assertTrue(expect.follow(child, follow));
        assertEquals(m, follow.master);
        assertEquals(SERVER, follow.srcAddress, "source kept: where the master's original packets went");
        assertEquals(CLIENT, follow.dstAddress, "destination: the master's inside host");
        assertEquals(1069, follow.dstPort);
        assertEquals(child, ct.confirm(child, 2000));
        ct.endBurst();

        assertEquals(CtInfo.NEW, pass(udp(SERVER, NATTED, 3334, 1069), 2100), "a second connection is not expected any more");
        assertFalse(expect.follow(ct.table().lookup(new CtKey().ipv4(0, 17, SERVER, NATTED, 3334, 1069), 2100) >>> 1, follow));
    }

    @Test
    void shouldMatchOnlyTheMaskedTuple()
    {
        final int m = master(1070, 0, 0);
        expectReply(m, 1070, 1, 0);
        assertEquals(CtInfo.NEW, pass(udp(OTHER, NATTED, 3333, 1070), 10), "another source address");
        assertEquals(CtInfo.NEW, pass(udp(SERVER, NATTED, 3333, 1071), 10), "another destination port");
        assertEquals(1, expect.size());
        assertEquals(CtInfo.RELATED, pass(udp(SERVER, NATTED, 9, 1070), 10), "any source port");
    }

    @Test
    void shouldExpireAfterItsTimeout()
    {
        final int m = master(1072, 0, 0);
        expectReply(m, 1072, 1, 0);
        assertEquals(CtInfo.NEW, pass(udp(SERVER, NATTED, 3333, 1072), TIMEOUT_MS), "expired at its deadline");
        assertEquals(0, expect.size());

        expectReply(m, 1072, 1, 1000);
        assertEquals(0, expect.expire(1000 + TIMEOUT_MS - 1, 100));
        assertEquals(1, expect.expire(1000 + TIMEOUT_MS, 100));
        assertEquals(0, expect.size());
    }

    @Test
    void shouldDieWithItsMaster()
    {
        final int m = master(1073, 0, 0);
        expectReply(m, 1073, 1, 0);
        assertEquals(1, expect.help().size());
        ct.kill(m);
        assertEquals(0, expect.size());
        assertEquals(0, expect.help().size(), "the help slot is freed too");
        assertEquals(CtInfo.NEW, pass(udp(SERVER, NATTED, 3333, 1073), 10));
    }

    @Test
    void shouldNotMatchBeforeTheMasterIsConfirmed()
    {
        ct.in(udp(CLIENT, SERVER, 1074, 69), 0);
        final int m = ct.index();
        final long record = ct.table().record(m);
        CtRecord.status(record, CtRecord.status(record) | CtStatus.HELPER);
        expect.help().attach(m, HelpTable.HELPER_TFTP);
        final CtKey tuple = new CtKey().ipv4(0, Conntrack.IPPROTO_UDP, SERVER, CLIENT, 0, 1074);
        assertTrue(expect.expect(m, ExpectTable.CLASS_TFTP, 0, tuple, true, false, 1, 1074, 1, TIMEOUT_MS, 0) >= 0);
        // the master's first packet is still in the hooks: an answer cannot be expected yet (the burst ends unconfirmed)
        final int ctinfo = ct.in(udp(SERVER, CLIENT, 3333, 1074), 0);
        assertEquals(CtInfo.NEW, ctinfo);
        ct.endBurst();
    }

    @Test
    void shouldRefuseAnExpectationOfAMasterThatIsNotHelped()
    {
        pass(udp(CLIENT, SERVER, 1075, 69), 0);
        final int m = ct.table().lookup(new CtKey().ipv4(0, 17, CLIENT, SERVER, 1075, 69), 0) >>> 1;
        final CtKey tuple = new CtKey().ipv4(0, Conntrack.IPPROTO_UDP, SERVER, CLIENT, 0, 1075);
        assertEquals(ExpectTable.SHUTDOWN, expect.expect(m, ExpectTable.CLASS_TFTP, 0, tuple, true, false, 1, 1075, 1, TIMEOUT_MS, 0));
    }

    @Test
    void shouldEvictTheMastersOldestExpectationOverItsLimit()
    {
        final int m = master(1076, 0, 0);
        final int first = expectReply(m, 2000, 2, 0);
        final int second = expectReply(m, 2001, 2, 1);
        final int third = expectReply(m, 2002, 2, 2);
        assertTrue(first >= 0 && second >= 0 && third >= 0);
        assertEquals(2, expect.expecting(m));
        assertEquals(CtInfo.NEW, pass(udp(SERVER, NATTED, 5, 2000), 10), "the oldest was evicted");
        assertEquals(CtInfo.RELATED, pass(udp(SERVER, NATTED, 5, 2001), 10));
        assertEquals(CtInfo.RELATED, pass(udp(SERVER, NATTED, 5, 2002), 10));
    }

    @Test
    void shouldReplaceTheSameExpectationAndRefuseAnotherMastersOverlap()
    {
        final int a = master(1077, 0, 0);
        final int b = master(1078, 0, 0);
        assertTrue(expectReply(a, 3000, 0, 0) >= 0);
        final int slot = expectReply(a, 3000, 0, 100);
        assertTrue(slot >= 0, "the same expectation again: replaced");
        assertEquals(1, expect.size());
        assertEquals(100 + TIMEOUT_MS, expect.expiresMs(slot), "deadline renewed");
        assertEquals(ExpectTable.BUSY, expectReply(b, 3000, 0, 100), "another master expecting the same tuple");
        assertEquals(CtInfo.RELATED, pass(udp(SERVER, NATTED, 7, 3000), 200));
    }

    @Test
    void shouldBeBoundedInTotal()
    {
        final int m = master(1079, 0, 0);
        for (int i = 0; i < expect.capacity(); i++)
        {
            assertTrue(expectReply(m, 4000 + i, 0, 0) >= 0);
        }
        assertEquals(ExpectTable.FULL, expectReply(m, 5000, 0, 0));
        assertEquals(1, expect.expectFull);
        final int r = expectReply(m, 5000, 0, TIMEOUT_MS);
        assertTrue(r >= 0, "room again once the old ones expired");
        expect.expire(TIMEOUT_MS, expect.capacity()); // those the lookup did not meet go in the sweep
        assertEquals(1, expect.size());
    }

    @Test
    void shouldKeepAPermanentExpectationAfterItMatched()
    {
        final int m = master(1080, 0, 0);
        final CtKey tuple = new CtKey().ipv4(0, Conntrack.IPPROTO_UDP, SERVER, NATTED, 0, 1080);
        expect.expect(m, ExpectTable.CLASS_TFTP, ExpectTable.FLAG_PERMANENT, tuple, true, false, 1, 1080, 0, TIMEOUT_MS, 0);
        assertEquals(CtInfo.RELATED, pass(udp(SERVER, NATTED, 1, 1080), 10));
        assertEquals(CtInfo.RELATED, pass(udp(SERVER, NATTED, 2, 1080), 10));
        assertEquals(1, expect.size());
    }

    @Test
    void shouldNotMatchAfterTheMastersSlotWasReused()
    {
        ct.in(udp(CLIENT, SERVER, 1081, 69), 0);
        final int m = ct.index();
        final long record = ct.table().record(m);
        CtRecord.status(record, CtRecord.status(record) | CtStatus.HELPER);
        expect.help().attach(m, HelpTable.HELPER_TFTP);
        final CtKey tuple = new CtKey().ipv4(0, Conntrack.IPPROTO_UDP, SERVER, CLIENT, 0, 1081);
        assertTrue(expect.expect(m, ExpectTable.CLASS_TFTP, 0, tuple, true, false, 1, 1081, 1, TIMEOUT_MS, 0) >= 0);
        ct.endBurst(); // the master's first packet was dropped: released unconfirmed, its expectations and help slot with it
        assertEquals(0, expect.size());
        assertEquals(0, expect.help().size());
        assertEquals(CtInfo.NEW, pass(udp(CLIENT, OTHER, 1, 2), 5));
        assertEquals(m, ct.table().lookup(new CtKey().ipv4(0, 17, CLIENT, OTHER, 1, 2), 5) >>> 1, "the slot was reused");
        assertEquals(CtInfo.NEW, pass(udp(SERVER, CLIENT, 3333, 1081), 10));
        assertEquals(HelpTable.NONE, expect.help().find(m));
        assertEquals(0, expect.help().reclaim());
    }

    @Test
    void shouldFindAttachAndReleaseHelpSlotsUnderCollisions()
    {
        final HelpTable help = expect.help();
        final int[] idx = new int[16];
        for (int i = 0; i < 16; i++)
        {
            ct.in(udp(CLIENT, SERVER, 6000 + i, 69), 0);
            idx[i] = ct.index();
            assertNotEquals(HelpTable.NONE, help.attach(idx[i], HelpTable.HELPER_FTP));
        }
        ct.in(udp(CLIENT, SERVER, 7000, 69), 0);
        final int extra = ct.index();
        assertEquals(HelpTable.NONE, help.attach(extra, HelpTable.HELPER_FTP), "pool full");
        for (int i = 0; i < 16; i += 2)
        {
            help.release(idx[i]);
        }
        for (int i = 0; i < 16; i++)
        {
            assertEquals(i % 2 == 0, help.find(idx[i]) == HelpTable.NONE, "slot " + i);
        }
        assertNotEquals(HelpTable.NONE, help.attach(extra, HelpTable.HELPER_FTP));
        assertEquals(9, help.size());
        ct.endBurst(); // all 17 records released unconfirmed; their slots stay until the records are reused
        assertEquals(0, help.reclaim());
        for (int i = 0; i < 17; i++)
        {
            ct.in(udp(OTHER, SERVER, 6000 + i, 69), 0);
        }
        ct.endBurst();
        assertEquals(9, help.reclaim());
        assertEquals(0, help.size());
    }

    @Test
    void shouldMoveTheSequenceOffsetOncePerRewrittenSegment()
    {
        final int m = master(1082, 0, 0);
        final HelpTable help = expect.help();
        final int base = help.find(m);
        final int w = base + HelpTable.SEQADJ;
        help.seqadjSet(base, 0, 1000, 3);
        assertEquals(1000, help.slots[w + HelpTable.CORRECTION_POS]);
        assertEquals(0, help.slots[w + HelpTable.OFFSET_BEFORE]);
        assertEquals(3, help.slots[w + HelpTable.OFFSET_AFTER]);
        help.seqadjSet(base, 0, 1000, 3); // the retransmission rewritten again
        assertEquals(3, help.slots[w + HelpTable.OFFSET_AFTER]);
        help.seqadjSet(base, 0, 1100, -2);
        assertEquals(1100, help.slots[w + HelpTable.CORRECTION_POS]);
        assertEquals(3, help.slots[w + HelpTable.OFFSET_BEFORE]);
        assertEquals(1, help.slots[w + HelpTable.OFFSET_AFTER]);
        help.seqadjSet(base, 1, 0xFFFF_FFF0, 5); // the other direction, near the wrap
        help.seqadjSet(base, 1, 0x10, 5);
        assertEquals(0x10, help.slots[base + HelpTable.SEQADJ + HelpTable.SEQADJ_SIZE + HelpTable.CORRECTION_POS]);
        assertEquals(10, help.slots[base + HelpTable.SEQADJ + HelpTable.SEQADJ_SIZE + HelpTable.OFFSET_AFTER]);
    }
}
