package io.flowgate.stack.api;

/**
 * An application's callbacks for one TCP socket, run on the stack thread: they must not block (a callback that
 * blocks stops the whole host stack). They may call the socket's methods.
 */
public interface TcpHandler
{
    /** connect() completed. */
    default void onConnected(final TcpSocket socket)
    {
    }

    /** Data or end of stream can be read ({@link TcpSocket#read} returns > 0 or -1). */
    default void onReadable(final TcpSocket socket)
    {
    }

    /** After a write that did not take everything: the send buffer has room again. */
    default void onWritable(final TcpSocket socket)
    {
    }

    /** The connection is over; {@code reason} is a {@code ConnectionEvents} constant. Close the socket to free it. */
    default void onClosed(final TcpSocket socket, final int reason)
    {
    }
}
