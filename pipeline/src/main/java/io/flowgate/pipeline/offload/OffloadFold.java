package io.flowgate.pipeline.offload;

/**
 * A slot of a worker's fold ring (agent to worker): what the fast path counted for one offloaded direction since
 * the last fold, or a control mark ({@link #SYNC}, {@link #CLEAR}) in place of the cookie.
 * <pre>
 *  0  cookie (64), or SYNC / CLEAR
 *  8  packets since the last fold (64)     | SYNC: the sync sequence
 * 16  bytes since the last fold (64, L3)
 * 24  last seen, CLOCK_MONOTONIC ns (64; bpf_ktime_get_ns), 0 when none, REFUSED: the agent could not offload it
 * </pre>
 */
public final class OffloadFold
{
    public static final int SIZE = 32;

    /** In place of a cookie: "you have applied every fold before this one"; packets holds the sequence to publish. */
    public static final long SYNC = -1;
    /** In place of a cookie: offload is off; clear every OFFLOAD bit and forget what was requested. */
    public static final long CLEAR = -2;

    /** In place of a last-seen time: the direction was not offloaded (map full, port without XDP); it stays in Java. */
    public static final long REFUSED = -1;

    public static final int COOKIE_OFFSET = 0;
    public static final int PACKETS_OFFSET = 8;
    public static final int BYTES_OFFSET = 16;
    public static final int LAST_SEEN_OFFSET = 24;

    private OffloadFold()
    {
    }
}
