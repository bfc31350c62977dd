package io.flowgate.conntrack;

import java.lang.foreign.Arena;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A single-producer single-consumer ring of fixed-size slots in off-heap memory: what a worker uses to hand
 * records to a control thread without blocking or allocating (conntrack events, the rule engine's log lines). The
 * producer claims a slot, writes it in place and commits it; a full ring refuses the claim and the caller counts
 * the loss. The consumer peeks at the oldest slot, reads it in place and releases it.
 * <p>
 * Ordering: the producer writes a slot, then publishes {@code tail} with release (W1, {@link #commit}); the consumer
 * reads {@code tail} with acquire (R1, pairs with W1, {@link #peek}) before the slot, and publishes {@code head} with
 * release (W2, {@link #release}) once it is done with the slot; the producer reads {@code head} with acquire (R2,
 * pairs with W2) before reusing a slot, caching it so that the consumer's line stays off the fast path.
 * <p>
 * Thread-safety: {@link #claim}/{@link #commit} by one producer thread, {@link #peek}/{@link #release} by one
 * consumer thread. Shutdown: the slots live as long as the arena the owner gave (closed by the owner once neither
 * side uses the ring, or an automatic arena).
 */
public final class SpscSlotRing
{
    private static final VarHandle HEAD;
    private static final VarHandle TAIL;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            HEAD = lookup.findVarHandle(SpscSlotRing.class, "head", long.class);
            TAIL = lookup.findVarHandle(SpscSlotRing.class, "tail", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final long slots;
    private final int slotSize;
    private final int mask;
    // Padding keeps the producer's and the consumer's positions on separate cache lines.
    @SuppressWarnings("unused")
    private long p01, p02, p03, p04, p05, p06, p07;
    private long tail;
    private long cachedHead;
    @SuppressWarnings("unused")
    private long p11, p12, p13, p14, p15, p16, p17;
    private long head;
    @SuppressWarnings("unused")
    private long p21, p22, p23, p24, p25, p26, p27;

    /**
     * @param arena    where the slots are allocated (it decides their lifetime)
     * @param count    slots, a power of two
     * @param slotSize bytes per slot (slots are 8-byte aligned when this is a multiple of 8)
     */
    public SpscSlotRing(final Arena arena, final int count, final int slotSize)
    {
        if (count < 2 || Integer.bitCount(count) != 1 || slotSize < 1)
        {
            throw new IllegalArgumentException("ring of " + count + " slots of " + slotSize + " bytes: count must be a power of two");
        }
        this.slots = arena.allocate((long)count * slotSize, 64).address();
        this.slotSize = slotSize;
        this.mask = count - 1;
    }

    public int capacity()
    {
        return mask + 1;
    }

    /** Producer: the address of the next free slot to write, 0 when the ring is full. {@link #commit} publishes it. */
    public long claim()
    {
        final long t = tail;
        if (t - cachedHead > mask)
        {
            cachedHead = (long)HEAD.getAcquire(this); // R2: pairs with W2 in release
            if (t - cachedHead > mask)
            {
                return 0;
            }
        }
        return slots + (t & mask) * slotSize;
    }

    /** Producer: publishes the slot {@link #claim} returned. */
    public void commit()
    {
        TAIL.setRelease(this, tail + 1); // W1: pairs with R1 in peek
    }

    /** Consumer: the address of the oldest published slot, 0 when none; {@link #release} it once read. */
    public long peek()
    {
        final long h = head;
        return h == (long)TAIL.getAcquire(this) ? 0 : slots + (h & mask) * slotSize; // R1: pairs with W1 in commit
    }

    /** Consumer: gives the slot {@link #peek} returned back to the producer. */
    public void release()
    {
        HEAD.setRelease(this, head + 1); // W2: pairs with R2 in claim
    }
}
