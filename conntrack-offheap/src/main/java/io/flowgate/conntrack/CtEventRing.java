package io.flowgate.conntrack;

import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * Conntrack events of one worker on their way to the control plane: an Agrona one-to-one ring the worker
 * writes without blocking (a full ring drops the event and the caller counts {@code eventsLost}) and one
 * control thread drains. Nothing is written while no one subscribes ({@link #mask(int)} is 0).
 * <pre>
 * message (type id = CtEvent type):
 *   0  long  wall clock, microseconds
 *   8  int   worker
 *  12  int   record index
 *  16  int   table clock (ms) at the event, for the remaining timeout
 *  20  int   1 when an IPv6 address block follows the record
 *  24  128   the record (CtRecord layout)
 * 152  64    the IPv6 address block (IPv6 only)
 * </pre>
 * Thread-safety: {@link #publish} on the owning worker only; {@link #drain} on one control thread;
 * {@link #mask(int)} from any thread (a volatile store the worker reads per event).
 */
public final class CtEventRing
{
    private static final int HEADER = 24;

    private final OneToOneRingBuffer ring;
    private final CtEvent event = new CtEvent();
    private volatile int mask;

    public CtEventRing(final int capacityBytes)
    {
        this.ring = new OneToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(capacityBytes + RingBufferDescriptor.TRAILER_LENGTH)));
    }

    /** The event types someone wants ({@link CtEvent} bits); 0 stops publishing. */
    public void mask(final int mask)
    {
        this.mask = mask;
    }

    public boolean wanted(final int type)
    {
        return (mask & type) != 0;
    }

    /** Copies the record into the ring; false when the ring is full (the event is lost). */
    public boolean publish(final int type, final int worker, final int index, final long record, final long v6Block, final int nowMs)
    {
        final int length = HEADER + CtRecord.SIZE + (v6Block != 0 ? CtRecord.V6_BLOCK_SIZE : 0);
        final int claim = ring.tryClaim(type, length);
        if (claim <= 0)
        {
            return false;
        }
        final UnsafeBuffer buffer = (UnsafeBuffer)ring.buffer();
        final long at = buffer.addressOffset() + claim;
        OffHeap.putLong(at, System.currentTimeMillis() * 1000L);
        OffHeap.putInt(at + 8, worker);
        OffHeap.putInt(at + 12, index);
        OffHeap.putInt(at + 16, nowMs);
        OffHeap.putInt(at + 20, v6Block != 0 ? 1 : 0);
        OffHeap.copy(record, at + HEADER, CtRecord.SIZE);
        if (v6Block != 0)
        {
            OffHeap.copy(v6Block, at + HEADER + CtRecord.SIZE, CtRecord.V6_BLOCK_SIZE);
        }
        ring.commit(claim);
        return true;
    }

    /** Decodes and hands every waiting event to {@code listener} (control thread); returns how many. */
    public int drain(final Consumer<CtEvent> listener, final int limit)
    {
        return ring.read((type, buffer, offset, length) ->
        {
            final long at = buffer.addressOffset() + offset;
            final CtEvent e = event;
            e.type = type;
            e.timestampMicros = OffHeap.getLong(at);
            e.entry.worker = OffHeap.getInt(at + 8);
            e.entry.index = OffHeap.getInt(at + 12);
            final int nowMs = OffHeap.getInt(at + 16);
            final boolean v6 = OffHeap.getInt(at + 20) != 0;
            CtRecord.decode(at + HEADER, v6 ? at + HEADER + CtRecord.SIZE : 0, nowMs, e.entry);
            listener.accept(e);
        }, limit);
    }
}
