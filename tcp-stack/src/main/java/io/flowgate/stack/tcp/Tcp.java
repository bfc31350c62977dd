package io.flowgate.stack.tcp;

import io.flowgate.stack.StackConfig;
import io.flowgate.stack.StackException;
import io.flowgate.stack.buffer.ByteRingPool;
import io.flowgate.stack.ip.PacketSender;
import io.flowgate.stack.ip.Transport;
import io.flowgate.stack.timer.TimerWheel;
import java.util.function.Consumer;

/**
 * The TCP layer: demultiplexes segments to connections (4-tuple hash) and listeners (local address and port),
 * answers segments for no socket with a reset (RFC 9293 3.10.7.1), opens connections, and keeps the counters
 * that {@code nstat} would show (Linux's TcpExt names where there is one). Stack thread, except
 * {@link #counter}. Contract skeleton: built by the TCP core part.
 */
public final class Tcp implements Transport
{
    public Tcp(final StackConfig config, final PacketSender out, final TimerWheel timers, final ByteRingPool buffers,
               final long seed)
    {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * listen(): {@code (hi, lo)} any (0, 0) or one of the box's addresses; {@code backlog} capped by somaxconn.
     * Throws when the address is not local or the port is taken by another listener.
     */
    public Listener listen(final long hi, final long lo, final int port, final int backlog, final ListenerEvents events,
                           final long nowNs) throws StackException
    {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * connect(): sends a SYN (with the options the configuration allows) from the route's source address
     * (or {@code localHi/localLo} when not any) and an ephemeral port (or {@code localPort} when not 0).
     * Throws when there is no route or no free port.
     */
    public TcpConnection connect(final long remoteHi, final long remoteLo, final int remotePort, final long localHi,
                                 final long localLo, final int localPort, final ConnectionEvents events, final long nowNs)
        throws StackException
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public void receive(final long address, final int length, final long srcHi, final long srcLo, final long dstHi,
                        final long dstLo, final int port, final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public void icmpError(final int kind, final int info, final long quoted, final int quotedLength, final long localHi,
                          final long localLo, final long remoteHi, final long remoteLo, final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Every connection (all states, TIME_WAIT included), for ss. */
    public void forEach(final Consumer<TcpConnection> action)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Every listener, for ss -l. */
    public void forEachListener(final Consumer<Listener> action)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Any thread: one of the counters named by {@link TcpCounters}. */
    public long counter(final int counter)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** The stack stops: every connection is reset and its memory returned. */
    public void close(final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }
}
