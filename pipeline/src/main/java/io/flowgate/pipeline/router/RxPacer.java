package io.flowgate.pipeline.router;

/**
 * Takes at most {@code packetsPerSecond} from a worker's receive queues, leaving the rest where they are, as
 * a slower link would deliver them: a benchmark offers a chosen load to the router from a source that never
 * runs dry ({@code net_pcap} with {@code infinite_rx}), e.g. half of the measured maximum for a latency run.
 * A token bucket refilled from the clock at each poll; it holds at most one burst per receive queue.
 * <p>
 * Thread-safety: the worker's only.
 */
final class RxPacer
{
    private final double packetsPerNs;
    private final double depth;
    private double credit;
    private long lastNs;

    RxPacer(final long packetsPerSecond, final int depth)
    {
        if (packetsPerSecond <= 0)
        {
            throw new IllegalArgumentException("rate must be positive: " + packetsPerSecond);
        }
        this.packetsPerNs = packetsPerSecond / 1e9;
        this.depth = depth;
        this.lastNs = System.nanoTime();
    }

    /** Packets that may be received now. */
    int allowance()
    {
        final long nowNs = System.nanoTime();
        credit = Math.min(depth, credit + (nowNs - lastNs) * packetsPerNs);
        lastNs = nowNs;
        return (int)credit;
    }

    void consume(final int packets)
    {
        credit -= packets;
    }
}
