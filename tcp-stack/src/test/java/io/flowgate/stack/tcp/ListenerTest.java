package io.flowgate.stack.tcp;

import static io.flowgate.stack.tcp.TcpCoreTest.S;
import static io.flowgate.stack.tcp.TcpCoreTest.pattern;
import static io.flowgate.stack.tcp.TcpCoreTest.transfer;
import static io.flowgate.stack.tcp.TestWire.MS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.stack.StackConfig;
import io.flowgate.stack.StackException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Listeners: SYN queue, SYN-ACK retransmission, SYN cookies, the accept queue. */
class ListenerTest
{
    @Test
    void synCookiesAlwaysKeepOptionsThroughTimestamps() throws Exception
    {
        final StackConfig cookies = TestWire.small().withSynCookies(StackConfig.SYN_COOKIES_ALWAYS);
        try (TestWire w = new TestWire(TestWire.small(), cookies, 3))
        {
            final TestWire.Events se = new TestWire.Events();
            w.b.tcp.listen(0, 0, 80, 16, se, w.now);
            final TestWire.Events ce = new TestWire.Events();
            final TcpConnection c = w.a.tcp.connect(0, TestWire.B4, 80, 0, 0, 0, ce, w.now);
            assertTrue(w.runUntil(() -> !se.accepted.isEmpty(), S));
            assertEquals(1, w.b.tcp.counter(TcpCounters.SYNCOOKIES_SENT));
            assertEquals(1, w.b.tcp.counter(TcpCounters.SYNCOOKIES_RECV));
            final TcpConnection s = se.accepted.get(0);
            final TcpInfo info = s.info(w.now);
            assertTrue(info.timestamps());
            assertTrue(info.sack(), "SACK survived in the TSval");
            // The cookie carried the client's shift (as Linux's cookie_init_timestamp); ours is recomputed. Before: the
            // server took 0 for the client's shift and read its scaled windows as bytes.
            final TcpInfo client = c.info(w.now);
            assertTrue(client.rcvWscale() > 0, "the client scales its window: " + client.rcvWscale());
            assertEquals(client.rcvWscale(), info.sndWscale(), "the client's window scale survived in the TSval");
            assertEquals(client.sndWscale(), info.rcvWscale(), "the shift the SYN-ACK announced");
            final byte[] d = pattern(300_000, 9);
            assertArrayEquals(d, transfer(w, c, s, d, 20 * S));
            assertArrayEquals(d, transfer(w, s, c, d, 20 * S));
        }
    }

    @Test
    void synBacklogOverflowSwitchesToCookies() throws Exception
    {
        final StackConfig small = TestWire.small().withSynBacklog(2);
        try (TestWire w = new TestWire(TestWire.small(), small, 4))
        {
            final TestWire.Events se = new TestWire.Events();
            w.b.tcp.listen(0, 0, 80, 16, se, w.now);
            // the first two handshakes stay half-open (their final ACKs are lost) when the third SYN arrives
            final int[] ports = new int[2];
            w.dropIf = s -> s.from() == 'A' && !s.syn() && (s.srcPort() == ports[0] || s.srcPort() == ports[1]);
            for (int i = 0; i < 3; i++)
            {
                final TcpConnection c = w.a.tcp.connect(0, TestWire.B4, 80, 0, 0, 0, new TestWire.Events(), w.now);
                if (i < 2)
                {
                    ports[i] = c.localPort();
                }
            }
            w.run(20 * MS);
            assertEquals(1, w.b.tcp.counter(TcpCounters.SYNCOOKIES_SENT));
            w.dropIf = null;
            w.run(5 * S);
            assertEquals(3, se.accepted.size(), "all complete (the cookie one and the SYN-ACK retransmissions)");
            assertEquals(1, w.b.tcp.counter(TcpCounters.SYNCOOKIES_RECV));
        }
    }

    @Test
    void synAckRetransmittedThenGivenUp() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TestWire.Events se = new TestWire.Events();
            final Listener l = w.b.tcp.listen(0, 0, 80, 16, se, w.now);
            w.dropIf = s -> s.from() == 'B';
            w.a.tcp.connect(0, TestWire.B4, 80, 0, 0, 0, new TestWire.Events(), w.now);
            w.run(30 * MS);
            assertEquals(1, l.synQueueLength());
            w.dropIf = s -> true;
            w.run(100 * S);
            final long synAcks = w.from('B').stream().filter(s -> s.syn() && s.ackFlag()).count();
            assertEquals(1 + 5, synAcks, "synAckRetries = 5");
            assertEquals(0, l.synQueueLength());
            assertEquals(0, w.b.tcp.connections());
        }
    }

    @Test
    void acceptQueueOverflowDropsTheFinalAck() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TestWire.Events se = new TestWire.Events();
            final Listener l = w.b.tcp.listen(0, 0, 80, 1, se, w.now);
            l.pauseAccept(true, w.now);
            final TestWire.Events e1 = new TestWire.Events();
            final TestWire.Events e2 = new TestWire.Events();
            w.a.tcp.connect(0, TestWire.B4, 80, 0, 0, 0, e1, w.now);
            w.run(20 * MS);
            w.a.tcp.connect(0, TestWire.B4, 80, 0, 0, 0, e2, w.now);
            w.run(20 * MS);
            assertEquals(1, l.acceptQueueLength());
            // the second SYN met a full accept queue: dropped as Linux does
            assertTrue(w.b.tcp.counter(TcpCounters.LISTEN_OVERFLOWS) >= 1);
            assertEquals(1, e1.connected);
            assertEquals(0, e2.connected);
            l.pauseAccept(false, w.now);
            assertEquals(1, se.accepted.size());
            assertTrue(w.runUntil(() -> se.accepted.size() == 2, 10 * S), "the second completes once there is room");
        }
    }

    @Test
    void listenerRules() throws Exception
    {
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TestWire.Events se = new TestWire.Events();
            final Listener l = w.b.tcp.listen(0, 0, 80, 10_000, se, w.now);
            assertEquals(4096, l.backlog(), "capped by somaxconn");
            assertThrows(StackException.class, () -> w.b.tcp.listen(0, TestWire.B4, 80, 1, se, w.now));
            assertThrows(StackException.class, () -> w.b.tcp.listen(0, TestWire.A4, 81, 1, se, w.now));
            l.close(w.now);
            w.b.tcp.listen(0, TestWire.B4, 80, 1, se, w.now);
            se.refuse = true;
            final TestWire.Events ce = new TestWire.Events();
            w.a.tcp.connect(0, TestWire.B4, 80, 0, 0, 0, ce, w.now);
            w.run(50 * MS);
            assertEquals(ConnectionEvents.RESET, ce.closed, "refused by the application: reset");
            assertFalse(w.b.tcp.connections() > 0);
        }
    }
}
