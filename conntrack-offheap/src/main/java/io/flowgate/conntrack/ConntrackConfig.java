package io.flowgate.conntrack;

import io.flowgate.conntrack.tcp.TcpTrackerConfig;

/**
 * A worker's connection tracker settings: the table's sizing, the trackers' timeouts and switches.
 *
 * @param capacity      connections per worker (Linux's nf_conntrack_max, per worker here)
 * @param capacity6     IPv6 connections per worker (address blocks)
 * @param initialCapacity connections the first index is sized for (grows online up to capacity)
 * @param timeouts      UDP/ICMP/generic timeouts
 * @param tcp           the TCP tracker's timeouts and switches (be_liberal, loose, max_retrans, ...)
 * @param checksum      verify L4 checksums at PREROUTING (Linux's nf_conntrack_checksum, default on)
 * @param eventRingBytes bytes of each worker's event ring (events to the control plane; a full ring counts a loss)
 */
public record ConntrackConfig(int capacity, int capacity6, int initialCapacity, CtTimeouts timeouts, TcpTrackerConfig tcp,
                              boolean checksum, int eventRingBytes)
{
    public static final int DEFAULT_CAPACITY = 262_144;

    public ConntrackConfig
    {
        if (capacity < 16 || capacity > (1 << 26))
        {
            throw new IllegalArgumentException("conntrack capacity " + capacity + " out of range (16 .. " + (1 << 26) + ")");
        }
        if (capacity6 < 0 || capacity6 > capacity)
        {
            throw new IllegalArgumentException("conntrack capacity6 " + capacity6 + " out of range (0 .. capacity " + capacity + ")");
        }
        if (initialCapacity <= 0 || initialCapacity > capacity)
        {
            initialCapacity = Math.min(capacity, 65_536);
        }
        if (Integer.bitCount(eventRingBytes) != 1 || eventRingBytes < 4096)
        {
            throw new IllegalArgumentException("conntrack event ring " + eventRingBytes + " bytes: must be a power of two >= 4096");
        }
    }

    /** Linux's defaults with {@code capacity} connections per worker. */
    public static ConntrackConfig defaults(final int capacity)
    {
        return new ConntrackConfig(capacity, Math.max(16, capacity / 4), Math.min(capacity, 65_536), CtTimeouts.LINUX,
            TcpTrackerConfig.DEFAULT, true, 1 << 20);
    }
}
