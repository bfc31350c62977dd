package io.flowgate.conntrack;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * RCU-like epoch protection for one table: a global epoch advanced by the owner, and one padded slot per
 * reader holding the epoch the reader entered ({@link #INACTIVE} outside). Memory unlinked by the owner is
 * retired with the epoch current at the unlink ({@link #epoch()}); it may be reused once
 * {@code retireEpoch < }{@link #advance()}, i.e. once every reader active now entered after the unlink.
 * <p>
 * Why that is enough: the owner unlinks, later advances the epoch (W1, volatile store) and then reads every
 * slot (W2, volatile loads). A reader stores the epoch it read into its slot (R1, volatile store) and reads
 * the global epoch again (R2, volatile load), retrying until both agree. Volatile accesses are sequentially
 * consistent, so either W2 sees the reader's slot (and the memory retired at or after that epoch is kept),
 * or R2 sees W1 and the reader re-enters with an epoch whose acquire also made the unlink visible to it: it
 * can no longer reach the retired memory.
 * <p>
 * Thread-safety: {@link #epoch()}, {@link #advance()} owner only; {@link #enter}/{@link #exit} by the reader
 * owning the slot; {@link #register}/{@link #unregister} any thread (control plane, synchronized).
 */
final class EpochReclaimer
{
    static final long INACTIVE = Long.MAX_VALUE;

    /** Longs per slot: 128 bytes, so two readers never share a cache line (nor its adjacent-line prefetch). */
    private static final int STRIDE = 16;
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(long[].class);

    /** The global epoch lives in the middle of its own padded array (index {@link #STRIDE}). */
    private final long[] global = new long[STRIDE * 2 + 1];
    private final long[] slots;
    private final boolean[] claimed;
    private final int maxReaders;
    /** Owner's copy of the global epoch (it is the only writer). */
    private long epoch = 1;

    EpochReclaimer(final int maxReaders)
    {
        this.maxReaders = maxReaders;
        this.slots = new long[(maxReaders + 2) * STRIDE];
        this.claimed = new boolean[maxReaders];
        for (int i = 0; i < maxReaders; i++)
        {
            SLOTS.setVolatile(slots, slotIndex(i), INACTIVE);
        }
        SLOTS.setVolatile(global, STRIDE, epoch);
    }

    private static int slotIndex(final int slot)
    {
        return (slot + 1) * STRIDE;
    }

    synchronized int register()
    {
        for (int i = 0; i < maxReaders; i++)
        {
            if (!claimed[i])
            {
                claimed[i] = true;
                return i;
            }
        }
        throw new IllegalStateException("all " + maxReaders + " reader slots are in use");
    }

    synchronized void unregister(final int slot)
    {
        SLOTS.setVolatile(slots, slotIndex(slot), INACTIVE);
        claimed[slot] = false;
    }

    /** Reader: from now on, memory reachable at the epoch entered stays valid until {@link #exit}. */
    void enter(final int slot)
    {
        final int at = slotIndex(slot);
        long e = (long)SLOTS.getVolatile(global, STRIDE);
        while (true)
        {
            SLOTS.setVolatile(slots, at, e); // R1: pairs with W2 in advance
            final long again = (long)SLOTS.getVolatile(global, STRIDE); // R2: pairs with W1 in advance
            if (again == e)
            {
                return;
            }
            e = again;
        }
    }

    /** Reader: leaves; release so that every read made inside happens before the owner's reuse. */
    void exit(final int slot)
    {
        SLOTS.setRelease(slots, slotIndex(slot), INACTIVE); // R3: pairs with the acquire of W2
    }

    /** Owner: the epoch to retire unlinked memory with. */
    long epoch()
    {
        return epoch;
    }

    /**
     * Owner: advances the global epoch and returns the reuse threshold: memory retired at an epoch strictly
     * below it is no longer reachable by any reader.
     */
    long advance()
    {
        final long next = ++epoch;
        SLOTS.setVolatile(global, STRIDE, next); // W1: pairs with R2 in enter
        long min = next;
        for (int i = 0; i < maxReaders; i++)
        {
            final long e = (long)SLOTS.getVolatile(slots, slotIndex(i)); // W2: pairs with R1 (and R3) in enter/exit
            if (e < min)
            {
                min = e;
            }
        }
        return min;
    }
}
