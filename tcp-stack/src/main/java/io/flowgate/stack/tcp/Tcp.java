package io.flowgate.stack.tcp;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pipeline.hook.Counters;
import io.flowgate.stack.InetAddr;
import io.flowgate.stack.StackConfig;
import io.flowgate.stack.StackException;
import io.flowgate.stack.buffer.ByteRingPool;
import io.flowgate.stack.ip.InetChecksum;
import io.flowgate.stack.ip.PacketSender;
import io.flowgate.stack.ip.Transport;
import io.flowgate.stack.timer.TimerWheel;
import java.util.function.Consumer;

/**
 * The TCP layer: demultiplexes segments to connections (4-tuple hash) and listeners (local address and port),
 * answers segments for no socket with a reset (RFC 9293 3.10.7.1), opens connections, and keeps the counters
 * that {@code nstat} would show (Linux's TcpExt names where there is one). Stack thread, except
 * {@link #counter}.
 */
public final class Tcp implements Transport
{
    static final int PROTOCOL = 6;
    private static final long SECOND = 1_000_000_000L;
    private static final int CHALLENGE_ACK_LIMIT = 1000;

    final StackConfig config;
    final PacketSender out;
    final TimerWheel timers;
    final ByteRingPool buffers;
    final Isn isn;
    final SynCookies cookies;
    final Counters counters = new Counters(TcpCounters.COUNTERS);
    final int[] sackLeft = new int[TcpOptions.MAX_SACK_BLOCKS];
    final int[] sackRight = new int[TcpOptions.MAX_SACK_BLOCKS];
    private final TcpOptions options = new TcpOptions();
    /** Tail loss probes (Linux's tcp_early_retrans 3); tests of plain RTO behaviour turn them off. */
    boolean tailLossProbe = true;
    private final long[] source = new long[2];

    /** Open addressing with linear probing and backward-shift deletion, keyed by the 4-tuple. */
    private final TcpConnection[] table;
    private final int mask;
    private int connections;
    private Listener[] listeners = new Listener[4];
    private int listenerCount;
    private long challengeWindowNs = Long.MIN_VALUE;
    private int challengeCount;
    private int portCursor;

    // the segment being processed, for a TIME_WAIT pair reopened by a new SYN
    private long curAddress;
    private int curLength;
    private long curSrcHi;
    private long curSrcLo;
    private long curDstHi;
    private long curDstLo;
    private int curPort;

    public Tcp(final StackConfig config, final PacketSender out, final TimerWheel timers, final ByteRingPool buffers,
               final long seed)
    {
        this.config = config;
        this.out = out;
        this.timers = timers;
        this.buffers = buffers;
        this.isn = new Isn(seed);
        this.cookies = new SynCookies(seed * 31 + 7);
        int size = 16;
        while (size < config.maxConnections() * 2)
        {
            size <<= 1;
        }
        this.table = new TcpConnection[size];
        this.mask = size - 1;
    }

    /**
     * listen(): {@code (hi, lo)} any (0, 0) or one of the box's addresses; {@code backlog} capped by somaxconn.
     * Throws when the address is not local or the port is taken by another listener.
     */
    public Listener listen(final long hi, final long lo, final int port, final int backlog, final ListenerEvents events,
                           final long nowNs) throws StackException
    {
        if (!InetAddr.isAny(hi, lo) && !out.isLocal(hi, lo))
        {
            throw new StackException("not a local address: " + InetAddr.toString(hi, lo));
        }
        if (port <= 0 || port > 65535)
        {
            throw new StackException("bad port " + port);
        }
        for (int i = 0; i < listenerCount; i++)
        {
            final Listener l = listeners[i];
            if (l.port == port && (InetAddr.isAny(l.hi, l.lo) || InetAddr.isAny(hi, lo) || l.hi == hi && l.lo == lo))
            {
                throw new StackException("port " + port + " is in use");
            }
        }
        final Listener l = new Listener(this, hi, lo, port, Math.max(1, Math.min(backlog, config.somaxconn())), events);
        if (listenerCount == listeners.length)
        {
            listeners = java.util.Arrays.copyOf(listeners, listenerCount * 2);
        }
        listeners[listenerCount++] = l;
        return l;
    }

    void removeListener(final Listener l)
    {
        for (int i = 0; i < listenerCount; i++)
        {
            if (listeners[i] == l)
            {
                listeners[i] = listeners[--listenerCount];
                listeners[listenerCount] = null;
                return;
            }
        }
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
        long lHi = localHi;
        long lLo = localLo;
        if (InetAddr.isAny(lHi, lLo))
        {
            if (!out.sourceFor(remoteHi, remoteLo, source))
            {
                throw new StackException("no route to " + InetAddr.toString(remoteHi, remoteLo));
            }
            lHi = source[0];
            lLo = source[1];
        }
        if (connections >= config.maxConnections())
        {
            throw new StackException("too many connections");
        }
        int port = localPort;
        if (port == 0)
        {
            port = ephemeralPort(lHi, lLo, remoteHi, remoteLo, remotePort, nowNs);
            if (port == 0)
            {
                throw new StackException("no free local port");
            }
        }
        else
        {
            final TcpConnection old = lookup(lHi, lLo, port, remoteHi, remoteLo, remotePort);
            if (old != null)
            {
                if (old.state() == TcpState.TIME_WAIT && config.timeWaitReuse() && old.tsOn)
                {
                    old.cancelTimers();
                    old.setState(TcpState.CLOSED);
                    remove(old);
                }
                else
                {
                    throw new StackException("address in use");
                }
            }
        }
        final TcpConnection c = new TcpConnection(this);
        c.tuple(lHi, lLo, port, remoteHi, remoteLo, remotePort);
        c.events = events;
        insert(c);
        c.connect(nowNs);
        return c;
    }

    /** Linux's hash-offset scan (__inet_hash_connect): start at a per-destination offset, take the first free pair. */
    private int ephemeralPort(final long lHi, final long lLo, final long rHi, final long rLo, final int rPort,
                              final long nowNs)
    {
        final int low = config.ephemeralLow();
        final int n = config.ephemeralHigh() - low + 1;
        final int offset = (isn.isn(lHi, lLo, rHi, rLo, 0, rPort, 0) & 0x7FFF_FFFF) + portCursor;
        portCursor += 2;
        for (int i = 0; i < n; i++)
        {
            final int port = low + (int)((offset + (long)i) % n);
            if (listenerOn(port))
            {
                continue;
            }
            final TcpConnection old = lookup(lHi, lLo, port, rHi, rLo, rPort);
            if (old == null)
            {
                return port;
            }
        }
        return 0;
    }

    private boolean listenerOn(final int port)
    {
        for (int i = 0; i < listenerCount; i++)
        {
            if (listeners[i].port == port)
            {
                return true;
            }
        }
        return false;
    }

    @Override
    public void inputError(final boolean checksum)
    {
        counters.increment(TcpCounters.IN_SEGS);
        counters.increment(TcpCounters.IN_ERRS);
        if (checksum)
        {
            counters.increment(TcpCounters.IN_CSUM_ERRORS);
        }
    }

    @Override
    public void receive(final long address, final int length, final long srcHi, final long srcLo, final long dstHi,
                        final long dstLo, final int port, final long nowNs)
    {
        counters.increment(TcpCounters.IN_SEGS);
        if (length < 20)
        {
            counters.increment(TcpCounters.IN_ERRS);
            return;
        }
        final int hdrLen = (Memory.getUnsignedByte(address + 12) >>> 4) * 4;
        if (hdrLen < 20 || hdrLen > length)
        {
            counters.increment(TcpCounters.IN_ERRS);
            return;
        }
        final int srcPort = Memory.getShortBE(address);
        final int dstPort = Memory.getShortBE(address + 2);
        final int seq = Memory.getIntBE(address + 4);
        final int ack = Memory.getIntBE(address + 8);
        final int flags = Memory.getUnsignedByte(address + 13);
        final int window = Memory.getShortBE(address + 14);
        final TcpOptions o = options;
        o.mss = TcpOptions.ABSENT;
        o.windowScale = TcpOptions.ABSENT;
        o.sackPermitted = false;
        o.hasTimestamp = false;
        o.sackBlocks = 0;
        if (!o.parse(address, (flags & TcpConnection.SYN) != 0))
        {
            counters.increment(TcpCounters.DROPPED);
            return;
        }
        final TcpConnection c = lookup(dstHi, dstLo, dstPort, srcHi, srcLo, srcPort);
        if (c != null)
        {
            curAddress = address;
            curLength = length;
            curSrcHi = srcHi;
            curSrcLo = srcLo;
            curDstHi = dstHi;
            curDstLo = dstLo;
            curPort = port;
            c.input(address, hdrLen, length, seq, ack, flags, window, o, nowNs);
            return;
        }
        final Listener l = findListener(dstHi, dstLo, dstPort);
        if (l != null)
        {
            l.input(address, hdrLen, length, srcHi, srcLo, srcPort, dstHi, dstLo, seq, ack, flags, window, o, nowNs);
            return;
        }
        if ((flags & TcpConnection.RST) == 0)
        {
            final int segLen = length - hdrLen + ((flags & TcpConnection.SYN) != 0 ? 1 : 0)
                + ((flags & TcpConnection.FIN) != 0 ? 1 : 0);
            if ((flags & TcpConnection.ACK) != 0)
            {
                sendReset(dstHi, dstLo, dstPort, srcHi, srcLo, srcPort, ack, 0, false, nowNs);
            }
            else
            {
                sendReset(dstHi, dstLo, dstPort, srcHi, srcLo, srcPort, 0, seq + segLen, true, nowNs);
            }
        }
    }

    /** The segment being processed again, after its TIME_WAIT pair was closed (a SYN that reopens it). */
    void redeliver(final long nowNs)
    {
        receive(curAddress, curLength, curSrcHi, curSrcLo, curDstHi, curDstLo, curPort, nowNs);
    }

    Listener findListener(final long hi, final long lo, final int port)
    {
        Listener any = null;
        for (int i = 0; i < listenerCount; i++)
        {
            final Listener l = listeners[i];
            if (l.port == port)
            {
                if (l.hi == hi && l.lo == lo)
                {
                    return l;
                }
                if (InetAddr.isAny(l.hi, l.lo))
                {
                    any = l;
                }
            }
        }
        return any;
    }

    @Override
    public void icmpError(final int kind, final int info, final long quoted, final int quotedLength, final long localHi,
                          final long localLo, final long remoteHi, final long remoteLo, final long nowNs)
    {
        if (quotedLength < 8)
        {
            return;
        }
        final int srcPort = Memory.getShortBE(quoted);
        final int dstPort = Memory.getShortBE(quoted + 2);
        final int seq = Memory.getIntBE(quoted + 4);
        final TcpConnection c = lookup(localHi, localLo, srcPort, remoteHi, remoteLo, dstPort);
        if (c == null || seq - c.sndUna < 0 || seq - c.sndNxt > 0)
        {
            return;
        }
        if (kind == ERROR_PACKET_TOO_BIG)
        {
            c.pathMtu(info, nowNs);
        }
        else if (kind == ERROR_UNREACHABLE_HARD && c.state() == TcpState.SYN_SENT)
        {
            c.toClosed(ConnectionEvents.UNREACHABLE, nowNs);
        }
        else
        {
            c.softError = true; // RFC 1122 4.2.3.9: soft, reported only if the connect times out
        }
    }

    /** Every connection (all states, TIME_WAIT included), for ss. */
    public void forEach(final Consumer<TcpConnection> action)
    {
        for (final TcpConnection c : table)
        {
            if (c != null)
            {
                action.accept(c);
            }
        }
    }

    /** Every listener, for ss -l. */
    public void forEachListener(final Consumer<Listener> action)
    {
        for (int i = 0; i < listenerCount; i++)
        {
            action.accept(listeners[i]);
        }
    }

    /** Any thread: one of the counters named by {@link TcpCounters}. */
    public long counter(final int counter)
    {
        return counters.get(counter);
    }

    /** Connections in the table (all states). */
    public int connections()
    {
        return connections;
    }

    /** The stack stops: every connection is reset and its memory returned. */
    public void close(final long nowNs)
    {
        for (int i = 0; i < table.length; i++)
        {
            final TcpConnection c = table[i];
            if (c != null)
            {
                if (c.synchronizedState())
                {
                    c.sendReset(nowNs);
                }
                c.toClosed(ConnectionEvents.STACK_CLOSED, nowNs);
                if (table[i] != null && table[i] != c)
                {
                    i--; // backward shift moved another connection into this slot
                }
            }
        }
        while (listenerCount > 0)
        {
            listeners[0].close(nowNs);
        }
    }

    // ------------------------------------------------------------------------------------------- table

    private int hash(final long lHi, final long lLo, final int lPort, final long rHi, final long rLo, final int rPort)
    {
        long h = lHi * 0x9E3779B97F4A7C15L ^ lLo;
        h = (h ^ rHi) * 0xC2B2AE3D27D4EB4FL;
        h = (h ^ rLo) * 0x165667B19E3779F9L;
        h ^= ((long)lPort << 16 | rPort) * 0x9E3779B97F4A7C15L;
        h ^= h >>> 29;
        return (int)h & mask;
    }

    TcpConnection lookup(final long lHi, final long lLo, final int lPort, final long rHi, final long rLo, final int rPort)
    {
        int i = hash(lHi, lLo, lPort, rHi, rLo, rPort);
        while (true)
        {
            final TcpConnection c = table[i];
            if (c == null)
            {
                return null;
            }
            if (c.localPort == lPort && c.remotePort == rPort && c.localLo == lLo && c.remoteLo == rLo && c.localHi == lHi
                && c.remoteHi == rHi)
            {
                return c;
            }
            i = (i + 1) & mask;
        }
    }

    void insert(final TcpConnection c)
    {
        int i = hash(c.localHi, c.localLo, c.localPort, c.remoteHi, c.remoteLo, c.remotePort);
        while (table[i] != null)
        {
            i = (i + 1) & mask;
        }
        table[i] = c;
        c.slot = i;
        connections++;
    }

    void remove(final TcpConnection c)
    {
        int i = c.slot;
        if (i < 0 || table[i] != c)
        {
            return;
        }
        c.slot = -1;
        connections--;
        table[i] = null;
        int j = i;
        while (true)
        {
            j = (j + 1) & mask;
            final TcpConnection m = table[j];
            if (m == null)
            {
                return;
            }
            final int home = hash(m.localHi, m.localLo, m.localPort, m.remoteHi, m.remoteLo, m.remotePort);
            // move m back to i when its home is not in (i, j]
            final boolean between = i <= j ? home > i && home <= j : home > i || home <= j;
            if (!between)
            {
                table[i] = m;
                m.slot = i;
                table[j] = null;
                i = j;
            }
        }
    }

    // ------------------------------------------------------------------------------------------- output

    boolean challengeAckAllowed(final long nowNs)
    {
        if (nowNs - challengeWindowNs >= SECOND)
        {
            challengeWindowNs = nowNs;
            challengeCount = 0;
        }
        return ++challengeCount <= CHALLENGE_ACK_LIMIT;
    }

    static void header(final long at, final int srcPort, final int dstPort, final int seq, final int ack, final int hdrLen,
                       final int flags, final int window)
    {
        Memory.putShortBE(at, srcPort);
        Memory.putShortBE(at + 2, dstPort);
        Memory.putIntBE(at + 4, seq);
        Memory.putIntBE(at + 8, ack);
        Memory.putByte(at + 12, (byte)((hdrLen / 4) << 4));
        Memory.putByte(at + 13, (byte)flags);
        Memory.putShortBE(at + 14, Math.min(window, 65535));
        Memory.putShort(at + 16, (short)0);
        Memory.putShort(at + 18, (short)0);
    }

    /** A bare reset (RFC 9293 3.10.7.1): {@code <SEQ=seq><CTL=RST>} or {@code <SEQ=0><ACK=ack><CTL=RST,ACK>}. */
    void sendReset(final long lHi, final long lLo, final int lPort, final long rHi, final long rLo, final int rPort,
                   final int seq, final int ack, final boolean withAck, final long nowNs)
    {
        final long packet = out.allocate();
        if (packet == 0)
        {
            counters.increment(TcpCounters.NO_BUFFER);
            return;
        }
        final long at = out.transport(packet, !InetAddr.isV4(rHi, rLo));
        header(at, lPort, rPort, seq, withAck ? ack : 0, 20, withAck ? TcpConnection.RST | TcpConnection.ACK
            : TcpConnection.RST, 0);
        Memory.putShortBE(at + 16, InetChecksum.compute(lHi, lLo, rHi, rLo, PROTOCOL, at, 20));
        out.send(packet, lHi, lLo, rHi, rLo, PROTOCOL, 20, true, nowNs);
        counters.increment(TcpCounters.OUT_RSTS);
        counters.increment(TcpCounters.OUT_SEGS);
    }
}
