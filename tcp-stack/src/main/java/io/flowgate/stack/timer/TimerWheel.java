package io.flowgate.stack.timer;

/**
 * A hashed timing wheel (Varghese and Lauck) of intrusive {@link Timer}s: O(1) schedule and cancel, no
 * allocation. A timer fires at the first {@link #expire} at or after its deadline (never before), at most one
 * tick late. Deadlines beyond one revolution stay in their slot and are skipped until their round comes.
 * Stack thread only.
 * <p>
 * Each slot is a circular doubly linked list through a sentinel {@link Timer}, so cancel unlinks without
 * knowing the slot. {@link #expire} moves a slot's list onto the {@code expiring} sentinel in one splice and
 * pops from there: a handler may cancel or reschedule any timer, including ones still waiting in
 * {@code expiring}, and a timer it schedules again lands in a slot, so it never fires twice in one call.
 * <p>
 * {@code currentTick} is the earliest tick whose slot may hold due timers; deadlines before it go into its
 * slot. After an expire at {@code nowTick} it stays at {@code nowTick}, whose slot may still hold timers due
 * later in that tick.
 */
public final class TimerWheel
{
    private final int shift;
    private final int mask;
    private final long startNs;
    private final Timer[] slots;
    private final Timer expiring = new Timer(null, -1);
    private long currentTick;
    private int size;

    /**
     * @param tickNs  the resolution (rounded up to a power of two nanoseconds)
     * @param slots   slots per revolution (a power of two)
     * @param startNs the time of tick 0
     */
    public TimerWheel(final long tickNs, final int slots, final long startNs)
    {
        if (tickNs <= 0 || slots <= 0 || Integer.bitCount(slots) != 1)
        {
            throw new IllegalArgumentException("tickNs > 0 and slots a power of two: " + tickNs + ", " + slots);
        }
        this.shift = 64 - Long.numberOfLeadingZeros(tickNs - 1);
        this.mask = slots - 1;
        this.startNs = startNs;
        this.slots = new Timer[slots];
        for (int i = 0; i < slots; i++)
        {
            this.slots[i] = sentinel();
        }
        expiring.prev = expiring;
        expiring.next = expiring;
    }

    /** The resolution after rounding. */
    public long tickNs()
    {
        return 1L << shift;
    }

    /** Schedules {@code timer} for {@code deadlineNs}, moving it if it is pending. */
    public void schedule(final Timer timer, final long deadlineNs)
    {
        if (timer.pending)
        {
            unlink(timer);
        }
        else
        {
            timer.pending = true;
            size++;
        }
        timer.deadlineNs = deadlineNs;
        linkBefore(slots[slotOf(deadlineNs)], timer);
    }

    /** Cancels {@code timer} if it is pending. */
    public void cancel(final Timer timer)
    {
        if (timer.pending)
        {
            unlink(timer);
            timer.pending = false;
            size--;
        }
    }

    /**
     * Fires every timer whose deadline is at or before {@code nowNs} (each no longer pending when its handler
     * runs; a handler may schedule any timer again). Returns the number fired.
     */
    public int expire(final long nowNs)
    {
        final long nowTick = tickOf(nowNs);
        if (nowTick < currentTick || size == 0)
        {
            if (nowTick > currentTick)
            {
                currentTick = nowTick;
            }
            return 0;
        }
        final Timer[] slots = this.slots;
        final Timer expiring = this.expiring;
        // More than one revolution behind: every slot once covers every tick.
        final long first = nowTick - currentTick > mask ? nowTick - mask : currentTick;
        int fired = 0;
        for (long tick = first; tick <= nowTick; tick++)
        {
            currentTick = tick;
            final Timer slot = slots[(int)tick & mask];
            if (slot.next == slot)
            {
                continue;
            }
            // Splice the slot's whole list onto expiring.
            expiring.next = slot.next;
            expiring.prev = slot.prev;
            slot.next.prev = expiring;
            slot.prev.next = expiring;
            slot.next = slot;
            slot.prev = slot;
            Timer timer;
            while ((timer = expiring.next) != expiring)
            {
                unlink(timer);
                if (timer.deadlineNs <= nowNs)
                {
                    timer.pending = false;
                    size--;
                    fired++;
                    timer.handler.onTimer(timer, nowNs);
                }
                else
                {
                    linkBefore(slots[slotOf(timer.deadlineNs)], timer); // a later round, or later in nowTick
                }
            }
        }
        currentTick = nowTick;
        return fired;
    }

    /** Timers scheduled. */
    public int size()
    {
        return size;
    }

    private long tickOf(final long timeNs)
    {
        return (timeNs - startNs) >> shift;
    }

    private int slotOf(final long deadlineNs)
    {
        final long tick = Math.max(tickOf(deadlineNs), currentTick);
        return (int)tick & mask;
    }

    private static Timer sentinel()
    {
        final Timer sentinel = new Timer(null, -1);
        sentinel.prev = sentinel;
        sentinel.next = sentinel;
        return sentinel;
    }

    private static void linkBefore(final Timer sentinel, final Timer timer)
    {
        final Timer last = sentinel.prev;
        timer.prev = last;
        timer.next = sentinel;
        last.next = timer;
        sentinel.prev = timer;
    }

    private static void unlink(final Timer timer)
    {
        timer.prev.next = timer.next;
        timer.next.prev = timer.prev;
        timer.prev = null;
        timer.next = null;
    }
}
