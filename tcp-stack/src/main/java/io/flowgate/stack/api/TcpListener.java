package io.flowgate.stack.api;

import io.flowgate.stack.tcp.ConnectionEvents;
import io.flowgate.stack.tcp.Listener;
import io.flowgate.stack.tcp.ListenerEvents;
import io.flowgate.stack.tcp.TcpConnection;

/**
 * A listening TCP socket. Its {@link ListenerEvents} wrap each accepted connection in a {@link TcpSocket} and
 * ask the application's {@link AcceptHandler} for its handler (stack thread).
 */
public final class TcpListener implements AutoCloseable
{
    private final HostSockets owner;
    private final CommandQueue commands;
    private final AcceptHandler acceptHandler;
    private final Events events = new Events();
    private final long hi;
    private final long lo;
    private final int port;
    private Listener listener;
    private boolean closed;

    TcpListener(final HostSockets owner, final CommandQueue commands, final long hi, final long lo, final int port, final AcceptHandler acceptHandler)
    {
        this.owner = owner;
        this.commands = commands;
        this.hi = hi;
        this.lo = lo;
        this.port = port;
        this.acceptHandler = acceptHandler;
    }

    void bind(final Listener listener)
    {
        this.listener = listener;
    }

    ListenerEvents events()
    {
        return events;
    }

    Listener listener()
    {
        return listener;
    }

    long addressHi()
    {
        return hi;
    }

    long addressLo()
    {
        return lo;
    }

    public int port()
    {
        return listener != null ? listener.localPort() : port;
    }

    @Override
    public void close()
    {
        commands.callUnchecked(nowNs ->
        {
            if (!closed && listener != null)
            {
                closed = true;
                listener.close(nowNs);
                if (owner != null)
                {
                    owner.forget(listener);
                }
            }
            return null;
        });
    }

    /**
     * Stack thread: a connection left the accept queue. Returns its events sink, or null (the core resets it) when
     * the application's handler is null. Data that arrived with the handshake is announced at once.
     */
    ConnectionEvents accept(final Endpoint endpoint)
    {
        final TcpSocket socket = new TcpSocket(commands, null);
        socket.bind(endpoint);
        final TcpHandler handler = acceptHandler.onAccept(socket);
        if (handler == null)
        {
            return null;
        }
        socket.handler(handler);
        socket.announceIfReadable();
        return socket.events();
    }

    private final class Events implements ListenerEvents
    {
        @Override
        public ConnectionEvents accepted(final TcpConnection connection)
        {
            return accept(Endpoint.of(connection));
        }
    }
}
