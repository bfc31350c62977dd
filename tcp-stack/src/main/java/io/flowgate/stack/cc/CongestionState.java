package io.flowgate.stack.cc;

/**
 * The congestion-control view of one connection, owned by the connection and read/written by its
 * {@link CongestionControl}: the fields of Linux's {@code tcp_sock} that {@code tcp_congestion_ops} use.
 * Windows are in segments (of {@link #mss} bytes), as in Linux, so {@code cwnd} compares with {@code ss -ti}.
 */
public final class CongestionState
{
    /** Linux's TCP_INFINITE_SSTHRESH. */
    public static final int INFINITE_SSTHRESH = 0x7fff_ffff;

    /** {@link #caState}: Linux's TCP_CA_Open: no loss suspected. */
    public static final int OPEN = 0;
    /** TCP_CA_Disorder: duplicate ACKs or SACKs seen, not yet recovery. */
    public static final int DISORDER = 1;
    /** TCP_CA_CWR: window reduced by ECN or local congestion. */
    public static final int CWR = 2;
    /** TCP_CA_Recovery: fast retransmit / recovery. */
    public static final int RECOVERY = 3;
    /** TCP_CA_Loss: retransmission timeout. */
    public static final int LOSS = 4;

    /** {@link CongestionControl#cwndEvent}: first transmission when nothing was in flight. */
    public static final int EVENT_TX_START = 0;
    /** Congestion window restart after idle (RFC 7661/5681 4.1). */
    public static final int EVENT_CWND_RESTART = 1;
    /** End of CWR (window reduction finished). */
    public static final int EVENT_COMPLETE_CWR = 2;
    /** A retransmission timeout. */
    public static final int EVENT_LOSS = 3;

    /** snd_cwnd, segments. */
    public int cwnd;
    /** snd_ssthresh, segments. */
    public int ssthresh = INFINITE_SSTHRESH;
    /** snd_cwnd_cnt: ACKed segments counted towards the next +1 in congestion avoidance. */
    public int cwndCount;
    /** snd_cwnd_clamp: cwnd never exceeds it. */
    public int cwndClamp = 0xFFFF_FFF;
    /** The sender MSS in bytes (what one segment of cwnd is). */
    public int mss;
    /** Segments in flight (RFC 6675 pipe in segments, as Linux's tcp_packets_in_flight). */
    public int packetsInFlight;
    /** True when the last transmission opportunity was limited by cwnd, not by the application or the peer (tcp_is_cwnd_limited). */
    public boolean cwndLimited;
    /** Smoothed RTT, microseconds (0 before a sample). */
    public long srttUs;
    /** Minimum RTT seen, microseconds (0 before a sample). */
    public long minRttUs;
    /** One of OPEN .. LOSS. */
    public int caState = OPEN;
    /** Bytes newly delivered (acked or sacked) by the ACK being processed. */
    public int deliveredBytes;
    /** snd_cwnd before the last reduction (tp->prior_cwnd), for undo; set by {@link CongestionControl#ssthresh}. */
    public int priorCwnd;
    /** snd_una after the ACK being processed (HyStart's round tracking: the connection must keep it and sndNxt current). */
    public int sndUna;
    /** snd_nxt (HyStart's round end). */
    public int sndNxt;
    /** Time of the last transmission before the current one (tp->lsndtime), for EVENT_TX_START after idle; 0 = unknown (no shift). */
    public long lastSendNs;

    /** tcp_in_slow_start. */
    public boolean inSlowStart()
    {
        return cwnd < ssthresh;
    }
}
