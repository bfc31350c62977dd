package io.flowgate.conntrack;

import java.lang.foreign.Arena;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

/**
 * Conntrack events of one worker on their way to the control plane: a single-producer single-consumer ring
 * of fixed 256-byte slots in off-heap memory that the worker writes without blocking (a full ring drops the
 * event and the caller counts {@code eventsLost}) and one control thread drains. Nothing is written while no
 * one subscribes ({@link #mask(int)} is 0).
 * <pre>
 * slot:
 *   0  int   event type (CtEvent bit)
 *   4  int   worker
 *   8  long  wall clock, microseconds
 *  16  int   record index
 *  20  int   table clock (ms) at the event, for the remaining timeout
 *  24  int   1 when the IPv6 address block is valid
 *  28  int   (pad)
 *  32  128   the record (CtRecord layout)
 * 160  64    the IPv6 address block (IPv6 only)
 * </pre>
 * Ordering: the producer fills a slot, then publishes {@code tail} with release (W1); the consumer reads
 * {@code tail} with acquire (R1, pairs with W1) before the slots, and publishes {@code head} with release
 * (W2) after copying them out; the producer reads {@code head} with acquire (R2, pairs with W2) before
 * reusing a slot, caching it so the consumer's line stays off the fast path.
 * <p>
 * Thread-safety: {@link #publish} on the owning worker only; {@link #drain} on one control thread;
 * {@link #mask(int)} from any thread (a volatile store the worker reads per event).
 */
public final class CtEventRing implements AutoCloseable
{
    private static final int SLOT = 256;
    private static final int HEADER = 32;

    private static final VarHandle HEAD;
    private static final VarHandle TAIL;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            HEAD = lookup.findVarHandle(CtEventRing.class, "head", long.class);
            TAIL = lookup.findVarHandle(CtEventRing.class, "tail", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final Arena arena = Arena.ofShared();
    private final long slots;
    private final int mask;
    private final CtEvent event = new CtEvent();
    private volatile int wanted;
    // Padding keeps the producer's and the consumer's indexes on separate cache lines.
    @SuppressWarnings("unused")
    private long p01, p02, p03, p04, p05, p06, p07;
    private long tail;
    private long cachedHead;
    @SuppressWarnings("unused")
    private long p11, p12, p13, p14, p15, p16, p17;
    private long head;

    /** @param capacityBytes ring size in bytes, a power of two (one event takes 256) */
    public CtEventRing(final int capacityBytes)
    {
        final int count = Math.max(16, capacityBytes / SLOT);
        if (Integer.bitCount(count) != 1)
        {
            throw new IllegalArgumentException("event ring of " + capacityBytes + " bytes: must be a power of two");
        }
        this.slots = arena.allocate((long)count * SLOT, 64).address();
        this.mask = count - 1;
    }

    /** The event types someone wants ({@link CtEvent} bits); 0 stops publishing. */
    public void mask(final int mask)
    {
        this.wanted = mask;
    }

    public boolean wanted(final int type)
    {
        return (wanted & type) != 0;
    }

    /** Copies the record into the ring; false when the ring is full (the event is lost). */
    public boolean publish(final int type, final int worker, final int index, final long record, final long v6Block, final int nowMs)
    {
        final long t = tail;
        if (t - cachedHead > mask)
        {
            cachedHead = (long)HEAD.getAcquire(this); // R2
            if (t - cachedHead > mask)
            {
                return false;
            }
        }
        final long at = slots + ((t & mask) << 8);
        OffHeap.putInt(at, type);
        OffHeap.putInt(at + 4, worker);
        OffHeap.putLong(at + 8, System.currentTimeMillis() * 1000L);
        OffHeap.putInt(at + 16, index);
        OffHeap.putInt(at + 20, nowMs);
        OffHeap.putInt(at + 24, v6Block != 0 ? 1 : 0);
        OffHeap.copy(record, at + HEADER, CtRecord.SIZE);
        if (v6Block != 0)
        {
            OffHeap.copy(v6Block, at + HEADER + CtRecord.SIZE, CtRecord.V6_BLOCK_SIZE);
        }
        TAIL.setRelease(this, t + 1); // W1
        return true;
    }

    /** Decodes and hands up to {@code limit} waiting events to {@code listener} (control thread); returns how many. */
    public int drain(final Consumer<CtEvent> listener, final int limit)
    {
        final long available = (long)TAIL.getAcquire(this); // R1
        long h = head;
        int n = 0;
        while (h < available && n < limit)
        {
            final long at = slots + ((h & mask) << 8);
            final CtEvent e = event;
            e.type = OffHeap.getInt(at);
            e.entry.worker = OffHeap.getInt(at + 4);
            e.timestampMicros = OffHeap.getLong(at + 8);
            e.entry.index = OffHeap.getInt(at + 16);
            final int nowMs = OffHeap.getInt(at + 20);
            final boolean v6 = OffHeap.getInt(at + 24) != 0;
            CtRecord.decode(at + HEADER, v6 ? at + HEADER + CtRecord.SIZE : 0, nowMs, e.entry);
            h++;
            HEAD.setRelease(this, h); // W2: the slot is copied out (the listener gets the copy)
            listener.accept(e);
            n++;
        }
        return n;
    }

    @Override
    public void close()
    {
        arena.close();
    }
}
