package io.flowgate.pipeline.route;

/**
 * A bounded pool of indices (tbl8 groups, next-hop and ECMP group ids), each free, in use or retired.
 * <p>
 * An index unlinked from what readers can reach is retired, not freed: a reader that loaded the link just
 * before it was replaced may still be using it. Retired indices return to the free list only in
 * {@link #reclaim()}, which the owner calls at a quiescent point (no reader inside a lookup that began before
 * the unlink).
 * <p>
 * NOTE: nothing checks that quiescence yet. When the epoch reclamation of {@code conntrack-offheap} exists, a
 * retired index should carry the epoch of its unlink and be reclaimed once every reader has passed it.
 * <p>
 * Thread-safety: the owning table's single writer only.
 */
final class IndexPool
{
    private final int capacity;
    private final String noun;
    private final int[] free;
    private final int[] retired;
    private int freeCount;
    private int retiredCount;

    IndexPool(final int capacity, final String noun)
    {
        this.capacity = capacity;
        this.noun = noun;
        this.free = new int[capacity];
        this.retired = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            free[i] = capacity - 1 - i;
        }
        this.freeCount = capacity;
    }

    int capacity()
    {
        return capacity;
    }

    int free()
    {
        return freeCount;
    }

    int retired()
    {
        return retiredCount;
    }

    int inUse()
    {
        return capacity - freeCount - retiredCount;
    }

    /** The caller has checked {@link #free()} first: exhaustion is reported before any change. */
    int allocate()
    {
        if (freeCount == 0)
        {
            throw new IllegalStateException("no " + noun + " free: callers check free() before changing anything");
        }
        return free[--freeCount];
    }

    void retire(final int group)
    {
        retired[retiredCount++] = group;
    }

    int reclaim()
    {
        final int reclaimed = retiredCount;
        System.arraycopy(retired, 0, free, freeCount, reclaimed);
        freeCount += reclaimed;
        retiredCount = 0;
        return reclaimed;
    }

    String describe()
    {
        return capacity + " " + noun + ": " + inUse() + " in use, " + retiredCount + " retired awaiting reclaim(), " +
            freeCount + " free";
    }
}
