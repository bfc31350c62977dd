package io.flowgate.stack.cc;

/**
 * CUBIC (RFC 9438) as Linux's {@code net/ipv4/tcp_cubic.c} runs it, with its defaults: beta 717/1024,
 * C = bic_scale 41 / 1024 * 10 (0.4), fast convergence, the TCP-friendly (Reno-estimate) region, the epoch
 * started at the first ACK after a reduction, the target computed for one min-RTT ahead, and HyStart (ACK train
 * and delay increase) in slow start above 16 segments.
 *
 * <pre>
 * W(t) = C (t - K)^3 + W_max,   K = cbrt(W_max (1 - beta) / C)          (t, K in 1/1024 s, as Linux)
 * cnt  = cwnd / (W(t + minRtt) - cwnd)   ACKs per +1 segment, at least 2, 100*cwnd when at/above target
 * </pre>
 * Time is Linux's jiffies at HZ = 1000 (nanoseconds / 10^6) so that the same ACK stream gives Linux's cwnd;
 * the cube root is computed in double (Linux uses a table and one Newton step: within a unit of K).
 * Single thread (the connection's), no allocation.
 */
public final class Cubic implements CongestionControl
{
    static final int BETA_SCALE = 1024;
    static final int BETA = 717;
    static final int BIC_SCALE = 41;
    static final int HZ_SHIFT = 10;
    static final int HZ = 1000;
    static final long CUBE_RTT_SCALE = BIC_SCALE * 10L;
    /** 2^(10 + 3*10) / cube_rtt_scale: K = cbrt(cube_factor * (W_max - cwnd)) in 1/1024 s. */
    static final long CUBE_FACTOR = (1L << (10 + 3 * HZ_SHIFT)) / CUBE_RTT_SCALE;
    /** 8 * (1024 + beta) / 3 / (1024 - beta): ACKs (times 8, per cwnd) for one segment of the Reno estimate. */
    static final int BETA_FRIENDLY = 8 * (BETA_SCALE + BETA) / 3 / (BETA_SCALE - BETA);

    static final int HYSTART_LOW_WINDOW = 16;
    static final int HYSTART_MIN_SAMPLES = 8;
    static final long HYSTART_ACK_DELTA_US = 2_000;
    static final long HYSTART_DELAY_MIN_US = 4_000;
    static final long HYSTART_DELAY_MAX_US = 16_000;

    private static final long NO_EPOCH = Long.MIN_VALUE;

    private int cnt;
    private int lastMaxCwnd;
    private int lastCwnd;
    private long lastTimeMs;
    private int originPoint;
    private long k;
    private long delayMinUs;
    private long epochStartMs = NO_EPOCH;
    private int ackCount;
    private int tcpCwnd;

    private int sampleCount;
    private boolean found;
    private long roundStartUs;
    private int endSeq;
    private long lastAckUs;
    private long currRttUs;

    @Override
    public String name()
    {
        return "cubic";
    }

    private void reset()
    {
        cnt = 0;
        lastMaxCwnd = 0;
        lastCwnd = 0;
        lastTimeMs = 0;
        originPoint = 0;
        k = 0;
        delayMinUs = 0;
        epochStartMs = NO_EPOCH;
        ackCount = 0;
        tcpCwnd = 0;
        found = false;
    }

    private void hystartReset(final CongestionState s, final long nowNs)
    {
        roundStartUs = nowNs / 1_000;
        lastAckUs = roundStartUs;
        endSeq = s.sndNxt;
        currRttUs = Long.MAX_VALUE;
        sampleCount = 0;
    }

    @Override
    public void init(final CongestionState s, final long nowNs)
    {
        reset();
        hystartReset(s, nowNs);
        s.cwndCount = 0;
    }

    @Override
    public int ssthresh(final CongestionState s)
    {
        s.priorCwnd = s.cwnd;
        epochStartMs = NO_EPOCH;
        if (s.cwnd < lastMaxCwnd)
        {
            lastMaxCwnd = (int)((long)s.cwnd * (BETA_SCALE + BETA) / (2 * BETA_SCALE));
        }
        else
        {
            lastMaxCwnd = s.cwnd;
        }
        return Math.max((int)((long)s.cwnd * BETA / BETA_SCALE), 2);
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
            left = NewReno.slowStart(s, left);
            if (left == 0)
            {
                return;
            }
        }
        update(s.cwnd, left, nowNs / 1_000_000);
        NewReno.congestionAvoidAi(s, cnt, left);
    }

    /** bictcp_update: cnt, the ACKs per +1 segment, from the cubic target and the Reno estimate. */
    private void update(final int cwnd, final int acked, final long nowMs)
    {
        ackCount += acked;
        if (lastCwnd == cwnd && nowMs - lastTimeMs <= HZ / 32)
        {
            return;
        }
        if (epochStartMs == NO_EPOCH || nowMs != lastTimeMs)
        {
            lastCwnd = cwnd;
            lastTimeMs = nowMs;
            if (epochStartMs == NO_EPOCH)
            {
                epochStartMs = nowMs;
                ackCount = acked;
                tcpCwnd = cwnd;
                if (lastMaxCwnd <= cwnd)
                {
                    k = 0;
                    originPoint = cwnd;
                }
                else
                {
                    k = (long)Math.cbrt((double)(CUBE_FACTOR * (lastMaxCwnd - cwnd)));
                    originPoint = lastMaxCwnd;
                }
            }
            long t = nowMs - epochStartMs;
            t += (delayMinUs + 999) / 1_000;
            t = (t << HZ_SHIFT) / HZ;
            final long offs = t < k ? k - t : t - k;
            final long delta = (CUBE_RTT_SCALE * offs * offs * offs) >>> (10 + 3 * HZ_SHIFT);
            final long target = t < k ? originPoint - delta : originPoint + delta;
            if (target > cwnd)
            {
                cnt = (int)Math.max(cwnd / (target - cwnd), 0);
            }
            else
            {
                cnt = 100 * cwnd;
            }
            if (lastMaxCwnd == 0 && cnt > 20)
            {
                cnt = 20;
            }
        }
        // TCP-friendly region (RFC 9438 section 4.3): the Reno estimate grows one segment per
        // cwnd * BETA_FRIENDLY / 8 ACKs; CUBIC grows at least as fast as it
        final int perSegment = (cwnd * BETA_FRIENDLY) >>> 3;
        if (perSegment > 0)
        {
            while (ackCount > perSegment)
            {
                ackCount -= perSegment;
                tcpCwnd++;
            }
        }
        if (tcpCwnd > cwnd)
        {
            final int maxCnt = cwnd / (tcpCwnd - cwnd);
            if (cnt > maxCnt)
            {
                cnt = maxCnt;
            }
        }
        cnt = Math.max(cnt, 2);
    }

    @Override
    public void setState(final CongestionState s, final int newState, final long nowNs)
    {
        if (newState == CongestionState.LOSS)
        {
            reset();
            hystartReset(s, nowNs);
        }
    }

    @Override
    public void cwndEvent(final CongestionState s, final int event, final long nowNs)
    {
        if (event == CongestionState.EVENT_TX_START && epochStartMs != NO_EPOCH && s.lastSendNs != 0)
        {
            // the application was idle: shift the epoch so the idle time does not count as growth time
            final long nowMs = nowNs / 1_000_000;
            final long delta = nowMs - s.lastSendNs / 1_000_000;
            if (delta > 0)
            {
                epochStartMs += delta;
                if (epochStartMs > nowMs)
                {
                    epochStartMs = nowMs;
                }
            }
        }
    }

    @Override
    public void packetsAcked(final CongestionState s, final int acked, final long rttUs, final long nowNs)
    {
        if (rttUs < 0)
        {
            return;
        }
        // delay samples right after a reduction are discarded (Linux: within a second of the epoch start)
        if (epochStartMs != NO_EPOCH && nowNs / 1_000_000 - epochStartMs < HZ)
        {
            return;
        }
        final long delay = Math.max(rttUs, 1);
        if (delayMinUs == 0 || delayMinUs > delay)
        {
            delayMinUs = delay;
        }
        if (!found && s.inSlowStart() && s.cwnd >= HYSTART_LOW_WINDOW)
        {
            hystartUpdate(s, delay, nowNs);
        }
    }

    private void hystartUpdate(final CongestionState s, final long delayUs, final long nowNs)
    {
        if (s.sndUna - endSeq > 0)
        {
            hystartReset(s, nowNs);
        }
        final long nowUs = nowNs / 1_000;
        // ACK train: ACKs closely spaced for more than half the min RTT since the round began
        if (nowUs - lastAckUs <= HYSTART_ACK_DELTA_US)
        {
            lastAckUs = nowUs;
            final long threshold = delayMinUs >> 1;
            if (nowUs - roundStartUs > threshold)
            {
                found = true;
                s.ssthresh = s.cwnd;
            }
        }
        // delay increase: the round's minimum RTT over the first samples rose by an eighth (4..16 ms) of the min RTT
        if (currRttUs > delayUs)
        {
            currRttUs = delayUs;
        }
        if (sampleCount < HYSTART_MIN_SAMPLES)
        {
            sampleCount++;
        }
        else if (currRttUs > delayMinUs + Math.min(Math.max(delayMinUs >> 3, HYSTART_DELAY_MIN_US), HYSTART_DELAY_MAX_US))
        {
            found = true;
            s.ssthresh = s.cwnd;
        }
    }

    @Override
    public int undoCwnd(final CongestionState s)
    {
        return Math.max(s.cwnd, s.priorCwnd);
    }

    /** Whether HyStart ended slow start (for tests and {@code ss}-like output). */
    public boolean hystartFound()
    {
        return found;
    }

    /** W_max after the last reduction, segments. */
    public int lastMaxCwnd()
    {
        return lastMaxCwnd;
    }

    /** K in seconds (for tests and diagnostics). */
    public double kSeconds()
    {
        return k / 1024.0;
    }
}
