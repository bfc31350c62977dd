package io.flowgate.conntrack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;

class EpochReclaimerTest
{
    @Test
    void shouldKeepMemoryRetiredWhileAReaderIsInside()
    {
        final EpochReclaimer epochs = new EpochReclaimer(2);
        final int reader = epochs.register();
        epochs.enter(reader);
        final long retired = epochs.epoch();
        assertFalse(retired < epochs.advance(), "reader entered before the unlink: must not reuse");
        assertFalse(retired < epochs.advance(), "still inside, however often the owner advances");
        epochs.exit(reader);
        assertTrue(retired < epochs.advance(), "reader left: reusable");
    }

    @Test
    void shouldNotBeHeldUpByAReaderThatEnteredAfterTheUnlink()
    {
        final EpochReclaimer epochs = new EpochReclaimer(2);
        final int reader = epochs.register();
        final long retired = epochs.epoch();
        epochs.advance();
        epochs.enter(reader);
        assertTrue(retired < epochs.advance(), "a reader entering after the advance cannot reach the unlinked memory");
        final long retiredLater = epochs.epoch();
        assertFalse(retiredLater < epochs.advance(), "but it holds what was unlinked while it was inside");
        epochs.exit(reader);
    }

    @Test
    void shouldBeHeldUpByTheOldestOfSeveralReaders()
    {
        final EpochReclaimer epochs = new EpochReclaimer(3);
        final int a = epochs.register();
        final int b = epochs.register();
        epochs.enter(a);
        epochs.advance();
        epochs.enter(b);
        final long retired = epochs.epoch();
        epochs.exit(b);
        assertFalse(retired < epochs.advance());
        epochs.exit(a);
        assertTrue(retired < epochs.advance());
        epochs.unregister(a);
        epochs.unregister(b);
        assertEquals(a, epochs.register());
    }

    /**
     * Owner publishes a cell, unlinks the previous one, retires it, and poisons it once the reclaimer says it
     * may be reused; readers dereference the published cell inside their epoch and must never see poison.
     */
    @Test
    void shouldNeverLetAReaderSeeReusedMemory() throws Exception
    {
        final int cells = 64;
        final EpochReclaimer epochs = new EpochReclaimer(4);
        final AtomicReferenceArray<long[]> memory = new AtomicReferenceArray<>(cells);
        for (int i = 0; i < cells; i++)
        {
            memory.set(i, new long[] {i});
        }
        final AtomicLong published = new AtomicLong(0);
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong violations = new AtomicLong();
        final AtomicLong reads = new AtomicLong();
        final Thread[] readers = new Thread[2];
        for (int r = 0; r < readers.length; r++)
        {
            final int slot = epochs.register();
            readers[r] = new Thread(() ->
            {
                while (!stop.get())
                {
                    epochs.enter(slot);
                    final int cell = (int)published.get();
                    final long[] content = memory.get(cell);
                    for (int k = 0; k < 16; k++)
                    {
                        if (content[0] < 0)
                        {
                            violations.incrementAndGet();
                        }
                        Thread.onSpinWait();
                    }
                    epochs.exit(slot);
                    reads.incrementAndGet();
                }
            });
            readers[r].start();
        }
        final long[] retiredAt = new long[cells];
        final boolean[] retired = new boolean[cells];
        final long deadline = System.nanoTime() + 1_000_000_000L;
        int current = 0;
        int next = 1;
        while (System.nanoTime() < deadline)
        {
            final long safe = epochs.advance();
            for (int i = 0; i < cells; i++)
            {
                if (retired[i] && retiredAt[i] < safe)
                {
                    memory.get(i)[0] = -1; // reuse: poison, then back to a valid value
                    memory.get(i)[0] = i;
                    retired[i] = false;
                }
            }
            if (!retired[next] && next != current)
            {
                memory.get(next)[0] = next;
                published.set(next);
                retired[current] = true;
                retiredAt[current] = epochs.epoch();
                current = next;
            }
            next = (next + 1) % cells;
        }
        stop.set(true);
        for (final Thread reader : readers)
        {
            reader.join();
        }
        assertTrue(reads.get() > 0);
        assertEquals(0, violations.get());
    }
}
