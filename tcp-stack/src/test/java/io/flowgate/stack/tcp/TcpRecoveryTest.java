package io.flowgate.stack.tcp;

import static io.flowgate.stack.tcp.TcpCoreTest.S;
import static io.flowgate.stack.tcp.TcpCoreTest.pattern;
import static io.flowgate.stack.tcp.TcpCoreTest.transfer;
import static io.flowgate.stack.tcp.TestWire.MS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.stack.StackConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Loss, recovery, flow control and timers between two in-memory stacks. */
class TcpRecoveryTest
{
    private static int firstDataIndex(final TestWire w, final char from, final int nth)
    {
        int n = 0;
        for (final TestWire.Seg s : w.segments)
        {
            if (s.from() == from && s.payload() > 0 && n++ == nth)
            {
                return s.index();
            }
        }
        return -1;
    }

    @Test
    void rtoBacksOffAndKarnSkipsRetransmittedSamples() throws Exception
    {
        final StackConfig noTs = TestWire.small().withOptions(true, false, true);
        try (TestWire w = new TestWire(noTs))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, false);
            w.a.tcp.tailLossProbe = false; // plain RTOs here
            final int[] count = {0};
            w.dropIf = s -> s.from() == 'A' && s.payload() > 0 && count[0]++ < 3;
            final byte[] d = pattern(500, 1);
            p.client.sendBuffer().write(d, 0, d.length);
            p.client.appSend(w.now);
            w.run(10 * S);
            final List<TestWire.Seg> data = w.from('A').stream().filter(s -> s.payload() > 0).toList();
            assertEquals(4, data.size());
            final long g1 = data.get(1).timeNs() - data.get(0).timeNs();
            final long g2 = data.get(2).timeNs() - data.get(1).timeNs();
            final long g3 = data.get(3).timeNs() - data.get(2).timeNs();
            assertTrue(Math.abs(g2 - 2 * g1) <= 3 * MS && Math.abs(g3 - 2 * g2) <= 3 * MS, g1 + " " + g2 + " " + g3);
            assertEquals(500, p.server.receiveBuffer().size());
            assertEquals(3, w.a.tcp.counter(TcpCounters.TIMEOUTS));
            // Karn: the ACK of a retransmitted segment gave no sample; the RTO stays backed off until new data
            assertEquals(0, p.client.rtt.backoffCount(), "a new ACK clears the backoff");
        }
    }

    @Test
    void fastRetransmitNewRenoWithoutSack() throws Exception
    {
        final StackConfig noSack = TestWire.small().withOptions(false, true, true);
        try (TestWire w = new TestWire(noSack))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, false);
            final int[] n = {0};
            w.dropIf = s -> s.from() == 'A' && s.payload() > 0 && (n[0]++ == 20 || n[0] == 24);
            final byte[] d = pattern(400_000, 2);
            try
            {
                assertArrayEquals(d, transfer(w, p.client, p.server, d, 20 * S));
            }
            catch (final AssertionError e)
            {
                w.segments.stream().skip(10).limit(120).forEach(System.out::println);
                throw e;
            }
            assertTrue(w.a.tcp.counter(TcpCounters.FAST_RETRANS) >= 1);
            assertTrue(w.a.tcp.counter(TcpCounters.RENO_RECOVERY) >= 1);
            assertEquals(0, w.a.tcp.counter(TcpCounters.TIMEOUTS), "NewReno's partial ACK repairs the second hole");
        }
    }

    @Test
    void sackRecoveryRepairsSeveralHolesWithoutTimeout() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, false);
            final int[] n = {0};
            w.dropIf = s -> s.from() == 'A' && s.payload() > 0 && (n[0]++ == 30 || n[0] == 33 || n[0] == 36);
            final byte[] d = pattern(600_000, 3);
            assertArrayEquals(d, transfer(w, p.client, p.server, d, 20 * S));
            assertTrue(w.a.tcp.counter(TcpCounters.SACK_RECOVERY) >= 1);
            assertTrue(w.from('B').stream().anyMatch(s -> s.sackBlocks() > 0), "the receiver sent SACK blocks");
            assertEquals(0, w.a.tcp.counter(TcpCounters.TIMEOUTS));
        }
    }

    /** A receiver that moves its window on every ACK (Linux's auto-tuning): SACKing ACKs still start recovery. */
    @Test
    void sackedAcksThatMoveTheWindowStillTriggerFastRetransmit() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, false);
            final int[] k = {0};
            w.rewrite = (from, t, length) ->
            {
                final int hdr = (io.flowgate.nativebindings.Memory.getUnsignedByte(t + 12) >>> 4) * 4;
                final int flags = io.flowgate.nativebindings.Memory.getUnsignedByte(t + 13);
                if (from == 'B' && length == hdr && (flags & TcpConnection.SYN) == 0)
                {
                    final int win = io.flowgate.nativebindings.Memory.getShortBE(t + 14) & 0xffff;
                    io.flowgate.nativebindings.Memory.putShortBE(t + 14, Math.max(1, win - 1 - (k[0]++ & 1)));
                }
            };
            final int[] n = {0};
            w.dropIf = s -> s.from() == 'A' && s.payload() > 0 && n[0]++ == 30;
            final byte[] d = pattern(600_000, 7);
            assertArrayEquals(d, transfer(w, p.client, p.server, d, 20 * S));
            assertTrue(k[0] > 10, "ACKs rewritten: " + k[0]);
            assertEquals(1, w.a.tcp.counter(TcpCounters.SACK_RECOVERY));
            assertEquals(0, w.a.tcp.counter(TcpCounters.TIMEOUTS), "fast retransmit, not an RTO");
        }
    }

    /** Two segments, the first lost: the SACK of the second retransmits it at once (RFC 5827), no RTO. */
    @Test
    void earlyRetransmitForAShortFlight() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, false);
            w.run(TestWire.MS * 50);
            final int[] n = {0};
            w.dropIf = s -> s.from() == 'A' && s.payload() > 0 && n[0]++ == 0;
            final byte[] d = pattern(2 * p.client.mss, 8);
            final long start = w.now;
            assertArrayEquals(d, transfer(w, p.client, p.server, d, 5 * S));
            assertEquals(0, w.a.tcp.counter(TcpCounters.TIMEOUTS), "no RTO");
            assertEquals(1, w.a.tcp.counter(TcpCounters.FAST_RETRANS));
            assertTrue(w.now - start < 50 * MS, "repaired in about an RTT: " + (w.now - start) / MS + " ms");
        }
    }

    /** The last two segments of a burst lost: the tail loss probe (after 2 SRTT) gets a SACK, no RTO. */
    @Test
    void tailLossProbeRepairsALostTail() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, false);
            transfer(w, p.client, p.server, pattern(20_000, 9), 5 * S); // an RTT estimate
            w.run(50 * MS);
            final int[] n = {0};
            w.dropIf = s -> s.from() == 'A' && s.payload() > 0 && (n[0]++ == 6 || n[0] == 8);
            final byte[] d = pattern(8 * p.client.mss, 10);
            final long start = w.now;
            assertArrayEquals(d, transfer(w, p.client, p.server, d, 5 * S));
            assertEquals(0, w.a.tcp.counter(TcpCounters.TIMEOUTS), "no RTO");
            assertEquals(1, w.a.tcp.counter(TcpCounters.LOSS_PROBES));
            assertTrue(w.now - start < 80 * MS, "repaired within a few RTTs: " + (w.now - start) / MS + " ms");
        }
    }

    /** A FIN that arrives beyond a hole is remembered: filling the hole closes the direction, no FIN resend. */
    @Test
    void outOfOrderFinIsRemembered() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, false);
            w.run(50 * MS);
            final int[] n = {0};
            w.dropIf = s -> s.from() == 'A' && s.payload() > 0 && n[0]++ == 1;
            final byte[] d = pattern(3 * p.client.mss, 11);
            p.client.sendBuffer().write(d, 0, d.length);
            p.client.appSend(w.now);
            p.client.appShutdown(w.now);
            final long start = w.now;
            assertTrue(w.runUntil(() -> p.server.state() == TcpState.CLOSE_WAIT, 2 * S));
            assertTrue(w.now - start < 60 * MS, "closed once the hole was filled: " + (w.now - start) / MS + " ms");
            assertEquals(1, w.from('A').stream().filter(TestWire.Seg::fin).count(), "the FIN was sent once");
            assertEquals(3 * p.client.mss, p.server.receiveBuffer().size());
        }
    }

    /** PRR: entering SACK recovery, new data keeps flowing in proportion to what is delivered (no silent half RTT). */
    @Test
    void proportionalRateReductionSpreadsSendingThroughRecovery() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, false);
            final int[] n = {0};
            final int[] lostSeq = {0};
            w.dropIf = s ->
            {
                if (s.from() == 'A' && s.payload() > 0 && n[0]++ == 60)
                {
                    lostSeq[0] = s.seq();
                    return true;
                }
                return false;
            };
            final byte[] d = pattern(600_000, 12);
            assertArrayEquals(d, transfer(w, p.client, p.server, d, 20 * S));
            assertEquals(1, w.a.tcp.counter(TcpCounters.SACK_RECOVERY));
            assertEquals(0, w.a.tcp.counter(TcpCounters.TIMEOUTS));
            int rtx = -1;
            int highest = 0;
            for (final TestWire.Seg s : w.segments)
            {
                if (s.from() == 'A' && s.payload() > 0 && !s.dropped() && s.seq() == lostSeq[0])
                {
                    rtx = s.index();
                    break;
                }
                if (s.from() == 'A' && s.payload() > 0 && (highest == 0 || s.seq() - highest > 0))
                {
                    highest = s.seq();
                }
            }
            assertTrue(rtx > 0, "fast retransmit");
            int acks = 0;
            boolean newData = false;
            for (final TestWire.Seg s : w.segments.subList(rtx + 1, w.segments.size()))
            {
                if (s.from() == 'B')
                {
                    acks++;
                }
                else if (s.payload() > 0 && s.seq() - highest > 0)
                {
                    newData = true;
                    break;
                }
            }
            assertTrue(newData && acks <= 3, "new data after " + acks + " ACKs in recovery");
        }
    }

    /** A reordered segment triggers a spurious fast retransmit; its D-SACK undoes the reduction (TCPDSACKUndo). */
    @Test
    void dsackUndoesASpuriousFastRetransmit() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, false);
            final int[] n = {0};
            final int[] cwndBefore = {0};
            w.delayIf = s ->
            {
                if (s.from() == 'A' && s.payload() > 0 && n[0]++ == 60)
                {
                    cwndBefore[0] = p.client.cs.cwnd;
                    return true;
                }
                return false;
            };
            w.delayIfNs = 4 * MS;
            final byte[] d = pattern(300_000, 13);
            assertArrayEquals(d, transfer(w, p.client, p.server, d, 20 * S));
            assertEquals(1, w.a.tcp.counter(TcpCounters.SACK_RECOVERY), "the reordering looked like a loss");
            assertTrue(w.from('B').stream().anyMatch(s -> s.sackBlocks() > 0 && s.sackLeft()[0] - s.ack() < 0), "a D-SACK");
            assertEquals(1, w.a.tcp.counter(TcpCounters.DSACK_UNDO));
            assertTrue(p.client.cs.cwnd >= cwndBefore[0], "cwnd restored: " + p.client.cs.cwnd + " vs " + cwndBefore[0]);
            assertEquals(0, w.a.tcp.counter(TcpCounters.TIMEOUTS));
        }
    }

    /** The fast retransmission is lost too: SACKs of later data send it again, no RTO. */
    @Test
    void lostFastRetransmissionIsSentAgainWithoutRto() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, false);
            final int[] n = {0};
            final int[] lost = {0, 0};
            w.dropIf = s ->
            {
                if (s.from() != 'A' || s.payload() == 0)
                {
                    return false;
                }
                if (n[0]++ == 60)
                {
                    lost[0] = s.seq();
                    return true;
                }
                return lost[1] == 0 && s.seq() == lost[0] && n[0] > 61 && ++lost[1] == 1;
            };
            final byte[] d = pattern(600_000, 14);
            assertArrayEquals(d, transfer(w, p.client, p.server, d, 20 * S));
            assertEquals(1, lost[1], "the first retransmission was dropped");
            assertEquals(0, w.a.tcp.counter(TcpCounters.TIMEOUTS), "no RTO");
            assertEquals(1, w.a.tcp.counter(TcpCounters.LOST_RETRANSMITS));
        }
    }

    @Test
    void zeroWindowPersistProbes() throws Exception
    {
        final StackConfig cfg = TestWire.small().withBuffers(256 << 10, 64 << 10);
        try (TestWire w = new TestWire(cfg))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, false);
            final byte[] d = pattern(200_000, 4);
            final int queued = p.client.sendBuffer().write(d, 0, d.length);
            p.client.appSend(w.now);
            w.run(5 * S); // the receiver does not read: its window closes
            final int left = p.server.receiveBuffer().capacity() - p.server.receiveBuffer().size();
            assertTrue(left <= 1 << p.server.rcvWscale, "the receive buffer filled up to the scaling granularity: " + left);
            final TestWire.Seg zero = w.last('B');
            assertEquals(0, zero.window());
            final long probes = w.from('A').stream().filter(s -> s.payload() == 0 && s.seq() == p.client.sndUna - 1).count();
            assertTrue(probes >= 2, "persist probes: " + probes);
            // reading opens the window and the rest flows
            final java.io.ByteArrayOutputStream sink = new java.io.ByteArrayOutputStream();
            assertTrue(w.runUntil(() ->
            {
                if (TestWire.drain(p.server.receiveBuffer(), sink) > 0)
                {
                    p.server.appReceived(w.now);
                }
                return sink.size() == queued;
            }, 30 * S));
            assertArrayEquals(java.util.Arrays.copyOf(d, queued), sink.toByteArray());
        }
    }

    @Test
    void delayedAckAndNagle() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, false);
            w.run(2 * S); // past quick-ack: send enough to use them up
            final byte[] big = pattern(100_000, 5);
            transfer(w, p.client, p.server, big, 10 * S);
            w.run(S);
            final int before = w.segments.size();
            // one small segment: the receiver delays its ACK by delayedAckNs
            p.client.sendBuffer().write(new byte[10], 0, 10);
            p.client.appSend(w.now);
            final long sentAt = w.now;
            // Nagle: a second small write waits while the first is unacknowledged
            p.client.sendBuffer().write(new byte[10], 0, 10);
            p.client.appSend(w.now);
            w.run(200 * MS);
            final List<TestWire.Seg> after = w.segments.subList(before, w.segments.size());
            final List<TestWire.Seg> data = after.stream().filter(s -> s.from() == 'A' && s.payload() > 0).toList();
            assertEquals(2, data.size());
            assertEquals(10, data.get(0).payload());
            final TestWire.Seg ack = after.stream().filter(s -> s.from() == 'B').findFirst().orElseThrow();
            assertTrue(ack.timeNs() - sentAt >= 40 * MS, "delayed ACK after " + (ack.timeNs() - sentAt) / MS + " ms");
            assertTrue(data.get(1).timeNs() >= ack.timeNs() + 5 * MS - MS, "Nagle held the second segment for the ACK");
            assertTrue(w.b.tcp.counter(TcpCounters.DELAYED_ACKS) >= 1);
            // with TCP_NODELAY both go at once
            p.client.noDelay(true);
            final int mark = w.segments.size();
            p.client.sendBuffer().write(new byte[10], 0, 10);
            p.client.appSend(w.now);
            p.client.sendBuffer().write(new byte[10], 0, 10);
            p.client.appSend(w.now);
            assertEquals(2, w.segments.subList(mark, w.segments.size()).stream().filter(s -> s.payload() > 0).count());
        }
    }

    @Test
    void pathMtuDropResendsSmaller() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, false);
            w.pathMtu = 1400;
            w.pmtuCallback = (from, t) ->
            {
                if (from == w.a)
                {
                    w.a.tcp.icmpError(io.flowgate.stack.ip.Transport.ERROR_PACKET_TOO_BIG, 1400, t, 20, 0, TestWire.A4, 0,
                        TestWire.B4, w.now);
                }
            };
            final byte[] d = pattern(100_000, 6);
            assertArrayEquals(d, transfer(w, p.client, p.server, d, 10 * S));
            assertEquals(1400, p.client.info(w.now).pmtu());
            assertEquals(1400 - 40 - 12, p.client.info(w.now).mss());
        }
    }

    @Test
    void keepaliveProbesThenTimeout() throws Exception
    {
        final StackConfig cfg = TestWire.small().withKeepalive(10 * S, 2 * S, 3);
        try (TestWire w = new TestWire(cfg))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, false);
            p.client.keepAlive(true, w.now);
            w.run(11 * S);
            final TestWire.Seg probe = w.last('A');
            assertEquals(0, probe.payload());
            assertEquals(p.client.sndUna - 1, probe.seq());
            assertEquals(TcpState.ESTABLISHED, p.client.state(), "answered probes keep it open");
            w.dropIf = s -> s.from() == 'B';
            w.run(30 * S);
            assertEquals(ConnectionEvents.TIMED_OUT, p.ce.closed);
            assertTrue(w.a.tcp.counter(TcpCounters.KEEPALIVES) >= 4);
        }
    }

    @Test
    void tenMegabytesUnderLossAndReordering() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, false);
            w.lossRate = 0.01;
            w.reorderRate = 0.02;
            w.duplicateRate = 0.002;
            final byte[] d = pattern(10 << 20, 7);
            assertArrayEquals(d, transfer(w, p.client, p.server, d, 600 * S));
            assertTrue(w.a.tcp.counter(TcpCounters.RETRANS_SEGS) > 0);
        }
    }

    @Test
    void tenMegabytesUnderLossWithoutSackOrTimestamps() throws Exception
    {
        final StackConfig plain = TestWire.small().withOptions(false, false, true).withCongestion("reno");
        try (TestWire w = new TestWire(plain))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, false);
            w.lossRate = 0.01;
            w.reorderRate = 0.02;
            final byte[] d = pattern(10 << 20, 8);
            assertArrayEquals(d, transfer(w, p.client, p.server, d, 900 * S));
            assertEquals("reno", p.client.info(w.now).congestion());
            assertTrue(w.a.tcp.counter(TcpCounters.RENO_RECOVERY) > 0);
        }
    }

    @Test
    void duplicateSegmentIsReportedWithDsack() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, false);
            final int rcvNxt = p.server.rcvNxt;
            w.inject(w.b, p.client.localPort(), 80, rcvNxt - 100, p.server.sndNxt, TcpConnection.ACK, 1000, 100);
            final TestWire.Seg ack = w.last('B');
            assertEquals(1, ack.sackBlocks());
            assertEquals(rcvNxt - 100, ack.sackLeft()[0]);
            assertEquals(rcvNxt, ack.sackRight()[0]);
            assertEquals(rcvNxt, ack.ack(), "a D-SACK block lies below the cumulative ACK");
        }
    }

    @Test
    void congestionWindowRestartsAfterIdle() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, false);
            final byte[] d = pattern(2_000_000, 11);
            transfer(w, p.client, p.server, d, 30 * S);
            final int grown = p.client.cs.cwnd;
            assertTrue(grown > 20, "cwnd grew: " + grown);
            w.run(10 * S);
            p.client.sendBuffer().write(new byte[100], 0, 100);
            p.client.appSend(w.now);
            assertEquals(10, p.client.cs.cwnd, "back to the initial window after idle");
        }
    }
}
