package io.flowgate.stack.timer;

/**
 * A hashed timing wheel (Varghese and Lauck) of intrusive {@link Timer}s: O(1) schedule and cancel, no
 * allocation. A timer fires at the first {@link #expire} at or after its deadline (never before), at most one
 * tick late. Deadlines beyond one revolution stay in their slot and are skipped until their round comes.
 * Stack thread only.
 */
public final class TimerWheel
{
    /**
     * @param tickNs  the resolution (rounded up to a power of two nanoseconds)
     * @param slots   slots per revolution (a power of two)
     * @param startNs the time of tick 0
     */
    public TimerWheel(final long tickNs, final int slots, final long startNs)
    {
        throw new UnsupportedOperationException("contract: built by the api part");
    }

    /** Schedules {@code timer} for {@code deadlineNs}, moving it if it is pending. */
    public void schedule(final Timer timer, final long deadlineNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Cancels {@code timer} if it is pending. */
    public void cancel(final Timer timer)
    {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * Fires every timer whose deadline is at or before {@code nowNs} (each no longer pending when its handler
     * runs; a handler may schedule any timer again). Returns the number fired.
     */
    public int expire(final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Timers scheduled. */
    public int size()
    {
        throw new UnsupportedOperationException("contract");
    }
}
