package io.flowgate.stack.udp;

/**
 * One bound UDP socket in the UDP layer: its local address and port, its receive queue (stack thread
 * produces, the application consumes) and its send queue (the application produces, {@link Udp#flush}
 * consumes on the stack thread). {@code api.UdpSocket} is its face to the application.
 */
public final class UdpEndpoint
{
    /** The socket's callbacks, on the stack thread. */
    public interface Events
    {
        void readable();

        void error(int kind, int info);
    }

    final long hi;
    final long lo;
    final int port;
    final DatagramRing receiveQueue;
    final DatagramRing sendQueue;
    final Events events;
    UdpEndpoint nextOnPort;
    volatile boolean closed;

    UdpEndpoint(final long hi, final long lo, final int port, final int receiveBuffer, final int sendBuffer,
                final Events events)
    {
        this.hi = hi;
        this.lo = lo;
        this.port = port;
        this.receiveQueue = new DatagramRing(receiveBuffer);
        this.sendQueue = new DatagramRing(sendBuffer);
        this.events = events;
    }

    public int port()
    {
        return port;
    }

    public long addressHi()
    {
        return hi;
    }

    public long addressLo()
    {
        return lo;
    }

    public DatagramRing receiveQueue()
    {
        return receiveQueue;
    }

    public DatagramRing sendQueue()
    {
        return sendQueue;
    }

    public boolean isClosed()
    {
        return closed;
    }
}
