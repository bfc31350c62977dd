package io.flowgate.stack.api;

import io.flowgate.stack.StackException;
import io.flowgate.stack.buffer.ByteRing;
import io.flowgate.stack.buffer.ByteRingPool;
import io.flowgate.stack.tcp.ConnectionEvents;
import io.flowgate.stack.tcp.TcpInfo;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TcpSocketTest
{
    /** A connection stand-in over two rings: records the app* calls and lets a test play the stack's side. */
    static final class FakeEndpoint implements Endpoint
    {
        final ByteRing send;
        final ByteRing receive;
        final List<String> calls = new ArrayList<>();
        volatile boolean fin;
        volatile boolean outputClosed;
        ConnectionEvents events;

        FakeEndpoint(final ByteRingPool pool, final int capacity)
        {
            send = pool.acquire(capacity);
            receive = pool.acquire(capacity);
        }

        @Override
        public ByteRing sendBuffer()
        {
            return send;
        }

        @Override
        public ByteRing receiveBuffer()
        {
            return receive;
        }

        @Override
        public boolean finReceived()
        {
            return fin;
        }

        @Override
        public boolean outputClosed()
        {
            return outputClosed;
        }

        @Override
        public void events(final ConnectionEvents events)
        {
            this.events = events;
        }

        @Override
        public void appSend(final long nowNs)
        {
            calls.add("send");
        }

        @Override
        public void appReceived(final long nowNs)
        {
            calls.add("received");
        }

        @Override
        public void appShutdown(final long nowNs)
        {
            calls.add("shutdown");
            outputClosed = true;
        }

        @Override
        public void appClose(final long nowNs)
        {
            calls.add("close");
        }

        @Override
        public void appAbort(final long nowNs)
        {
            calls.add("abort");
        }

        @Override
        public void noDelay(final boolean on)
        {
            calls.add("nodelay " + on);
        }

        @Override
        public void keepAlive(final boolean on, final long nowNs)
        {
            calls.add("keepalive " + on);
        }

        @Override
        public TcpInfo info(final long nowNs)
        {
            return HostSockets.listenerInfo(0, 0, 1, 2, 3, "cubic");
        }
    }

    static final class Recording implements TcpHandler
    {
        final AtomicInteger writable = new AtomicInteger();
        final AtomicInteger readable = new AtomicInteger();
        final List<Integer> closed = new ArrayList<>();

        @Override
        public void onReadable(final TcpSocket socket)
        {
            readable.incrementAndGet();
        }

        @Override
        public void onWritable(final TcpSocket socket)
        {
            writable.incrementAndGet();
        }

        @Override
        public void onClosed(final TcpSocket socket, final int reason)
        {
            closed.add(reason);
        }
    }

    private final ByteRingPool pool = new ByteRingPool(1 << 16);
    private final CommandQueue commands = new CommandQueue(64);
    private final FakeEndpoint endpoint = new FakeEndpoint(pool, 64);
    private final Recording handler = new Recording();
    private final TcpSocket socket = new TcpSocket(commands, handler);

    {
        socket.bind(endpoint);
        endpoint.events(socket.events());
    }

    @AfterEach
    void close()
    {
        pool.close();
    }

    @Test
    void shouldWriteIntoTheSendRingAndHandItToTheConnectionOncePerNudge()
    {
        assertEquals(5, socket.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5})));
        assertEquals(3, socket.write(ByteBuffer.allocateDirect(3)));
        assertEquals(8, endpoint.send.size());
        assertEquals(1, commands.drain(1), "two writes, one nudge");
        assertEquals(List.of("send"), endpoint.calls);
        assertEquals(0, commands.drain(2));
    }

    @Test
    void shouldCallOnWritableOnlyAfterAShortWriteAndOnlyOnce()
    {
        endpoint.events.writable(); // room, but nobody asked
        assertEquals(0, handler.writable.get());
        final ByteBuffer big = ByteBuffer.allocate(100);
        assertEquals(64, socket.write(big));
        assertEquals(36, big.remaining());
        commands.drain(1);
        assertEquals(0, handler.writable.get(), "still full");
        endpoint.send.release(10); // the stack's ACK processing
        endpoint.events.writable();
        endpoint.events.writable();
        assertEquals(1, handler.writable.get());
    }

    @Test
    void shouldFireWritableFromTheNudgeWhenRoomOpenedBeforeIt()
    {
        assertEquals(64, socket.write(ByteBuffer.allocate(80)));
        endpoint.send.release(64); // acknowledged before the stack ran the nudge
        commands.drain(1);
        assertEquals(1, handler.writable.get());
    }

    @Test
    void shouldReadThenReportEndOfStreamOnlyAfterTheDataDrained()
    {
        endpoint.receive.write(new byte[] {9, 8, 7}, 0, 3);
        endpoint.fin = true;
        final ByteBuffer dst = ByteBuffer.allocate(2);
        assertEquals(2, socket.read(dst));
        dst.clear();
        assertEquals(1, socket.read(dst));
        assertEquals(7, dst.get(0));
        assertEquals(-1, socket.read(ByteBuffer.allocate(4)));
        commands.drain(1);
        assertEquals(List.of("received"), endpoint.calls);
    }

    @Test
    void shouldReturnZeroWhenNothingToReadAndNotNudge()
    {
        assertEquals(0, socket.read(ByteBuffer.allocate(4)));
        assertEquals(0, commands.drain(1));
    }

    @Test
    void shouldFlushPendingDataBeforeCloseAndIgnoreTheSocketAfterwards()
    {
        socket.write(ByteBuffer.allocate(10));
        socket.close();
        socket.close();
        assertEquals(List.of("send", "close"), endpoint.calls, "inline before the stack runs");
        assertEquals(-1, socket.write(ByteBuffer.allocate(1)));
        assertEquals(-1, socket.read(ByteBuffer.allocate(1)));
        commands.drain(1);
        assertEquals(List.of("send", "close"), endpoint.calls, "the late nudge does not reach the connection");
    }

    @Test
    void shouldRefuseWritesAfterShutdownAndPassOptions()
    {
        socket.setNoDelay(true);
        socket.setKeepAlive(true);
        socket.shutdownOutput();
        assertEquals(-1, socket.write(ByteBuffer.allocate(1)));
        assertEquals(List.of("nodelay true", "send", "keepalive true", "shutdown"), endpoint.calls);
        assertEquals(1, socket.info().localPort());
        socket.abort();
        assertEquals("abort", endpoint.calls.getLast());
    }

    @Test
    void shouldRunControlCallsOnTheStackThreadOnceItDrains() throws Exception
    {
        commands.drain(1); // this thread is now the stack thread
        final Thread app = new Thread(socket::close);
        app.start();
        while (endpoint.calls.isEmpty())
        {
            commands.drain(2);
            Thread.onSpinWait();
        }
        app.join();
        assertEquals(List.of("close"), endpoint.calls);
        assertTrue(commands.onStackThread());
    }

    @Test
    void shouldAcceptWithTheApplicationsHandlerOrRefuseWithNull()
    {
        final TcpListener refusing = new TcpListener(null, commands, 0, 0, 80, s -> null);
        assertNull(refusing.accept(endpoint));
        final TcpSocket[] accepted = new TcpSocket[1];
        final TcpListener accepting = new TcpListener(null, commands, 0, 0, 80, s ->
        {
            accepted[0] = s;
            return handler;
        });
        final ConnectionEvents events = accepting.accept(endpoint);
        events.readable();
        events.closed(ConnectionEvents.RESET);
        assertEquals(1, handler.readable.get());
        assertEquals(List.of(ConnectionEvents.RESET), handler.closed);
        assertEquals(80, accepting.port());
        endpoint.receive.write(new byte[] {1}, 0, 1);
        assertEquals(1, accepted[0].readable());
    }

    @Test
    void shouldAnnounceDataThatCameBeforeTheAcceptAtTheNextDrain()
    {
        endpoint.receive.write(new byte[] {1, 2}, 0, 2);
        final TcpListener listener = new TcpListener(null, commands, 0, 0, 80, s -> handler);
        listener.accept(endpoint);
        assertEquals(0, handler.readable.get(), "not inside the accept");
        commands.drain(1);
        assertEquals(1, handler.readable.get());
    }

    @Test
    void shouldPropagateTheStacksRefusal()
    {
        final StackException e = assertThrows(StackException.class, () -> commands.call(now ->
        {
            throw new StackException("address in use");
        }));
        assertEquals("address in use", e.getMessage());
        assertSame(socket, commands.callUnchecked(now -> socket));
    }
}
