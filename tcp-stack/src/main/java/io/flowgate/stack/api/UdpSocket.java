package io.flowgate.stack.api;

import io.flowgate.stack.InetAddr;
import io.flowgate.stack.Stack;
import io.flowgate.stack.StackException;
import io.flowgate.stack.udp.DatagramRing;
import io.flowgate.stack.udp.UdpEndpoint;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * A bound UDP socket. {@link #send} copies the datagram into the socket's off-heap send queue (no allocation
 * per datagram beyond what {@link InetSocketAddress} itself costs) and nudges the stack, which sends it in its
 * next duty cycle.
 * {@link #receive} takes from the socket's receive queue, bounded by {@code StackConfig.udpReceiveBuffer}.
 * One thread sends and one thread receives at a time (each queue is single-producer single-consumer; concurrent
 * senders are serialised on the send queue).
 */
public final class UdpSocket implements AutoCloseable
{
    private final Stack stack;
    private UdpEndpoint endpoint;
    /** Queued on the stack's command queue when a send needs the stack thread: at most once, allocation-free. */
    private final CommandQueue.Nudge flush = new CommandQueue.Nudge()
    {
        @Override
        protected void onNudge(final long nowNs)
        {
            stack.udp().flush(endpoint, nowNs);
        }
    };

    UdpSocket()
    {
        this.stack = null;
    }

    private UdpSocket(final Stack stack)
    {
        this.stack = stack;
    }

    /** {@link HostSockets#bindUdp}'s work, on the stack thread: binds in the stack's UDP layer. */
    static UdpSocket open(final Stack stack, final long hi, final long lo, final int port, final UdpHandler handler)
        throws StackException
    {
        final UdpSocket socket = new UdpSocket(stack);
        socket.endpoint = stack.udp().bind(hi, lo, port, new UdpEndpoint.Events()
        {
            @Override
            public void readable()
            {
                if (handler != null)
                {
                    handler.onReadable(socket);
                }
            }

            @Override
            public void error(final int kind, final int info)
            {
                if (handler != null)
                {
                    handler.onError(socket, kind, info);
                }
            }
        });
        return socket;
    }

    /** Opens a socket outside {@link HostSockets} (tests, and the stack's own users): same as {@link #open}. */
    public static UdpSocket bind(final Stack stack, final long hi, final long lo, final int port, final UdpHandler handler)
        throws StackException
    {
        return open(stack, hi, lo, port, handler);
    }

    /** Sends one datagram (from any thread); false when it could not be queued (no buffer, no route, too large). */
    public boolean send(final InetSocketAddress to, final ByteBuffer payload)
    {
        final UdpEndpoint e = endpoint;
        if (e.isClosed() || to.getAddress() == null || payload.remaining() > 65535 - 8)
        {
            return false;
        }
        final long hi = InetAddr.hi(to.getAddress());
        final long lo = InetAddr.lo(to.getAddress());
        if (!InetAddr.isAny(e.addressHi(), e.addressLo()) && InetAddr.isV4(hi, lo) != InetAddr.isV4(e.addressHi(), e.addressLo()))
        {
            return false; // a socket bound to an address of one family (or to 0.0.0.0) sends only to that family
        }
        if (payload.remaining() + 8 > stack.ip().maxTransportLength(!InetAddr.isV4(hi, lo)))
        {
            return false; // larger than a packet buffer: the stack does not fragment
        }
        final DatagramRing queue = e.sendQueue();
        final boolean queued;
        synchronized (queue)
        {
            queued = !e.isClosed() && queue.offer(payload, to.getPort(), hi, lo);
        }
        if (queued)
        {
            stack.commands().nudge(flush);
        }
        return queued;
    }

    /** Takes the oldest queued datagram into {@code dst} (truncated like recvfrom); returns its sender, or null when none. */
    public InetSocketAddress receive(final ByteBuffer dst)
    {
        final UdpEndpoint e = endpoint;
        if (e.isClosed())
        {
            return null;
        }
        final DatagramRing queue = e.receiveQueue();
        final long record = queue.peek();
        if (record == 0)
        {
            return null;
        }
        DatagramRing.copyOut(record, dst);
        final InetSocketAddress from = new InetSocketAddress(
            InetAddr.toInetAddress(DatagramRing.hi(record), DatagramRing.lo(record)), DatagramRing.port(record));
        queue.release(record);
        return from;
    }

    public int port()
    {
        return endpoint.port();
    }

    @Override
    public void close()
    {
        final UdpEndpoint e = endpoint;
        if (e == null || e.isClosed())
        {
            return;
        }
        final CommandQueue commands = stack.commands();
        if (commands != null && commands.running() && !commands.onStackThread())
        {
            commands.offer(() -> stack.udp().unbind(e));
        }
        else
        {
            stack.udp().unbind(e);
        }
    }
}
