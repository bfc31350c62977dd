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

    /**
     * A CLOCK_MONOTONIC time in ns (the BPF program's {@code bpf_ktime_get_ns()}) on this clock. HotSpot's
     * {@code System.nanoTime()} on Linux is {@code clock_gettime(CLOCK_MONOTONIC)} (os_linux.cpp javaTimeNanos),
     * so both count from the same origin and only our start is subtracted.
     */
    public int monotonicToMs(final long monotonicNs)
    {
        return (int)((monotonicNs - originNs) / 1_000_000L);
    }
}
