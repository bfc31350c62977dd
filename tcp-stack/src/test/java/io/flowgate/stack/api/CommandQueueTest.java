package io.flowgate.stack.api;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommandQueueTest
{
    static final class Counting extends CommandQueue.Nudge
    {
        int runs;

        @Override
        protected void onNudge(final long nowNs)
        {
            runs++;
        }
    }

    @Test
    void shouldQueueANudgeOnceUntilItRuns()
    {
        final CommandQueue queue = new CommandQueue(8);
        final Counting a = new Counting();
        final Counting b = new Counting();
        queue.nudge(a);
        queue.nudge(a);
        queue.nudge(b);
        assertEquals(2, queue.drain(1));
        assertEquals(1, a.runs);
        queue.nudge(a);
        assertEquals(1, queue.drain(2));
        assertEquals(2, a.runs);
    }

    @Test
    void shouldRequeueANudgeRaisedWhileItRuns()
    {
        final CommandQueue queue = new CommandQueue(8);
        final CommandQueue.Nudge self = new CommandQueue.Nudge()
        {
            int runs;

            @Override
            protected void onNudge(final long nowNs)
            {
                if (++runs == 1)
                {
                    queue.nudge(this);
                }
            }
        };
        queue.nudge(self);
        assertEquals(2, queue.drain(1), "the nudge raised during its run runs again in the same drain");
    }

    @Test
    void shouldKnowTheStackThreadAfterTheFirstDrain() throws Exception
    {
        final CommandQueue queue = new CommandQueue(8);
        assertFalse(queue.running());
        assertFalse(queue.onStackThread());
        assertEquals(Integer.valueOf(5), queue.<Integer>call(now -> 5), "inline before the stack runs");
        queue.drain(1);
        assertTrue(queue.running());
        assertTrue(queue.onStackThread());
        final boolean[] other = new boolean[1];
        final Thread t = new Thread(() -> other[0] = queue.onStackThread());
        t.start();
        t.join();
        assertFalse(other[0]);
    }

    @Test
    void shouldRefuseTasksWhenFull()
    {
        final CommandQueue queue = new CommandQueue(2);
        assertTrue(queue.offer(() -> { }));
        assertTrue(queue.offer(() -> { }));
        assertFalse(queue.offer(() -> { }));
        assertEquals(2, queue.drain(1));
    }

    @Test
    void shouldDeliverEveryNudgeFromManyThreads() throws Exception
    {
        final CommandQueue queue = new CommandQueue(8);
        final Counting[] nudges = new Counting[3000];
        for (int i = 0; i < nudges.length; i++)
        {
            nudges[i] = new Counting();
        }
        final AtomicInteger done = new AtomicInteger();
        final Thread[] producers = new Thread[2];
        for (int p = 0; p < producers.length; p++)
        {
            producers[p] = new Thread(() ->
            {
                for (final Counting n : nudges)
                {
                    queue.nudge(n);
                }
                done.incrementAndGet();
            });
            producers[p].start();
        }
        while (done.get() < producers.length)
        {
            queue.drain(1);
        }
        queue.drain(2);
        for (final Counting n : nudges)
        {
            assertTrue(n.runs >= 1 && n.runs <= 2, "ran " + n.runs);
        }
    }

    @Test
    void shouldNotAllocatePerNudge()
    {
        final CommandQueue queue = new CommandQueue(8);
        final Counting[] nudges = new Counting[5000];
        for (int i = 0; i < nudges.length; i++)
        {
            nudges[i] = new Counting();
        }
        final com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long tid = Thread.currentThread().threadId();
        for (int round = 0; round < 4; round++)
        {
            final long before = mx.getThreadAllocatedBytes(tid);
            for (final Counting n : nudges)
            {
                queue.nudge(n);
            }
            queue.drain(round);
            final long allocated = mx.getThreadAllocatedBytes(tid) - before;
            if (round > 1)
            {
                assertTrue(allocated < 1024, "allocated " + allocated);
            }
        }
    }
}
