package io.flowgate.stack.cc;

/** See {@link CongestionControl}. Contract skeleton: built by the congestion-control part. */
public final class Cubic implements CongestionControl
{
    @Override
    public String name()
    {
        return "cubic";
    }

    @Override
    public void init(final CongestionState s, final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public int ssthresh(final CongestionState s)
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public void congestionAvoid(final CongestionState s, final int acked, final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public void setState(final CongestionState s, final int newState, final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public void cwndEvent(final CongestionState s, final int event, final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public void packetsAcked(final CongestionState s, final int acked, final long rttUs, final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public int undoCwnd(final CongestionState s)
    {
        throw new UnsupportedOperationException("contract");
    }
}
