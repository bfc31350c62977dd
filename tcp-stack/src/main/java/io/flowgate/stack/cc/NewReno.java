package io.flowgate.stack.cc;

/**
 * RFC 5681's window rules as Linux's tcp_cong.c has them (tcp_reno_cong_avoid, tcp_slow_start,
 * tcp_cong_avoid_ai, tcp_reno_ssthresh, tcp_reno_undo_cwnd): slow start by the segments acknowledged (capped at
 * ssthresh, the rest goes to congestion avoidance), +1 segment per window of ACKed segments counted in
 * {@link CongestionState#cwndCount}, ssthresh = max(cwnd/2, 2), undo to the cwnd before the reduction.
 * The recovery itself (RFC 6582 partial ACKs, PRR) is the connection's.
 */
public final class NewReno implements CongestionControl
{
    @Override
    public String name()
    {
        return "reno";
    }

    @Override
    public void init(final CongestionState s, final long nowNs)
    {
        s.cwndCount = 0;
    }

    @Override
    public int ssthresh(final CongestionState s)
    {
        s.priorCwnd = s.cwnd;
        return Math.max(s.cwnd >>> 1, 2);
    }

    @Override
    public void congestionAvoid(final CongestionState s, final int acked, final long nowNs)
    {
        if (!s.cwndLimited)
        {
            return;
        }
        int left = acked;
        if (s.inSlowStart())
        {
            left = slowStart(s, left);
            if (left == 0)
            {
                return;
            }
        }
        congestionAvoidAi(s, s.cwnd, left);
    }

    /** tcp_slow_start: grows cwnd by {@code acked} up to ssthresh; returns the ACKed segments left over. */
    static int slowStart(final CongestionState s, final int acked)
    {
        final int cwnd = (int)Math.min((long)s.cwnd + acked, s.ssthresh);
        final int left = acked - (cwnd - s.cwnd);
        s.cwnd = Math.min(cwnd, s.cwndClamp);
        return left;
    }

    /** tcp_cong_avoid_ai: +1 segment for every {@code w} segments ACKed. */
    static void congestionAvoidAi(final CongestionState s, final int w, final int acked)
    {
        if (s.cwndCount >= w)
        {
            s.cwndCount = 0;
            s.cwnd++;
        }
        s.cwndCount += acked;
        if (s.cwndCount >= w)
        {
            final int delta = s.cwndCount / w;
            s.cwndCount -= delta * w;
            s.cwnd += delta;
        }
        s.cwnd = Math.min(s.cwnd, s.cwndClamp);
    }

    @Override
    public void setState(final CongestionState s, final int newState, final long nowNs)
    {
    }

    @Override
    public void cwndEvent(final CongestionState s, final int event, final long nowNs)
    {
    }

    @Override
    public void packetsAcked(final CongestionState s, final int acked, final long rttUs, final long nowNs)
    {
    }

    @Override
    public int undoCwnd(final CongestionState s)
    {
        return Math.max(s.cwnd, s.priorCwnd);
    }
}
