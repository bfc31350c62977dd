package io.flowgate.stack.tcp;

import io.flowgate.stack.buffer.ByteRing;

/**
 * One TCP connection (a TCB, RFC 9293 3.3.1), on the stack thread only except where a method says otherwise.
 * Its byte streams are two {@link ByteRing}s the application reads and writes from its own thread through the
 * api layer's {@code TcpSocket}; the {@code app*} methods are how the api layer (on the stack thread) tells the
 * connection what the application did. Lifecycle: the rings are returned to the pool only when the connection
 * is CLOSED (or TIME_WAIT, whose state needs no buffers) <em>and</em> the application called {@link #appClose}
 * or {@link #appAbort}, so the application thread never touches a ring that was given back.
 * Contract skeleton: built by the TCP core part.
 */
public final class TcpConnection
{
    TcpConnection()
    {
    }

    /** Sets where events go (the api layer's socket). */
    public void events(final ConnectionEvents events)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** The send buffer: the application's producer side, the connection's consumer side. */
    public ByteRing sendBuffer()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** The receive buffer: the connection's producer side, the application's consumer side. */
    public ByteRing receiveBuffer()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** One of {@link TcpState}; safe to read from any thread (a volatile field), the rest is stack-thread state. */
    public int state()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** True once the peer's FIN was received (in order): reads return end of stream after the buffer drains. Any thread. */
    public boolean finReceived()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** True once the application may no longer write (shutdown, close, reset). Any thread. */
    public boolean outputClosed()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** The application appended to the send buffer: send what the windows and Nagle allow. */
    public void appSend(final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** The application consumed from the receive buffer: send a window update when RFC 9293 3.8.6.2.2 says so. */
    public void appReceived(final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** shutdown(SHUT_WR): a FIN after the queued data. */
    public void appShutdown(final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * close(): shutdown, and the application reads no more: unread data (now or arriving later) resets the
     * connection as Linux does (RFC 9293 3.10.4, RFC 2525 2.17); otherwise the close completes in the background
     * (FIN_WAIT, TIME_WAIT) and the rings are returned when it is done.
     */
    public void appClose(final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** abort (SO_LINGER 0): a reset now. */
    public void appAbort(final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** TCP_NODELAY: Nagle off when true. */
    public void noDelay(final boolean on)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** SO_KEEPALIVE. */
    public void keepAlive(final boolean on, final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    public long localHi()
    {
        throw new UnsupportedOperationException("contract");
    }

    public long localLo()
    {
        throw new UnsupportedOperationException("contract");
    }

    public int localPort()
    {
        throw new UnsupportedOperationException("contract");
    }

    public long remoteHi()
    {
        throw new UnsupportedOperationException("contract");
    }

    public long remoteLo()
    {
        throw new UnsupportedOperationException("contract");
    }

    public int remotePort()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** A snapshot for ss (stack thread). */
    public TcpInfo info(final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }
}
