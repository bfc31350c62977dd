package io.flowgate.stack.tcp;

/**
 * Initial sequence numbers per RFC 6528: a 4-microsecond clock plus a keyed hash of the 4-tuple (SipHash with a
 * random key per stack), so that ISNs of one pair grow over time (the TIME_WAIT reuse rule relies on it) and
 * are unpredictable to others. Also the timestamp offset per pair (Linux's tsoffset, RFC 7323 section 5.4).
 * Contract skeleton: built by the congestion-control/options part.
 */
public final class Isn
{
    public Isn(final long seed)
    {
        throw new UnsupportedOperationException("contract");
    }

    public int isn(final long localHi, final long localLo, final long remoteHi, final long remoteLo, final int localPort,
                   final int remotePort, final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** A per-pair offset added to the millisecond timestamp clock. */
    public int timestampOffset(final long localHi, final long localLo, final long remoteHi, final long remoteLo)
    {
        throw new UnsupportedOperationException("contract");
    }
}
