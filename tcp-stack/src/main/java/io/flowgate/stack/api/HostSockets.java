package io.flowgate.stack.api;

import io.flowgate.stack.Stack;
import io.flowgate.stack.StackException;
import io.flowgate.stack.tcp.TcpInfo;
import java.net.InetAddress;
import java.util.List;

/**
 * The socket API of the host stack, callable from any thread. Control calls (listen, connect, bind, close) run on
 * the stack thread: from another thread they are queued to it and the caller waits for the answer (they are not
 * data-path calls); before the stack thread runs they execute at once. Contract skeleton: built by the api part.
 */
public final class HostSockets
{
    public HostSockets(final Stack stack)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** listen() on {@code address} (null: any address of either family) and {@code port}. */
    public TcpListener listen(final InetAddress address, final int port, final int backlog, final AcceptHandler handler)
        throws StackException
    {
        throw new UnsupportedOperationException("contract");
    }

    /** connect() to a remote address; completion is {@code onConnected} or {@code onClosed}. */
    public TcpSocket connect(final InetAddress remote, final int port, final TcpHandler handler) throws StackException
    {
        throw new UnsupportedOperationException("contract");
    }

    /** A UDP socket bound to {@code address} (null: any) and {@code port} (0: ephemeral). */
    public UdpSocket bindUdp(final InetAddress address, final int port, final UdpHandler handler) throws StackException
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Runs {@code task} on the stack thread (soon; not waiting). */
    public void execute(final Runnable task)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Every TCP connection and listener, as ss lists them. */
    public List<TcpInfo> connections()
    {
        throw new UnsupportedOperationException("contract");
    }
}
