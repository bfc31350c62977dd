package io.flowgate.stack.api;

import io.flowgate.stack.InetAddr;
import io.flowgate.stack.StackConfig;
import io.flowgate.stack.StackException;
import io.flowgate.stack.tcp.ConnectionEvents;
import io.flowgate.stack.tcp.TcpInfo;
import io.flowgate.stack.tcp.TcpState;
import io.flowgate.stack.tcp.WireForApi;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The socket API over the TCP core end to end: two TCP layers on the core's in-memory wire, each with its own
 * command queue drained (as Stack.doWork does) in every millisecond step; this thread is both stack threads.
 */
class SocketsOverWireTest
{
    private static final int TOTAL = 3 << 20;

    /** Client: writes TOTAL bytes of i % 251, reads the echo back and checks it, closes at the end. */
    private static final class Client implements TcpHandler
    {
        final ByteBuffer out = ByteBuffer.allocate(40_000);
        final ByteBuffer in = ByteBuffer.allocate(50_000);
        long written;
        long read;
        long mismatchAt = -1;
        boolean connected;
        boolean eof;
        int writableCalls;
        final List<Integer> closed = new ArrayList<>();

        @Override
        public void onConnected(final TcpSocket socket)
        {
            connected = true;
            onWritable(socket);
        }

        @Override
        public void onWritable(final TcpSocket socket)
        {
            writableCalls++;
            while (written < TOTAL)
            {
                out.clear();
                final int n = (int)Math.min(out.capacity(), TOTAL - written);
                for (int i = 0; i < n; i++)
                {
                    out.put(i, (byte)((written + i) % 251));
                }
                out.limit(n);
                final int w = socket.write(out);
                written += w;
                if (w < n)
                {
                    return;
                }
            }
            socket.shutdownOutput();
        }

        @Override
        public void onReadable(final TcpSocket socket)
        {
            int r;
            while ((r = socket.read(in.clear())) > 0)
            {
                for (int i = 0; i < r; i++)
                {
                    if (in.get(i) != (byte)((read + i) % 251) && mismatchAt < 0)
                    {
                        mismatchAt = read + i;
                    }
                }
                read += r;
            }
            if (r < 0)
            {
                eof = true;
                socket.close();
            }
        }

        @Override
        public void onClosed(final TcpSocket socket, final int reason)
        {
            closed.add(reason);
        }
    }

    /** Server: echoes, reading only what the send buffer can take. */
    private static final class Echo implements TcpHandler
    {
        final ByteBuffer buffer = ByteBuffer.allocate(16 << 10).limit(0);
        boolean closedBack;

        @Override
        public void onReadable(final TcpSocket socket)
        {
            while (true)
            {
                if (buffer.hasRemaining())
                {
                    socket.write(buffer);
                    if (buffer.hasRemaining())
                    {
                        return;
                    }
                }
                buffer.clear();
                final int r = socket.read(buffer);
                buffer.flip();
                if (r < 0)
                {
                    closedBack = true;
                    socket.close();
                    return;
                }
                if (r == 0)
                {
                    return;
                }
            }
        }

        @Override
        public void onWritable(final TcpSocket socket)
        {
            onReadable(socket);
        }
    }

    @Test
    void shouldEchoThreeMegabytesThroughTheSocketsAndCloseBothSides() throws StackException
    {
        try (WireForApi wire = new WireForApi(StackConfig.linuxDefaults().withBuffers(256 << 10, 256 << 10)))
        {
            wire.lossRate(0.01);
            final CommandQueue queueA = new CommandQueue(64);
            final CommandQueue queueB = new CommandQueue(64);
            final HostSockets a = new HostSockets(null, queueA, wire.tcpA(), "cubic");
            final HostSockets b = new HostSockets(null, queueB, wire.tcpB(), "cubic");
            queueA.drain(wire.nowNs());
            queueB.drain(wire.nowNs());
            final Echo echo = new Echo();
            final int[] accepts = new int[1];
            final TcpListener listener = b.listen(null, 7, 16, socket ->
            {
                accepts[0]++;
                return echo;
            });
            final Client client = new Client();
            final TcpSocket socket = a.connect(InetAddr.toInetAddress(0, wire.addressB()), 7, client);
            final BooleanSupplier done = () -> client.eof && echo.closedBack;
            for (int ms = 0; ms < 120_000 && !done.getAsBoolean(); ms++)
            {
                wire.step();
                queueA.drain(wire.nowNs());
                queueB.drain(wire.nowNs());
            }
            assertTrue(client.connected);
            assertEquals(1, accepts[0]);
            assertEquals(TOTAL, client.written);
            assertEquals(TOTAL, client.read, "all echoed");
            assertEquals(-1, client.mismatchAt, "in order, intact");
            assertTrue(client.writableCalls > 1, "the send buffer filled and onWritable came back");
            assertTrue(echo.closedBack);
            final List<TcpInfo> ss = b.connections();
            assertEquals(TcpState.LISTEN, ss.get(0).state());
            assertEquals(7, ss.get(0).localPort());
            listener.close();
            for (int ms = 0; ms < 200; ms++)
            {
                wire.step();
                queueA.drain(wire.nowNs());
                queueB.drain(wire.nowNs());
            }
            assertTrue(b.connections().stream().noneMatch(i -> i.state() == TcpState.LISTEN));
            assertTrue(client.closed.isEmpty() || client.closed.get(0) == ConnectionEvents.CLOSED_NORMALLY, client.closed.toString());
            assertEquals(-1, socket.read(ByteBuffer.allocate(1)));
        }
    }
}
