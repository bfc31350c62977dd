package io.flowgate.stack.api;

/** A UDP socket's callbacks, on the stack thread; must not block. */
public interface UdpHandler
{
    /** Datagrams are queued: {@link UdpSocket#receive} returns them. */
    default void onReadable(final UdpSocket socket)
    {
    }

    /** An ICMP error for a datagram this socket sent ({@code Transport.ERROR_*}), as a connected Linux UDP socket sees it. */
    default void onError(final UdpSocket socket, final int kind, final int info)
    {
    }
}
