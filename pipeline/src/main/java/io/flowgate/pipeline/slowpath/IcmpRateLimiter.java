package io.flowgate.pipeline.slowpath;

/**
 * A token bucket for outgoing ICMP, as Linux's global ICMP limit ({@code net.ipv4.icmp_msgs_per_sec} 1000,
 * {@code icmp_msgs_burst} 50, in {@code icmp_global_allow}). Time is passed in, so it is deterministic.
 * <p>
 * Linux also limits per destination ({@code icmp_ratelimit}, 1 s per peer for errors) through its inet
 * peer cache; that per-peer limit is not implemented yet.
 * <p>
 * Thread-safety: one thread (the slow path's).
 */
public final class IcmpRateLimiter
{
    private final long messagesPerSecond;
    private final long burst;
    private long tokens;
    private long lastRefillNs;
    private long allowed;
    private long limited;

    public IcmpRateLimiter(final long messagesPerSecond, final long burst, final long nowNs)
    {
        if (messagesPerSecond < 0 || burst < 1)
        {
            throw new IllegalArgumentException("rate must be >= 0 and burst >= 1");
        }
        this.messagesPerSecond = messagesPerSecond;
        this.burst = burst;
        this.tokens = burst;
        this.lastRefillNs = nowNs;
    }

    /** Linux's defaults: 1000 messages per second, bursts of 50. */
    public static IcmpRateLimiter linuxDefault(final long nowNs)
    {
        return new IcmpRateLimiter(1000, 50, nowNs);
    }

    /** Takes a token if there is one. */
    public boolean tryAcquire(final long nowNs)
    {
        final long elapsedNs = Math.min(nowNs - lastRefillNs, 60_000_000_000L); // no overflow after long idle
        if (elapsedNs > 0 && messagesPerSecond > 0)
        {
            final long refill = elapsedNs * messagesPerSecond / 1_000_000_000L;
            if (refill > 0)
            {
                tokens = Math.min(burst, tokens + refill);
                lastRefillNs += refill * 1_000_000_000L / messagesPerSecond;
            }
        }
        if (tokens > 0)
        {
            tokens--;
            allowed++;
            return true;
        }
        limited++;
        return false;
    }

    public long allowed()
    {
        return allowed;
    }

    public long limited()
    {
        return limited;
    }
}
