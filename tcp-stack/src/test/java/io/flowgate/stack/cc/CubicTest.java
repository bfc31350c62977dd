package io.flowgate.stack.cc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Drives Cubic with one ACK per segment at a fixed RTT on a simulated clock. */
class CubicTest
{
    private static final double C = 0.4;
    private static final double BETA = 0.7;
    private static final long MS = 1_000_000L;

    private final Cubic cubic = new Cubic();
    private final CongestionState s = new CongestionState();
    private long nowNs = 1_000 * MS;

    /** Established at {@code wmax} in congestion avoidance, then a loss: returns the time of the loss. */
    private long lossAt(final int wmax, final long rttNs)
    {
        s.cwnd = wmax;
        s.ssthresh = wmax;
        s.cwndLimited = true;
        cubic.init(s, nowNs);
        cubic.packetsAcked(s, 1, rttNs / 1_000, nowNs);
        final int ssthresh = cubic.ssthresh(s);
        cubic.setState(s, CongestionState.RECOVERY, nowNs);
        s.ssthresh = ssthresh;
        s.cwnd = ssthresh;
        cubic.setState(s, CongestionState.OPEN, nowNs);
        return nowNs;
    }

    /** One round trip: cwnd segments, each ACKed, spread over {@code rttNs}. */
    private void roundTrip(final long rttNs)
    {
        final int n = s.cwnd;
        for (int i = 0; i < n; i++)
        {
            nowNs += rttNs / n;
            cubic.packetsAcked(s, 1, rttNs / 1_000, nowNs);
            cubic.congestionAvoid(s, 1, nowNs);
        }
    }

    private static double w(final double wmax, final double t)
    {
        final double k = Math.cbrt(wmax * (1 - BETA) / C);
        return C * Math.pow(t - k, 3) + wmax;
    }

    @Test
    void shouldReduceByBetaAndRememberWmax()
    {
        s.cwnd = 100;
        cubic.init(s, 0);
        assertEquals(70, cubic.ssthresh(s));
        assertEquals(100, cubic.lastMaxCwnd());
        assertEquals(100, cubic.undoCwnd(s));
    }

    @Test
    void shouldApplyFastConvergenceOnLossBelowPreviousWmax()
    {
        s.cwnd = 100;
        cubic.init(s, 0);
        cubic.ssthresh(s);
        s.cwnd = 80;
        assertEquals(56, cubic.ssthresh(s));
        assertEquals(80 * (1024 + 717) / 2048, cubic.lastMaxCwnd());
    }

    @Test
    void shouldFollowTheCubicCurveAfterALoss()
    {
        final int wmax = 1000;
        final long rtt = 50 * MS;
        final long loss = lossAt(wmax, rtt);
        final double k = Math.cbrt(wmax * (1 - BETA) / C);
        int previousGrowth = -1;
        int windowStart = s.cwnd;
        int rounds = 0;
        boolean convex = false;
        while (nowNs - loss < (long)(2 * k * 1e9))
        {
            roundTrip(rtt);
            rounds++;
            final double t = (nowNs - loss) / 1e9;
            if (t > 0.5)
            {
                assertEquals(w(wmax, t), s.cwnd, 2.0, "t=" + t);
            }
            if (rounds % 20 == 0)
            {
                final int growth = s.cwnd - windowStart;
                if (previousGrowth >= 0 && t < k - 0.5)
                {
                    assertTrue(growth <= previousGrowth + 1, "concave before K at t=" + t);
                }
                if (previousGrowth >= 0 && t > k + 1.5)
                {
                    assertTrue(growth >= previousGrowth - 1, "convex after K at t=" + t);
                    convex |= growth > previousGrowth;
                }
                previousGrowth = growth;
                windowStart = s.cwnd;
            }
        }
        assertTrue(convex);
        assertEquals(w(wmax, 2 * k), s.cwnd, 3.0);
        assertEquals(k, cubic.kSeconds(), 0.01);
    }

    @Test
    void shouldPlateauAroundWmax()
    {
        final int wmax = 1000;
        final long rtt = 50 * MS;
        final long loss = lossAt(wmax, rtt);
        final double k = Math.cbrt(wmax * (1 - BETA) / C);
        while (nowNs - loss < (long)(k * 1e9))
        {
            roundTrip(50 * MS);
        }
        assertEquals(wmax, s.cwnd, 3.0);
    }

    @Test
    void shouldGrowLikeRenoInTheFriendlyRegionAtSmallRtt()
    {
        final int wmax = 100;
        final long rtt = 1 * MS;
        final long loss = lossAt(wmax, rtt);
        for (int i = 0; i < 100; i++)
        {
            roundTrip(rtt);
        }
        // Reno estimate: W_max*beta + 3(1-beta)/(1+beta) per RTT = 70 + 0.53 * 100
        final double t = (nowNs - loss) / 1e9;
        assertEquals(70 + 100 * 3 * (1 - BETA) / (1 + BETA), s.cwnd, 4.0);
        assertTrue(s.cwnd > w(wmax, t) + 30);
    }

    @Test
    void shouldSlowStartBelowSsthreshAndNotGrowWhenAppLimited()
    {
        s.cwnd = 10;
        s.cwndLimited = true;
        cubic.init(s, nowNs);
        cubic.congestionAvoid(s, 10, nowNs);
        assertEquals(20, s.cwnd);
        s.cwndLimited = false;
        cubic.congestionAvoid(s, 10, nowNs);
        assertEquals(20, s.cwnd);
    }

    @Test
    void shouldLeaveSlowStartOnHystartDelayIncrease()
    {
        s.cwnd = 20;
        s.cwndLimited = true;
        s.sndUna = 0;
        s.sndNxt = 20_000;
        cubic.init(s, nowNs);
        for (int i = 1; i <= 20; i++)
        {
            nowNs += 3 * MS;
            s.sndUna = i * 1_000;
            cubic.packetsAcked(s, 1, 10_000, nowNs);
        }
        assertFalse(cubic.hystartFound());
        s.sndNxt = 40_000;
        for (int i = 21; i <= 31; i++)
        {
            nowNs += 3 * MS;
            s.sndUna = i * 1_000;
            cubic.packetsAcked(s, 1, 20_000, nowNs);
        }
        assertTrue(cubic.hystartFound());
        assertEquals(20, s.ssthresh);
    }

    @Test
    void shouldLeaveSlowStartOnHystartAckTrain()
    {
        s.cwnd = 20;
        s.cwndLimited = true;
        s.sndNxt = 20_000;
        cubic.init(s, nowNs);
        for (int i = 1; i <= 4; i++)
        {
            nowNs += MS;
            s.sndUna = i * 1_000;
            cubic.packetsAcked(s, 1, 10_000, nowNs);
        }
        assertFalse(cubic.hystartFound());
        for (int i = 5; i <= 7; i++)
        {
            nowNs += MS;
            s.sndUna = i * 1_000;
            cubic.packetsAcked(s, 1, 10_000, nowNs);
        }
        assertTrue(cubic.hystartFound());
        assertEquals(20, s.ssthresh);
    }

    @Test
    void shouldNotRunHystartBelowSixteenSegments()
    {
        s.cwnd = 10;
        s.sndNxt = 20_000;
        cubic.init(s, nowNs);
        for (int i = 1; i <= 20; i++)
        {
            nowNs += MS;
            s.sndUna = i * 100;
            cubic.packetsAcked(s, 1, 10_000, nowNs);
        }
        assertFalse(cubic.hystartFound());
    }

    @Test
    void shouldShiftEpochOverIdleTime()
    {
        lossAt(1000, 50 * MS);
        roundTrip(50 * MS);
        final int cwnd = s.cwnd;
        s.lastSendNs = nowNs;
        nowNs += 10_000 * MS;
        cubic.cwndEvent(s, CongestionState.EVENT_TX_START, nowNs);
        roundTrip(50 * MS);
        assertTrue(s.cwnd - cwnd < 10, "idle time did not count: " + cwnd + " -> " + s.cwnd);
    }

    @Test
    void shouldResetOnLossState()
    {
        lossAt(1000, 50 * MS);
        cubic.setState(s, CongestionState.LOSS, nowNs);
        assertEquals(0, cubic.lastMaxCwnd());
    }
}
