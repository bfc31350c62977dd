package io.flowgate.conntrack.tcp;

import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.OffHeap;
import io.flowgate.conntrack.expect.HelpTable;

import static io.flowgate.conntrack.tcp.TcpRecord.EXP_CHALLENGE_ACK;
import static io.flowgate.conntrack.tcp.TcpRecord.FLAG_BE_LIBERAL;
import static io.flowgate.conntrack.tcp.TcpRecord.FLAG_CLOSE_INIT;
import static io.flowgate.conntrack.tcp.TcpRecord.FLAG_DATA_UNACKNOWLEDGED;
import static io.flowgate.conntrack.tcp.TcpRecord.FLAG_MAXACK_SET;
import static io.flowgate.conntrack.tcp.TcpRecord.FLAG_SACK_PERM;
import static io.flowgate.conntrack.tcp.TcpRecord.FLAG_WINDOW_SCALE;
import static io.flowgate.conntrack.tcp.TcpRecord.SIMULTANEOUS_OPEN;

/**
 * The TCP connection tracker: Linux 6.x {@code net/netfilter/nf_conntrack_proto_tcp.c} ({@code tcp_error},
 * {@code tcp_new}, {@code nf_conntrack_tcp_packet}, {@code tcp_in_window}, {@code tcp_options},
 * {@code tcp_sack}, {@code nf_tcp_handle_invalid}) over a record's protocol area ({@link TcpRecord}).
 * <p>
 * Usage, per segment of a TCP packet: {@link #error} (0 = trackable, else the packet is invalid); for a
 * connection being created, {@link #newConnection} (false = invalid, do not create); then {@link #packet}
 * with the segment's direction and the record's current status word; apply the {@link TcpResult}
 * (timeout, ASSURED, kill, events). The caller sets SEEN_REPLY after a reply packet as Linux's
 * {@code nf_conntrack_in} does, after this call. {@code th} is the absolute address of the TCP header and
 * {@code segmentLength} the TCP header plus payload as the IP header states it (Linux's
 * {@code skb->len - dataoff}), at most 65535. Checksums are the caller's business; NAT sequence adjustment
 * (seqadj) is not modelled (offset 0).
 * <p>
 * Thread-safety: one instance per worker; it keeps no per-packet state between calls. The record is written
 * in place: the caller brackets the call with the record's seqlock when readers may look.
 * <p>
 * Shutdown: nothing to release.
 */
public final class TcpTracker
{
    /** NF_ACCEPT. */
    public static final int ACCEPT = 1;
    /** -NF_ACCEPT: the packet is invalid for conntrack (not attached to the connection); the state is unchanged. */
    public static final int INVALID = -1;
    /** -NF_REPEAT: the connection was killed (reopened by a SYN); delete it and look up / create again. */
    public static final int REPEAT = -4;
    /** NF_DROP: reopen while the old connection is already dying. */
    public static final int DROP = 0;

    public static final int REASON_NONE = 0;
    /** tcp_error: "truncated packet". */
    public static final int REASON_TRUNCATED = 1;
    /** tcp_error: "invalid tcp flag combination". */
    public static final int REASON_BAD_FLAGS = 2;
    /** tcp_new: "invalid new" (or loose pickup disabled). */
    public static final int REASON_INVALID_NEW = 3;
    /** State table said sIV: "packet (index %d) in dir %d invalid". */
    public static final int REASON_INVALID_TRANSITION = 4;
    /** "invalid rst": RST below the peer's highest ack. */
    public static final int REASON_INVALID_RST = 5;
    /** tcp_in_window: "SEQ is over upper bound". */
    public static final int REASON_SEQ_OVER_UPPER = 6;
    /** tcp_in_window: "ACK is over upper bound". */
    public static final int REASON_ACK_OVER_UPPER = 7;
    /** State table said sIG (or an un-reopenable SYN): "packet ... ignored". Verdict ACCEPT. */
    public static final int REASON_IGNORED = 8;
    /** tcp_in_window: "%u bytes more than expected" (ignored, ACCEPT). */
    public static final int REASON_OVERSHOT = 9;
    /** tcp_in_window: "SEQ is under lower bound" (ignored, ACCEPT). */
    public static final int REASON_SEQ_UNDER_LOWER = 10;
    /** tcp_in_window: "ignored ACK under lower bound" (ignored, ACCEPT). */
    public static final int REASON_ACK_UNDER_LOWER = 11;
    /** "challenge-ack ignored" in LAST_ACK (ACCEPT, no state change). */
    public static final int REASON_CHALLENGE_ACK = 12;

    /** Linux's enum tcp_bit_set: the row of the state table a segment selects. */
    static final int SYN_SET = 0;
    static final int SYNACK_SET = 1;
    static final int FIN_SET = 2;
    static final int ACK_SET = 3;
    static final int RST_SET = 4;
    static final int NONE_SET = 5;

    private static final int DIR_ORIGINAL = 0;
    private static final int DIR_REPLY = 1;

    // TCP header flag bits (byte 13).
    static final int TH_FIN = 0x01;
    static final int TH_SYN = 0x02;
    static final int TH_RST = 0x04;
    static final int TH_PSH = 0x08;
    static final int TH_ACK = 0x10;
    static final int TH_URG = 0x20;
    static final int TH_ECE = 0x40;
    static final int TH_CWR = 0x80;

    private static final int MAXACKWINCONST = 66000;
    private static final int TCP_MAX_WSCALE = 14;

    // tcp_in_window's outcomes (enum nf_ct_tcp_action).
    private static final int WIN_IGNORE = 0;
    private static final int WIN_INVALID = 1;
    private static final int WIN_ACCEPT = 2;

    private static final int sNO = TcpState.NONE;
    private static final int sSS = TcpState.SYN_SENT;
    private static final int sSR = TcpState.SYN_RECV;
    private static final int sES = TcpState.ESTABLISHED;
    private static final int sFW = TcpState.FIN_WAIT;
    private static final int sCW = TcpState.CLOSE_WAIT;
    private static final int sLA = TcpState.LAST_ACK;
    private static final int sTW = TcpState.TIME_WAIT;
    private static final int sCL = TcpState.CLOSE;
    private static final int sS2 = TcpState.SYN_SENT2;
    private static final int sIV = TcpState.MAX;
    private static final int sIG = TcpState.IGNORE;

    /**
     * tcp_conntracks[dir][tcp_bit_set][old state] = new state (Linux 6.x). Flattened at class load into
     * {@link #TRANSITIONS}. Row comments as Linux's; see the C source for the per-cell reasoning.
     */
    private static final int[][][] TABLE = {
        {
/* ORIGINAL */
/*              sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2 */
/* syn    */ { sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2 },
/* synack */ { sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR },
/* fin    */ { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
/* ack    */ { sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV },
/* rst    */ { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
/* none   */ { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
        },
        {
/* REPLY */
/*              sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2 */
/* syn    */ { sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2 },
/* synack */ { sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR },
/* fin    */ { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
/* ack    */ { sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG },
/* rst    */ { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
/* none   */ { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
        },
    };

    /** TABLE as one array: [(dir * 6 + index) * MAX + state]. */
    private static final byte[] TRANSITIONS = new byte[2 * 6 * TcpState.MAX];

    /**
     * tcp_valid_flags[]: the FIN/SYN/RST/ACK/URG combinations that may be tracked (PSH, ECE and CWR are
     * always valid and masked out before the lookup).
     */
    private static final boolean[] VALID_FLAGS = new boolean[(TH_FIN | TH_SYN | TH_RST | TH_ACK | TH_URG) + 1];

    static
    {
        for (int dir = 0; dir < 2; dir++)
        {
            for (int index = 0; index < 6; index++)
            {
                for (int state = 0; state < TcpState.MAX; state++)
                {
                    TRANSITIONS[(dir * 6 + index) * TcpState.MAX + state] = (byte)TABLE[dir][index][state];
                }
            }
        }
        VALID_FLAGS[TH_SYN] = true;
        VALID_FLAGS[TH_SYN | TH_URG] = true;
        VALID_FLAGS[TH_SYN | TH_ACK] = true;
        VALID_FLAGS[TH_RST] = true;
        VALID_FLAGS[TH_RST | TH_ACK] = true;
        VALID_FLAGS[TH_FIN | TH_ACK] = true;
        VALID_FLAGS[TH_FIN | TH_ACK | TH_URG] = true;
        VALID_FLAGS[TH_ACK] = true;
        VALID_FLAGS[TH_ACK | TH_URG] = true;
    }

    private final int[] timeouts;
    private final int maxRetrans;
    private final boolean loose;
    private final boolean beLiberal;
    private final boolean ignoreInvalidRst;

    /** NAT helpers' sequence offsets (nf_conn_seqadj) of the connection in {@link #packet}, when it has SEQ_ADJUST. */
    private HelpTable seqadj;
    private int seqadjBase = HelpTable.NONE;

    /**
     * Tells the next {@link #packet} calls where the connection's sequence offsets are ({@code base} of
     * {@code help}, or {@link HelpTable#NONE} for a connection without SEQ_ADJUST): acks are then compared in
     * the sender's own numbers, as {@code tcp_in_window} does with {@code nf_ct_seq_offset}.
     */
    public void seqadj(final HelpTable help, final int base)
    {
        this.seqadj = help;
        this.seqadjBase = help == null ? HelpTable.NONE : base;
    }

    public TcpTracker(final TcpTrackerConfig config)
    {
        timeouts = config.timeoutsMs();
        maxRetrans = config.maxRetrans();
        loose = config.loose();
        beLiberal = config.beLiberal();
        ignoreInvalidRst = config.ignoreInvalidRst();
    }

    /** New state for a segment of row {@code index} in direction {@code dir} from {@code state} (the table, as data). */
    public static int transition(final int dir, final int index, final int state)
    {
        return TRANSITIONS[(dir * 6 + index) * TcpState.MAX + state];
    }

    /** get_conntrack_index: the table row a segment's flags select. */
    static int conntrackIndex(final int thFlags)
    {
        if ((thFlags & TH_RST) != 0)
        {
            return RST_SET;
        }
        if ((thFlags & TH_SYN) != 0)
        {
            return (thFlags & TH_ACK) != 0 ? SYNACK_SET : SYN_SET;
        }
        if ((thFlags & TH_FIN) != 0)
        {
            return FIN_SET;
        }
        if ((thFlags & TH_ACK) != 0)
        {
            return ACK_SET;
        }
        return NONE_SET;
    }

    /**
     * tcp_error: 0 if the segment may be tracked, else {@link #REASON_TRUNCATED} (header shorter than 20
     * bytes, data offset under 5 words or beyond the segment) or {@link #REASON_BAD_FLAGS}.
     */
    public int error(final long th, final int segmentLength)
    {
        if (segmentLength < 20)
        {
            return REASON_TRUNCATED;
        }
        final int doff = dataOffset(th);
        if (doff < 20 || segmentLength < doff)
        {
            return REASON_TRUNCATED;
        }
        final int flags = OffHeap.getUnsignedByte(th + 13) & ~(TH_ECE | TH_CWR | TH_PSH);
        if (!VALID_FLAGS[flags])
        {
            return REASON_BAD_FLAGS;
        }
        return REASON_NONE;
    }

    /**
     * tcp_new: initialises a new record's TCP area from its first packet (original direction, already
     * passed {@link #error}). False: not a valid first packet (only a SYN, or with loose pickup a plain ACK,
     * may create a connection); the caller must not create it and the packet is invalid.
     */
    public boolean newConnection(final long record, final long th, final int segmentLength)
    {
        final int thFlags = OffHeap.getUnsignedByte(th + 13);
        final int newState = transition(DIR_ORIGINAL, conntrackIndex(thFlags), TcpState.NONE);
        if (newState >= TcpState.MAX)
        {
            return false;
        }
        final int doff = dataOffset(th);
        final int end = segmentEnd(th, thFlags, segmentLength, doff);
        final int win = be16(th + 14);
        final int maxWin = win == 0 ? 1 : win;
        if (newState == TcpState.SYN_SENT)
        {
            TcpRecord.clear(record);
            TcpRecord.tdEnd(record, 0, end);
            TcpRecord.tdMaxWin(record, 0, maxWin);
            TcpRecord.tdMaxEnd(record, 0, end);
            applyOptions(record, 0, parseOptions(th, doff));
        }
        else if (!loose)
        {
            return false;
        }
        else
        {
            // Mid-stream pickup: the history is lost, take what the packet says; assume SACK and be liberal
            // about the window, since the scale factors were never seen.
            TcpRecord.clear(record);
            TcpRecord.tdEnd(record, 0, end);
            TcpRecord.tdMaxWin(record, 0, maxWin);
            TcpRecord.tdMaxEnd(record, 0, end + maxWin);
            TcpRecord.flags(record, 0, FLAG_SACK_PERM | FLAG_BE_LIBERAL);
            TcpRecord.flags(record, 1, FLAG_SACK_PERM | FLAG_BE_LIBERAL);
        }
        TcpRecord.lastIndex(record, NONE_SET);
        return true;
    }

    /**
     * nf_conntrack_tcp_packet (after tcp_error and tcp_new): tracks one segment of direction {@code dir}
     * (0 original, 1 reply) on {@code record}; {@code status} is the record's status word as it is before
     * this packet. Writes the decision into {@code out} and returns its verdict.
     */
    public int packet(final long record, final int dir, final int ctinfo, final int status, final long th,
        final int segmentLength, final TcpResult out)
    {
        out.reset();
        final int thFlags = OffHeap.getUnsignedByte(th + 13);
        final int doff = dataOffset(th);
        final int seq = be32(th + 4);
        final int ackSeq = be32(th + 8);
        final int winRaw = be16(th + 14);
        final int end = segmentEnd(th, thFlags, segmentLength, doff);
        final int index = conntrackIndex(thFlags);

        int oldState = TcpRecord.state(record);
        int newState = transition(dir, index, oldState);
        out.oldState = oldState;
        out.newState = oldState;
        boolean checkWindow = true;

        boolean ignore = newState == sIG;
        if (newState == sSS && oldState >= sTW)
        {
            // RFC 1122 reopening from TIME_WAIT / CLOSE, or a client that aborted and starts anew: kill the
            // old entry and let the caller look up again - when a side initiated the close or the last
            // in-window segment from this side was an RST. Otherwise treat the SYN as ignored.
            final int lastIndex = TcpRecord.lastIndex(record);
            if (((TcpRecord.flags(record, dir) | TcpRecord.flags(record, 1 - dir)) & FLAG_CLOSE_INIT) != 0 ||
                (TcpRecord.lastDir(record) == dir && lastIndex == RST_SET))
            {
                out.kill = true;
                out.verdict = (status & CtStatus.DYING) != 0 ? DROP : REPEAT;
                return out.verdict;
            }
            ignore = true;
        }

        if (ignore)
        {
            final int lastDir = TcpRecord.lastDir(record);
            if (index == SYNACK_SET && TcpRecord.lastIndex(record) == SYN_SET && lastDir != dir &&
                ackSeq == TcpRecord.lastEnd(record))
            {
                // b) This SYN/ACK answers a SYN we ignored: client and server are in sync, we are not.
                // Re-sync from what was noted about that SYN and track on as a fresh SYN_SENT -> SYN_RECV.
                oldState = sSS;
                newState = sSR;
                final int lastEnd = TcpRecord.lastEnd(record);
                final int lastWin = TcpRecord.lastWin(record);
                TcpRecord.tdEnd(record, lastDir, lastEnd);
                TcpRecord.tdMaxEnd(record, lastDir, lastEnd);
                TcpRecord.tdMaxWin(record, lastDir, lastWin == 0 ? 1 : lastWin);
                TcpRecord.scale(record, lastDir, TcpRecord.lastWscale(record));
                final int lastFlags = TcpRecord.lastFlags(record) & ~EXP_CHALLENGE_ACK;
                TcpRecord.lastFlags(record, lastFlags);
                TcpRecord.flags(record, lastDir, lastFlags);
                resetSender(record, dir);
            }
            else
            {
                ignored(record, dir, index, oldState, seq, ackSeq, end, winRaw, th, doff);
                out.reason = REASON_IGNORED;
                return out.verdict = ACCEPT;
            }
        }
        else if (newState == sIV)
        {
            out.reason = REASON_INVALID_TRANSITION;
            return out.verdict = INVALID;
        }
        else if (newState == sTW)
        {
            // RFC 5961: a challenge ACK answering a spurious SYN in LAST_ACK does not ack the last FIN.
            if (oldState == sLA && index == ACK_SET && TcpRecord.lastDir(record) != dir &&
                TcpRecord.lastIndex(record) == SYN_SET && (TcpRecord.lastFlags(record) & EXP_CHALLENGE_ACK) != 0)
            {
                TcpRecord.lastFlags(record, TcpRecord.lastFlags(record) & ~EXP_CHALLENGE_ACK);
                out.reason = REASON_CHALLENGE_ACK;
                return out.verdict = ACCEPT;
            }
        }
        else if (newState == sS2)
        {
            // The table alone cannot follow a simultaneous open.
            TcpRecord.lastFlags(record, TcpRecord.lastFlags(record) | SIMULTANEOUS_OPEN);
        }
        else if (newState == sSR)
        {
            if (dir == DIR_REPLY && index == ACK_SET && (TcpRecord.lastFlags(record) & SIMULTANEOUS_OPEN) != 0)
            {
                newState = sES;
            }
        }
        else if (newState == sCL && index == RST_SET)
        {
            final int verdict = closeByRst(record, dir, status, seq, ackSeq, oldState);
            if (verdict == RST_INVALID)
            {
                out.reason = REASON_INVALID_RST;
                return out.verdict = INVALID;
            }
            if (verdict == RST_SKIP_WINDOW)
            {
                checkWindow = false;
            }
            else if (verdict == RST_KEEP_STATE || verdict == RST_KEEP_STATE_SKIP_WINDOW)
            {
                newState = oldState;
                checkWindow = verdict == RST_KEEP_STATE;
            }
        }

        if (checkWindow)
        {
            final int res = inWindow(record, dir, index, th, thFlags, doff, seq, ackSeq, winRaw, end, out);
            if (res == WIN_IGNORE)
            {
                return out.verdict = ACCEPT;
            }
            if (res == WIN_INVALID)
            {
                handleInvalid(record, dir, index, status, out);
                return out.verdict = INVALID;
            }
            out.reason = REASON_NONE;
        }

        // From here on the segment is in window.
        TcpRecord.lastIndex(record, index);
        TcpRecord.lastDir(record, dir);
        TcpRecord.state(record, newState);
        if (oldState != newState && newState == sFW)
        {
            TcpRecord.flags(record, dir, TcpRecord.flags(record, dir) | FLAG_CLOSE_INIT);
        }

        final int[] timeouts = this.timeouts;
        final int stateTimeout = timeouts[newState];
        int timeout;
        if (TcpRecord.retrans(record) >= maxRetrans && stateTimeout > timeouts[TcpState.RETRANS])
        {
            timeout = timeouts[TcpState.RETRANS];
        }
        else if (index == RST_SET)
        {
            timeout = timeouts[TcpState.CLOSE];
        }
        else if (((TcpRecord.flags(record, 0) | TcpRecord.flags(record, 1)) & FLAG_DATA_UNACKNOWLEDGED) != 0 &&
            stateTimeout > timeouts[TcpState.UNACK])
        {
            timeout = timeouts[TcpState.UNACK];
        }
        else if (TcpRecord.lastWin(record) == 0 && stateTimeout > timeouts[TcpState.RETRANS])
        {
            timeout = timeouts[TcpState.RETRANS];
        }
        else
        {
            timeout = stateTimeout;
        }

        out.oldState = oldState;
        out.newState = newState;
        out.stateChanged = newState != oldState;
        out.verdict = ACCEPT;

        if ((status & CtStatus.SEEN_REPLY) == 0)
        {
            // Only an RST answered: not a connection worth keeping.
            if ((thFlags & TH_RST) != 0)
            {
                out.kill = true;
                return ACCEPT;
            }
            // A retransmitted SYN does not renew the timeout (port reuse must not keep the entry alive).
            if (index == SYN_SET && oldState == sSS)
            {
                return ACCEPT;
            }
            // Picked up mid-stream without a reply yet: not the long ESTABLISHED timeout.
            if (newState == sES && timeout > timeouts[TcpState.UNACK])
            {
                timeout = timeouts[TcpState.UNACK];
            }
        }
        else if ((status & CtStatus.ASSURED) == 0 && (oldState == sSR || oldState == sES) && newState == sES)
        {
            out.assured = true;
        }
        out.refresh = true;
        out.timeoutMs = timeout;
        return ACCEPT;
    }

    private static final int RST_WINDOW = 0;
    private static final int RST_SKIP_WINDOW = 1;
    private static final int RST_INVALID = 2;
    private static final int RST_KEEP_STATE = 3;
    private static final int RST_KEEP_STATE_SKIP_WINDOW = 4;

    /** nf_conntrack_tcp_packet's TCP_CONNTRACK_CLOSE case for an RST: which way the RST goes on. */
    private int closeByRst(final long record, final int dir, final int status, final int seq, final int ackSeq,
        final int oldState)
    {
        final int storedState = TcpRecord.state(record);
        // Closing already: the tuple may be reused and our window data stale; skip the checks.
        if (storedState == sFW || storedState == sLA || storedState == sTW || storedState == sCL || storedState == sCW)
        {
            return RST_SKIP_WINDOW;
        }
        final int lastIndex = TcpRecord.lastIndex(record);
        final boolean established = storedState == sES && (status & CtStatus.ASSURED) != 0;
        boolean keepState = false;
        // td_maxack is stale if we let a SYN through earlier.
        if ((TcpRecord.flags(record, 1 - dir) & FLAG_MAXACK_SET) != 0 && lastIndex != SYN_SET)
        {
            // Not established and SEQ 0: most likely the answer to a SYN we let through.
            if (seq == 0 && !established)
            {
                return RST_WINDOW;
            }
            final int maxAck = TcpRecord.tdMaxAck(record, 1 - dir);
            if (before(seq, maxAck) && !ignoreInvalidRst)
            {
                return RST_INVALID;
            }
            if (!established || seq == maxAck)
            {
                return RST_WINDOW;
            }
            // An RST right after this side's last data ("train"): fine.
            if (lastIndex == ACK_SET && TcpRecord.lastDir(record) == dir && seq == TcpRecord.lastEnd(record))
            {
                return RST_WINDOW;
            }
            // Sequence not exact: stay ESTABLISHED to allow a challenge ACK.
            keepState = true;
        }
        // RST answering a SYN (a) or an ACK (c) we let through: skip the window, it may ack what we ignored.
        if ((((status & CtStatus.SEEN_REPLY) != 0 && lastIndex == SYN_SET) ||
            ((status & CtStatus.ASSURED) == 0 && lastIndex == ACK_SET)) && ackSeq == TcpRecord.lastEnd(record))
        {
            return keepState ? RST_KEEP_STATE_SKIP_WINDOW : RST_SKIP_WINDOW;
        }
        // RST answering a challenge ACK we let through (last_ack is exact for a zero-length challenge ACK).
        if (oldState == sSS && lastIndex == ACK_SET && TcpRecord.lastDir(record) == DIR_REPLY &&
            seq == TcpRecord.lastMix(record))
        {
            return keepState ? RST_KEEP_STATE_SKIP_WINDOW : RST_SKIP_WINDOW;
        }
        return keepState ? RST_KEEP_STATE : RST_WINDOW;
    }

    /** The IGNORE case: note the segment so a later SYN/ACK or RST can re-sync or close. */
    private static void ignored(final long record, final int dir, final int index, final int oldState, final int seq,
        final int ackSeq, final int end, final int winRaw, final long th, final int doff)
    {
        TcpRecord.lastIndex(record, index);
        TcpRecord.lastDir(record, dir);
        TcpRecord.lastEnd(record, end);
        TcpRecord.lastWin(record, winRaw);
        // NOTE: Linux writes last_seq here and keeps its last_ack unless this is the challenge ACK below; the
        // folded word takes this segment's ack in both cases (see TcpRecord).
        TcpRecord.lastMix(record, TcpRecord.mix(seq, ackSeq, end));

        // a) A SYN in ORIGINAL: note its options; if the server answers with a SYN/ACK we re-sync from them.
        if (index == SYN_SET && dir == DIR_ORIGINAL)
        {
            final int options = parseOptions(th, doff);
            int lastFlags = 0;
            int lastWscale = 0;
            if ((options & FLAG_WINDOW_SCALE) != 0)
            {
                lastFlags |= FLAG_WINDOW_SCALE;
                lastWscale = (options >>> OPT_SCALE_SHIFT) & 0xF;
            }
            if ((options & FLAG_SACK_PERM) != 0)
            {
                lastFlags |= FLAG_SACK_PERM;
            }
            // RFC 5961: the server may answer with a challenge ACK, which in LAST_ACK must not count as
            // the last ACK.
            if (oldState == sLA)
            {
                lastFlags |= EXP_CHALLENGE_ACK;
            }
            TcpRecord.lastFlags(record, lastFlags);
            TcpRecord.lastWscale(record, lastWscale);
        }
    }

    /** nf_ct_tcp_state_reset. */
    private static void resetSender(final long record, final int dir)
    {
        TcpRecord.tdEnd(record, dir, 0);
        TcpRecord.tdMaxEnd(record, dir, 0);
        TcpRecord.tdMaxWin(record, dir, 0);
        TcpRecord.tdMaxAck(record, dir, 0);
        TcpRecord.scale(record, dir, 0);
        TcpRecord.flags(record, dir, TcpRecord.flags(record, dir) & FLAG_BE_LIBERAL);
    }

    /** nf_tcp_handle_invalid: an out-of-window FIN/RST answering one from the other side shortens the timeout. */
    private void handleInvalid(final long record, final int dir, final int index, final int status, final TcpResult out)
    {
        if ((status & CtStatus.ASSURED) == 0 || (status & CtStatus.FIXED_TIMEOUT) != 0)
        {
            return;
        }
        if (index != RST_SET && index != FIN_SET)
        {
            return;
        }
        final int lastIndex = TcpRecord.lastIndex(record);
        if (TcpRecord.lastDir(record) != dir && (lastIndex == FIN_SET || lastIndex == RST_SET))
        {
            out.shrinkTimeoutMs = timeouts[TcpState.UNACK];
        }
        else
        {
            TcpRecord.lastIndex(record, index);
            TcpRecord.lastDir(record, dir);
        }
    }

    /** tcp_in_window: sequence/ack bounds and window tracking (Guido van Rooij's rules, RFC 793 edges). */
    private int inWindow(final long record, final int dir, final int index, final long th, final int thFlags,
        final int doff, final int segSeq, final int ackSeq, final int winRaw, final int segEnd, final TcpResult out)
    {
        final int sender = dir;
        final int receiver = 1 - dir;
        final boolean syn = (thFlags & TH_SYN) != 0;
        final boolean hasAck = (thFlags & TH_ACK) != 0;
        int seq = segSeq;
        int end = segEnd;
        int ack = ackSeq;
        int sack = ackSeq;
        int win = winRaw;

        if ((TcpRecord.flags(record, receiver) & FLAG_SACK_PERM) != 0)
        {
            sack = highestSack(th, doff, sack);
        }
        if (seqadjBase != HelpTable.NONE)
        {
            // Take into account NAT sequence number mangling: the receiver's data was shifted on its way out.
            final int receiverOffset = seqadj.seqOffset(seqadjBase, receiver, ack - 1);
            ack -= receiverOffset;
            sack -= receiverOffset;
        }

        if (TcpRecord.tdMaxWin(record, sender) == 0)
        {
            if (syn)
            {
                // SYN/ACK answering a SYN, or a SYN from the reply side in a simultaneous open.
                initSender(record, sender, receiver, th, doff, end, win, dir);
                if (!hasAck)
                {
                    return WIN_ACCEPT;
                }
            }
            else
            {
                // Mid-stream: our history is lost, use what the segment says.
                TcpRecord.tdEnd(record, sender, end);
                final int swin = win << TcpRecord.scale(record, sender);
                final int maxWin = swin == 0 ? 1 : swin;
                TcpRecord.tdMaxWin(record, sender, maxWin);
                TcpRecord.tdMaxEnd(record, sender, end + maxWin);
                if (TcpRecord.tdMaxWin(record, receiver) == 0)
                {
                    // Nothing seen the other way yet: let rules III and IV pass until it is.
                    TcpRecord.tdEnd(record, receiver, sack);
                    TcpRecord.tdMaxEnd(record, receiver, sack);
                }
                else if (sack == TcpRecord.tdEnd(record, receiver) + 1)
                {
                    // Likely the answer to a keepalive: needed for III.
                    TcpRecord.tdEnd(record, receiver, TcpRecord.tdEnd(record, receiver) + 1);
                }
            }
        }
        else if (syn && after(end, TcpRecord.tdEnd(record, sender)) &&
            (TcpRecord.state(record) == sSS || TcpRecord.state(record) == sSR))
        {
            // RFC 793: a reinitialised TCP may reuse the connection with higher sequence numbers; re-init
            // this direction like for the first SYN(/ACK).
            initSender(record, sender, receiver, th, doff, end, win, dir);
            if (dir == DIR_REPLY && !hasAck)
            {
                return WIN_ACCEPT;
            }
        }

        if (!hasAck)
        {
            // No ACK: pretend it was set and fine.
            ack = TcpRecord.tdEnd(record, receiver);
            sack = ack;
        }
        else if ((thFlags & (TH_ACK | TH_RST)) == (TH_ACK | TH_RST) && ack == 0)
        {
            // Broken stacks send RST+ACK with ack 0.
            ack = TcpRecord.tdEnd(record, receiver);
            sack = ack;
        }

        if ((thFlags & TH_RST) != 0 && seq == 0 && TcpRecord.state(record) == sSS)
        {
            // RST answering a SYN.
            seq = TcpRecord.tdEnd(record, sender);
            end = seq;
        }

        final int senderMaxWin = TcpRecord.tdMaxWin(record, sender);
        final int maxAckWindow = Integer.compareUnsigned(senderMaxWin, MAXACKWINCONST) > 0 ? senderMaxWin : MAXACKWINCONST;
        final int receiverEnd = TcpRecord.tdEnd(record, receiver);
        final int receiverMaxWin = TcpRecord.tdMaxWin(record, receiver);

        // I. Upper bound for valid data: seq <= sender.td_maxend
        if (!before(seq, TcpRecord.tdMaxEnd(record, sender) + 1))
        {
            final int overshot = end - TcpRecord.tdMaxEnd(record, sender) + 1;
            final boolean ackOk = after(sack, receiverEnd - maxAckWindow - 1);
            final boolean inRecvWin = receiverMaxWin != 0 &&
                after(end, TcpRecord.tdEnd(record, sender) - receiverMaxWin - 1);
            if (inRecvWin && ackOk && Integer.compareUnsigned(overshot, receiverMaxWin) <= 0 &&
                before(sack, receiverEnd + 1))
            {
                // A TCP sending more than the receive window allows: note the data so the peer's ACK of it
                // does not fail rule III later.
                TcpRecord.tdEnd(record, sender, end);
                TcpRecord.flags(record, sender, TcpRecord.flags(record, sender) | FLAG_DATA_UNACKNOWLEDGED);
                return logInvalid(record, sender, WIN_IGNORE, REASON_OVERSHOT, out);
            }
            return logInvalid(record, sender, WIN_INVALID, REASON_SEQ_OVER_UPPER, out);
        }
        // III. Upper bound for valid (s)ack: sack <= receiver.td_end
        if (!before(sack, receiverEnd + 1))
        {
            return logInvalid(record, sender, WIN_INVALID, REASON_ACK_OVER_UPPER, out);
        }
        // II. Lower bound for valid data: seq + len >= sender.td_end - receiver.td_maxwin
        final boolean inRecvWin = receiverMaxWin == 0 ||
            after(end, TcpRecord.tdEnd(record, sender) - receiverMaxWin - 1);
        if (!inRecvWin)
        {
            return logInvalid(record, sender, WIN_IGNORE, REASON_SEQ_UNDER_LOWER, out);
        }
        // IV. Lower bound for valid (s)ack: sack >= receiver.td_end - MAXACKWINDOW
        if (!after(sack, receiverEnd - maxAckWindow - 1))
        {
            return logInvalid(record, sender, WIN_IGNORE, REASON_ACK_UNDER_LOWER, out);
        }

        // Window scaling (RFC 1323) applies to everything but SYNs.
        if (!syn)
        {
            win <<= TcpRecord.scale(record, sender);
        }

        // Update sender data.
        final int swin = win + (sack - ack);
        if (Integer.compareUnsigned(senderMaxWin, swin) < 0)
        {
            TcpRecord.tdMaxWin(record, sender, swin);
        }
        if (after(end, TcpRecord.tdEnd(record, sender)))
        {
            TcpRecord.tdEnd(record, sender, end);
            TcpRecord.flags(record, sender, TcpRecord.flags(record, sender) | FLAG_DATA_UNACKNOWLEDGED);
        }
        if (hasAck)
        {
            final int senderFlags = TcpRecord.flags(record, sender);
            if ((senderFlags & FLAG_MAXACK_SET) == 0)
            {
                TcpRecord.tdMaxAck(record, sender, ack);
                TcpRecord.flags(record, sender, senderFlags | FLAG_MAXACK_SET);
            }
            else if (after(ack, TcpRecord.tdMaxAck(record, sender)))
            {
                TcpRecord.tdMaxAck(record, sender, ack);
            }
        }

        // Update receiver data.
        final int senderMaxEnd = TcpRecord.tdMaxEnd(record, sender);
        if (receiverMaxWin != 0 && after(end, senderMaxEnd))
        {
            TcpRecord.tdMaxWin(record, receiver, TcpRecord.tdMaxWin(record, receiver) + (end - senderMaxEnd));
        }
        if (after(sack + win, TcpRecord.tdMaxEnd(record, receiver) - 1))
        {
            TcpRecord.tdMaxEnd(record, receiver, win == 0 ? sack + 1 : sack + win);
        }
        if (ack == TcpRecord.tdEnd(record, receiver))
        {
            TcpRecord.flags(record, receiver, TcpRecord.flags(record, receiver) & ~FLAG_DATA_UNACKNOWLEDGED);
        }

        // Retransmissions: the same plain ACK segment again from the same side.
        if (index == ACK_SET)
        {
            final int mix = TcpRecord.mix(seq, ack, end);
            if (TcpRecord.lastDir(record) == dir && TcpRecord.lastMix(record) == mix &&
                TcpRecord.lastEnd(record) == end && TcpRecord.lastWin(record) == winRaw)
            {
                TcpRecord.retrans(record, TcpRecord.retrans(record) + 1);
            }
            else
            {
                TcpRecord.lastDir(record, dir);
                TcpRecord.lastMix(record, mix);
                TcpRecord.lastEnd(record, end);
                TcpRecord.lastWin(record, winRaw);
                TcpRecord.retrans(record, 0);
            }
        }
        return WIN_ACCEPT;
    }

    /** nf_tcp_log_invalid: a liberal sender (or be_liberal) turns any window complaint into ACCEPT. */
    private int logInvalid(final long record, final int sender, final int verdict, final int reason, final TcpResult out)
    {
        if ((TcpRecord.flags(record, sender) & FLAG_BE_LIBERAL) != 0 || beLiberal)
        {
            return WIN_ACCEPT;
        }
        out.reason = reason;
        return verdict;
    }

    /** tcp_init_sender: a SYN or SYN/ACK (re)starts this direction's window data. */
    private static void initSender(final long record, final int sender, final int receiver, final long th,
        final int doff, final int end, final int win, final int dir)
    {
        TcpRecord.tdEnd(record, sender, end);
        TcpRecord.tdMaxEnd(record, sender, end);
        TcpRecord.tdMaxWin(record, sender, win == 0 ? 1 : win);
        applyOptions(record, sender, parseOptions(th, doff));
        // RFC 1323: scaling applies only when both sides offered it.
        if (dir == DIR_REPLY && !((TcpRecord.flags(record, sender) & FLAG_WINDOW_SCALE) != 0 &&
            (TcpRecord.flags(record, receiver) & FLAG_WINDOW_SCALE) != 0))
        {
            TcpRecord.scale(record, sender, 0);
            TcpRecord.scale(record, receiver, 0);
        }
    }

    private static final int OPT_PRESENT = 0x100;
    private static final int OPT_SCALE_SHIFT = 4;

    /**
     * tcp_options: OPT_PRESENT when the header has options (then Linux resets scale and flags but
     * BE_LIBERAL before parsing), FLAG_WINDOW_SCALE / FLAG_SACK_PERM as found, the scale (capped at 14)
     * in bits 4..7.
     */
    static int parseOptions(final long th, final int doff)
    {
        int length = doff - 20;
        if (length <= 0)
        {
            return 0;
        }
        int result = OPT_PRESENT;
        long ptr = th + 20;
        while (length > 0)
        {
            final int opcode = OffHeap.getUnsignedByte(ptr++);
            if (opcode == 0) // EOL
            {
                return result;
            }
            if (opcode == 1) // NOP
            {
                length--;
                continue;
            }
            if (length < 2)
            {
                return result;
            }
            final int opsize = OffHeap.getUnsignedByte(ptr++);
            if (opsize < 2 || opsize > length)
            {
                return result; // silly or partial option
            }
            if (opcode == 4 && opsize == 2) // SACK permitted
            {
                result |= FLAG_SACK_PERM;
            }
            else if (opcode == 3 && opsize == 3) // window scale
            {
                final int scale = Math.min(OffHeap.getUnsignedByte(ptr), TCP_MAX_WSCALE);
                result = (result & ~(0xF << OPT_SCALE_SHIFT)) | (scale << OPT_SCALE_SHIFT) | FLAG_WINDOW_SCALE;
            }
            ptr += opsize - 2;
            length -= opsize;
        }
        return result;
    }

    private static void applyOptions(final long record, final int dir, final int options)
    {
        if ((options & OPT_PRESENT) == 0)
        {
            return;
        }
        TcpRecord.scale(record, dir, (options >>> OPT_SCALE_SHIFT) & 0xF);
        TcpRecord.flags(record, dir,
            (TcpRecord.flags(record, dir) & FLAG_BE_LIBERAL) | (options & (FLAG_WINDOW_SCALE | FLAG_SACK_PERM)));
    }

    /** tcp_sack: the highest right edge of the first SACK option's blocks, else {@code sack} unchanged. */
    static int highestSack(final long th, final int doff, final int ack)
    {
        int length = doff - 20;
        int sack = ack;
        if (length <= 0)
        {
            return sack;
        }
        long ptr = th + 20;
        // Fast path: timestamps only (NOP, NOP, TS, 10).
        if (length == 12 && be32(ptr) == 0x0101080A)
        {
            return sack;
        }
        while (length > 0)
        {
            final int opcode = OffHeap.getUnsignedByte(ptr++);
            if (opcode == 0)
            {
                return sack;
            }
            if (opcode == 1)
            {
                length--;
                continue;
            }
            if (length < 2)
            {
                return sack;
            }
            final int opsize = OffHeap.getUnsignedByte(ptr++);
            if (opsize < 2 || opsize > length)
            {
                return sack;
            }
            if (opcode == 5 && opsize >= 2 + 8 && ((opsize - 2) % 8) == 0)
            {
                for (int i = 0; i < opsize - 2; i += 8)
                {
                    final int right = be32(ptr + i + 4);
                    if (after(right, sack))
                    {
                        sack = right;
                    }
                }
                return sack;
            }
            ptr += opsize - 2;
            length -= opsize;
        }
        return sack;
    }

    /** segment_seq_plus_len: seq + payload, plus one each for SYN and FIN. */
    private static int segmentEnd(final long th, final int thFlags, final int segmentLength, final int doff)
    {
        return be32(th + 4) + segmentLength - doff + ((thFlags & TH_SYN) != 0 ? 1 : 0) + ((thFlags & TH_FIN) != 0 ? 1 : 0);
    }

    private static int dataOffset(final long th)
    {
        return (OffHeap.getUnsignedByte(th + 12) >>> 4) << 2;
    }

    private static int be32(final long address)
    {
        return Integer.reverseBytes(OffHeap.getInt(address));
    }

    private static int be16(final long address)
    {
        return Short.reverseBytes((short)OffHeap.getUnsignedShort(address)) & 0xFFFF;
    }

    static boolean before(final int a, final int b)
    {
        return a - b < 0;
    }

    static boolean after(final int a, final int b)
    {
        return b - a < 0;
    }
}
