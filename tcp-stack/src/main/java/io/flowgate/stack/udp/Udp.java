package io.flowgate.stack.udp;

import io.flowgate.nativebindings.Memory;
import io.flowgate.stack.InetAddr;
import io.flowgate.stack.StackConfig;
import io.flowgate.stack.StackException;
import io.flowgate.stack.ip.InetChecksum;
import io.flowgate.stack.ip.PacketSender;
import io.flowgate.stack.ip.Transport;

/**
 * The UDP layer: sockets by local address and port, datagrams queued per socket (bounded by the receive
 * buffer, drops counted as Linux's RcvbufErrors), ICMP errors to the socket that sent the quoted datagram.
 * Datagrams to no socket: {@link #deliver} returns false and the IP layer ({@code Stack}, which holds the IP
 * header to quote) sends the rate-limited ICMP port unreachable. Stack thread, except as noted.
 * <p>
 * Counters are Linux's {@code Udp:} MIB.
 */
public final class Udp implements Transport
{
    private static final int PROTOCOL = 17;

    private final StackConfig config;
    private final PacketSender out;
    /** Endpoints by local port, chained when several addresses share a port. */
    private final UdpEndpoint[] byPort = new UdpEndpoint[65536];
    private UdpEndpoint[] endpoints = new UdpEndpoint[16];
    private int endpointCount;
    private int nextEphemeral;
    private final long[] source = new long[2];
    private boolean closed;
    private boolean backlogged;

    public long inDatagrams;
    public long noPorts;
    public long inErrors;
    public long inCsumErrors;
    public long rcvbufErrors;
    public long outDatagrams;
    public long sndbufErrors;
    /** Datagrams not sent: no route or no source address (Linux: the sendmsg fails with ENETUNREACH). */
    public long outNoRoutes;
    /** Datagrams dropped because they exceed the route's MTU (the stack does not fragment what it sends). */
    public long outTooBig;

    public Udp(final StackConfig config, final PacketSender out)
    {
        this.config = config;
        this.out = out;
        this.nextEphemeral = config.ephemeralLow();
    }

    /**
     * Binds (stack thread, or any thread before the stack runs): {@code port} 0 picks a free ephemeral port;
     * the unspecified address binds both families. Refused when the address and port are in use (a bind to
     * any conflicts with every address on the port), the address is not the box's, or the stack is closed.
     */
    public UdpEndpoint bind(final long hi, final long lo, final int port, final UdpEndpoint.Events events)
        throws StackException
    {
        if (closed)
        {
            throw new StackException("stack closed");
        }
        if (port < 0 || port > 65535)
        {
            throw new StackException("port out of range: " + port);
        }
        if (!wildcard(hi, lo) && !out.isLocal(hi, lo))
        {
            throw new StackException("cannot assign requested address " + InetAddr.toString(hi, lo));
        }
        int p = port;
        if (p == 0)
        {
            p = ephemeral(hi, lo);
            if (p == 0)
            {
                throw new StackException("no free ephemeral port");
            }
        }
        else if (inUse(hi, lo, p))
        {
            throw new StackException("address in use: " + InetAddr.toString(hi, lo) + " port " + p);
        }
        final UdpEndpoint e = new UdpEndpoint(hi, lo, p, config.udpReceiveBuffer(), config.udpReceiveBuffer(), events);
        e.nextOnPort = byPort[p];
        byPort[p] = e;
        if (endpointCount == endpoints.length)
        {
            endpoints = java.util.Arrays.copyOf(endpoints, endpointCount * 2);
        }
        endpoints[endpointCount++] = e;
        return e;
    }

    /** Unbinds and frees the socket's queues (stack thread). */
    public void unbind(final UdpEndpoint e)
    {
        if (e.closed && !contains(e))
        {
            return;
        }
        synchronized (e.sendQueue)
        {
            e.closed = true;
        }
        UdpEndpoint prev = null;
        for (UdpEndpoint c = byPort[e.port]; c != null; c = c.nextOnPort)
        {
            if (c == e)
            {
                if (prev == null)
                {
                    byPort[e.port] = c.nextOnPort;
                }
                else
                {
                    prev.nextOnPort = c.nextOnPort;
                }
                break;
            }
            prev = c;
        }
        for (int i = 0; i < endpointCount; i++)
        {
            if (endpoints[i] == e)
            {
                endpoints[i] = endpoints[--endpointCount];
                endpoints[endpointCount] = null;
                break;
            }
        }
        e.receiveQueue.close();
        e.sendQueue.close();
    }

    public int boundCount()
    {
        return endpointCount;
    }

    /** The socket a datagram to {@code dst}:{@code port} goes to: an exact address match, else one bound to any. */
    public UdpEndpoint lookup(final long dstHi, final long dstLo, final int port)
    {
        UdpEndpoint any = null;
        for (UdpEndpoint c = byPort[port]; c != null; c = c.nextOnPort)
        {
            if (c.hi == dstHi && c.lo == dstLo)
            {
                return c;
            }
            if (InetAddr.isAny(c.hi, c.lo) || isAnyV4(c.hi, c.lo) && InetAddr.isV4(dstHi, dstLo))
            {
                any = c;
            }
        }
        return any;
    }

    @Override
    public void receive(final long address, final int length, final long srcHi, final long srcLo, final long dstHi,
                        final long dstLo, final int port, final long nowNs)
    {
        deliver(address, length, srcHi, srcLo, dstHi, dstLo);
    }

    /**
     * A datagram for the box (UDP header at {@code address}, {@code length} bytes as given by its length field,
     * checksum verified): queued on its socket; false when no socket has the port (the caller answers port
     * unreachable). A full queue drops it (RcvbufErrors) and still returns true.
     */
    public boolean deliver(final long address, final int length, final long srcHi, final long srcLo, final long dstHi,
                           final long dstLo)
    {
        final UdpEndpoint e = lookup(dstHi, dstLo, Memory.getShortBE(address + 2));
        if (e == null)
        {
            noPorts++;
            return false;
        }
        if (!e.receiveQueue.offer(address + 8, length - 8, Memory.getShortBE(address), srcHi, srcLo))
        {
            rcvbufErrors++;
            inErrors++;
            return true;
        }
        inDatagrams++;
        if (e.events != null)
        {
            e.events.readable();
        }
        return true;
    }

    @Override
    public void icmpError(final int kind, final int info, final long quoted, final int quotedLength, final long localHi,
                          final long localLo, final long remoteHi, final long remoteLo, final long nowNs)
    {
        if (quotedLength < 8)
        {
            return;
        }
        final UdpEndpoint e = lookup(localHi, localLo, Memory.getShortBE(quoted));
        if (e != null && e.events != null)
        {
            e.events.error(kind, info);
        }
    }

    /**
     * Sends what one socket queued (stack thread: its nudge); returns datagrams sent. When packet buffers run
     * out the rest waits for {@link #flush(long)} in a later duty cycle.
     */
    public int flush(final UdpEndpoint e, final long nowNs)
    {
        int sent = 0;
        long record;
        while (!e.closed && (record = e.sendQueue.peek()) != 0)
        {
            final int result = send(e, record, nowNs);
            if (result < 0)
            {
                backlogged = true;
                return sent;
            }
            e.sendQueue.release(record);
            sent += result;
        }
        return sent;
    }

    /**
     * Each duty cycle: when a socket's sends stopped for want of packet buffers, sends what every socket queued;
     * else nothing (sockets are flushed when nudged). Returns datagrams sent.
     */
    public int flush(final long nowNs)
    {
        if (!backlogged)
        {
            return 0;
        }
        backlogged = false;
        int sent = 0;
        for (int i = 0; i < endpointCount && !backlogged; i++)
        {
            sent += flush(endpoints[i], nowNs);
        }
        return sent;
    }

    /** 1 sent, 0 dropped (no route, too large), -1 no packet buffer. */
    private int send(final UdpEndpoint e, final long record, final long nowNs)
    {
        final long dstHi = DatagramRing.hi(record);
        final long dstLo = DatagramRing.lo(record);
        final int length = DatagramRing.length(record) + 8;
        final boolean v6 = !InetAddr.isV4(dstHi, dstLo);
        long srcHi = e.hi;
        long srcLo = e.lo;
        if (wildcard(srcHi, srcLo))
        {
            if (isAnyV4(srcHi, srcLo) && v6 || !out.sourceFor(dstHi, dstLo, source))
            {
                outNoRoutes++;
                return 0;
            }
            srcHi = source[0];
            srcLo = source[1];
        }
        else if (InetAddr.isV4(srcHi, srcLo) == v6)
        {
            outNoRoutes++;
            return 0;
        }
        if (length > out.maxTransportLength(v6) || length > 65535)
        {
            sndbufErrors++;
            return 0;
        }
        final int mtu = out.routeMtu(dstHi, dstLo);
        if (mtu == 0)
        {
            outNoRoutes++;
            return 0;
        }
        if (length + (v6 ? PacketSender.IPV6_HEADER : PacketSender.IPV4_HEADER) > mtu)
        {
            outTooBig++; // no fragmentation on send: Linux would fragment (IP_PMTUDISC_WANT) or fail with EMSGSIZE
            return 0;
        }
        final long packet = out.allocate();
        if (packet == 0)
        {
            return -1;
        }
        final long udp = out.transport(packet, v6);
        Memory.putShortBE(udp, e.port);
        Memory.putShortBE(udp + 2, DatagramRing.port(record));
        Memory.putShortBE(udp + 4, length);
        Memory.putShortBE(udp + 6, 0);
        Memory.copy(DatagramRing.payload(record), udp + 8, length - 8);
        int checksum = InetChecksum.compute(srcHi, srcLo, dstHi, dstLo, PROTOCOL, udp, length);
        if (checksum == 0)
        {
            checksum = 0xFFFF;
        }
        Memory.putShortBE(udp + 6, checksum);
        out.send(packet, srcHi, srcLo, dstHi, dstLo, PROTOCOL, length, false, nowNs);
        outDatagrams++;
        return 1;
    }

    /** Unbinds every socket; later binds are refused. */
    public void close()
    {
        while (endpointCount > 0)
        {
            unbind(endpoints[endpointCount - 1]);
        }
        closed = true;
    }

    public boolean isClosed()
    {
        return closed;
    }

    private boolean contains(final UdpEndpoint e)
    {
        for (int i = 0; i < endpointCount; i++)
        {
            if (endpoints[i] == e)
            {
                return true;
            }
        }
        return false;
    }

    private boolean inUse(final long hi, final long lo, final int port)
    {
        for (UdpEndpoint c = byPort[port]; c != null; c = c.nextOnPort)
        {
            if (overlap(hi, lo, c.hi, c.lo))
            {
                return true;
            }
        }
        return false;
    }

    /** The unspecified address (both families) or 0.0.0.0 held mapped (IPv4 only). */
    public static boolean wildcard(final long hi, final long lo)
    {
        return InetAddr.isAny(hi, lo) || isAnyV4(hi, lo);
    }

    private static boolean isAnyV4(final long hi, final long lo)
    {
        return hi == 0 && lo == InetAddr.V4_MAPPED_PREFIX;
    }

    /** True when two bound addresses would receive the same datagrams. */
    private static boolean overlap(final long aHi, final long aLo, final long bHi, final long bLo)
    {
        if (InetAddr.isAny(aHi, aLo) || InetAddr.isAny(bHi, bLo))
        {
            return true;
        }
        if (isAnyV4(aHi, aLo))
        {
            return InetAddr.isV4(bHi, bLo);
        }
        if (isAnyV4(bHi, bLo))
        {
            return InetAddr.isV4(aHi, aLo);
        }
        return aHi == bHi && aLo == bLo;
    }

    private int ephemeral(final long hi, final long lo)
    {
        final int low = config.ephemeralLow();
        final int range = config.ephemeralHigh() - low + 1;
        for (int i = 0; i < range; i++)
        {
            final int p = low + (nextEphemeral - low + i) % range;
            if (!inUse(hi, lo, p))
            {
                nextEphemeral = p + 1 > config.ephemeralHigh() ? low : p + 1;
                return p;
            }
        }
        return 0;
    }
}
