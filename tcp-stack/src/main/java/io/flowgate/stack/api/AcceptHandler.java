package io.flowgate.stack.api;

/** A listening socket's callback, on the stack thread: a new connection; return its handler (null resets it). */
@FunctionalInterface
public interface AcceptHandler
{
    TcpHandler onAccept(TcpSocket socket);
}
