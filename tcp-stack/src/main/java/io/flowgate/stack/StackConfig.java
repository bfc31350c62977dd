package io.flowgate.stack;

/**
 * The host stack's settings; {@link #linuxDefaults()} gives Linux 6.x's sysctl defaults (named in each
 * comment). Times in nanoseconds, sizes in bytes.
 *
 * @param timeWaitNs          TIME_WAIT duration (Linux: TCP_TIMEWAIT_LEN, 60 s; fixed there, configurable here)
 * @param timeWaitReuse       reuse a TIME_WAIT pair for a new outgoing connection when timestamps prove it safe ({@code tcp_tw_reuse} 2 = loopback only in Linux; here on/off)
 * @param synBacklog          SYN queue length per listener ({@code tcp_max_syn_backlog}, 128 on small hosts... Linux sizes it by memory; 1024 here)
 * @param somaxconn           the accept queue's ceiling ({@code somaxconn}, 4096)
 * @param synCookies          0 never, 1 when a SYN queue overflows, 2 always ({@code tcp_syncookies}, 1)
 * @param synAckRetries       SYN-ACK retransmissions ({@code tcp_synack_retries}, 5)
 * @param synRetries          SYN retransmissions for connect ({@code tcp_syn_retries}, 6)
 * @param retries2            retransmissions before an established connection is dropped ({@code tcp_retries2}, 15)
 * @param congestion          congestion control name: "cubic" ({@code tcp_congestion_control}) or "reno"
 * @param sack                offer and accept SACK ({@code tcp_sack}, 1)
 * @param timestamps          offer and accept timestamps ({@code tcp_timestamps}, 1)
 * @param windowScaling       offer and accept window scaling ({@code tcp_window_scaling}, 1)
 * @param sendBuffer          a connection's send buffer ({@code tcp_wmem} default 16 KiB grows to 4 MiB in Linux; fixed here)
 * @param receiveBuffer       a connection's receive buffer, hence its largest window ({@code tcp_rmem}, up to 6 MiB)
 * @param delayedAckNs        the delayed-ACK timer (Linux: 40 ms minimum, TCP_DELACK_MIN)
 * @param rtoMinNs            RTO floor (TCP_RTO_MIN, 200 ms)
 * @param rtoMaxNs            RTO ceiling (TCP_RTO_MAX, 120 s)
 * @param rtoInitialNs        RTO before any sample (TCP_TIMEOUT_INIT, 1 s; RFC 6298)
 * @param keepaliveIdleNs     idle before the first keepalive probe ({@code tcp_keepalive_time}, 7200 s)
 * @param keepaliveIntervalNs between probes ({@code tcp_keepalive_intvl}, 75 s)
 * @param keepaliveProbes     unanswered probes before reset ({@code tcp_keepalive_probes}, 9)
 * @param finTimeoutNs        FIN_WAIT_2 of an orphaned connection ({@code tcp_fin_timeout}, 60 s)
 * @param initialCwnd         initial window in segments (RFC 6928, 10)
 * @param ephemeralLow        first local port for connect ({@code ip_local_port_range}, 32768)
 * @param ephemeralHigh       last local port (60999)
 * @param maxConnections      connections (all states but listeners) the stack holds at once
 * @param reassemblyBytes     memory for fragments awaiting reassembly ({@code ipfrag_high_thresh}, 4 MiB)
 * @param reassemblyTimeoutNs a datagram's fragments are dropped after ({@code ipfrag_time}, 30 s)
 * @param udpReceiveBuffer    a UDP socket's receive queue ({@code rmem_default}, 208 KiB)
 * @param icmpErrorsPerSecond ICMP errors the stack sends (port unreachable), token rate ({@code icmp_msgs_per_sec}, 1000)
 * @param icmpErrorBurst      their burst ({@code icmp_msgs_burst}, 50)
 */
public record StackConfig(
    long timeWaitNs,
    boolean timeWaitReuse,
    int synBacklog,
    int somaxconn,
    int synCookies,
    int synAckRetries,
    int synRetries,
    int retries2,
    String congestion,
    boolean sack,
    boolean timestamps,
    boolean windowScaling,
    int sendBuffer,
    int receiveBuffer,
    long delayedAckNs,
    long rtoMinNs,
    long rtoMaxNs,
    long rtoInitialNs,
    long keepaliveIdleNs,
    long keepaliveIntervalNs,
    int keepaliveProbes,
    long finTimeoutNs,
    int initialCwnd,
    int ephemeralLow,
    int ephemeralHigh,
    int maxConnections,
    int reassemblyBytes,
    long reassemblyTimeoutNs,
    int udpReceiveBuffer,
    int icmpErrorsPerSecond,
    int icmpErrorBurst)
{
    public static final int SYN_COOKIES_NEVER = 0;
    public static final int SYN_COOKIES_ON_OVERFLOW = 1;
    public static final int SYN_COOKIES_ALWAYS = 2;

    private static final long MS = 1_000_000L;
    private static final long S = 1_000_000_000L;

    public static StackConfig linuxDefaults()
    {
        return new StackConfig(60 * S, true, 1024, 4096, SYN_COOKIES_ON_OVERFLOW, 5, 6, 15, "cubic", true, true, true,
            4 << 20, 6 << 20, 40 * MS, 200 * MS, 120 * S, 1 * S, 7200 * S, 75 * S, 9, 60 * S, 10, 32768, 60999, 65536,
            4 << 20, 30 * S, 208 << 10, 1000, 50);
    }

    public StackConfig withTimeWait(final long ns)
    {
        return new StackConfig(ns, timeWaitReuse, synBacklog, somaxconn, synCookies, synAckRetries, synRetries, retries2,
            congestion, sack, timestamps, windowScaling, sendBuffer, receiveBuffer, delayedAckNs, rtoMinNs, rtoMaxNs,
            rtoInitialNs, keepaliveIdleNs, keepaliveIntervalNs, keepaliveProbes, finTimeoutNs, initialCwnd, ephemeralLow,
            ephemeralHigh, maxConnections, reassemblyBytes, reassemblyTimeoutNs, udpReceiveBuffer, icmpErrorsPerSecond,
            icmpErrorBurst);
    }

    public StackConfig withCongestion(final String name)
    {
        return new StackConfig(timeWaitNs, timeWaitReuse, synBacklog, somaxconn, synCookies, synAckRetries, synRetries, retries2,
            name, sack, timestamps, windowScaling, sendBuffer, receiveBuffer, delayedAckNs, rtoMinNs, rtoMaxNs,
            rtoInitialNs, keepaliveIdleNs, keepaliveIntervalNs, keepaliveProbes, finTimeoutNs, initialCwnd, ephemeralLow,
            ephemeralHigh, maxConnections, reassemblyBytes, reassemblyTimeoutNs, udpReceiveBuffer, icmpErrorsPerSecond,
            icmpErrorBurst);
    }

    public StackConfig withSynCookies(final int mode)
    {
        return new StackConfig(timeWaitNs, timeWaitReuse, synBacklog, somaxconn, mode, synAckRetries, synRetries, retries2,
            congestion, sack, timestamps, windowScaling, sendBuffer, receiveBuffer, delayedAckNs, rtoMinNs, rtoMaxNs,
            rtoInitialNs, keepaliveIdleNs, keepaliveIntervalNs, keepaliveProbes, finTimeoutNs, initialCwnd, ephemeralLow,
            ephemeralHigh, maxConnections, reassemblyBytes, reassemblyTimeoutNs, udpReceiveBuffer, icmpErrorsPerSecond,
            icmpErrorBurst);
    }

    public StackConfig withBuffers(final int send, final int receive)
    {
        return new StackConfig(timeWaitNs, timeWaitReuse, synBacklog, somaxconn, synCookies, synAckRetries, synRetries, retries2,
            congestion, sack, timestamps, windowScaling, send, receive, delayedAckNs, rtoMinNs, rtoMaxNs,
            rtoInitialNs, keepaliveIdleNs, keepaliveIntervalNs, keepaliveProbes, finTimeoutNs, initialCwnd, ephemeralLow,
            ephemeralHigh, maxConnections, reassemblyBytes, reassemblyTimeoutNs, udpReceiveBuffer, icmpErrorsPerSecond,
            icmpErrorBurst);
    }

    public StackConfig withOptions(final boolean sackOn, final boolean timestampsOn, final boolean windowScalingOn)
    {
        return new StackConfig(timeWaitNs, timeWaitReuse, synBacklog, somaxconn, synCookies, synAckRetries, synRetries, retries2,
            congestion, sackOn, timestampsOn, windowScalingOn, sendBuffer, receiveBuffer, delayedAckNs, rtoMinNs, rtoMaxNs,
            rtoInitialNs, keepaliveIdleNs, keepaliveIntervalNs, keepaliveProbes, finTimeoutNs, initialCwnd, ephemeralLow,
            ephemeralHigh, maxConnections, reassemblyBytes, reassemblyTimeoutNs, udpReceiveBuffer, icmpErrorsPerSecond,
            icmpErrorBurst);
    }

    public StackConfig withSynBacklog(final int backlog)
    {
        return new StackConfig(timeWaitNs, timeWaitReuse, backlog, somaxconn, synCookies, synAckRetries, synRetries, retries2,
            congestion, sack, timestamps, windowScaling, sendBuffer, receiveBuffer, delayedAckNs, rtoMinNs, rtoMaxNs,
            rtoInitialNs, keepaliveIdleNs, keepaliveIntervalNs, keepaliveProbes, finTimeoutNs, initialCwnd, ephemeralLow,
            ephemeralHigh, maxConnections, reassemblyBytes, reassemblyTimeoutNs, udpReceiveBuffer, icmpErrorsPerSecond,
            icmpErrorBurst);
    }

    public StackConfig withKeepalive(final long idleNs, final long intervalNs, final int probes)
    {
        return new StackConfig(timeWaitNs, timeWaitReuse, synBacklog, somaxconn, synCookies, synAckRetries, synRetries, retries2,
            congestion, sack, timestamps, windowScaling, sendBuffer, receiveBuffer, delayedAckNs, rtoMinNs, rtoMaxNs,
            rtoInitialNs, idleNs, intervalNs, probes, finTimeoutNs, initialCwnd, ephemeralLow,
            ephemeralHigh, maxConnections, reassemblyBytes, reassemblyTimeoutNs, udpReceiveBuffer, icmpErrorsPerSecond,
            icmpErrorBurst);
    }
}
