package io.flowgate.stack.cc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class NewRenoTest
{
    private final NewReno reno = new NewReno();
    private final CongestionState s = new CongestionState();

    private void start(final int cwnd, final int ssthresh)
    {
        s.cwnd = cwnd;
        s.ssthresh = ssthresh;
        s.cwndLimited = true;
        reno.init(s, 0);
    }

    @Test
    void shouldGrowBySegmentsAckedInSlowStart()
    {
        start(10, CongestionState.INFINITE_SSTHRESH);
        reno.congestionAvoid(s, 5, 0);
        assertEquals(15, s.cwnd);
    }

    @Test
    void shouldCapSlowStartAtSsthreshAndCountTheRestTowardsAvoidance()
    {
        start(10, 12);
        reno.congestionAvoid(s, 5, 0);
        assertEquals(12, s.cwnd);
        assertEquals(3, s.cwndCount);
    }

    @Test
    void shouldAddOneSegmentPerWindowInCongestionAvoidance()
    {
        start(10, 5);
        for (int i = 0; i < 9; i++)
        {
            reno.congestionAvoid(s, 1, 0);
        }
        assertEquals(10, s.cwnd);
        reno.congestionAvoid(s, 1, 0);
        assertEquals(11, s.cwnd);
        reno.congestionAvoid(s, 25, 0);
        assertEquals(13, s.cwnd);
    }

    @Test
    void shouldNotGrowWhenNotCwndLimited()
    {
        start(10, CongestionState.INFINITE_SSTHRESH);
        s.cwndLimited = false;
        reno.congestionAvoid(s, 5, 0);
        assertEquals(10, s.cwnd);
    }

    @Test
    void shouldHalveWithFloorOfTwoAndUndoToPriorCwnd()
    {
        start(40, 100);
        assertEquals(20, reno.ssthresh(s));
        s.cwnd = 20;
        assertEquals(40, reno.undoCwnd(s));
        s.cwnd = 3;
        assertEquals(2, reno.ssthresh(s));
    }

    @Test
    void shouldRespectTheClamp()
    {
        start(10, CongestionState.INFINITE_SSTHRESH);
        s.cwndClamp = 12;
        reno.congestionAvoid(s, 10, 0);
        assertEquals(12, s.cwnd);
    }
}
