package io.flowgate.stack.tcp;

/**
 * RFC 6298's retransmission timer values: SRTT, RTTVAR, RTO with the configured floor and ceiling, the
 * exponential backoff, and Karn's rule left to the caller (only samples from segments not retransmitted, or
 * from timestamps, RFC 7323 section 4). Linux's variant (mdev with a 200 ms floor on RTTVAR's contribution)
 * is what {@link #rtoNs} follows, so its RTO equals Linux's for the same samples. Contract skeleton: built by the
 * congestion-control/options part.
 */
public final class RttEstimator
{
    public RttEstimator(final long rtoInitialNs, final long rtoMinNs, final long rtoMaxNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** A round-trip sample in microseconds. */
    public void sample(final long rttUs)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** The current RTO including the backoff, clamped to [min, max]. */
    public long rtoNs()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Doubles the RTO (a retransmission timeout). */
    public void backoff()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Clears the backoff (new data acknowledged). */
    public void resetBackoff()
    {
        throw new UnsupportedOperationException("contract");
    }

    public int backoffCount()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Smoothed RTT in microseconds, 0 before the first sample. */
    public long srttUs()
    {
        throw new UnsupportedOperationException("contract");
    }

    public long rttVarUs()
    {
        throw new UnsupportedOperationException("contract");
    }

    public long minRttUs()
    {
        throw new UnsupportedOperationException("contract");
    }
}
