package io.flowgate.stack.tcp;

/**
 * RFC 6298's retransmission timer values: SRTT, RTTVAR, RTO with the configured floor and ceiling, the
 * exponential backoff, and Karn's rule left to the caller (only samples from segments not retransmitted, or
 * from timestamps, RFC 7323 section 4).
 *
 * <p>Follows Linux's tcp_rtt_estimator / tcp_set_rto: srtt is kept times 8, mdev times 4 (so mdev already is
 * RFC 6298's 4*RTTVAR), and the RTTVAR term of the RTO is the largest mdev of the last round trip but at least
 * rto_min ({@code rttvar_us}, decaying by a quarter per round trip towards that maximum). Hence
 * RTO = SRTT + max(4*RTTVAR, rto_min): 200 ms above SRTT with Linux's defaults. A falling sample counts an
 * eighth as much towards mdev (Linux's Eifel-inspired damping). "Once per round trip" is given by
 * {@link #sample(long, int, int)}; {@link #sample(long)} treats each sample as a new round trip.
 */
public final class RttEstimator
{
    private static final long NS_PER_US = 1_000L;

    private final long rtoInitialNs;
    private final long rtoMinNs;
    private final long rtoMaxNs;
    private final long rtoMinUs;

    /** Linux's srtt_us: smoothed RTT << 3. */
    private long srtt8Us;
    /** mdev_us: mean deviation << 2. */
    private long mdev4Us;
    /** mdev_max_us: the largest mdev in this round trip. */
    private long mdevMaxUs;
    /** rttvar_us: the RTO's variance term. */
    private long rttVarUs;
    private int rttSeq;
    private long minRttUs;
    private int backoff;

    public RttEstimator(final long rtoInitialNs, final long rtoMinNs, final long rtoMaxNs)
    {
        this.rtoInitialNs = rtoInitialNs;
        this.rtoMinNs = rtoMinNs;
        this.rtoMaxNs = rtoMaxNs;
        this.rtoMinUs = rtoMinNs / NS_PER_US;
    }

    /** A round-trip sample in microseconds. */
    public void sample(final long rttUs)
    {
        update(rttUs, true, 0);
    }

    /**
     * A round-trip sample in microseconds from an ACK that left snd_una at {@code sndUna} while snd_nxt was
     * {@code sndNxt}: the variance term decays once per round trip (when snd_una passes the snd_nxt of the
     * previous decay), as Linux's rtt_seq.
     */
    public void sample(final long rttUs, final int sndUna, final int sndNxt)
    {
        update(rttUs, srtt8Us == 0 || sndUna - rttSeq > 0, sndNxt);
    }

    private void update(final long rttUs, final boolean newRound, final int sndNxt)
    {
        long m = Math.max(rttUs, 1);
        if (minRttUs == 0 || m < minRttUs)
        {
            minRttUs = m;
        }
        if (srtt8Us != 0)
        {
            m -= srtt8Us >> 3;
            srtt8Us += m;
            if (m < 0)
            {
                m = -m;
                m -= mdev4Us >> 2;
                if (m > 0)
                {
                    m >>= 3;
                }
            }
            else
            {
                m -= mdev4Us >> 2;
            }
            mdev4Us += m;
            if (mdev4Us > mdevMaxUs)
            {
                mdevMaxUs = mdev4Us;
                if (mdevMaxUs > rttVarUs)
                {
                    rttVarUs = mdevMaxUs;
                }
            }
            if (newRound)
            {
                if (mdevMaxUs < rttVarUs)
                {
                    rttVarUs -= (rttVarUs - mdevMaxUs) >> 2;
                }
                rttSeq = sndNxt;
                mdevMaxUs = rtoMinUs;
            }
        }
        else
        {
            srtt8Us = m << 3;
            mdev4Us = m << 1;
            rttVarUs = Math.max(mdev4Us, rtoMinUs);
            mdevMaxUs = rttVarUs;
            rttSeq = sndNxt;
        }
        srtt8Us = Math.max(1, srtt8Us);
    }

    /** The RTO without backoff: the initial RTO before any sample, else SRTT + the variance term, clamped. */
    public long baseRtoNs()
    {
        if (srtt8Us == 0)
        {
            return clamp(rtoInitialNs);
        }
        return clamp(((srtt8Us >> 3) + rttVarUs) * NS_PER_US);
    }

    /** The current RTO including the backoff, clamped to [min, max]. */
    public long rtoNs()
    {
        final long base = baseRtoNs();
        if (base > (rtoMaxNs >> backoff))
        {
            return rtoMaxNs;
        }
        return clamp(base << backoff);
    }

    private long clamp(final long ns)
    {
        return Math.min(Math.max(ns, rtoMinNs), rtoMaxNs);
    }

    /** Doubles the RTO (a retransmission timeout). */
    public void backoff()
    {
        if (backoff < 62)
        {
            backoff++;
        }
    }

    /** Clears the backoff (new data acknowledged). */
    public void resetBackoff()
    {
        backoff = 0;
    }

    public int backoffCount()
    {
        return backoff;
    }

    /** Smoothed RTT in microseconds, 0 before the first sample. */
    public long srttUs()
    {
        return srtt8Us >> 3;
    }

    /** RFC 6298's RTTVAR in microseconds (Linux's mdev / 4). */
    public long rttVarUs()
    {
        return mdev4Us >> 2;
    }

    /** The variance term of the RTO in microseconds (Linux's rttvar_us, at least rto_min). */
    public long rtoVarianceUs()
    {
        return rttVarUs;
    }

    public long minRttUs()
    {
        return minRttUs;
    }
}
