package io.flowgate.stack.api;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/** A bound UDP socket. Contract skeleton: built by the IP/UDP part. */
public final class UdpSocket implements AutoCloseable
{
    UdpSocket()
    {
    }

    /** {@link HostSockets#bindUdp}'s work, on the stack thread: binds in the stack's UDP layer. */
    static UdpSocket open(final io.flowgate.stack.Stack stack, final long hi, final long lo, final int port,
                          final UdpHandler handler) throws io.flowgate.stack.StackException
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Sends one datagram (from any thread); false when it could not be queued (no buffer, no route, too large). */
    public boolean send(final InetSocketAddress to, final ByteBuffer payload)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Takes the oldest queued datagram into {@code dst} (truncated like recvfrom); returns its sender, or null when none. */
    public InetSocketAddress receive(final ByteBuffer dst)
    {
        throw new UnsupportedOperationException("contract");
    }

    public int port()
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public void close()
    {
        throw new UnsupportedOperationException("contract");
    }
}
