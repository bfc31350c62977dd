package io.flowgate.stack.tcp;

import static io.flowgate.stack.tcp.TestWire.MS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.stack.StackConfig;
import io.flowgate.stack.buffer.ByteRing;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The TCP core between two in-memory stacks: handshakes, data, closes, resets. */
class TcpCoreTest
{
    static final long S = 1_000_000_000L;

    /** A connected pair: client on A, server (accepted) on B. */
    static final class Pair
    {
        final TestWire w;
        final TestWire.Events ce = new TestWire.Events();
        final TestWire.Events se = new TestWire.Events();
        final TcpConnection client;
        TcpConnection server;
        final Listener listener;

        Pair(final TestWire w, final boolean v6) throws Exception
        {
            this.w = w;
            listener = w.b.tcp.listen(0, 0, 80, 128, se, w.now);
            final long hi = v6 ? TestWire.V6_HI : 0;
            final long lo = v6 ? 2 : TestWire.B4;
            client = w.a.tcp.connect(hi, lo, 80, 0, 0, 0, ce, w.now);
            assertTrue(w.runUntil(() -> ce.connected == 1 && !se.accepted.isEmpty(), 5 * S), "handshake");
            server = se.accepted.get(0);
        }
    }

    static byte[] pattern(final int n, final long seed)
    {
        final byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Sends {@code data} from {@code from} to {@code to} through the wire, reading as it arrives. */
    static byte[] transfer(final TestWire w, final TcpConnection from, final TcpConnection to, final byte[] data,
                           final long maxNs)
    {
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        final int[] written = {0};
        final boolean done = w.runUntil(() ->
        {
            if (written[0] < data.length)
            {
                final int n = from.sendBuffer().write(data, written[0], data.length - written[0]);
                written[0] += n;
                if (n > 0)
                {
                    from.appSend(w.now);
                }
            }
            if (TestWire.drain(to.receiveBuffer(), got) > 0)
            {
                to.appReceived(w.now);
            }
            return got.size() >= data.length;
        }, maxNs);
        assertTrue(done, "transfer incomplete: " + got.size() + " of " + data.length);
        return got.toByteArray();
    }

    /** Data the server writes in its accept callback (before the final ACK is processed further) arrives whole. */
    @Test
    void dataWrittenOnAcceptKeepsItsFirstByte() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final byte[] greeting = "220 flowgate ready\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            final TestWire.Events ce = new TestWire.Events();
            final TestWire.Events se = new TestWire.Events()
            {
                @Override
                public ConnectionEvents accepted(final TcpConnection connection)
                {
                    connection.sendBuffer().write(greeting, 0, greeting.length);
                    connection.appSend(w.now);
                    return super.accepted(connection);
                }
            };
            w.b.tcp.listen(0, 0, 21, 16, se, w.now);
            final TcpConnection client = w.a.tcp.connect(0, TestWire.B4, 21, 0, 0, 0, ce, w.now);
            final ByteArrayOutputStream got = new ByteArrayOutputStream();
            assertTrue(w.runUntil(() ->
            {
                TestWire.drain(client.receiveBuffer(), got);
                return got.size() >= greeting.length;
            }, 5 * S), "greeting received");
            assertArrayEquals(greeting, got.toByteArray());
        }
    }

    @Test
    void handshakeNegotiatesAllOptions() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final Pair p = new Pair(w, false);
            final TestWire.Seg syn = w.from('A').get(0);
            assertTrue(syn.syn() && !syn.ackFlag());
            assertEquals(1460, syn.mss());
            assertTrue(syn.sackPermitted() && syn.ts() && syn.windowScale() >= 0);
            assertEquals(0, syn.tsEcr());
            final TestWire.Seg synAck = w.from('B').get(0);
            assertTrue(synAck.syn() && synAck.ackFlag());
            assertEquals(syn.seq() + 1, synAck.ack());
            assertEquals(syn.tsVal(), synAck.tsEcr());
            assertEquals(TcpState.ESTABLISHED, p.client.state());
            assertEquals(TcpState.ESTABLISHED, p.server.state());
            final TcpInfo info = p.client.info(w.now);
            assertTrue(info.timestamps() && info.sack());
            assertEquals(1448, info.mss()); // 1460 less the timestamp option
            assertEquals(1, w.a.tcp.counter(TcpCounters.ACTIVE_OPENS));
            assertEquals(1, w.b.tcp.counter(TcpCounters.PASSIVE_OPENS));
        }
    }

    @Test
    void handshakeWithOptionsOff() throws Exception
    {
        final StackConfig off = TestWire.small().withOptions(false, false, false);
        try (TestWire w = new TestWire(TestWire.small(), off, 7))
        {
            final Pair p = new Pair(w, false);
            final TestWire.Seg synAck = w.from('B').get(0);
            assertEquals(1460, synAck.mss());
            assertFalse(synAck.sackPermitted() || synAck.ts());
            assertEquals(TcpOptions.ABSENT, synAck.windowScale());
            final TcpInfo info = p.client.info(w.now);
            assertFalse(info.timestamps() || info.sack());
            assertEquals(1460, info.mss());
            final byte[] data = pattern(200_000, 1);
            assertArrayEquals(data, transfer(w, p.client, p.server, data, 20 * S));
        }
    }

    @Test
    void dataBothDirectionsAndOrderlyClose() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final Pair p = new Pair(w, false);
            final byte[] up = pattern(1_000_000, 2);
            final byte[] down = pattern(300_000, 3);
            assertArrayEquals(up, transfer(w, p.client, p.server, up, 30 * S));
            assertArrayEquals(down, transfer(w, p.server, p.client, down, 30 * S));
            p.client.appClose(w.now);
            assertEquals(TcpState.FIN_WAIT_1, p.client.state());
            w.run(100 * MS);
            assertTrue(p.server.finReceived());
            assertEquals(TcpState.CLOSE_WAIT, p.server.state());
            assertEquals(TcpState.FIN_WAIT_2, p.client.state());
            p.server.appClose(w.now);
            w.run(100 * MS);
            assertEquals(TcpState.TIME_WAIT, p.client.state());
            assertEquals(TcpState.CLOSED, p.server.state());
            assertEquals(ConnectionEvents.CLOSED_NORMALLY, p.se.closed == -1 ? 0 : p.se.closed);
            w.run(61 * S);
            assertEquals(TcpState.CLOSED, p.client.state());
            assertEquals(0, w.a.tcp.connections());
            assertEquals(0, w.b.tcp.connections());
        }
    }

    @Test
    void ipv6HandshakeAndData() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final Pair p = new Pair(w, true);
            assertEquals(1500 - 60 - 12, p.client.info(w.now).mss());
            final byte[] data = pattern(100_000, 4);
            assertArrayEquals(data, transfer(w, p.client, p.server, data, 20 * S));
        }
    }

    @Test
    void simultaneousOpen() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TestWire.Events ea = new TestWire.Events();
            final TestWire.Events eb = new TestWire.Events();
            final TcpConnection ca = w.a.tcp.connect(0, TestWire.B4, 5000, 0, 0, 4000, ea, w.now);
            final TcpConnection cb = w.b.tcp.connect(0, TestWire.A4, 4000, 0, 0, 5000, eb, w.now);
            assertTrue(w.runUntil(() -> ca.state() == TcpState.ESTABLISHED && cb.state() == TcpState.ESTABLISHED, 5 * S));
            assertEquals(1, ea.connected);
            assertEquals(1, eb.connected);
            final byte[] data = pattern(50_000, 5);
            assertArrayEquals(data, transfer(w, ca, cb, data, 10 * S));
        }
    }

    @Test
    void simultaneousClose() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final Pair p = new Pair(w, false);
            p.client.appClose(w.now);
            p.server.appClose(w.now);
            w.run(20 * MS);
            assertEquals(TcpState.TIME_WAIT, p.client.state());
            assertEquals(TcpState.TIME_WAIT, p.server.state());
        }
    }

    @Test
    void connectToClosedPortIsRefused() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TestWire.Events e = new TestWire.Events();
            final TcpConnection c = w.a.tcp.connect(0, TestWire.B4, 81, 0, 0, 0, e, w.now);
            w.run(50 * MS);
            assertEquals(ConnectionEvents.REFUSED, e.closed);
            assertEquals(TcpState.CLOSED, c.state());
            final TestWire.Seg rst = w.last('B');
            assertTrue(rst.rst() && rst.ackFlag());
            assertEquals(0, rst.seq());
            assertEquals(w.from('A').get(0).seq() + 1, rst.ack());
        }
    }

    @Test
    void ackToNoSocketGetsResetAtItsAck() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            w.inject(w.b, 1234, 81, 1000, 777_777, TcpConnection.ACK, 1000, 10);
            final TestWire.Seg rst = w.last('B');
            assertTrue(rst.rst() && !rst.ackFlag());
            assertEquals(777_777, rst.seq());
        }
    }

    @Test
    void rfc5961ChallengeAcks() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final Pair p = new Pair(w, false);
            final int rcvNxt = p.server.rcvNxt;
            final int port = p.client.localPort();
            // in-window RST, not exact: challenge ACK, connection survives
            w.inject(w.b, port, 80, rcvNxt + 100, 0, TcpConnection.RST, 0, 0);
            TestWire.Seg s = w.last('B');
            assertTrue(s.ackFlag() && !s.rst());
            assertEquals(rcvNxt, s.ack());
            assertEquals(TcpState.ESTABLISHED, p.server.state());
            // SYN on an established connection: challenge ACK
            w.inject(w.b, port, 80, rcvNxt + 5, 0, TcpConnection.SYN, 1000, 0);
            s = w.last('B');
            assertTrue(s.ackFlag() && !s.syn());
            assertEquals(TcpState.ESTABLISHED, p.server.state());
            // ACK for data never sent: challenge ACK, dropped
            w.inject(w.b, port, 80, rcvNxt, p.server.sndNxt + 100_000, TcpConnection.ACK, 1000, 0);
            assertEquals(3, w.b.tcp.counter(TcpCounters.CHALLENGE_ACKS));
            // the exact RST resets
            w.inject(w.b, port, 80, rcvNxt, 0, TcpConnection.RST, 0, 0);
            assertEquals(TcpState.CLOSED, p.server.state());
            assertEquals(ConnectionEvents.RESET, p.se.closed);
        }
    }

    @Test
    void closeWithUnreadDataResets() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final Pair p = new Pair(w, false);
            final byte[] d = pattern(1000, 6);
            p.client.sendBuffer().write(d, 0, d.length);
            p.client.appSend(w.now);
            w.run(20 * MS);
            assertEquals(1000, p.server.receiveBuffer().size());
            p.server.appClose(w.now);
            assertTrue(w.last('B').rst());
            w.run(20 * MS);
            assertEquals(ConnectionEvents.RESET, p.ce.closed);
            assertEquals(1, w.b.tcp.counter(TcpCounters.ABORT_ON_DATA));
        }
    }

    @Test
    void synRetransmittedWithBackoffThenTimesOut() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            w.dropIf = s -> s.from() == 'A';
            final TestWire.Events e = new TestWire.Events();
            w.a.tcp.connect(0, TestWire.B4, 80, 0, 0, 0, e, w.now);
            w.run(200 * S);
            final List<TestWire.Seg> syns = w.from('A');
            assertEquals(7, syns.size()); // the SYN and synRetries = 6 retransmissions
            for (int i = 1; i < 5; i++)
            {
                final long gap = syns.get(i + 1).timeNs() - syns.get(i).timeNs();
                final long prev = syns.get(i).timeNs() - syns.get(i - 1).timeNs();
                assertTrue(Math.abs(gap - 2 * prev) <= 3 * MS, "backoff doubles: " + prev + " then " + gap);
            }
            assertEquals(ConnectionEvents.TIMED_OUT, e.closed);
        }
    }

    @Test
    void timeWaitReopenedByNewerSyn() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TestWire.Events se = new TestWire.Events();
            w.a.tcp.listen(0, 0, 80, 16, se, w.now);
            final TestWire.Events ce = new TestWire.Events();
            final TcpConnection c = w.b.tcp.connect(0, TestWire.A4, 80, 0, 0, 4444, ce, w.now);
            assertTrue(w.runUntil(() -> !se.accepted.isEmpty(), S));
            final TcpConnection s = se.accepted.get(0);
            s.appClose(w.now); // the server closes first: it holds TIME_WAIT
            w.run(10 * MS);
            c.appClose(w.now);
            w.run(10 * MS);
            assertEquals(TcpState.TIME_WAIT, s.state());
            w.run(2 * S);
            final TestWire.Events ce2 = new TestWire.Events();
            final TcpConnection c2 = w.b.tcp.connect(0, TestWire.A4, 80, 0, 0, 4444, ce2, w.now);
            assertTrue(w.runUntil(() -> ce2.connected == 1, S), "the same pair opens again");
            w.run(20 * MS);
            assertEquals(2, se.accepted.size());
            assertEquals(TcpState.ESTABLISHED, c2.state());
        }
    }

    @Test
    void orphanInFinWait2IsClosedAfterFinTimeout() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final Pair p = new Pair(w, false);
            p.client.appClose(w.now);
            w.run(100 * MS);
            assertEquals(TcpState.FIN_WAIT_2, p.client.state());
            w.run(61 * S);
            assertEquals(TcpState.CLOSED, p.client.state());
            assertTrue(w.last('A').rst(), "Linux resets when the orphan's FIN_WAIT_2 time runs out");
            assertEquals(0, w.a.tcp.connections());
        }
    }

    @Test
    void shutdownInSynReceivedSendsFinAfterTheHandshake() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TestWire.Events ea = new TestWire.Events();
            final TestWire.Events eb = new TestWire.Events();
            final TcpConnection ca = w.a.tcp.connect(0, TestWire.B4, 5000, 0, 0, 4000, ea, w.now);
            final TcpConnection cb = w.b.tcp.connect(0, TestWire.A4, 4000, 0, 0, 5000, eb, w.now);
            w.run(6 * MS); // both SYNs crossed: SYN_RECEIVED
            assertEquals(TcpState.SYN_RECEIVED, ca.state());
            ca.appShutdown(w.now);
            w.run(50 * MS);
            assertEquals(TcpState.FIN_WAIT_2, ca.state());
            assertTrue(cb.finReceived());
            assertEquals(TcpState.CLOSE_WAIT, cb.state());
        }
    }

    @Test
    void icmpErrorsDuringConnect() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            w.dropIf = s -> true;
            final TestWire.Events hard = new TestWire.Events();
            final TcpConnection c1 = w.a.tcp.connect(0, TestWire.B4, 80, 0, 0, 0, hard, w.now);
            final TestWire.Events soft = new TestWire.Events();
            final TcpConnection c2 = w.a.tcp.connect(0, TestWire.B4, 81, 0, 0, 0, soft, w.now);
            final long quoted = w.a.allocate();
            for (final TcpConnection c : List.of(c1, c2))
            {
                io.flowgate.nativebindings.Memory.putShortBE(quoted, c.localPort());
                io.flowgate.nativebindings.Memory.putShortBE(quoted + 2, c.remotePort());
                io.flowgate.nativebindings.Memory.putIntBE(quoted + 4, c.iss);
                w.a.tcp.icmpError(c == c1 ? io.flowgate.stack.ip.Transport.ERROR_UNREACHABLE_HARD
                    : io.flowgate.stack.ip.Transport.ERROR_UNREACHABLE_SOFT, 3, quoted, 8, 0, TestWire.A4, 0, TestWire.B4, w.now);
            }
            assertEquals(ConnectionEvents.UNREACHABLE, hard.closed);
            assertEquals(TcpState.SYN_SENT, c2.state(), "a soft error keeps trying");
            w.run(200 * S);
            assertEquals(ConnectionEvents.UNREACHABLE, soft.closed);
        }
    }
}
