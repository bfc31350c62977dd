package io.flowgate.stack.tcp;

import io.flowgate.stack.cc.CongestionControl;
import io.flowgate.stack.cc.CongestionState;

/** A minimal Reno for the core's tests while (or where) the real algorithms are not wanted. */
final class TestReno implements CongestionControl
{
    @Override
    public String name()
    {
        return "reno";
    }

    @Override
    public void init(final CongestionState s, final long nowNs)
    {
    }

    @Override
    public int ssthresh(final CongestionState s)
    {
        return Math.max(2, s.cwnd / 2);
    }

    @Override
    public void congestionAvoid(final CongestionState s, final int acked, final long nowNs)
    {
        if (s.cwnd < s.ssthresh)
        {
            s.cwnd = Math.min(s.cwnd + acked, s.cwndClamp);
            return;
        }
        s.cwndCount += acked;
        if (s.cwndCount >= s.cwnd)
        {
            s.cwndCount -= s.cwnd;
            s.cwnd++;
        }
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
        return s.cwnd;
    }
}
