package io.flowgate.stack.tcp;

import io.flowgate.nativebindings.Memory;
import io.flowgate.stack.InetAddr;
import io.flowgate.stack.StackConfig;
import io.flowgate.stack.ip.InetChecksum;
import java.util.ArrayList;

/**
 * A listening socket: its SYN queue (half-open connections, SYN-ACKs retransmitted), its accept queue (bounded
 * by the backlog, as Linux's {@code sk_max_ack_backlog}) and the switch to SYN cookies when the SYN queue
 * overflows. Stack thread.
 * <p>
 * Half-open connections are {@link TcpConnection}s in SYN_RECEIVED without buffers (they take their rings when
 * the handshake completes). Completed connections wait in the accept queue while the application does not
 * accept ({@link #pauseAccept}); otherwise they are announced at once through {@link ListenerEvents#accepted}.
 */
public final class Listener
{
    final Tcp tcp;
    final long hi;
    final long lo;
    final int port;
    private final int backlog;
    private final ListenerEvents events;
    private final TcpConnection[] acceptQueue;
    private int acceptHead;
    private int acceptCount;
    private int synQueue;
    private boolean paused;
    private boolean closed;

    Listener(final Tcp tcp, final long hi, final long lo, final int port, final int backlog, final ListenerEvents events)
    {
        this.tcp = tcp;
        this.hi = hi;
        this.lo = lo;
        this.port = port;
        this.backlog = backlog;
        this.events = events;
        this.acceptQueue = new TcpConnection[backlog + 1];
    }

    public int localPort()
    {
        return port;
    }

    /** Connections waiting in the accept queue (ss's Recv-Q of a listener). */
    public int acceptQueueLength()
    {
        return acceptCount;
    }

    /** Half-open connections (the SYN queue). */
    public int synQueueLength()
    {
        return synQueue;
    }

    /** The backlog (ss's Send-Q of a listener). */
    public int backlog()
    {
        return backlog;
    }

    /**
     * Added to the contract: while paused, completed connections stay in the accept queue (an application that
     * does not call accept); resuming announces them.
     */
    public void pauseAccept(final boolean pause, final long nowNs)
    {
        paused = pause;
        if (!pause)
        {
            drain(nowNs);
        }
    }

    /** Stops listening: half-open and unaccepted connections are reset. */
    public void close(final long nowNs)
    {
        if (closed)
        {
            return;
        }
        closed = true;
        tcp.removeListener(this);
        final ArrayList<TcpConnection> children = new ArrayList<>();
        tcp.forEach(c ->
        {
            if (c.parent == this && !c.accepted)
            {
                children.add(c);
            }
        });
        for (final TcpConnection c : children)
        {
            c.sendReset(nowNs);
            c.toClosed(ConnectionEvents.ABORTED, nowNs);
        }
        acceptCount = 0;
    }

    /** A segment to the listening port that belongs to no connection. */
    void input(final long address, final int hdrLen, final int length, final long srcHi, final long srcLo, final int srcPort,
               final long dstHi, final long dstLo, final int seq, final int ack, final int flags, final int window,
               final TcpOptions o, final long nowNs)
    {
        final StackConfig config = tcp.config;
        if ((flags & TcpConnection.RST) != 0)
        {
            return;
        }
        if ((flags & TcpConnection.ACK) != 0)
        {
            if ((flags & TcpConnection.SYN) == 0 && config.synCookies() != StackConfig.SYN_COOKIES_NEVER
                && cookieAck(address, hdrLen, length, srcHi, srcLo, srcPort, dstHi, dstLo, seq, ack, flags, window, o, nowNs))
            {
                return;
            }
            tcp.sendReset(dstHi, dstLo, port, srcHi, srcLo, srcPort, ack, 0, false, nowNs);
            return;
        }
        if ((flags & TcpConnection.SYN) == 0)
        {
            return;
        }
        if (acceptCount >= backlog)
        {
            tcp.counters.increment(TcpCounters.LISTEN_OVERFLOWS);
            tcp.counters.increment(TcpCounters.LISTEN_DROPS);
            return;
        }
        final boolean full = synQueue >= config.synBacklog();
        if (config.synCookies() == StackConfig.SYN_COOKIES_ALWAYS
            || full && config.synCookies() == StackConfig.SYN_COOKIES_ON_OVERFLOW)
        {
            cookieSynAck(srcHi, srcLo, srcPort, dstHi, dstLo, seq, o, nowNs);
            return;
        }
        if (full || tcp.connections() >= config.maxConnections())
        {
            tcp.counters.increment(TcpCounters.LISTEN_DROPS);
            return;
        }
        final TcpConnection c = new TcpConnection(tcp);
        c.tuple(dstHi, dstLo, port, srcHi, srcLo, srcPort);
        c.parent = this;
        c.irs = seq;
        c.rcvNxt = seq + 1;
        c.negotiate(o, false);
        c.tsRecentNs = nowNs;
        c.iss = tcp.isn.isn(dstHi, dstLo, srcHi, srcLo, port, srcPort, nowNs);
        c.sndUna = c.iss;
        c.sndNxt = c.iss;
        c.sndMax = c.iss;
        c.sndWnd = window; // unscaled on a SYN
        c.setState(TcpState.SYN_RECEIVED);
        c.lastReceiveNs = nowNs;
        tcp.insert(c);
        synQueue++;
        c.sendSyn(nowNs, true);
        tcp.timers.schedule(c.rtxTimer, nowNs + c.rtt.rtoNs());
    }

    /** A stateless SYN-ACK whose ISN is a cookie (and whose TSval carries window scale and SACK). */
    private void cookieSynAck(final long srcHi, final long srcLo, final int srcPort, final long dstHi, final long dstLo,
                              final int seq, final TcpOptions o, final long nowNs)
    {
        final StackConfig config = tcp.config;
        final boolean v6 = !InetAddr.isV4(srcHi, srcLo);
        final int peerMss = o.mss != TcpOptions.ABSENT ? o.mss : (v6 ? 1220 : 536);
        final int cookie = tcp.cookies.generate(srcHi, srcLo, dstHi, dstLo, srcPort, port, seq, peerMss, nowNs);
        final boolean ts = config.timestamps() && o.hasTimestamp;
        final boolean sack = config.sack() && o.sackPermitted;
        final boolean ws = config.windowScaling() && o.windowScale != TcpOptions.ABSENT;
        final int rcvWscale = ws ? TcpConnection.windowScaleFor(config.receiveBuffer()) : 0;
        final int routeMtu = tcp.out.routeMtu(srcHi, srcLo);
        final int ourMss = (routeMtu > 0 ? routeMtu : (v6 ? 1280 : 576)) - (v6 ? 60 : 40);
        final long packet = tcp.out.allocate();
        if (packet == 0)
        {
            tcp.counters.increment(TcpCounters.NO_BUFFER);
            return;
        }
        final long at = tcp.out.transport(packet, v6);
        final int tsVal = ts ? SynCookies.encodeTimestamp((int)(nowNs / 1_000_000L)
            + tcp.isn.timestampOffset(dstHi, dstLo, srcHi, srcLo), ws ? o.windowScale : -1, sack) : 0;
        final int optLen = TcpOptions.writeSyn(at + 20, ourMss, sack, ts, tsVal, o.tsVal, ws ? rcvWscale : -1);
        Tcp.header(at, port, srcPort, cookie, seq + 1, 20 + optLen, TcpConnection.SYN | TcpConnection.ACK,
            Math.min(65535, config.receiveBuffer()));
        Memory.putShortBE(at + 16, InetChecksum.compute(dstHi, dstLo, srcHi, srcLo, Tcp.PROTOCOL, at, 20 + optLen));
        tcp.out.send(packet, dstHi, dstLo, srcHi, srcLo, Tcp.PROTOCOL, 20 + optLen, true, nowNs);
        tcp.counters.increment(TcpCounters.OUT_SEGS);
        tcp.counters.increment(TcpCounters.SYNCOOKIES_SENT);
    }

    /** The ACK of a cookie SYN-ACK: the connection rebuilt from the cookie (and the echoed TSval); false if not one. */
    private boolean cookieAck(final long address, final int hdrLen, final int length, final long srcHi, final long srcLo,
                              final int srcPort, final long dstHi, final long dstLo, final int seq, final int ack,
                              final int flags, final int window, final TcpOptions o, final long nowNs)
    {
        final int mss = tcp.cookies.check(srcHi, srcLo, dstHi, dstLo, srcPort, port, seq - 1, ack - 1, nowNs);
        if (mss == 0)
        {
            tcp.counters.increment(TcpCounters.SYNCOOKIES_FAILED);
            return false;
        }
        tcp.counters.increment(TcpCounters.SYNCOOKIES_RECV);
        if (acceptCount >= backlog)
        {
            tcp.counters.increment(TcpCounters.LISTEN_OVERFLOWS);
            return true;
        }
        final StackConfig config = tcp.config;
        final TcpConnection c = new TcpConnection(tcp);
        c.tuple(dstHi, dstLo, port, srcHi, srcLo, srcPort);
        c.parent = this;
        c.cookie = true;
        c.irs = seq - 1;
        c.rcvNxt = seq;
        c.iss = ack - 1;
        c.sndUna = ack;
        c.sndNxt = ack;
        c.sndMax = ack;
        c.peerMss = mss;
        if (config.timestamps() && o.hasTimestamp)
        {
            c.tsOn = true;
            c.tsRecent = o.tsVal;
            c.tsRecentNs = nowNs;
            // The TSval carried the peer's shift (cookie_init_timestamp encodes ireq->snd_wscale); ours is recomputed from
            // the receive buffer, as the SYN-ACK computed it.
            final int ws = SynCookies.decodeWindowScale(o.tsEcr);
            if (ws >= 0 && config.windowScaling())
            {
                c.wsOn = true;
                c.sndWscale = ws;
                c.rcvWscale = c.ourWscale();
            }
            c.sackOn = config.sack() && SynCookies.decodeSack(o.tsEcr);
        }
        c.updateMss();
        c.setState(TcpState.SYN_RECEIVED);
        c.lastReceiveNs = nowNs;
        c.rcvAdvRight = c.rcvNxt + Math.min(65535, config.receiveBuffer());
        tcp.insert(c);
        synQueue++;
        c.sndUna = ack - 1; // so that the ACK is new in input
        c.sndNxt = ack;
        c.input(address, hdrLen, length, seq, ack, flags, window, o, nowNs);
        return true;
    }

    /** The handshake of {@code c} completed: into the accept queue, or false (ACK dropped) when it is full. */
    boolean admit(final TcpConnection c, final long nowNs)
    {
        if (acceptCount >= backlog)
        {
            tcp.counters.increment(TcpCounters.LISTEN_OVERFLOWS);
            return false;
        }
        synQueue--;
        c.acquireRings();
        acceptQueue[(acceptHead + acceptCount) % acceptQueue.length] = c;
        acceptCount++;
        tcp.counters.increment(TcpCounters.PASSIVE_OPENS);
        return true;
    }

    /** Announces queued connections unless the application is not accepting. */
    void drain(final long nowNs)
    {
        while (!paused && acceptCount > 0)
        {
            final TcpConnection c = acceptQueue[acceptHead];
            acceptQueue[acceptHead] = null;
            acceptHead = (acceptHead + 1) % acceptQueue.length;
            acceptCount--;
            c.accepted = true;
            final ConnectionEvents ev = events.accepted(c);
            if (ev == null)
            {
                c.appGone = true;
                c.sendReset(nowNs);
                c.toClosed(ConnectionEvents.ABORTED, nowNs);
            }
            else
            {
                c.events = ev;
                if (c.receiveRing.size() > 0 || c.finReceived())
                {
                    ev.readable(); // data (or a FIN) arrived while it waited in the accept queue
                }
            }
        }
    }

    /** A child left before it was accepted (reset, timed out). */
    void childGone(final TcpConnection c, final int wasState)
    {
        if (wasState == TcpState.SYN_RECEIVED)
        {
            synQueue--;
            return;
        }
        for (int i = 0; i < acceptCount; i++)
        {
            final int at = (acceptHead + i) % acceptQueue.length;
            if (acceptQueue[at] == c)
            {
                for (int j = i; j < acceptCount - 1; j++)
                {
                    acceptQueue[(acceptHead + j) % acceptQueue.length] = acceptQueue[(acceptHead + j + 1) % acceptQueue.length];
                }
                acceptCount--;
                acceptQueue[(acceptHead + acceptCount) % acceptQueue.length] = null;
                return;
            }
        }
    }
}
