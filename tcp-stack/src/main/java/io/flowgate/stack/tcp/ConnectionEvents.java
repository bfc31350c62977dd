package io.flowgate.stack.tcp;

/**
 * What a connection tells its socket (the api layer's {@code TcpSocket}), on the stack thread. The socket then
 * calls the application's handler.
 */
public interface ConnectionEvents
{
    /** {@link #closed}'s reason: both sides closed in order (FIN exchanged, or TIME_WAIT entered). */
    int CLOSED_NORMALLY = 0;
    /** The peer reset the connection (ECONNRESET), or refused it in SYN_SENT (ECONNREFUSED: see {@link #REFUSED}). */
    int RESET = 1;
    /** connect() was answered with a reset. */
    int REFUSED = 2;
    /** Retransmissions (or keepalive probes, or SYNs) ran out (ETIMEDOUT). */
    int TIMED_OUT = 3;
    /** A hard ICMP error during connect (EHOSTUNREACH/ENETUNREACH after SYN retries, or port/protocol unreachable). */
    int UNREACHABLE = 4;
    /** The application aborted it (a reset was sent). */
    int ABORTED = 5;
    /** The stack was closed. */
    int STACK_CLOSED = 6;

    /** The three-way handshake completed (connect only; accepted connections are announced by ListenerEvents). */
    void connected();

    /** In-order data (or the peer's FIN) became readable. */
    void readable();

    /** Send buffer space opened after the application found it full. */
    void writable();

    /** The connection is finished for the application; {@code reason} is one of the constants. */
    void closed(int reason);
}
