package io.flowgate.stack.timer;

/**
 * One timer, embedded in its owner (a connection holds one per kind: retransmission, delayed ACK, keepalive,
 * TIME_WAIT, ...) and linked intrusively into a {@link TimerWheel} slot: scheduling and cancelling allocate
 * nothing. {@link #kind} tells the owner's {@link TimerHandler} which of its timers fired.
 */
public final class Timer
{
    final TimerHandler handler;
    final int kind;
    long deadlineNs;
    Timer prev;
    Timer next;
    boolean pending;

    public Timer(final TimerHandler handler, final int kind)
    {
        this.handler = handler;
        this.kind = kind;
    }

    public int kind()
    {
        return kind;
    }

    public TimerHandler handler()
    {
        return handler;
    }

    /** True while scheduled and not yet expired or cancelled. */
    public boolean pending()
    {
        return pending;
    }

    /** The deadline it was last scheduled for. */
    public long deadlineNs()
    {
        return deadlineNs;
    }
}
