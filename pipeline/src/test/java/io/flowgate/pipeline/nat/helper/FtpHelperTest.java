package io.flowgate.pipeline.nat.helper;

import static io.flowgate.pipeline.nat.helper.HelperTestBench.ack;
import static io.flowgate.pipeline.nat.helper.HelperTestBench.address;
import static io.flowgate.pipeline.nat.helper.HelperTestBench.get32;
import static io.flowgate.pipeline.nat.helper.HelperTestBench.seq;
import static io.flowgate.pipeline.nat.helper.HelperTestBench.tcp;
import static io.flowgate.pipeline.nat.helper.HelperTestBench.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.expect.NatFollow;
import io.flowgate.pipeline.hook.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The FTP helper on real packets: PORT, EPRT, 227 and 229 expected and, under NAT, rewritten with a length
 * change; sequence numbers, acknowledgements and SACK blocks of later packets shifted in both directions,
 * checksums valid; a retransmitted command rewritten again without moving the offset twice; partial commands
 * dropped; foreign addresses ignored; the data connection RELATED with the master's NAT to follow; the data
 * port chosen among this worker's ports.
 */
class FtpHelperTest
{
    private static final String CLIENT = "10.0.0.2";
    private static final String NATTED = "198.51.100.1";
    private static final String SERVER = "203.0.113.5";
    private static final int ACK = 0x10;
    private static final int SYN = 0x02;
    private static final int PSH_ACK = 0x18;

    private HelperTestBench bench;

    @AfterEach
    void tearDown()
    {
        if (bench != null)
        {
            bench.close();
        }
    }

    /** 10.0.0.2:40000 -> 203.0.113.5:21 SNATed to 198.51.100.1:40000; handshake, the banner and USER seen (each direction past a newline). */
    private void snatSession(final int worker, final int workers)
    {
        bench = new HelperTestBench(worker, workers);
        final CtKey reply = new CtKey().ipv4(0, 6, address(SERVER), address(NATTED), 21, 40000);
        bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1000, 0, SYN, ""), reply, CtStatus.SRC_NAT);
        assertEquals(CtInfo.NEW, bench.lastCtinfo);
        assertTrue((CtRecord.status(bench.ct.table().record(bench.lastIndex)) & CtStatus.HELPER) != 0, "port 21: the FTP helper");
        bench.pass(tcp(SERVER, NATTED, 21, 40000, 5000, 1001, SYN | ACK, ""));
        assertEquals(CtInfo.ESTABLISHED_REPLY, bench.lastCtinfo);
        bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1001, 5001, ACK, ""));
        bench.pass(tcp(SERVER, NATTED, 21, 40000, 5001, 1001, PSH_ACK, "220 ready\r\n")); // 11 bytes
        bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1001, 5012, PSH_ACK, "USER a\r\n")); // 8 bytes
    }

    private int master()
    {
        return bench.ct.table().lookup(new CtKey().ipv4(0, 6, address(CLIENT), address(SERVER), 40000, 21), bench.nowMs) >>> 1;
    }

    @Test
    void shouldRewritePortUnderSnatAndShiftLaterSequenceNumbersBothWays()
    {
        snatSession(0, 1);
        final int m = master();
        // PORT 10,0,0,2,156,65 (port 40001) at seq 1009: 22 bytes, rewritten to 26
        final byte[] port = bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1009, 5012, PSH_ACK, "PORT 10,0,0,2,156,65\r\n"));
        assertEquals(Verdict.ACCEPT, bench.lastVerdict);
        assertEquals("PORT 198,51,100,1,156,65\r\n", text(port));
        assertEquals(20 + 20 + 26, port.length);
        assertTrue(bench.checksumsValid(port), "IPv4 and TCP checksums after the rewrite");
        assertEquals(1009, seq(port), "the rewritten segment keeps its sequence number");
        assertTrue((CtRecord.status(bench.ct.table().record(m)) & CtStatus.SEQ_ADJUST) != 0);
        assertEquals(1, bench.expect.size());
        assertEquals(1, bench.hook.ftp().rewritten);

        // later client data: seq + 4
        final byte[] list = bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1031, 5012, PSH_ACK, "LIST\r\n"));
        assertEquals(1035, seq(list));
        assertEquals(5012, ack(list), "the server's direction has no offset");
        assertTrue(bench.checksumsValid(list));

        // the server acknowledges what it received (26 + 6 bytes after 1009): back in the client's numbers
        final byte[] serverAck = bench.pass(tcp(SERVER, NATTED, 21, 40000, 5012, 1041, ACK, ""));
        assertEquals(CtInfo.ESTABLISHED_REPLY, bench.lastCtinfo, "conntrack takes the server's ack in the rewritten numbers");
        assertEquals(1037, ack(serverAck));
        assertEquals(5012, seq(serverAck));
        assertTrue(bench.checksumsValid(serverAck));

        // an ack of the PORT line only, and an ack of data before it, map through the offset before the rewrite
        assertEquals(1031, ack(bench.pass(tcp(SERVER, NATTED, 21, 40000, 5012, 1035, ACK, ""))));
        assertEquals(1009, ack(bench.pass(tcp(SERVER, NATTED, 21, 40000, 5012, 1009, ACK, ""))));

        // SACK blocks name client data: shifted like the ack (the server lost LIST, got STAT)
        assertEquals(1041, seq(bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1037, 5012, PSH_ACK, "STAT\r\n"))));
        final byte[] sacked = bench.pass(tcp(SERVER, NATTED, 21, 40000, 5012, 1035, ACK, "", 1041, 1047));
        assertEquals(CtInfo.ESTABLISHED_REPLY, bench.lastCtinfo);
        assertEquals(1031, ack(sacked));
        final int sackAt = 20 + 20 + 4; // NOP NOP kind len
        assertEquals(1037, get32(sacked, sackAt));
        assertEquals(1043, get32(sacked, sackAt + 4));
        assertTrue(bench.checksumsValid(sacked));
    }

    @Test
    void shouldRewriteARetransmittedCommandAgainWithoutMovingTheOffsetTwice()
    {
        snatSession(0, 1);
        final int m = master();
        final byte[] first = bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1009, 5012, PSH_ACK, "PORT 10,0,0,2,156,65\r\n"));
        final byte[] again = bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1009, 5012, PSH_ACK, "PORT 10,0,0,2,156,65\r\n"));
        assertEquals(Verdict.ACCEPT, bench.lastVerdict);
        assertEquals(text(first), text(again));
        assertEquals(1009, seq(again));
        assertTrue(bench.checksumsValid(again));
        assertEquals(1, bench.expect.size(), "the same expectation, replaced");
        assertEquals(1035, seq(bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1031, 5012, PSH_ACK, "LIST\r\n"))), "offset still 4");

        // a second PORT later: offsets add up (4 + 4), the old expectation evicted (one per control connection)
        final byte[] second = bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1037, 5012, PSH_ACK, "PORT 10,0,0,2,156,66\r\n"));
        assertEquals("PORT 198,51,100,1,156,66\r\n", text(second));
        assertEquals(1041, seq(second), "the rewritten segment moves by the offset before it");
        assertEquals(1, bench.expect.expecting(m));
        final byte[] quit = bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1059, 5012, PSH_ACK, "QUIT\r\n"));
        assertEquals(1067, seq(quit));
        assertEquals(1059, ack(bench.pass(tcp(SERVER, NATTED, 21, 40000, 5012, 1067, ACK, ""))));
        assertEquals(1065, ack(bench.pass(tcp(SERVER, NATTED, 21, 40000, 5012, 1073, ACK, ""))));
    }

    @Test
    void shouldCreateTheActiveDataConnectionRelatedFollowingTheMastersNat()
    {
        snatSession(0, 1);
        final int m = master();
        bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1009, 5012, PSH_ACK, "PORT 10,0,0,2,156,65\r\n"));
        // the server connects from port 20 to the address and port it was told
        bench.pass(tcp(SERVER, NATTED, 20, 40001, 7000, 0, SYN, ""));
        assertEquals(CtInfo.RELATED, bench.lastCtinfo);
        final long child = bench.ct.table().record(bench.lastIndex);
        assertTrue((CtRecord.status(child) & CtStatus.EXPECTED) != 0);
        assertFalse((CtRecord.status(child) & CtStatus.HELPER) != 0, "the data connection has no helper");
        final NatFollow follow = new NatFollow();
        assertTrue(bench.expect.follow(bench.lastIndex, follow));
        assertEquals(m, follow.master);
        assertEquals(address(SERVER), follow.srcAddress);
        assertEquals(address(CLIENT), follow.dstAddress);
        assertEquals(40001, follow.dstPort);
        assertEquals(0, bench.expect.size());
    }

    @Test
    void shouldExpectPassiveWithoutNatAndLeaveThePacketAlone()
    {
        bench = new HelperTestBench(0, 1);
        bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1000, 0, SYN, ""));
        bench.pass(tcp(SERVER, CLIENT, 21, 40000, 5000, 1001, SYN | ACK, ""));
        bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1001, 5001, ACK, ""));
        bench.pass(tcp(SERVER, CLIENT, 21, 40000, 5001, 1001, PSH_ACK, "220 ready\r\n"));
        final String reply = "227 Entering Passive Mode (203,0,113,5,200,10).\r\n";
        final byte[] pasv = bench.pass(tcp(SERVER, CLIENT, 21, 40000, 5012, 1001, PSH_ACK, reply));
        assertEquals(reply, text(pasv));
        assertEquals(1, bench.expect.size());
        bench.pass(tcp(CLIENT, SERVER, 40001, 51210, 9000, 0, SYN, ""));
        assertEquals(CtInfo.RELATED, bench.lastCtinfo);
        assertFalse(bench.expect.follow(bench.lastIndex, new NatFollow()), "no NAT: nothing to follow");
        assertEquals(0, CtRecord.status(bench.ct.table().record(master())) & CtStatus.SEQ_ADJUST);
    }

    @Test
    void shouldRewriteThePassiveReplyOfAServerBehindDnatAndAdjustTheClientsAcks()
    {
        bench = new HelperTestBench(0, 1);
        final String outside = "203.0.113.7";
        final String pub = "198.51.100.10";
        final String inside = "10.0.0.5";
        final CtKey reply = new CtKey().ipv4(0, 6, address(inside), address(outside), 21, 50000);
        bench.pass(tcp(outside, pub, 50000, 21, 100, 0, SYN, ""), reply, CtStatus.DST_NAT);
        bench.pass(tcp(inside, outside, 21, 50000, 700, 101, SYN | ACK, ""));
        bench.pass(tcp(outside, pub, 50000, 21, 101, 701, ACK, ""));
        bench.pass(tcp(inside, outside, 21, 50000, 701, 101, PSH_ACK, "220 ok\r\n")); // 8
        final byte[] pasv = bench.pass(tcp(inside, outside, 21, 50000, 709, 101, PSH_ACK, "227 Entering Passive Mode (10,0,0,5,195,80)\r\n"));
        assertEquals("227 Entering Passive Mode (198,51,100,10,195,80)\r\n", text(pasv));
        assertTrue(bench.checksumsValid(pasv));
        final byte[] epsv = bench.pass(tcp(inside, outside, 21, 50000, 754, 101, PSH_ACK, "229 Entering Extended Passive Mode (|||50010|)\r\n"));
        assertEquals("229 Entering Extended Passive Mode (|||50010|)\r\n", text(epsv), "EPSV names no address: same length");
        assertEquals(759, seq(epsv), "the server's later data moves by 5");
        // the client acks everything: 45 + 5 + 48 bytes after 709
        final byte[] clientAck = bench.pass(tcp(outside, pub, 50000, 21, 101, 807, ACK, ""));
        assertEquals(CtInfo.ESTABLISHED, bench.lastCtinfo);
        assertEquals(802, ack(clientAck));
        // the data connection from the client to the public address
        bench.pass(tcp(outside, pub, 50001, 50010, 1, 0, SYN, ""));
        assertEquals(CtInfo.RELATED, bench.lastCtinfo);
        final NatFollow follow = new NatFollow();
        assertTrue(bench.expect.follow(bench.lastIndex, follow));
        assertEquals(address(outside), follow.srcAddress, "source kept");
        assertEquals(address(inside), follow.dstAddress);
        assertEquals(50010, follow.dstPort);
    }

    @Test
    void shouldRewriteEprtUnderSnat()
    {
        snatSession(0, 1);
        final byte[] eprt = bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1009, 5012, PSH_ACK, "EPRT |1|10.0.0.2|40002|\r\n"));
        assertEquals("EPRT |1|198.51.100.1|40002|\r\n", text(eprt));
        assertTrue(bench.checksumsValid(eprt));
        bench.pass(tcp(SERVER, NATTED, 20, 40002, 1, 0, SYN, ""));
        assertEquals(CtInfo.RELATED, bench.lastCtinfo);
    }

    @Test
    void shouldChooseADataPortThisWorkerOwns()
    {
        snatSession(1, 2);
        // port 40000 is even: worker 1 of 2 owns the odd ports
        final byte[] port = bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1009, 5012, PSH_ACK, "PORT 10,0,0,2,156,64\r\n"));
        assertEquals("PORT 198,51,100,1,156,65\r\n", text(port));
        bench.pass(tcp(SERVER, NATTED, 20, 40001, 1, 0, SYN, ""));
        assertEquals(CtInfo.RELATED, bench.lastCtinfo);
        final NatFollow follow = new NatFollow();
        assertTrue(bench.expect.follow(bench.lastIndex, follow));
        assertEquals(40000, follow.dstPort, "the client's own port, as it announced it");
    }

    @Test
    void shouldDropAPartialCommandAndIgnoreAForeignAddress()
    {
        snatSession(0, 1);
        bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1009, 5012, PSH_ACK, "POR"));
        assertEquals(Verdict.DROP, bench.lastVerdict, "a cut command: the sender retransmits it whole");
        bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1009, 5012, PSH_ACK, "PORT 10,0,0,2,156"));
        assertEquals(Verdict.DROP, bench.lastVerdict);
        final String foreign = "PORT 10,0,0,9,156,65\r\n";
        final byte[] out = bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1009, 5012, PSH_ACK, foreign));
        assertEquals(Verdict.ACCEPT, bench.lastVerdict);
        assertEquals(foreign, text(out));
        assertEquals(0, bench.expect.size(), "not the sender's address: not expected (Linux without loose)");
    }

    @Test
    void shouldParseOnlyAtTheStartOfALine()
    {
        snatSession(0, 1);
        // a segment not starting after a newline seen in its direction is not parsed
        final String text = "PORT 10,0,0,2,156,65\r\n";
        final byte[] out = bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1012, 5012, PSH_ACK, text));
        assertEquals(text, text(out));
        assertEquals(0, bench.expect.size());
    }

    @Test
    void shouldDropWhenThereIsNoRoomToGrow()
    {
        snatSession(0, 1);
        bench.hook.roomForTests = 0;
        final HelperHook hook = bench.hook;
        final byte[] packet = tcp(CLIENT, SERVER, 40000, 21, 1009, 5012, PSH_ACK, "PORT 10,0,0,2,156,65\r\n");
        final java.lang.foreign.MemorySegment b = bench.buffer;
        java.lang.foreign.MemorySegment.copy(packet, 0, b, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, packet.length);
        final int m = master();
        assertFalse(hook.packet(m, bench.ct.table().record(m), CtRecord.status(bench.ct.table().record(m)), CtInfo.ESTABLISHED,
            b.address(), 0, bench.nowMs));
        assertEquals(0, bench.expect.size(), "the expectation is withdrawn");
    }

    @Test
    void shouldShrinkThePayloadWhenTheTranslatedAddressIsShorter()
    {
        bench = new HelperTestBench(0, 1);
        final String inside = "192.168.100.200";
        final String outside = "1.2.3.4";
        final CtKey reply = new CtKey().ipv4(0, 6, address(SERVER), address(outside), 21, 40000);
        bench.pass(tcp(inside, SERVER, 40000, 21, 1000, 0, SYN, ""), reply, CtStatus.SRC_NAT);
        bench.pass(tcp(SERVER, outside, 21, 40000, 5000, 1001, SYN | ACK, ""));
        bench.pass(tcp(inside, SERVER, 40000, 21, 1001, 5001, ACK, ""));
        bench.pass(tcp(SERVER, outside, 21, 40000, 5001, 1001, PSH_ACK, "220 ready\r\n"));
        bench.pass(tcp(inside, SERVER, 40000, 21, 1001, 5012, PSH_ACK, "USER a\r\n"));
        final byte[] port = bench.pass(tcp(inside, SERVER, 40000, 21, 1009, 5012, PSH_ACK, "PORT 192,168,100,200,156,65\r\n"));
        assertEquals("PORT 1,2,3,4,156,65\r\n", text(port));
        assertEquals(20 + 20 + 21, port.length);
        assertTrue(bench.checksumsValid(port));
        final byte[] list = bench.pass(tcp(inside, SERVER, 40000, 21, 1038, 5012, PSH_ACK, "LIST\r\n"));
        assertEquals(1030, seq(list), "8 bytes fewer before it");
        final byte[] serverAck = bench.pass(tcp(SERVER, outside, 21, 40000, 5012, 1036, ACK, ""));
        assertEquals(CtInfo.ESTABLISHED_REPLY, bench.lastCtinfo);
        assertEquals(1044, ack(serverAck));
        assertTrue(bench.checksumsValid(serverAck));
    }

    @Test
    void shouldAllocateNothingPerPacketOnAHelpedAdjustedConnection()
    {
        snatSession(0, 1);
        bench.pass(tcp(CLIENT, SERVER, 40000, 21, 1009, 5012, PSH_ACK, "PORT 10,0,0,2,156,65\r\n"));
        final int m = master();
        final long record = bench.ct.table().record(m);
        final byte[] data = tcp(CLIENT, SERVER, 40000, 21, 1031, 5012, PSH_ACK, "NOOP\r\n");
        final byte[] ack = tcp(SERVER, NATTED, 21, 40000, 5012, 1041, ACK, "", 1041, 1047);
        final java.lang.foreign.MemorySegment templates = bench.arena.allocate(512, 8);
        java.lang.foreign.MemorySegment.copy(data, 0, templates, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, data.length);
        java.lang.foreign.MemorySegment.copy(ack, 0, templates, java.lang.foreign.ValueLayout.JAVA_BYTE, 256, ack.length);
        final long ip = bench.buffer.address();
        final HelperHook hook = bench.hook;
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        long allocated = 0;
        for (int round = 0; round < 3; round++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int k = 0; k < 20_000; k++)
            {
                io.flowgate.nativebindings.Memory.copy(templates.address(), ip, data.length);
                assertTrue(hook.packet(m, record, CtRecord.status(record), CtInfo.ESTABLISHED, ip, 0, bench.nowMs));
                io.flowgate.nativebindings.Memory.copy(templates.address() + 256, ip, ack.length);
                assertTrue(hook.packet(m, record, CtRecord.status(record), CtInfo.ESTABLISHED_REPLY, ip, 0, bench.nowMs));
            }
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
        }
        assertEquals(0, allocated, "bytes allocated by 40000 helped, sequence-adjusted packets");
        bench.pass(data);
        assertEquals(1037, ack(bench.pass(tcp(SERVER, NATTED, 21, 40000, 5012, 1041, ACK, ""))), "and the path still adjusts");
    }

    @Test
    void shouldSurviveMangledCommandsWithValidChecksumsAndAConsistentStream()
    {
        snatSession(0, 1);
        final java.util.SplittableRandom random = new java.util.SplittableRandom(20261123);
        final String[] heads = {"PORT ", "port ", "EPRT ", "PORT", "EPRT |1|", "PORT 10,0,0,2,", "EPRT |2|", "NOOP ", "P"};
        final String alphabet = "0123456789,.|()\r\n 10,0,0,2abcPORT";
        long seq = 1009;
        long expectedShift = 0;
        for (int k = 0; k < 3000; k++)
        {
            final StringBuilder line = new StringBuilder(heads[random.nextInt(heads.length)]);
            final int n = random.nextInt(30);
            for (int c = 0; c < n; c++)
            {
                line.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            if (random.nextInt(4) == 0)
            {
                line.setLength(0);
                line.append("PORT 10,0,0,2,").append(random.nextInt(256)).append(',').append(random.nextInt(256));
            }
            line.append("\r\n");
            final String text = line.toString();
            final byte[] out = bench.pass(tcp(CLIENT, SERVER, 40000, 21, seq, 5012, PSH_ACK, text));
            assertTrue(bench.lastIndex >= 0, "tracked: " + text);
            if (bench.lastVerdict != Verdict.ACCEPT)
            {
                continue; // a partial command: dropped, the stream does not move
            }
            assertTrue(bench.checksumsValid(out), text);
            assertEquals((seq + expectedShift) & 0xFFFF_FFFFL, seq(out), "seq of " + text);
            expectedShift += text(out).length() - text.length();
            seq += text.length();
            if (k % 16 == 0)
            {
                // the server acknowledges all it got, in its numbers; conntrack and the client see the client's
                final byte[] ack = bench.pass(tcp(SERVER, NATTED, 21, 40000, 5012, (seq + expectedShift) & 0xFFFF_FFFFL, ACK, ""));
                assertEquals(CtInfo.ESTABLISHED_REPLY, bench.lastCtinfo);
                assertEquals(seq, ack(ack));
            }
        }
        assertTrue(bench.hook.ftp().rewritten > 100, "rewrites: " + bench.hook.ftp().rewritten);
        assertTrue(bench.expect.size() <= 1, "one expectation per control connection");
    }
}
