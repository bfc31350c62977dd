package io.flowgate.xdp.offload;

/**
 * The offload agent's timing.
 *
 * @param foldPeriodNs  how often every map entry is read and its counters sent to the owners (default 1 s): the bound
 *                      on how stale {@code ct list} counters and timeouts are without a {@code syncNow}
 * @param requestPollNs how long the agent parks when a round found nothing to do (default 1 ms): the delay before a
 *                      connection that qualifies is in the map
 */
public record OffloadConfig(long foldPeriodNs, long requestPollNs)
{
    public static final OffloadConfig DEFAULT = new OffloadConfig(1_000_000_000L, 1_000_000L);

    public OffloadConfig
    {
        if (foldPeriodNs <= 0 || requestPollNs <= 0)
        {
            throw new IllegalArgumentException("offload periods must be positive: " + foldPeriodNs + ", " + requestPollNs);
        }
    }
}
