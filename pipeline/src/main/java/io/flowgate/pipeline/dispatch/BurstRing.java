package io.flowgate.pipeline.dispatch;

import io.flowgate.pmd.port.MbufBurst;
import java.lang.foreign.Arena;
import java.util.function.Supplier;
import org.jctools.queues.atomic.SpscAtomicArrayQueue;

/**
 * Carries bursts from one producer core to one consumer core without allocating: a fixed set of
 * preallocated bursts ({@link MbufBurst}s, or any holder of mbufs and their metadata) circulates through two
 * JCTools SPSC queues, {@code filled} (producer to consumer) and {@code empty} (back). The atomic variant
 * (field updaters, no {@code sun.misc.Unsafe}, whose memory access JDK 25 warns about at run time); the
 * queues carry one reference per burst, so its cost does not show per packet. The mbufs in a burst
 * belong to whoever holds the burst; the consumer empties a burst before it {@link #release}s it.
 * <p>
 * Thread-safety: exactly one producer thread calls {@link #acquire}/{@link #publish}; exactly one consumer
 * thread calls {@link #poll}/{@link #release}. Counters are plain fields of their own side, read by other
 * threads only approximately (benign races, they only grow).
 */
public final class BurstRing<B>
{
    private final SpscAtomicArrayQueue<B> filled;
    private final SpscAtomicArrayQueue<B> empty;

    // Producer side.
    private long published;
    private long fullEvents;
    private long noEmptyBurstEvents;

    // Consumer side.
    private long consumed;
    private long emptyPolls;

    /** {@code bursts} bursts made by {@code factory} (control path: called here only). */
    public BurstRing(final int bursts, final Supplier<B> factory)
    {
        this.filled = new SpscAtomicArrayQueue<>(bursts);
        this.empty = new SpscAtomicArrayQueue<>(bursts);
        for (int i = 0; i < bursts; i++)
        {
            if (!empty.offer(factory.get()))
            {
                throw new IllegalStateException("ring capacity below " + bursts);
            }
        }
    }

    /** A ring of {@code bursts} mbuf bursts of {@code burstCapacity} pointers each, allocated from {@code arena}. */
    public static BurstRing<MbufBurst> ofMbufBursts(final Arena arena, final int bursts, final int burstCapacity)
    {
        return new BurstRing<>(bursts, () -> new MbufBurst(arena, burstCapacity));
    }

    /** Producer: an empty burst to fill, or null when the consumer holds them all (counted). */
    public B acquire()
    {
        final B burst = empty.relaxedPoll();
        if (burst == null)
        {
            noEmptyBurstEvents++;
        }
        return burst;
    }

    /** Producer: hands a filled burst over; false when the ring is full (counted) and the burst is still the producer's. */
    public boolean publish(final B burst)
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
    public B poll()
    {
        final B burst = filled.relaxedPoll();
        if (burst == null)
        {
            emptyPolls++;
            return null;
        }
        consumed++;
        return burst;
    }

    /** Consumer: returns a burst whose mbufs were all sent or freed (and whose count the consumer reset). */
    public void release(final B burst)
    {
        empty.relaxedOffer(burst);
    }

    /** Any thread: whether no filled burst waits (approximate while the producer runs; exact once it stopped). */
    public boolean isEmpty()
    {
        return filled.isEmpty();
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
