package io.flowgate.conntrack;

import java.lang.foreign.Arena;
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
 * The ring itself is a {@link SpscSlotRing} (its ordering comments say which store publishes what).
 * <p>
 * Thread-safety: {@link #publish} on the owning worker only; {@link #drain} on one control thread;
 * {@link #mask(int)} from any thread (a volatile store the worker reads per event).
 */
public final class CtEventRing implements AutoCloseable
{
    private static final int SLOT = 256;
    private static final int HEADER = 32;

    private final Arena arena = Arena.ofShared();
    private final SpscSlotRing ring;
    private final CtEvent event = new CtEvent();
    private volatile int wanted;

    /** @param capacityBytes ring size in bytes, a power of two (one event takes 256) */
    public CtEventRing(final int capacityBytes)
    {
        final int count = Math.max(16, capacityBytes / SLOT);
        if (Integer.bitCount(count) != 1)
        {
            throw new IllegalArgumentException("event ring of " + capacityBytes + " bytes: must be a power of two");
        }
        this.ring = new SpscSlotRing(arena, count, SLOT);
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
        final long at = ring.claim();
        if (at == 0)
        {
            return false;
        }
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
        ring.commit();
        return true;
    }

    /** Decodes and hands up to {@code limit} waiting events to {@code listener} (control thread); returns how many. */
    public int drain(final Consumer<CtEvent> listener, final int limit)
    {
        int n = 0;
        long at;
        while (n < limit && (at = ring.peek()) != 0)
        {
            final CtEvent e = event;
            e.type = OffHeap.getInt(at);
            e.entry.worker = OffHeap.getInt(at + 4);
            e.timestampMicros = OffHeap.getLong(at + 8);
            e.entry.index = OffHeap.getInt(at + 16);
            final int nowMs = OffHeap.getInt(at + 20);
            final boolean v6 = OffHeap.getInt(at + 24) != 0;
            CtRecord.decode(at + HEADER, v6 ? at + HEADER + CtRecord.SIZE : 0, nowMs, e.entry);
            ring.release(); // the slot is copied out (the listener gets the copy)
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
