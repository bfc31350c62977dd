package io.flowgate.stack.tcp;

/** Names of {@link Tcp#counter}, after Linux's SNMP MIB (Tcp:) and TcpExt: counters. The TCP core part may add more. */
public final class TcpCounters
{
    public static final int ACTIVE_OPENS = 0;
    public static final int PASSIVE_OPENS = 1;
    public static final int ATTEMPT_FAILS = 2;
    public static final int ESTAB_RESETS = 3;
    public static final int IN_SEGS = 4;
    public static final int OUT_SEGS = 5;
    public static final int RETRANS_SEGS = 6;
    public static final int IN_ERRS = 7;
    public static final int OUT_RSTS = 8;
    /** TcpExt SyncookiesSent. */
    public static final int SYNCOOKIES_SENT = 9;
    /** TcpExt SyncookiesRecv. */
    public static final int SYNCOOKIES_RECV = 10;
    /** TcpExt SyncookiesFailed. */
    public static final int SYNCOOKIES_FAILED = 11;
    /** TcpExt ListenOverflows (accept queue full). */
    public static final int LISTEN_OVERFLOWS = 12;
    /** TcpExt ListenDrops. */
    public static final int LISTEN_DROPS = 13;
    /** TcpExt TCPTimeouts. */
    public static final int TIMEOUTS = 14;
    /** TcpExt TCPFastRetrans. */
    public static final int FAST_RETRANS = 15;
    /** TcpExt TCPSackRecovery. */
    public static final int SACK_RECOVERY = 16;
    /** TcpExt TCPRenoRecovery. */
    public static final int RENO_RECOVERY = 17;
    /** TcpExt TCPChallengeACK (RFC 5961). */
    public static final int CHALLENGE_ACKS = 18;
    /** TcpExt TW (TIME_WAIT entered). */
    public static final int TIME_WAITS = 19;
    /** TcpExt TCPAbortOnData (close with unread data). */
    public static final int ABORT_ON_DATA = 20;
    /** TcpExt TCPAbortOnTimeout. */
    public static final int ABORT_ON_TIMEOUT = 21;
    /** TcpExt TCPKeepAlive probes sent. */
    public static final int KEEPALIVES = 22;
    /** TcpExt DelayedACKs. */
    public static final int DELAYED_ACKS = 23;
    /** Segments dropped before processing: bad checksum (IN_ERRS too), bad options, no buffer for the out-of-order queue. */
    public static final int DROPPED = 24;
    /** Packet buffers unavailable when sending. */
    public static final int NO_BUFFER = 25;
    /** Tail loss probes sent (TCPLossProbes). */
    public static final int LOSS_PROBES = 26;
    /** Fast recoveries undone because every retransmission was D-SACKed (TCPDSACKUndo). */
    public static final int DSACK_UNDO = 27;
    /** Retransmissions found lost and sent again without an RTO (TCPLostRetransmit). */
    public static final int LOST_RETRANSMITS = 28;
    /** Segments with a bad checksum (Tcp:InCsumErrors; IN_ERRS too). */
    public static final int IN_CSUM_ERRORS = 29;
    public static final int COUNTERS = 32;

    private TcpCounters()
    {
    }
}
