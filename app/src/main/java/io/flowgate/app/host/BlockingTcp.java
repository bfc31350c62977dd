package io.flowgate.app.host;

import io.flowgate.stack.StackException;
import io.flowgate.stack.api.HostSockets;
import io.flowgate.stack.api.TcpHandler;
import io.flowgate.stack.api.TcpSocket;
import io.flowgate.stack.tcp.ConnectionEvents;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A client connection on the host stack for one ordinary (management) thread: connect, read and write that wait,
 * by parking until the stack thread's callbacks unpark it. What {@code flowgate tcp fetch} and {@code tcp send}
 * run; not for the data path.
 */
final class BlockingTcp implements TcpHandler, AutoCloseable
{
    private final Thread owner = Thread.currentThread();
    private final long timeoutNs;
    private volatile boolean connected;
    private volatile int closedReason = -1;
    private TcpSocket socket;

    private BlockingTcp(final long timeoutNs)
    {
        this.timeoutNs = timeoutNs;
    }

    /** Connects, waiting at most {@code timeoutNs} for the handshake. */
    static BlockingTcp connect(final HostSockets sockets, final InetAddress remote, final int port, final long timeoutNs)
        throws StackException, IOException
    {
        final BlockingTcp tcp = new BlockingTcp(timeoutNs);
        tcp.socket = sockets.connect(remote, port, tcp);
        final long deadline = System.nanoTime() + timeoutNs;
        while (!tcp.connected)
        {
            tcp.checkClosed();
            tcp.park(deadline, "connect to " + remote.getHostAddress() + ":" + port);
        }
        return tcp;
    }

    TcpSocket socket()
    {
        return socket;
    }

    /** Reads at least one byte into {@code dst}, or -1 at end of stream; waits at most the timeout for data. */
    int read(final ByteBuffer dst) throws IOException
    {
        final long deadline = System.nanoTime() + timeoutNs;
        while (true)
        {
            final int n = socket.read(dst);
            if (n != 0 || !dst.hasRemaining())
            {
                return n;
            }
            checkClosed();
            park(deadline, "read");
        }
    }

    /** Writes all of {@code length} bytes from {@code address}, waiting for room; each wait at most the timeout. */
    void writeFully(final long address, final int length) throws IOException
    {
        int done = 0;
        long deadline = System.nanoTime() + timeoutNs;
        while (done < length)
        {
            final int n = socket.write(address + done, length - done);
            if (n < 0)
            {
                throw new IOException("connection closed for output");
            }
            if (n > 0)
            {
                done += n;
                deadline = System.nanoTime() + timeoutNs;
                continue;
            }
            checkClosed();
            park(deadline, "write");
        }
    }

    /** Writes all of {@code src}. */
    void writeFully(final ByteBuffer src) throws IOException
    {
        final long deadline = System.nanoTime() + timeoutNs;
        while (src.hasRemaining())
        {
            if (socket.write(src) < 0)
            {
                throw new IOException("connection closed for output");
            }
            if (src.hasRemaining())
            {
                checkClosed();
                park(deadline, "write");
            }
        }
    }

    private void checkClosed() throws IOException
    {
        final int reason = closedReason;
        if (reason >= 0 && reason != ConnectionEvents.CLOSED_NORMALLY)
        {
            throw new IOException(switch (reason)
            {
                case ConnectionEvents.RESET -> "connection reset by peer";
                case ConnectionEvents.REFUSED -> "connection refused";
                case ConnectionEvents.TIMED_OUT -> "connection timed out";
                case ConnectionEvents.UNREACHABLE -> "no route to host";
                case ConnectionEvents.ABORTED -> "connection aborted";
                default -> "the host stack stopped";
            });
        }
    }

    private void park(final long deadline, final String what) throws IOException
    {
        final long left = deadline - System.nanoTime();
        if (left <= 0)
        {
            throw new IOException(what + " timed out after " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms");
        }
        LockSupport.parkNanos(this, Math.min(left, 1_000_000)); // also polls: a missed unpark costs at most 1 ms
    }

    @Override
    public void onConnected(final TcpSocket s)
    {
        connected = true;
        LockSupport.unpark(owner);
    }

    @Override
    public void onReadable(final TcpSocket s)
    {
        LockSupport.unpark(owner);
    }

    @Override
    public void onWritable(final TcpSocket s)
    {
        LockSupport.unpark(owner);
    }

    @Override
    public void onClosed(final TcpSocket s, final int reason)
    {
        closedReason = reason;
        LockSupport.unpark(owner);
    }

    @Override
    public void close()
    {
        if (socket != null)
        {
            socket.close();
        }
    }
}
