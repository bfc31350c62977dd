package io.flowgate.conntrack;

/**
 * Timeouts of the non-TCP trackers, Linux's defaults ({@code nf_conntrack_udp_timeout},
 * {@code nf_conntrack_udp_timeout_stream}, {@code nf_conntrack_icmp_timeout},
 * {@code nf_conntrack_icmpv6_timeout}, {@code nf_conntrack_generic_timeout}), in milliseconds.
 */
public record CtTimeouts(int udpMs, int udpStreamMs, int icmpMs, int icmpv6Ms, int genericMs)
{
    public static final CtTimeouts LINUX = new CtTimeouts(30_000, 120_000, 30_000, 30_000, 600_000);

    /** Largest timeout the record's wrapping millisecond deadline can hold (24 days). */
    public static final long MAX_MS = Integer.MAX_VALUE / 2;

    public CtTimeouts
    {
        for (final int ms : new int[] {udpMs, udpStreamMs, icmpMs, icmpv6Ms, genericMs})
        {
            if (ms <= 0 || ms > MAX_MS)
            {
                throw new IllegalArgumentException("timeout " + ms + " ms out of range (1 ms .. " + MAX_MS / 1000 + " s)");
            }
        }
    }
}
