package io.flowgate.stack.tcp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RttEstimatorTest
{
    private static final long MS = 1_000_000L;
    private final RttEstimator rtt = new RttEstimator(1_000 * MS, 200 * MS, 120_000 * MS);

    @Test
    void shouldUseInitialRtoBeforeAnySample()
    {
        assertEquals(1_000 * MS, rtt.rtoNs());
        assertEquals(0, rtt.srttUs());
        assertEquals(0, rtt.minRttUs());
    }

    @Test
    void shouldSetRtoToThreeRttsOnFirstLargeSample()
    {
        rtt.sample(100_000);
        assertEquals(100_000, rtt.srttUs());
        assertEquals(50_000, rtt.rttVarUs());
        assertEquals(300 * MS, rtt.rtoNs());
    }

    @Test
    void shouldKeepRtoMinAboveSrttForSmallRtts()
    {
        rtt.sample(10_000);
        assertEquals(210 * MS, rtt.rtoNs());
        for (int i = 0; i < 50; i++)
        {
            rtt.sample(10_000);
        }
        assertEquals(10_000, rtt.srttUs());
        assertEquals(210 * MS, rtt.rtoNs());
    }

    @Test
    void shouldFollowLinuxEstimatorOnRisingSample()
    {
        rtt.sample(100_000);
        rtt.sample(300_000);
        assertEquals(125_000, rtt.srttUs());
        assertEquals(87_500, rtt.rttVarUs());
        assertEquals(475 * MS, rtt.rtoNs());
    }

    @Test
    void shouldDampFallingSamples()
    {
        rtt.sample(100_000);
        rtt.sample(20_000);
        // m = -80 ms -> 80 - 50 = 30, >>3 = 3.75 ms added to mdev*4 (200 ms)
        assertEquals(90_000, rtt.srttUs());
        assertEquals((200_000 + 3_750) / 4, rtt.rttVarUs());
        assertEquals(20_000, rtt.minRttUs());
    }

    @Test
    void shouldDecayVarianceTermOncePerRoundTrip()
    {
        rtt.sample(100_000, 0, 1000);
        rtt.sample(300_000, 500, 2000);
        assertEquals(350_000, rtt.rtoVarianceUs());
        rtt.sample(125_000, 900, 2000);
        assertEquals(350_000, rtt.rtoVarianceUs());
        rtt.sample(125_000, 2500, 3000);
        // the round that ended had a maximum of 350 ms: nothing to decay yet; the next round's max is rto_min
        assertEquals(350_000, rtt.rtoVarianceUs());
        rtt.sample(125_000, 3500, 4000);
        assertEquals(350_000 - (350_000 - 200_000) / 4, rtt.rtoVarianceUs());
    }

    @Test
    void shouldDoubleOnBackoffUpToMaxAndReset()
    {
        rtt.sample(10_000);
        rtt.backoff();
        assertEquals(420 * MS, rtt.rtoNs());
        rtt.backoff();
        assertEquals(840 * MS, rtt.rtoNs());
        assertEquals(2, rtt.backoffCount());
        for (int i = 0; i < 70; i++)
        {
            rtt.backoff();
        }
        assertEquals(120_000 * MS, rtt.rtoNs());
        rtt.resetBackoff();
        assertEquals(210 * MS, rtt.rtoNs());
    }
}
