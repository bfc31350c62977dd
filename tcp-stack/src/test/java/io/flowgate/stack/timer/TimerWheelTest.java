package io.flowgate.stack.timer;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TimerWheelTest
{
    private static final long TICK = 1 << 20; // ~1 ms
    private static final long START = 5_000_000_000L;

    private static final class Recorder implements TimerHandler
    {
        final List<Timer> fired = new ArrayList<>();
        final List<Long> at = new ArrayList<>();

        @Override
        public void onTimer(final Timer timer, final long nowNs)
        {
            assertFalse(timer.pending(), "not pending in its handler");
            fired.add(timer);
            at.add(nowNs);
        }
    }

    @Test
    void shouldRoundTheTickUpToAPowerOfTwo()
    {
        assertEquals(1 << 20, new TimerWheel(1_000_000, 16, 0).tickNs());
    }

    @Test
    void shouldFireInDeadlineOrderNeverEarlyAtMostOneTickLate()
    {
        final TimerWheel wheel = new TimerWheel(TICK, 64, START);
        final Recorder recorder = new Recorder();
        final Timer[] timers = new Timer[50];
        final java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        for (int i = 0; i < timers.length; i++)
        {
            timers[i] = new Timer(recorder, i);
            wheel.schedule(timers[i], START + random.nextLong(200 * TICK)); // up to three revolutions
        }
        assertEquals(50, wheel.size());
        long lastDeadline = Long.MIN_VALUE;
        int seen = 0;
        for (long now = START; now < START + 201 * TICK; now += TICK / 4)
        {
            wheel.expire(now);
            for (; seen < recorder.fired.size(); seen++)
            {
                final Timer t = recorder.fired.get(seen);
                final long firedAt = recorder.at.get(seen);
                assertTrue(firedAt >= t.deadlineNs(), "never early");
                assertTrue(firedAt - t.deadlineNs() <= TICK, "at most one tick late");
                assertTrue(t.deadlineNs() >> 20 >= lastDeadline >> 20, "tick order");
                lastDeadline = Math.max(lastDeadline, t.deadlineNs());
            }
        }
        assertEquals(50, recorder.fired.size());
        assertEquals(0, wheel.size());
    }

    @Test
    void shouldNotFireCancelledTimersAndMoveRescheduledOnes()
    {
        final TimerWheel wheel = new TimerWheel(TICK, 8, START);
        final Recorder recorder = new Recorder();
        final Timer a = new Timer(recorder, 1);
        final Timer b = new Timer(recorder, 2);
        wheel.schedule(a, START + 3 * TICK);
        wheel.schedule(b, START + 3 * TICK);
        wheel.cancel(a);
        wheel.cancel(a);
        assertFalse(a.pending());
        wheel.schedule(b, START + 20 * TICK); // moved past two revolutions
        assertEquals(1, wheel.size());
        assertEquals(0, wheel.expire(START + 10 * TICK));
        assertEquals(0, wheel.expire(START + 20 * TICK - 1));
        assertEquals(1, wheel.expire(START + 20 * TICK));
        assertEquals(List.of(b), recorder.fired);
    }

    @Test
    void shouldFirePastDeadlinesAtTheNextExpireAndCatchUpAfterALongGap()
    {
        final TimerWheel wheel = new TimerWheel(TICK, 8, START);
        final Recorder recorder = new Recorder();
        wheel.expire(START + 100 * TICK);
        final Timer past = new Timer(recorder, 1);
        wheel.schedule(past, START);
        final Timer far = new Timer(recorder, 2);
        wheel.schedule(far, START + 150 * TICK);
        assertEquals(1, wheel.expire(START + 100 * TICK));
        assertEquals(1, wheel.expire(START + 1000 * TICK), "a gap of many revolutions");
        assertEquals(List.of(past, far), recorder.fired);
    }

    @Test
    void shouldLetAHandlerRescheduleItselfAndCancelAnotherDueTimer()
    {
        final TimerWheel wheel = new TimerWheel(TICK, 16, START);
        final Timer[] other = new Timer[1];
        final int[] count = new int[2];
        final TimerHandler handler = (timer, nowNs) ->
        {
            count[timer.kind()]++;
            if (timer.kind() == 0)
            {
                wheel.cancel(other[0]);
                if (count[0] < 5)
                {
                    wheel.schedule(timer, nowNs); // due again, but fires at the next expire, not in this one
                }
            }
        };
        final Timer self = new Timer(handler, 0);
        other[0] = new Timer(handler, 1);
        wheel.schedule(self, START + TICK);
        wheel.schedule(other[0], START + TICK);
        assertEquals(1, wheel.expire(START + TICK));
        assertEquals(0, count[1], "cancelled while waiting in the expiring list");
        for (int i = 2; i <= 10; i++)
        {
            wheel.expire(START + i * TICK);
        }
        assertEquals(5, count[0]);
        assertEquals(0, wheel.size());
    }

    @Test
    void shouldNotAllocateWhenSchedulingCancellingAndExpiring()
    {
        final TimerWheel wheel = new TimerWheel(TICK, 256, START);
        final TimerHandler handler = (timer, nowNs) -> wheel.schedule(timer, nowNs + 37 * TICK);
        final Timer[] timers = new Timer[1000];
        for (int i = 0; i < timers.length; i++)
        {
            timers[i] = new Timer(handler, i);
        }
        final com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long tid = Thread.currentThread().threadId();
        long now = START;
        for (int round = 0; round < 3; round++)
        {
            final long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 200_000; i++)
            {
                final Timer t = timers[i % timers.length];
                if ((i & 3) == 0)
                {
                    wheel.cancel(t);
                }
                else
                {
                    wheel.schedule(t, now + (i % 1000) * TICK);
                }
                if ((i & 63) == 0)
                {
                    now += TICK;
                    wheel.expire(now);
                }
            }
            final long allocated = mx.getThreadAllocatedBytes(tid) - before;
            if (round > 0)
            {
                assertTrue(allocated < 1024, "allocated " + allocated + " bytes");
            }
        }
    }
}
