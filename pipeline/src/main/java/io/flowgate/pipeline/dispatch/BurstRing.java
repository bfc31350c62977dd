package io.flowgate.pipeline.dispatch;

import io.flowgate.pmd.port.MbufBurst;
import java.lang.foreign.Arena;
import org.jctools.queues.SpscArrayQueue;

/**
 * Carries bursts of mbufs from one producer core to one consumer core without allocating: a fixed set of
 * preallocated {@link MbufBurst}s circulates through two JCTools SPSC queues, {@code filled} (producer to
 * consumer) and {@code empty} (back). The mbufs in a burst belong to whoever holds the burst.
 * <p>
 * Thread-safety: exactly one producer thread calls {@link #acquire}/{@link #publish}; exactly one consumer
 * thread calls {@link #poll}/{@link #release}. Counters are plain fields of their own side, read by other
 * threads only approximately (benign races, they only grow).
 */
public final class BurstRing
{
    private final SpscArrayQueue<MbufBurst> filled;
    private final SpscArrayQueue<MbufBurst> empty;

    // Producer side.
    private long published;
    private long fullEvents;
    private long noEmptyBurstEvents;

    // Consumer side.
    private long consumed;
    private long emptyPolls;

    /** {@code bursts} bursts of {@code burstCapacity} pointers each, allocated from {@code arena}. */
    public BurstRing(final Arena arena, final int bursts, final int burstCapacity)
    {
        this.filled = new SpscArrayQueue<>(bursts);
        this.empty = new SpscArrayQueue<>(bursts);
        for (int i = 0; i < bursts; i++)
        {
            if (!empty.offer(new MbufBurst(arena, burstCapacity)))
            {
                throw new IllegalStateException("ring capacity below " + bursts);
            }
        }
    }

    /** Producer: an empty burst to fill, or null when the consumer holds them all (counted). */
    public MbufBurst acquire()
    {
        final MbufBurst burst = empty.relaxedPoll();
        if (burst == null)
        {
            noEmptyBurstEvents++;
        }
        return burst;
    }

    /** Producer: hands a filled burst over; false when the ring is full (counted) and the burst is still the producer's. */
    public boolean publish(final MbufBurst burst)
    {
        if (filled.relaxedOffer(burst))
        {
            published++;
            return true;
        }
        fullEvents++;
        return false;
    }

    /** Consumer: the next filled burst, or null (counted as an empty poll). */
    public MbufBurst poll()
    {
        final MbufBurst burst = filled.relaxedPoll();
        if (burst == null)
        {
            emptyPolls++;
            return null;
        }
        consumed++;
        return burst;
    }

    /** Consumer: returns a burst whose mbufs were all sent or freed. */
    public void release(final MbufBurst burst)
    {
        burst.count(0);
        empty.relaxedOffer(burst);
    }

    public long published()
    {
        return published;
    }

    public long fullEvents()
    {
        return fullEvents;
    }

    public long noEmptyBurstEvents()
    {
        return noEmptyBurstEvents;
    }

    public long consumed()
    {
        return consumed;
    }

    public long emptyPolls()
    {
        return emptyPolls;
    }
}
