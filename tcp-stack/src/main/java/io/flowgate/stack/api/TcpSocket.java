package io.flowgate.stack.api;

import io.flowgate.stack.tcp.TcpInfo;
import java.nio.ByteBuffer;

/**
 * A connected TCP socket for Java code: non-blocking, callable from one application thread at a time (or from
 * its handler on the stack thread). Reads and writes go straight to the connection's rings (no hop through the
 * stack thread); the stack is nudged when it has something to do. Contract skeleton: built by the api part.
 */
public final class TcpSocket
{
    TcpSocket()
    {
    }

    /** Reads into {@code dst}: the bytes read, 0 when nothing is there now, -1 at end of stream. */
    public int read(final ByteBuffer dst)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Reads into native memory. */
    public int read(final long address, final int length)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Writes from {@code src}: the bytes taken (0 when the send buffer is full: wait for onWritable), -1 when output is closed. */
    public int write(final ByteBuffer src)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Writes from native memory. */
    public int write(final long address, final int length)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Bytes readable now. */
    public int readable()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Room in the send buffer now. */
    public int writable()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** shutdown(SHUT_WR). */
    public void shutdownOutput()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** close(): orderly release in the background; unread data resets the connection, as in Linux. */
    public void close()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** A reset now (SO_LINGER 0). */
    public void abort()
    {
        throw new UnsupportedOperationException("contract");
    }

    public void setNoDelay(final boolean on)
    {
        throw new UnsupportedOperationException("contract");
    }

    public void setKeepAlive(final boolean on)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** A snapshot (runs on the stack thread; waits when called from another). */
    public TcpInfo info()
    {
        throw new UnsupportedOperationException("contract");
    }

    public Object attachment()
    {
        throw new UnsupportedOperationException("contract");
    }

    public void attach(final Object attachment)
    {
        throw new UnsupportedOperationException("contract");
    }
}
