package io.flowgate.pipeline.conntrack;

/**
 * The conntrack tables' clock: milliseconds since the tracker started, as an {@code int} that wraps after
 * 24 days (deadlines are compared by difference, as Linux compares jiffies).
 * <p>
 * Thread-safety: any thread; stateless after construction.
 */
public final class CtClock
{
    private final long originNs;

    public CtClock()
    {
        this.originNs = System.nanoTime();
    }

    public int nowMs()
    {
        return (int)((System.nanoTime() - originNs) / 1_000_000L);
    }
}
