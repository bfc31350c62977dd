package io.flowgate.stack.tcp;

/** What a listening socket tells the api layer, on the stack thread. */
public interface ListenerEvents
{
    /**
     * A connection completed its handshake and left the accept queue: return its events sink (the api layer
     * wraps it in a {@code TcpSocket} and asks the application for a handler), or null to reset it.
     */
    ConnectionEvents accepted(TcpConnection connection);
}
