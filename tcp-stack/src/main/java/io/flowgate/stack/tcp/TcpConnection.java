package io.flowgate.stack.tcp;

import io.flowgate.nativebindings.Memory;
import io.flowgate.stack.InetAddr;
import io.flowgate.stack.StackConfig;
import io.flowgate.stack.buffer.ByteRing;
import io.flowgate.stack.cc.CongestionControl;
import io.flowgate.stack.cc.CongestionState;
import io.flowgate.stack.ip.PacketSender;
import io.flowgate.stack.timer.Timer;
import io.flowgate.stack.timer.TimerHandler;

/**
 * One TCP connection (a TCB, RFC 9293 3.3.1), on the stack thread only except where a method says otherwise.
 * Its byte streams are two {@link ByteRing}s the application reads and writes from its own thread through the
 * api layer's {@code TcpSocket}; the {@code app*} methods are how the api layer (on the stack thread) tells the
 * connection what the application did. Lifecycle: the rings are returned to the pool only when the connection
 * is CLOSED (or TIME_WAIT, whose state needs no buffers) <em>and</em> the application called {@link #appClose}
 * or {@link #appAbort}, so the application thread never touches a ring that was given back.
 * <p>
 * Sequence numbers are ints compared modulo 2^32 ({@code a - b < 0}). The send ring's consumer position is
 * always snd_una's first data byte: acknowledged bytes are released, unacknowledged ones are copied out again
 * for retransmission.
 */
public final class TcpConnection implements TimerHandler
{
    static final int FIN = 1;
    static final int SYN = 2;
    static final int RST = 4;
    static final int PSH = 8;
    static final int ACK = 16;

    static final int T_RTX = 0;
    static final int T_DELACK = 1;
    static final int T_PERSIST = 2;
    static final int T_KEEPALIVE = 3;
    static final int T_WAIT = 4;

    private static final int DUP_THRESH = 3;
    private static final long TLP_SINGLE_NS = 200_000_000L; // TCP_RTO_MIN: the peer may delay its ACK
    private static final long TLP_MIN_NS = 2_000_000L; // TCP_TIMEOUT_MIN
    private static final int MAX_OOO = 8;
    private static final long MS = 1_000_000L;
    private static final int PAWS_24_DAYS_MS = 24 * 24 * 3600 * 1000;

    final Tcp tcp;
    final StackConfig config;
    private volatile int state = TcpState.CLOSED;
    private volatile boolean finReceived;
    private volatile boolean outputClosed;

    long localHi;
    long localLo;
    int localPort;
    long remoteHi;
    long remoteLo;
    int remotePort;
    boolean v6;
    /** Link in Tcp's table chain (open addressing is in Tcp; this is the slot index). */
    int slot = -1;

    Listener parent;
    boolean cookie;
    boolean accepted;
    ConnectionEvents events;
    ByteRing sendRing;
    ByteRing receiveRing;
    boolean appGone;
    boolean closedReported;

    // send sequence space
    int iss;
    int sndUna;
    int sndNxt;
    int sndMax;
    int sndWnd;
    int maxSndWnd;
    int sndWl1;
    int sndWl2;
    boolean finQueued;
    boolean finSent;
    int finSeq;
    // receive sequence space
    int irs;
    int rcvNxt;
    int rcvAdvRight;
    int segsSinceAck;
    int quickAcks;

    // options
    int sndWscale;
    int rcvWscale;
    boolean wsOn;
    boolean tsOn;
    boolean sackOn;
    int tsRecent;
    long tsRecentNs;
    int tsOffset;
    int peerMss;
    int mss;
    int pmtu;
    int rcvMss;

    // out-of-order ranges held in the receive ring, sorted; the most recent first in SACK blocks
    final int[] oooLeft = new int[MAX_OOO];
    final int[] oooRight = new int[MAX_OOO];
    int oooCount;
    int oooRecent = -1;
    // a duplicate segment to report as the first SACK block (D-SACK, RFC 2883), once
    boolean dsack;
    int dsackLeft;
    int dsackRight;

    // reliability
    final RttEstimator rtt;
    int retries;
    int rttSeq;
    long rttStartNs;
    boolean rttTiming;
    int dupAcks;
    /** The head (snd_una) was retransmitted when snd_nxt was headRtxMark (tcp_mark_lost_retrans, head only). */
    boolean headRtx;
    int headRtxMark;
    /** D-SACK undo (tcp_try_undo_dsack): armed at entry to fast recovery, retransmissions not yet D-SACKed. */
    boolean undoArmed;
    int undoRetrans;
    int priorSsthresh;
    int undoMarker;
    /** Proportional rate reduction (RFC 6937) during SACK recovery, in segments as Linux counts them. */
    int prrDelivered;
    int prrOut;
    int recoverFs;
    /** A FIN that came beyond a gap, processed once rcv_nxt reaches heldFinSeq. */
    boolean finHeld;
    int heldFinSeq;
    /** The retransmission timer is armed as a tail loss probe; a probe is out and covers up to tlpHigh. */
    boolean probeArmed;
    boolean tlpOut;
    int tlpHigh;
    int recover;
    int highRxt;
    final SackScoreboard scoreboard = new SackScoreboard(32);
    final CongestionControl cc;
    final CongestionState cs = new CongestionState();
    int probes;
    boolean keepAliveOn;
    /** An ICMP unreachable was seen (sk_err_soft): a connect that times out reports UNREACHABLE. */
    boolean softError;
    boolean noDelay;
    long lastReceiveNs;
    long lastSendNs;
    /** Linux's lsndtime: the last data transmission (cwnd restart after idle, Cubic's TX_START). */
    long lastDataSendNs;

    final Timer rtxTimer = new Timer(this, T_RTX);
    final Timer delackTimer = new Timer(this, T_DELACK);
    final Timer persistTimer = new Timer(this, T_PERSIST);
    final Timer keepaliveTimer = new Timer(this, T_KEEPALIVE);
    final Timer waitTimer = new Timer(this, T_WAIT);

    // statistics
    long bytesSent;
    long bytesRetrans;
    long bytesAcked;
    long bytesReceived;
    long segsOut;
    long segsIn;
    long dataSegsOut;
    long dataSegsIn;
    long totalRetrans;

    TcpConnection()
    {
        this(null);
    }

    TcpConnection(final Tcp tcp)
    {
        this.tcp = tcp;
        this.config = tcp == null ? StackConfig.linuxDefaults() : tcp.config;
        this.rtt = new RttEstimator(config.rtoInitialNs(), config.rtoMinNs(), config.rtoMaxNs());
        this.cc = CongestionControl.create(config.congestion());
    }

    void tuple(final long lHi, final long lLo, final int lPort, final long rHi, final long rLo, final int rPort)
    {
        localHi = lHi;
        localLo = lLo;
        localPort = lPort;
        remoteHi = rHi;
        remoteLo = rLo;
        remotePort = rPort;
        v6 = !InetAddr.isV4(rHi, rLo);
        final int routeMtu = tcp.out.routeMtu(rHi, rLo);
        pmtu = routeMtu > 0 ? routeMtu : (v6 ? 1280 : 576);
        rcvMss = pmtu - ipHeader() - 20;
        peerMss = v6 ? 1220 : 536;
        tsOffset = tcp.isn.timestampOffset(lHi, lLo, rHi, rLo);
    }

    int ipHeader()
    {
        return v6 ? PacketSender.IPV6_HEADER : PacketSender.IPV4_HEADER;
    }

    /** Sender MSS: the peer's MSS bounded by the path MTU, less the options every segment carries. */
    void updateMss()
    {
        int m = Math.min(peerMss, pmtu - ipHeader() - 20);
        if (tsOn)
        {
            m -= 12;
        }
        mss = Math.max(m, 48);
        cs.mss = mss;
    }

    void setState(final int s)
    {
        state = s;
    }

    // ---------------------------------------------------------------------------------------------------- API

    /** Sets where events go (the api layer's socket). */
    public void events(final ConnectionEvents events)
    {
        this.events = events;
    }

    /** The send buffer: the application's producer side, the connection's consumer side. */
    public ByteRing sendBuffer()
    {
        return sendRing;
    }

    /** The receive buffer: the connection's producer side, the application's consumer side. */
    public ByteRing receiveBuffer()
    {
        return receiveRing;
    }

    /** One of {@link TcpState}; safe to read from any thread (a volatile field), the rest is stack-thread state. */
    public int state()
    {
        return state;
    }

    /** True once the peer's FIN was received (in order): reads return end of stream after the buffer drains. Any thread. */
    public boolean finReceived()
    {
        return finReceived;
    }

    /** True once the application may no longer write (shutdown, close, reset). Any thread. */
    public boolean outputClosed()
    {
        return outputClosed;
    }

    /** The application appended to the send buffer: send what the windows and Nagle allow. */
    public void appSend(final long nowNs)
    {
        if (synchronizedState())
        {
            trySend(nowNs);
        }
    }

    /** The application consumed from the receive buffer: send a window update when RFC 9293 3.8.6.2.2 says so. */
    public void appReceived(final long nowNs)
    {
        if (receiveRing == null || !synchronizedState() || finReceived)
        {
            return;
        }
        final int right = rcvNxt + windowToAdvertise();
        final int threshold = Math.min(receiveRing.capacity() / 2, rcvMss);
        if (right - rcvAdvRight >= threshold)
        {
            sendAck(nowNs);
        }
    }

    /** shutdown(SHUT_WR): a FIN after the queued data. */
    public void appShutdown(final long nowNs)
    {
        if (outputClosed)
        {
            return;
        }
        outputClosed = true;
        switch (state)
        {
            case TcpState.SYN_SENT ->
            {
                toClosed(ConnectionEvents.CLOSED_NORMALLY, nowNs);
                return;
            }
            case TcpState.ESTABLISHED -> setState(TcpState.FIN_WAIT_1);
            case TcpState.SYN_RECEIVED ->
            {
                finQueued = true; // sent once the handshake completes (RFC 9293 3.10.4)
                return;
            }
            case TcpState.CLOSE_WAIT -> setState(TcpState.LAST_ACK);
            default ->
            {
                return;
            }
        }
        finQueued = true;
        trySend(nowNs);
    }

    /**
     * close(): shutdown, and the application reads no more: unread data (now or arriving later) resets the
     * connection as Linux does (RFC 9293 3.10.4, RFC 2525 2.17); otherwise the close completes in the background
     * (FIN_WAIT, TIME_WAIT) and the rings are returned when it is done.
     */
    public void appClose(final long nowNs)
    {
        appGone = true;
        closedReported = true;
        if (state == TcpState.CLOSED || state == TcpState.TIME_WAIT)
        {
            releaseRings();
            return;
        }
        if (receiveRing != null && receiveRing.size() > 0 && synchronizedState())
        {
            tcp.counters.increment(TcpCounters.ABORT_ON_DATA);
            sendReset(nowNs);
            toClosed(ConnectionEvents.ABORTED, nowNs);
            return;
        }
        appShutdown(nowNs);
        if (state == TcpState.FIN_WAIT_2)
        {
            tcp.timers.schedule(waitTimer, nowNs + config.finTimeoutNs());
        }
    }

    /** abort (SO_LINGER 0): a reset now. */
    public void appAbort(final long nowNs)
    {
        appGone = true;
        closedReported = true;
        outputClosed = true;
        if (synchronizedState() || state == TcpState.SYN_RECEIVED)
        {
            sendReset(nowNs);
        }
        if (state != TcpState.CLOSED)
        {
            toClosed(ConnectionEvents.ABORTED, nowNs);
        }
        releaseRings();
    }

    /** TCP_NODELAY: Nagle off when true. */
    public void noDelay(final boolean on)
    {
        noDelay = on;
    }

    /** SO_KEEPALIVE. */
    public void keepAlive(final boolean on, final long nowNs)
    {
        keepAliveOn = on;
        probes = 0;
        if (on)
        {
            tcp.timers.schedule(keepaliveTimer, nowNs + config.keepaliveIdleNs());
        }
        else
        {
            tcp.timers.cancel(keepaliveTimer);
        }
    }

    public long localHi()
    {
        return localHi;
    }

    public long localLo()
    {
        return localLo;
    }

    public int localPort()
    {
        return localPort;
    }

    public long remoteHi()
    {
        return remoteHi;
    }

    public long remoteLo()
    {
        return remoteLo;
    }

    public int remotePort()
    {
        return remotePort;
    }

    /** A snapshot for ss (stack thread). */
    public TcpInfo info(final long nowNs)
    {
        return new TcpInfo(state, localHi, localLo, localPort, remoteHi, remoteLo, remotePort, cc.name(), tsOn, sackOn,
            wsOn ? sndWscale : -1, wsOn ? rcvWscale : -1, rtt.rtoNs() / 1000, rtt.srttUs(), rtt.rttVarUs(), rtt.minRttUs(),
            mss, pmtu, rcvMss, cs.cwnd, cs.ssthresh, cs.caState, bytesSent, bytesRetrans, bytesAcked, bytesReceived,
            segsOut, segsIn, dataSegsOut, dataSegsIn, (int)Math.ceil((sndNxt - sndUna) / (double)Math.max(1, mss)),
            sackOn ? scoreboard.sackedBytes() / Math.max(1, mss) : 0, 0, retries, totalRetrans, sndWnd,
            rcvAdvRight - rcvNxt, sendRing == null ? 0 : sendRing.size(), receiveRing == null ? 0 : receiveRing.size(),
            (nowNs - lastSendNs) / MS, (nowNs - lastReceiveNs) / MS);
    }

    // ---------------------------------------------------------------------------------------------- lifecycle

    boolean synchronizedState()
    {
        final int s = state;
        return s == TcpState.ESTABLISHED || s == TcpState.CLOSE_WAIT || s == TcpState.FIN_WAIT_1 || s == TcpState.FIN_WAIT_2
            || s == TcpState.CLOSING || s == TcpState.LAST_ACK;
    }

    void acquireRings()
    {
        if (sendRing == null)
        {
            sendRing = tcp.buffers.acquire(config.sendBuffer());
            receiveRing = tcp.buffers.acquire(config.receiveBuffer());
        }
    }

    void releaseRings()
    {
        if (appGone || !accepted && parent != null)
        {
            if (sendRing != null)
            {
                tcp.buffers.release(sendRing);
                tcp.buffers.release(receiveRing);
                sendRing = null;
                receiveRing = null;
            }
        }
    }

    void cancelTimers()
    {
        tcp.timers.cancel(rtxTimer);
        tcp.timers.cancel(delackTimer);
        tcp.timers.cancel(persistTimer);
        tcp.timers.cancel(keepaliveTimer);
        tcp.timers.cancel(waitTimer);
    }

    void report(final int reason)
    {
        if (!closedReported)
        {
            closedReported = true;
            if (events != null)
            {
                events.closed(reason);
            }
        }
    }

    /** To CLOSED: out of the table, timers off, the application told, rings back when it is done with them. */
    void toClosed(final int reason, final long nowNs)
    {
        final int was = state;
        setState(TcpState.CLOSED);
        outputClosed = true;
        cancelTimers();
        tcp.remove(this);
        if (parent != null && !accepted)
        {
            parent.childGone(this, was);
        }
        if (was == TcpState.ESTABLISHED || was == TcpState.CLOSE_WAIT)
        {
            if (reason == ConnectionEvents.RESET || reason == ConnectionEvents.ABORTED || reason == ConnectionEvents.TIMED_OUT)
            {
                tcp.counters.increment(TcpCounters.ESTAB_RESETS);
            }
        }
        if (was == TcpState.SYN_SENT || was == TcpState.SYN_RECEIVED)
        {
            tcp.counters.increment(TcpCounters.ATTEMPT_FAILS);
        }
        report(reason);
        releaseRings();
    }

    void toTimeWait(final long nowNs)
    {
        setState(TcpState.TIME_WAIT);
        outputClosed = true;
        tcp.timers.cancel(rtxTimer);
        tcp.timers.cancel(delackTimer);
        tcp.timers.cancel(persistTimer);
        tcp.timers.cancel(keepaliveTimer);
        tcp.timers.schedule(waitTimer, nowNs + config.timeWaitNs());
        tcp.counters.increment(TcpCounters.TIME_WAITS);
        report(ConnectionEvents.CLOSED_NORMALLY);
        releaseRings();
    }

    // ----------------------------------------------------------------------------------------------- opening

    /** Active open: SYN_SENT, the SYN out. */
    void connect(final long nowNs)
    {
        acquireRings();
        iss = tcp.isn.isn(localHi, localLo, remoteHi, remoteLo, localPort, remotePort, nowNs);
        sndUna = iss;
        sndNxt = iss;
        sndMax = iss;
        rcvWscale = config.windowScaling() ? ourWscale() : 0;
        setState(TcpState.SYN_SENT);
        lastReceiveNs = nowNs;
        sendSyn(nowNs, false);
        scheduleRto(nowNs);
    }

    int ourWscale()
    {
        return windowScaleFor(config.receiveBuffer());
    }

    /** The smallest shift (at most 14) that lets a 16-bit window announce {@code receiveBuffer} bytes. */
    static int windowScaleFor(final long receiveBuffer)
    {
        int shift = 0;
        while (shift < TcpOptions.MAX_WINDOW_SCALE && (65535L << shift) < receiveBuffer)
        {
            shift++;
        }
        return shift;
    }

    /** A SYN or SYN-ACK with our options (those negotiated when answering: {@code synAck}). */
    void sendSyn(final long nowNs, final boolean synAck)
    {
        final long packet = tcp.out.allocate();
        if (packet == 0)
        {
            tcp.counters.increment(TcpCounters.NO_BUFFER);
            return;
        }
        final long at = tcp.out.transport(packet, v6);
        final boolean ts = synAck ? tsOn : config.timestamps();
        final boolean sack = synAck ? sackOn : config.sack();
        final int ws = synAck ? (wsOn ? rcvWscale : -1) : (config.windowScaling() ? rcvWscale : -1);
        final int optLen = TcpOptions.writeSyn(at + 20, rcvMss, sack, ts, tsNow(nowNs), synAck ? tsRecent : 0, ws);
        final int window = Math.min(65535, receiveRing == null ? config.receiveBuffer() : receiveRing.free());
        Tcp.header(at, localPort, remotePort, iss, synAck ? rcvNxt : 0, 20 + optLen, synAck ? SYN | ACK : SYN, window);
        if (synAck)
        {
            rcvAdvRight = rcvNxt + window;
        }
        sndNxt = iss + 1;
        if (sndMax - sndNxt < 0)
        {
            sndMax = sndNxt;
        }
        emit(packet, at, 20 + optLen, nowNs);
    }

    int tsNow(final long nowNs)
    {
        return (int)(nowNs / MS) + tsOffset;
    }

    /** Options from the peer's SYN (or SYN-ACK): what both sides support is on. */
    void negotiate(final TcpOptions o, final boolean weOffered)
    {
        peerMss = o.mss != TcpOptions.ABSENT ? o.mss : (v6 ? 1220 : 536);
        wsOn = config.windowScaling() && o.windowScale != TcpOptions.ABSENT;
        sndWscale = wsOn ? o.windowScale : 0;
        if (!wsOn)
        {
            rcvWscale = 0;
        }
        else if (!weOffered)
        {
            rcvWscale = ourWscale();
        }
        tsOn = config.timestamps() && o.hasTimestamp;
        if (tsOn)
        {
            tsRecent = o.tsVal;
        }
        sackOn = config.sack() && o.sackPermitted;
        updateMss();
    }

    /** The handshake completed (both directions synchronized). */
    void established(final long nowNs)
    {
        setState(TcpState.ESTABLISHED);
        recover = sndUna;
        highRxt = sndUna;
        cs.cwnd = config.initialCwnd();
        cs.mss = mss;
        cs.sndUna = sndUna;
        cs.sndNxt = sndNxt;
        cc.init(cs, nowNs);
        quickAcks = 16;
        tcp.timers.cancel(rtxTimer);
        retries = 0;
        rtt.resetBackoff();
        if (keepAliveOn)
        {
            tcp.timers.schedule(keepaliveTimer, nowNs + config.keepaliveIdleNs());
        }
    }

    // ------------------------------------------------------------------------------------------------- input

    /** A segment for this connection: RFC 9293 3.10.7 (SEGMENT ARRIVES). */
    void input(final long seg, final int hdrLen, final int length, final int seq, final int ack, final int flags,
               final int window, final TcpOptions o, final long nowNs)
    {
        segsIn++;
        lastReceiveNs = nowNs;
        probes = 0;
        final long data = seg + hdrLen;
        int dataLen = length - hdrLen;
        if (state == TcpState.SYN_SENT)
        {
            inputSynSent(seq, ack, flags, window, o, nowNs);
            return;
        }
        if (state == TcpState.CLOSED)
        {
            return;
        }
        if (state == TcpState.TIME_WAIT && (flags & SYN) != 0 && (flags & ACK) == 0)
        {
            // RFC 6191 / Linux tcp_timewait_state_process: a newer SYN reopens the pair
            if (seq - rcvNxt > 0 || tsOn && o.hasTimestamp && o.tsVal - tsRecent > 0)
            {
                cancelTimers();
                setState(TcpState.CLOSED);
                tcp.remove(this);
                tcp.redeliver(nowNs);
                return;
            }
        }
        // PAWS (RFC 7323 5.3)
        if (tsOn && o.hasTimestamp && (flags & RST) == 0 && o.tsVal - tsRecent < 0
            && (nowNs - tsRecentNs) / MS < PAWS_24_DAYS_MS)
        {
            sendAck(nowNs);
            return;
        }
        final int segLen = dataLen + ((flags & SYN) != 0 ? 1 : 0) + ((flags & FIN) != 0 ? 1 : 0);
        final int rcvWnd = Math.max(0, rcvAdvRight - rcvNxt);
        final boolean acceptable;
        if (segLen == 0)
        {
            acceptable = rcvWnd == 0 ? seq == rcvNxt : seq - rcvNxt >= 0 && seq - (rcvNxt + rcvWnd) < 0
                || seq == rcvNxt;
        }
        else
        {
            acceptable = rcvWnd > 0 && (seq - rcvNxt >= 0 && seq - (rcvNxt + rcvWnd) < 0
                || seq + segLen - 1 - rcvNxt >= 0 && seq + segLen - 1 - (rcvNxt + rcvWnd) < 0
                || seq - rcvNxt < 0 && seq + segLen - rcvNxt > 0);
        }
        if (!acceptable)
        {
            if ((flags & RST) == 0)
            {
                if (state == TcpState.TIME_WAIT && (flags & FIN) != 0)
                {
                    tcp.timers.schedule(waitTimer, nowNs + config.timeWaitNs());
                }
                if (sackOn && dataLen > 0 && seq - rcvNxt < 0)
                {
                    dsack = true; // an old duplicate: D-SACK (RFC 2883)
                    dsackLeft = seq;
                    dsackRight = seq + dataLen - rcvNxt > 0 ? rcvNxt : seq + dataLen;
                }
                sendAck(nowNs);
            }
            return;
        }
        if ((flags & RST) != 0)
        {
            if (seq == rcvNxt)
            {
                if (state == TcpState.TIME_WAIT)
                {
                    return; // RFC 1337: ignore RSTs in TIME_WAIT
                }
                finReceived = true;
                toClosed(state == TcpState.SYN_RECEIVED && parent == null ? ConnectionEvents.REFUSED : ConnectionEvents.RESET, nowNs);
            }
            else
            {
                challengeAck(nowNs);
            }
            return;
        }
        if ((flags & SYN) != 0)
        {
            if (state == TcpState.SYN_RECEIVED && seq == irs && parent != null)
            {
                sendSyn(nowNs, true); // a retransmitted SYN: the SYN-ACK again
                return;
            }
            challengeAck(nowNs);
            return;
        }
        if ((flags & ACK) == 0)
        {
            return;
        }
        if (state == TcpState.SYN_RECEIVED)
        {
            if (ack - sndUna > 0 && ack - sndNxt <= 0)
            {
                if (parent != null && !parent.admit(this, nowNs))
                {
                    return; // accept queue full: the ACK is dropped, the peer retransmits
                }
                // The SYN is acknowledged here, not as data by newAck: what the application writes in its accept
                // callback (parent.drain below) is already in the send ring, and newAck would release a byte of it.
                if (tsOn && o.hasTimestamp && o.tsEcr != 0)
                {
                    rttSample((tsNow(nowNs) - o.tsEcr) * 1000L);
                }
                else if (retries == 0)
                {
                    rttSample((nowNs - lastSendNs) / 1000);
                }
                sndUna = iss + 1;
                bytesAcked++;
                sndWnd = window << sndWscale;
                maxSndWnd = sndWnd;
                sndWl1 = seq;
                sndWl2 = ack;
                established(nowNs);
                if (finQueued)
                {
                    setState(TcpState.FIN_WAIT_1);
                }
                if (parent == null && events != null)
                {
                    events.connected();
                }
                else if (parent != null)
                {
                    parent.drain(nowNs);
                    if (state == TcpState.CLOSED)
                    {
                        return;
                    }
                }
            }
            else
            {
                sendResetTo(ack, 0, false, nowNs);
                return;
            }
        }
        if (tsOn && o.hasTimestamp && seq - rcvNxt <= 0 && o.tsVal - tsRecent >= 0)
        {
            tsRecent = o.tsVal;
            tsRecentNs = nowNs;
        }
        if (!processAck(seq, ack, window, dataLen, o, nowNs))
        {
            return;
        }
        // data
        if (dataLen > 0)
        {
            if (state == TcpState.ESTABLISHED || state == TcpState.FIN_WAIT_1 || state == TcpState.FIN_WAIT_2)
            {
                if (appGone)
                {
                    tcp.counters.increment(TcpCounters.ABORT_ON_DATA);
                    sendReset(nowNs);
                    toClosed(ConnectionEvents.ABORTED, nowNs);
                    return;
                }
                dataSegsIn++;
                if (!receiveData(data, seq, dataLen, (flags & FIN) != 0, nowNs))
                {
                    return;
                }
            }
            else
            {
                dataLen = 0;
            }
        }
        if ((flags & FIN) != 0 && seq + dataLen == rcvNxt && !finReceived)
        {
            receiveFin(nowNs);
        }
        else if (finHeld && !finReceived && rcvNxt == heldFinSeq)
        {
            finHeld = false; // the gap before an out-of-order FIN is filled (tcp_data_queue_ofo keeps the FIN too)
            receiveFin(nowNs);
        }
        else if (dataLen == 0 && (flags & FIN) != 0 && !finReceived && seq - rcvNxt > 0
            && (state == TcpState.ESTABLISHED || state == TcpState.FIN_WAIT_1 || state == TcpState.FIN_WAIT_2))
        {
            finHeld = true; // a bare FIN beyond a gap: remembered, a duplicate ACK asks for the gap
            heldFinSeq = seq;
            sendAck(nowNs);
        }
        else if (dataLen == 0 && (flags & FIN) != 0 && finReceived && state == TcpState.TIME_WAIT)
        {
            sendAck(nowNs);
            tcp.timers.schedule(waitTimer, nowNs + config.timeWaitNs());
        }
    }

    private void inputSynSent(final int seq, final int ack, final int flags, final int window, final TcpOptions o,
                              final long nowNs)
    {
        final boolean hasAck = (flags & ACK) != 0;
        if (hasAck && (ack - iss <= 0 || ack - sndNxt > 0))
        {
            if ((flags & RST) == 0)
            {
                sendResetTo(ack, 0, false, nowNs);
            }
            return;
        }
        if ((flags & RST) != 0)
        {
            if (hasAck)
            {
                toClosed(ConnectionEvents.REFUSED, nowNs);
            }
            return;
        }
        if ((flags & SYN) == 0)
        {
            return;
        }
        irs = seq;
        rcvNxt = seq + 1;
        rcvAdvRight = rcvNxt;
        negotiate(o, true);
        if (tsOn)
        {
            tsRecentNs = nowNs;
        }
        if (hasAck)
        {
            if (tsOn && o.tsEcr != 0)
            {
                rttSample((tsNow(nowNs) - o.tsEcr) * 1000L);
            }
            else if (retries == 0)
            {
                rttSample((nowNs - lastSendNs) / 1000);
            }
            sndUna = ack;
            sndWnd = window << sndWscale;
            maxSndWnd = sndWnd;
            sndWl1 = seq;
            sndWl2 = ack;
            established(nowNs);
            tcp.counters.increment(TcpCounters.ACTIVE_OPENS);
            sendAck(nowNs);
            if (events != null)
            {
                events.connected();
            }
            trySend(nowNs);
        }
        else
        {
            // simultaneous open: SYN_RECEIVED, a SYN-ACK with the same ISN
            setState(TcpState.SYN_RECEIVED);
            sendSyn(nowNs, true);
        }
    }

    private void rttSample(final long us)
    {
        if (us >= 0)
        {
            rtt.sample(Math.max(1, us));
            cs.srttUs = rtt.srttUs();
            cs.minRttUs = rtt.minRttUs();
        }
    }

    private void challengeAck(final long nowNs)
    {
        if (tcp.challengeAckAllowed(nowNs))
        {
            tcp.counters.increment(TcpCounters.CHALLENGE_ACKS);
            sendAck(nowNs);
        }
    }

    /** The ACK field (RFC 9293 3.10.7.4 fifth check, RFC 5961 5.2); false when the segment is to be dropped. */
    private boolean processAck(final int seq, final int ack, final int window, final int dataLen, final TcpOptions o,
                               final long nowNs)
    {
        if (ack - sndMax > 0 || ack - (sndUna - Math.max(maxSndWnd, 1)) < 0)
        {
            challengeAck(nowNs);
            return false;
        }
        final int wnd = window << sndWscale;
        final boolean windowUpdate = seq - sndWl1 > 0 || seq == sndWl1 && ack - sndWl2 >= 0;
        final boolean windowChanged = wnd != sndWnd;
        final int sacked = sackOn && o.sackBlocks > 0 ? scoreboard.update(ack, sndMax, o.sackLeft, o.sackRight, o.sackBlocks) : 0;
        final int priorUna = sndUna;
        if (undoArmed && o.sackBlocks > 0 && o.sackRight[0] - undoMarker > 0 && (o.sackLeft[0] - ack < 0
            || o.sackBlocks > 1 && o.sackLeft[0] - o.sackLeft[1] >= 0 && o.sackRight[0] - o.sackRight[1] <= 0))
        {
            dsackReceived(nowNs);
        }
        if (ack - sndUna > 0)
        {
            newAck(ack, o, nowNs);
        }
        else if (ack == sndUna && sndNxt != sndUna && synchronizedState()
            && (dataLen == 0 && (!windowChanged || !windowUpdate) || sacked > 0))
        {
            // An ACK that SACKs new data counts even when it moves the window or carries data: Linux's receive
            // window auto-tuning grows the window on nearly every ACK, and tcp_ack treats FLAG_DATA_SACKED as an
            // alert (tcp_ack_is_dubious) whatever the window did.
            duplicateAck(sacked, nowNs);
        }
        if (sackOn && cs.caState == CongestionState.RECOVERY && ack - priorUna >= 0)
        {
            prrAck(ack - priorUna + sacked);
            if (headRtx && ack == priorUna && sacked > 0 && lostRetransmission(o))
            {
                tcp.counters.increment(TcpCounters.LOST_RETRANSMITS);
                retransmitOne(sndUna, nowNs);
                prrOut++;
            }
        }
        if (windowUpdate)
        {
            sndWnd = wnd;
            sndWl1 = seq;
            sndWl2 = ack;
            if (wnd > maxSndWnd)
            {
                maxSndWnd = wnd;
            }
            if (wnd > 0)
            {
                tcp.timers.cancel(persistTimer);
            }
        }
        // FIN acknowledged?
        if (finSent && sndUna == finSeq + 1)
        {
            switch (state)
            {
                case TcpState.FIN_WAIT_1 ->
                {
                    setState(TcpState.FIN_WAIT_2);
                    if (appGone)
                    {
                        tcp.timers.schedule(waitTimer, nowNs + config.finTimeoutNs());
                    }
                }
                case TcpState.CLOSING ->
                {
                    toTimeWait(nowNs);
                    return false;
                }
                case TcpState.LAST_ACK ->
                {
                    toClosed(ConnectionEvents.CLOSED_NORMALLY, nowNs);
                    return false;
                }
                default ->
                {
                }
            }
        }
        if (synchronizedState())
        {
            trySend(nowNs);
        }
        return true;
    }

    private void newAck(final int ack, final TcpOptions o, final long nowNs)
    {
        final int acked = ack - sndUna;
        int dataAcked = acked;
        if (finSent && ack - finSeq > 0)
        {
            dataAcked--;
        }
        if (sendRing != null && dataAcked > 0)
        {
            sendRing.release(Math.min(dataAcked, sendRing.size()));
        }
        bytesAcked += acked;
        final int segs = Math.max(1, (acked + mss - 1) / Math.max(1, mss));
        long sampleUs = -1;
        if (tsOn && o.hasTimestamp && o.tsEcr != 0)
        {
            sampleUs = (tsNow(nowNs) - o.tsEcr) * 1000L;
        }
        else if (rttTiming && ack - rttSeq > 0)
        {
            sampleUs = (nowNs - rttStartNs) / 1000;
        }
        if (ack - rttSeq > 0)
        {
            rttTiming = false;
        }
        if (sampleUs >= 0)
        {
            rttSample(sampleUs);
        }
        sndUna = ack;
        headRtx = false;
        if (sndMax - sndNxt < 0)
        {
            sndMax = sndNxt;
        }
        if (sndNxt - sndUna < 0)
        {
            sndNxt = sndUna;
        }
        if (highRxt - sndUna < 0)
        {
            highRxt = sndUna;
        }
        retries = 0;
        rtt.resetBackoff();
        cs.packetsInFlight = (sndNxt - sndUna + mss - 1) / mss;
        cs.sndUna = sndUna;
        cs.sndNxt = sndNxt;
        cc.packetsAcked(cs, segs, sampleUs, nowNs);
        cs.deliveredBytes = acked;
        if (cs.caState == CongestionState.RECOVERY)
        {
            if (ack - recover >= 0)
            {
                // full acknowledgement: deflate (RFC 6582 3.2 step 3); with SACK, PRR ends at ssthresh
                // (tcp_end_cwnd_reduction) rather than at what happens to be in flight
                cs.cwnd = sackOn ? Math.max(2, cs.ssthresh) : Math.max(2, Math.min(cs.ssthresh, cs.packetsInFlight + 1));
                caState(CongestionState.OPEN, nowNs);
                dupAcks = 0;
            }
            else if (!sackOn)
            {
                // partial acknowledgement: retransmit the next hole, deflate by what was acked
                retransmitOne(sndUna, nowNs);
                cs.cwnd = Math.max(1, cs.cwnd - segs + 1);
            }
        }
        else if (cs.caState == CongestionState.LOSS)
        {
            if (ack - recover >= 0)
            {
                caState(CongestionState.OPEN, nowNs);
            }
            dupAcks = 0;
            cc.congestionAvoid(cs, segs, nowNs);
        }
        else
        {
            dupAcks = 0;
            if (cs.caState != CongestionState.OPEN)
            {
                caState(CongestionState.OPEN, nowNs);
            }
            if (cs.cwndLimited)
            {
                cc.congestionAvoid(cs, segs, nowNs);
            }
        }
        if (sndUna == sndNxt)
        {
            tcp.timers.cancel(rtxTimer);
        }
        else
        {
            if (tlpOut && ack - tlpHigh >= 0)
            {
                tlpOut = false;
            }
            armTimer(nowNs);
        }
        if (events != null && dataAcked > 0 && sendRing != null && !outputClosed)
        {
            events.writable();
        }
    }

    private void caState(final int s, final long nowNs)
    {
        if (cs.caState != s)
        {
            cc.setState(cs, s, nowNs);
            cs.caState = s;
        }
    }

    private void duplicateAck(final int sacked, final long nowNs)
    {
        dupAcks++;
        if (cs.caState == CongestionState.RECOVERY || cs.caState == CongestionState.LOSS)
        {
            if (!sackOn && cs.caState == CongestionState.RECOVERY)
            {
                cs.cwnd++; // RFC 5681 3.2 step 4: inflation
            }
            return;
        }
        final boolean lost = sackOn ? dupAcks >= DUP_THRESH || scoreboard.isLost(sndUna, mss, DUP_THRESH)
            || earlyRetransmit() : dupAcks >= DUP_THRESH;
        if (!lost)
        {
            if (cs.caState == CongestionState.OPEN)
            {
                caState(CongestionState.DISORDER, nowNs);
            }
            return;
        }
        if (!sackOn && recover - sndUna > 0)
        {
            return; // RFC 6582 4.1: not a new loss episode
        }
        // enter fast recovery
        tcp.counters.increment(sackOn ? TcpCounters.SACK_RECOVERY : TcpCounters.RENO_RECOVERY);
        tcp.counters.increment(TcpCounters.FAST_RETRANS);
        cs.packetsInFlight = (sndNxt - sndUna + mss - 1) / mss;
        priorSsthresh = cs.ssthresh;
        undoArmed = sackOn;
        undoRetrans = 0;
        undoMarker = sndUna;
        cs.ssthresh = Math.max(2, cc.ssthresh(cs));
        caState(CongestionState.RECOVERY, nowNs);
        recover = sndNxt;
        highRxt = sndUna;
        rttTiming = false;
        recoverFs = Math.max(1, cs.packetsInFlight);
        prrDelivered = 0;
        prrOut = 1;
        retransmitOne(sndUna, nowNs);
        // with SACK, PRR sets cwnd from this ACK on (processAck); without, NewReno's inflation
        cs.cwnd = sackOn ? cs.packetsInFlight : cs.ssthresh + DUP_THRESH;
    }

    /**
     * Early retransmit (RFC 5827 with SACK, what Linux's RACK does for a short flight): fewer than four segments
     * outstanding, nothing new that may be sent, and all but one of them SACKed: the first is lost without
     * waiting for three duplicates that cannot come.
     */
    private boolean earlyRetransmit()
    {
        final int outstanding = (sndNxt - sndUna + mss - 1) / mss;
        if (outstanding >= DUP_THRESH + 1 || outstanding < 2)
        {
            return false;
        }
        final int unsent = sendRing == null ? 0 : sndUna + sendRing.size() - sndNxt;
        final boolean canSendNew = unsent > 0 && sndNxt - sndUna + mss <= cs.cwnd * mss && sndNxt - sndUna + mss <= sndWnd;
        return !canSendNew && dupAcks >= outstanding - 1;
    }

    /**
     * A D-SACK (RFC 2883/3708) while undo is armed: one retransmission proved unneeded. When all of them were,
     * the reduction was spurious: cwnd and ssthresh go back (tcp_undo_cwnd_reduction) and recovery ends.
     */
    private void dsackReceived(final long nowNs)
    {
        if (--undoRetrans > 0)
        {
            return;
        }
        undoArmed = false;
        cs.cwnd = Math.max(cs.cwnd, cc.undoCwnd(cs));
        cs.ssthresh = Math.max(cs.ssthresh, priorSsthresh);
        tcp.counters.increment(TcpCounters.DSACK_UNDO);
        if (cs.caState == CongestionState.RECOVERY)
        {
            caState(CongestionState.OPEN, nowNs);
            dupAcks = 0;
        }
    }

    /** In-order or out-of-order data into the receive ring; false when the segment is dropped after an ACK. */
    private boolean receiveData(long data, int seq, int len, final boolean fin, final long nowNs)
    {
        final int front = rcvNxt - seq;
        if (front > 0)
        {
            if (sackOn)
            {
                dsack = true;
                dsackLeft = seq;
                dsackRight = seq + Math.min(front, len);
            }
            data += front;
            seq += front;
            len -= front;
            if (len <= 0)
            {
                sendAck(nowNs);
                return false;
            }
        }
        final int whole = len;
        final int free = receiveRing.free();
        final int offset = seq - rcvNxt;
        if (offset + len > free)
        {
            len = free - offset;
            if (len <= 0)
            {
                sendAck(nowNs);
                return false;
            }
        }
        if (offset == 0)
        {
            receiveRing.writeAt(0, data, len);
            int advance = len;
            // the gap may now be filled: merge held ranges
            int i = 0;
            while (i < oooCount)
            {
                if (oooLeft[i] - (rcvNxt + advance) <= 0)
                {
                    if (oooRight[i] - (rcvNxt + advance) > 0)
                    {
                        advance = oooRight[i] - rcvNxt;
                    }
                    removeOoo(i);
                }
                else
                {
                    i++;
                }
            }
            receiveRing.commit(advance);
            rcvNxt += advance;
            bytesReceived += advance;
            if (events != null)
            {
                events.readable();
            }
            segsSinceAck++;
            final boolean finNow = fin || finHeld && rcvNxt == heldFinSeq;
            if (oooCount > 0 || advance > len || finNow || quickAcks > 0 || segsSinceAck >= 2)
            {
                if (quickAcks > 0)
                {
                    quickAcks--;
                }
                if (!finNow)
                {
                    sendAck(nowNs);
                }
            }
            else if (!delackTimer.pending())
            {
                tcp.timers.schedule(delackTimer, nowNs + config.delayedAckNs());
            }
            return true;
        }
        // out of order: held beyond the producer position, a SACK block, an immediate ACK
        receiveRing.writeAt(offset, data, len);
        addOoo(seq, seq + len);
        if (fin && len == whole)
        {
            finHeld = true;
            heldFinSeq = seq + len;
        }
        sendAck(nowNs);
        return false;
    }

    private void addOoo(final int left, final int right)
    {
        int l = left;
        int r = right;
        int i = 0;
        while (i < oooCount)
        {
            if (oooLeft[i] - r <= 0 && oooRight[i] - l >= 0)
            {
                if (oooLeft[i] - l < 0)
                {
                    l = oooLeft[i];
                }
                if (oooRight[i] - r > 0)
                {
                    r = oooRight[i];
                }
                removeOoo(i);
            }
            else
            {
                i++;
            }
        }
        if (oooCount == MAX_OOO)
        {
            oooCount--; // forget the last (highest) range: its data will be sent again
        }
        int at = 0;
        while (at < oooCount && oooLeft[at] - l < 0)
        {
            at++;
        }
        System.arraycopy(oooLeft, at, oooLeft, at + 1, oooCount - at);
        System.arraycopy(oooRight, at, oooRight, at + 1, oooCount - at);
        oooLeft[at] = l;
        oooRight[at] = r;
        oooCount++;
        oooRecent = l;
    }

    private void removeOoo(final int i)
    {
        System.arraycopy(oooLeft, i + 1, oooLeft, i, oooCount - i - 1);
        System.arraycopy(oooRight, i + 1, oooRight, i, oooCount - i - 1);
        oooCount--;
    }

    private void receiveFin(final long nowNs)
    {
        rcvNxt++;
        finReceived = true;
        if (events != null)
        {
            events.readable();
        }
        switch (state)
        {
            case TcpState.ESTABLISHED -> setState(TcpState.CLOSE_WAIT);
            case TcpState.FIN_WAIT_1 ->
            {
                if (finSent && sndUna == finSeq + 1)
                {
                    sendAck(nowNs);
                    toTimeWait(nowNs);
                    return;
                }
                setState(TcpState.CLOSING);
            }
            case TcpState.FIN_WAIT_2 ->
            {
                sendAck(nowNs);
                toTimeWait(nowNs);
                return;
            }
            default ->
            {
            }
        }
        sendAck(nowNs);
    }

    // ------------------------------------------------------------------------------------------------ output

    int windowToAdvertise()
    {
        final int free = receiveRing == null ? config.receiveBuffer() : receiveRing.free();
        final int max = 65535 << rcvWscale;
        final int w = Math.min(free, max);
        final int current = Math.max(0, rcvAdvRight - rcvNxt);
        // never shrink the right edge (RFC 9293 3.8.6.2.1); move it only by min(buffer/2, MSS) or more (3.8.6.2.2)
        final int step = Math.min((receiveRing == null ? config.receiveBuffer() : receiveRing.capacity()) / 2, rcvMss);
        if (w - current < step)
        {
            return current;
        }
        return w;
    }

    void sendAck(final long nowNs)
    {
        segment(sndNxt, 0, ACK, nowNs, false);
    }

    void sendReset(final long nowNs)
    {
        final long packet = tcp.out.allocate();
        if (packet == 0)
        {
            return;
        }
        final long at = tcp.out.transport(packet, v6);
        Tcp.header(at, localPort, remotePort, sndNxt, rcvNxt, 20, RST | ACK, 0);
        tcp.counters.increment(TcpCounters.OUT_RSTS);
        emit(packet, at, 20, nowNs);
    }

    void sendResetTo(final int seq, final int ack, final boolean withAck, final long nowNs)
    {
        tcp.sendReset(localHi, localLo, localPort, remoteHi, remoteLo, remotePort, seq, ack, withAck, nowNs);
    }

    /**
     * One segment from {@code seq}: {@code len} bytes of the send ring (copied from snd_una's offset), our
     * window, timestamps and SACK blocks. Returns the bytes sent.
     */
    int segment(final int seq, final int len, final int flags, final long nowNs, final boolean probe)
    {
        final long packet = tcp.out.allocate();
        if (packet == 0)
        {
            tcp.counters.increment(TcpCounters.NO_BUFFER);
            return 0;
        }
        final long at = tcp.out.transport(packet, v6);
        int blocks = 0;
        if (sackOn && dsack)
        {
            tcp.sackLeft[0] = dsackLeft;
            tcp.sackRight[0] = dsackRight;
            blocks = 1;
            dsack = false;
        }
        if (sackOn && oooCount > 0)
        {
            final int[] l = tcp.sackLeft;
            final int[] r = tcp.sackRight;
            final int max = tsOn ? 3 : 4;
            int recent = -1;
            for (int i = 0; i < oooCount; i++)
            {
                if (oooLeft[i] - oooRecent <= 0 && oooRight[i] - oooRecent > 0)
                {
                    recent = i;
                }
            }
            if (recent >= 0 && blocks < max)
            {
                l[blocks] = oooLeft[recent];
                r[blocks] = oooRight[recent];
                blocks++;
            }
            for (int i = 0; i < oooCount && blocks < max; i++)
            {
                if (i != recent)
                {
                    l[blocks] = oooLeft[i];
                    r[blocks] = oooRight[i];
                    blocks++;
                }
            }
        }
        final int optLen = TcpOptions.write(at + 20, tsOn, tsNow(nowNs), tsRecent, tcp.sackLeft, tcp.sackRight, blocks);
        final int hdr = 20 + optLen;
        if (len > 0)
        {
            sendRing.copyOut(seq - sndUna, at + hdr, len);
        }
        final int w = windowToAdvertise() >>> rcvWscale << rcvWscale;
        if (rcvNxt + w - rcvAdvRight > 0)
        {
            rcvAdvRight = rcvNxt + w;
        }
        Tcp.header(at, localPort, remotePort, probe ? sndUna - 1 : seq, rcvNxt, hdr, flags | (len > 0 ? PSH : 0),
            w >>> rcvWscale);
        segsSinceAck = 0;
        tcp.timers.cancel(delackTimer);
        if (len > 0)
        {
            dataSegsOut++;
            bytesSent += len;
            lastDataSendNs = nowNs;
        }
        emit(packet, at, hdr + len, nowNs);
        return len;
    }

    void emit(final long packet, final long at, final int length, final long nowNs)
    {
        Memory.putShort(at + 16, (short)0);
        final int sum = io.flowgate.stack.ip.InetChecksum.compute(localHi, localLo, remoteHi, remoteLo, Tcp.PROTOCOL, at, length);
        Memory.putShortBE(at + 16, sum);
        tcp.out.send(packet, localHi, localLo, remoteHi, remoteLo, Tcp.PROTOCOL, length, true, nowNs);
        tcp.counters.increment(TcpCounters.OUT_SEGS);
        segsOut++;
        lastSendNs = nowNs;
    }

    /** Retransmits one segment at {@code seq} (fast retransmit, partial ACK, SACK hole). */
    void retransmitOne(final int seq, final long nowNs)
    {
        final int dataEnd = sndUna + sendRing.size();
        int len = Math.min(mss, dataEnd - seq);
        int flags = ACK;
        if (finSent && seq + Math.max(len, 0) == finSeq)
        {
            flags |= FIN;
        }
        len = Math.max(0, len);
        if (len == 0 && (flags & FIN) == 0)
        {
            return;
        }
        segment(seq, len, flags, nowNs, false);
        tcp.counters.increment(TcpCounters.RETRANS_SEGS);
        bytesRetrans += len;
        totalRetrans++;
        undoRetrans++;
        if (seq == sndUna)
        {
            headRtx = true;
            headRtxMark = sndNxt;
        }
        if (sackOn)
        {
            scoreboard.markRetransmitted(seq, Math.max(1, len));
        }
        if (seq + len - highRxt > 0)
        {
            highRxt = seq + len;
        }
        if (!rtxTimer.pending())
        {
            scheduleRto(nowNs);
        }
    }

    /** Sends what the congestion window, the peer's window, Nagle and SWS avoidance allow. */
    void trySend(final long nowNs)
    {
        if (sendRing == null)
        {
            return;
        }
        if (sackOn && cs.caState == CongestionState.RECOVERY)
        {
            sackRecovery(nowNs);
        }
        final int dataEnd = sndUna + sendRing.size();
        boolean cwndLimited = false;
        while (true)
        {
            final int unsent = dataEnd - sndNxt;
            final boolean finNow = finQueued && !finSent && unsent <= 0;
            if (unsent <= 0 && !finNow && !(finQueued && finSent && sndNxt == finSeq))
            {
                break;
            }
            final int inFlight = sndNxt - sndUna;
            final int cwndBytes = sackOn && cs.caState == CongestionState.RECOVERY
                ? cs.cwnd * mss - scoreboard.pipe(sndUna, sndNxt, mss, DUP_THRESH) + inFlight : cs.cwnd * mss;
            final int limit = Math.min(cwndBytes, sndWnd + (finNow ? 1 : 0));
            int room = Math.min(cwndBytes - inFlight, sndUna + sndWnd - sndNxt);
            if (unsent <= 0)
            {
                if (cwndBytes - inFlight <= 0 && inFlight > 0)
                {
                    break;
                }
                // a FIN alone (or again after go-back-N)
                final int seq = sndNxt;
                if (seq - sndMax < 0)
                {
                    totalRetrans++;
                    undoRetrans++;
                    tcp.counters.increment(TcpCounters.RETRANS_SEGS);
                }
                segment(seq, 0, FIN | ACK, nowNs, false);
                finSent = true;
                finSeq = seq;
                sndNxt = seq + 1;
                advanceMax();
                armRtx(nowNs);
                break;
            }
            if (room <= 0)
            {
                cwndLimited = cwndBytes - inFlight <= 0;
                if (sndWnd == 0 && inFlight == 0 && !persistTimer.pending())
                {
                    tcp.timers.schedule(persistTimer, nowNs + rtt.rtoNs());
                }
                break;
            }
            int len = Math.min(Math.min(mss, unsent), room);
            if (len < mss && len < unsent)
            {
                // window-limited small segment: SWS avoidance (RFC 9293 3.8.6.2.1)
                if (len < maxSndWnd / 2 || inFlight > 0)
                {
                    cwndLimited = cwndBytes - inFlight < mss;
                    if (sndWnd - inFlight < mss && inFlight == 0 && !persistTimer.pending())
                    {
                        tcp.timers.schedule(persistTimer, nowNs + rtt.rtoNs());
                    }
                    break;
                }
            }
            else if (len < mss && !noDelay && inFlight > 0 && !finQueued)
            {
                break; // Nagle: a small segment waits for the outstanding data's ACK
            }
            final int seq = sndNxt;
            int flags = ACK;
            if (finQueued && !finSent && seq + len == dataEnd && limit - inFlight > len)
            {
                flags |= FIN;
            }
            if (inFlight == 0 && seq == sndMax)
            {
                if (lastDataSendNs != 0 && nowNs - lastDataSendNs > rtt.rtoNs() && cs.caState == CongestionState.OPEN)
                {
                    restartCwnd(nowNs);
                }
                cs.lastSendNs = lastDataSendNs;
                cs.sndUna = sndUna;
                cs.sndNxt = sndNxt;
                cc.cwndEvent(cs, CongestionState.EVENT_TX_START, nowNs);
            }
            segment(seq, len, flags, nowNs, false);
            if (cs.caState == CongestionState.RECOVERY)
            {
                prrOut++;
            }
            if (seq - sndMax < 0)
            {
                totalRetrans++;
                undoRetrans++;
                bytesRetrans += len;
                tcp.counters.increment(TcpCounters.RETRANS_SEGS);
            }
            else if (!rttTiming)
            {
                rttTiming = true;
                rttSeq = seq;
                rttStartNs = nowNs;
            }
            sndNxt = seq + len;
            if ((flags & FIN) != 0)
            {
                finSent = true;
                finSeq = sndNxt;
                sndNxt++;
            }
            advanceMax();
            armRtx(nowNs);
            if ((flags & FIN) != 0)
            {
                break;
            }
        }
        cs.cwndLimited = cwndLimited || sndNxt - sndUna >= cs.cwnd * mss - mss;
        cs.sndNxt = sndNxt;
        cs.packetsInFlight = (sndNxt - sndUna + mss - 1) / mss;
    }

    /** tcp_cwnd_restart (RFC 5681 4.1, RFC 7661): after an idle RTO, cwnd halves per RTO down to the initial window. */
    private void restartCwnd(final long nowNs)
    {
        final int restart = Math.min(config.initialCwnd(), cs.cwnd);
        final long rto = rtt.rtoNs();
        long idle = nowNs - lastDataSendNs;
        int cwnd = cs.cwnd;
        while ((idle -= rto) > 0 && cwnd > restart)
        {
            cwnd >>= 1;
        }
        cs.ssthresh = Math.max(cs.ssthresh, (cs.cwnd >> 1) + (cs.cwnd >> 2)); // tcp_current_ssthresh
        cs.cwnd = Math.max(cwnd, restart);
        cc.cwndEvent(cs, CongestionState.EVENT_CWND_RESTART, nowNs);
    }

    private void advanceMax()
    {
        if (sndNxt - sndMax > 0)
        {
            sndMax = sndNxt;
        }
    }

    private void armRtx(final long nowNs)
    {
        if (!rtxTimer.pending())
        {
            armTimer(nowNs);
        }
    }

    private void scheduleRto(final long nowNs)
    {
        probeArmed = false;
        tcp.timers.schedule(rtxTimer, nowNs + rtt.rtoNs());
    }

    /**
     * The retransmission timer, or ahead of it Linux's tail loss probe (tcp_schedule_loss_probe, RFC 8985 7.2):
     * in the Open state with SACK, one probe per episode after 2 SRTT (plus the 200 ms delayed-ACK allowance when
     * a single segment is out) or at the RTO if that is sooner, so a lost tail or a receiver that holds its ACK costs an RTT, not an RTO.
     */
    private void armTimer(final long nowNs)
    {
        final long rtoAt = nowNs + rtt.rtoNs();
        final long srttUs = rtt.srttUs();
        if (tcp.tailLossProbe && sackOn && !tlpOut && cs.caState == CongestionState.OPEN && srttUs > 0
            && state == TcpState.ESTABLISHED)
        {
            // never later than the RTO would fire: then the probe goes instead (tcp_rto_delta_us)
            final long ptoNs = 2 * srttUs * 1000 + (sndNxt - sndUna <= mss ? TLP_SINGLE_NS : TLP_MIN_NS);
            probeArmed = true;
            tcp.timers.schedule(rtxTimer, Math.min(nowNs + ptoNs, rtoAt));
            return;
        }
        probeArmed = false;
        tcp.timers.schedule(rtxTimer, rtoAt);
    }

    /** tcp_send_loss_probe: one new segment if the peer's window takes it (cwnd aside), else the last one again. */
    private void lossProbe(final long nowNs)
    {
        if (sndUna == sndNxt || sendRing == null || state != TcpState.ESTABLISHED)
        {
            scheduleRto(nowNs);
            return;
        }
        final int unsent = sndUna + sendRing.size() - sndNxt;
        final int len = Math.min(mss, unsent);
        if (!finQueued && len > 0 && sndNxt + len - (sndUna + sndWnd) <= 0 && sndNxt == sndMax)
        {
            final int seq = sndNxt;
            segment(seq, len, ACK, nowNs, false);
            sndNxt = seq + len;
            advanceMax();
        }
        else
        {
            retransmitOne(Math.max(sndUna, sndNxt - Math.min(mss, sndNxt - sndUna)), nowNs);
        }
        tcp.counters.increment(TcpCounters.LOSS_PROBES);
        tlpOut = true;
        tlpHigh = sndNxt;
        scheduleRto(nowNs);
    }

    /** RFC 6675 5 (C): while pipe allows, NextSeg's retransmissions (new data is left to trySend's loop). */
    private void sackRecovery(final long nowNs)
    {
        for (int guard = 0; guard < 64; guard++)
        {
            final int pipe = scoreboard.pipe(sndUna, sndNxt, mss, DUP_THRESH);
            if (cs.cwnd * mss - pipe < mss)
            {
                return;
            }
            final long next = scoreboard.nextSegment(sndUna, sndNxt, highRxt, mss, DUP_THRESH, false);
            if (next == -1)
            {
                return;
            }
            final int seq = (int)next;
            if (seq - sndNxt >= 0 || seq - sndUna < 0)
            {
                return;
            }
            retransmitOne(seq, nowNs);
            prrOut++;
        }
    }

    /**
     * The retransmission of the head was lost when data sent after it (beyond the snd_nxt of that moment, by
     * more than the reordering allowance) is SACKed while the head is still missing: sent again at once instead
     * of waiting for the RTO (Linux's RACK / tcp_mark_lost_retrans for the head segment).
     */
    private boolean lostRetransmission(final TcpOptions o)
    {
        final int threshold = headRtxMark + (DUP_THRESH - 1) * mss;
        for (int i = 0; i < o.sackBlocks; i++)
        {
            if (o.sackRight[i] - threshold > 0 && o.sackRight[i] - sndMax <= 0 && o.sackLeft[i] - sndUna > 0)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * PRR (RFC 6937, tcp_cwnd_reduction): per ACK in recovery, cwnd = pipe + sndcnt, sndcnt proportional to what
     * was delivered (ssthresh / RecoverFS of it) while pipe is above ssthresh, then slow-start-like up to ssthresh.
     */
    private void prrAck(final int deliveredBytes)
    {
        if (deliveredBytes <= 0)
        {
            return;
        }
        final int delivered = (deliveredBytes + mss - 1) / mss;
        prrDelivered += delivered;
        final int pipe = (scoreboard.pipe(sndUna, sndNxt, mss, DUP_THRESH) + mss - 1) / mss;
        final int sndcnt;
        if (pipe > cs.ssthresh)
        {
            sndcnt = (int)(((long)prrDelivered * cs.ssthresh + recoverFs - 1) / recoverFs) - prrOut;
        }
        else
        {
            sndcnt = Math.min(cs.ssthresh - pipe, Math.max(prrDelivered - prrOut, delivered) + 1);
        }
        cs.cwnd = pipe + Math.max(sndcnt, 0);
    }

    // ------------------------------------------------------------------------------------------------ timers

    @Override
    public void onTimer(final Timer timer, final long nowNs)
    {
        switch (timer.kind())
        {
            case T_RTX ->
            {
                if (probeArmed)
                {
                    probeArmed = false;
                    lossProbe(nowNs);
                }
                else
                {
                    retransmitTimeout(nowNs);
                }
            }
            case T_DELACK ->
            {
                if (synchronizedState() && segsSinceAck > 0)
                {
                    tcp.counters.increment(TcpCounters.DELAYED_ACKS);
                    sendAck(nowNs);
                }
            }
            case T_PERSIST -> persist(nowNs);
            case T_KEEPALIVE -> keepalive(nowNs);
            case T_WAIT ->
            {
                if (state == TcpState.TIME_WAIT)
                {
                    setState(TcpState.CLOSED);
                    tcp.remove(this);
                    releaseRings();
                }
                else if (state == TcpState.FIN_WAIT_2)
                {
                    sendReset(nowNs);
                    toClosed(ConnectionEvents.CLOSED_NORMALLY, nowNs);
                }
            }
            default ->
            {
            }
        }
    }

    private void retransmitTimeout(final long nowNs)
    {
        final int s = state;
        if (s == TcpState.CLOSED || s == TcpState.TIME_WAIT)
        {
            return;
        }
        final int max = s == TcpState.SYN_SENT ? config.synRetries()
            : s == TcpState.SYN_RECEIVED ? config.synAckRetries() : config.retries2();
        if (s != TcpState.SYN_SENT && s != TcpState.SYN_RECEIVED && sndUna == sndMax)
        {
            return;
        }
        if (retries >= max)
        {
            tcp.counters.increment(TcpCounters.ABORT_ON_TIMEOUT);
            if (synchronizedState())
            {
                sendReset(nowNs);
            }
            toClosed(s == TcpState.SYN_SENT && softError ? ConnectionEvents.UNREACHABLE : ConnectionEvents.TIMED_OUT, nowNs);
            return;
        }
        retries++;
        tcp.counters.increment(TcpCounters.TIMEOUTS);
        rtt.backoff();
        rttTiming = false;
        if (s == TcpState.SYN_SENT || s == TcpState.SYN_RECEIVED)
        {
            totalRetrans++;
            tcp.counters.increment(TcpCounters.RETRANS_SEGS);
            sendSyn(nowNs, s == TcpState.SYN_RECEIVED);
            scheduleRto(nowNs);
            return;
        }
        // RFC 6298 5.4-5.6 and RFC 5681 3.1: one segment, ssthresh from cc, go back to snd_una
        if (cs.caState != CongestionState.LOSS)
        {
            cs.packetsInFlight = (sndNxt - sndUna + mss - 1) / mss;
            cs.ssthresh = Math.max(2, cc.ssthresh(cs));
            caState(CongestionState.LOSS, nowNs);
        }
        cc.cwndEvent(cs, CongestionState.EVENT_LOSS, nowNs);
        cs.cwnd = 1;
        cs.cwndCount = 0;
        recover = sndMax;
        dupAcks = 0;
        tlpOut = false;
        undoArmed = false; // no undo of an RTO (no F-RTO / Eifel)
        scoreboard.clear();
        highRxt = sndUna;
        sndNxt = sndUna;
        if (finSent && finSeq - sndUna >= 0)
        {
            finSent = false;
        }
        scheduleRto(nowNs);
        trySend(nowNs);
    }

    private void persist(final long nowNs)
    {
        if (!synchronizedState() || sendRing == null)
        {
            return;
        }
        final int unsent = sndUna + sendRing.size() - sndNxt;
        if (unsent <= 0 || sndNxt != sndUna)
        {
            return;
        }
        if (sndWnd > 0)
        {
            // the SWS override timeout (RFC 9293 3.8.6.2.1): what the window takes, even if small
            final int len = Math.min(Math.min(mss, unsent), sndWnd);
            segment(sndNxt, len, ACK, nowNs, false);
            sndNxt += len;
            advanceMax();
            armRtx(nowNs);
            return;
        }
        // Linux's zero-window probe (tcp_xmit_probe_skb): snd_una - 1, no data; the answer carries the window
        segment(sndUna, 0, ACK, nowNs, true);
        rtt.backoff();
        tcp.timers.schedule(persistTimer, nowNs + rtt.rtoNs());
    }

    private void keepalive(final long nowNs)
    {
        if (!keepAliveOn || !synchronizedState())
        {
            return;
        }
        final long idle = nowNs - lastReceiveNs;
        if (idle < config.keepaliveIdleNs() && probes == 0)
        {
            tcp.timers.schedule(keepaliveTimer, lastReceiveNs + config.keepaliveIdleNs());
            return;
        }
        if (probes >= config.keepaliveProbes())
        {
            sendReset(nowNs);
            toClosed(ConnectionEvents.TIMED_OUT, nowNs);
            return;
        }
        probes++;
        tcp.counters.increment(TcpCounters.KEEPALIVES);
        segment(sndUna, 0, ACK, nowNs, true);
        tcp.timers.schedule(keepaliveTimer, nowNs + config.keepaliveIntervalNs());
    }

    /** ICMP packet too big: a smaller path MTU, and what no longer fits is sent again (RFC 1191/8201). */
    void pathMtu(final int mtu, final long nowNs)
    {
        final int min = v6 ? 1280 : 552;
        final int newMtu = Math.max(min, mtu);
        if (newMtu >= pmtu)
        {
            return;
        }
        pmtu = newMtu;
        final int oldMss = mss;
        updateMss();
        if (mss < oldMss && sndNxt != sndUna && synchronizedState())
        {
            // tcp_simple_retransmit: no congestion response, resend from snd_una in the new size
            sndNxt = sndUna;
            if (finSent)
            {
                finSent = false;
            }
            trySend(nowNs);
        }
    }
}
