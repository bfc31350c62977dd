package io.flowgate.conntrack.tcp;

import java.util.Arrays;

/**
 * The TCP tracker's settings: Linux's per-namespace {@code nf_tcp_net} (the {@code net.netfilter.nf_conntrack_tcp_*}
 * sysctls). Immutable; built once with {@link #builder()}. Defaults are Linux 6.x's
 * ({@code tcp_timeouts[]} and {@code nf_conntrack_tcp_init_net} in nf_conntrack_proto_tcp.c).
 */
public final class TcpTrackerConfig
{
    public static final TcpTrackerConfig DEFAULT = builder().build();

    private final int[] timeoutsMs;
    private final int maxRetrans;
    private final boolean loose;
    private final boolean beLiberal;
    private final boolean ignoreInvalidRst;

    private TcpTrackerConfig(final Builder builder)
    {
        timeoutsMs = builder.timeoutsMs.clone();
        maxRetrans = builder.maxRetrans;
        loose = builder.loose;
        beLiberal = builder.beLiberal;
        ignoreInvalidRst = builder.ignoreInvalidRst;
    }

    public static Builder builder()
    {
        return new Builder();
    }

    /** Timeout of a {@link TcpState} (including RETRANS and UNACK) in ms; index NONE holds SYN_SENT's, as Linux. */
    public int timeoutMs(final int state)
    {
        return timeoutsMs[state];
    }

    /** A copy of all timeouts, indexed by {@link TcpState} up to {@link TcpState#TIMEOUT_MAX}. */
    public int[] timeoutsMs()
    {
        return timeoutsMs.clone();
    }

    /** {@code nf_conntrack_tcp_max_retrans}. */
    public int maxRetrans()
    {
        return maxRetrans;
    }

    /** {@code nf_conntrack_tcp_loose}: pick up connections mid-stream. */
    public boolean loose()
    {
        return loose;
    }

    /** {@code nf_conntrack_tcp_be_liberal}: accept out-of-window packets (except RSTs checked apart). */
    public boolean beLiberal()
    {
        return beLiberal;
    }

    /** {@code nf_conntrack_tcp_ignore_invalid_rst}: do not mark RSTs below the peer's max ack invalid. */
    public boolean ignoreInvalidRst()
    {
        return ignoreInvalidRst;
    }

    @Override
    public String toString()
    {
        return "TcpTrackerConfig{timeoutsMs=" + Arrays.toString(timeoutsMs) + ", maxRetrans=" + maxRetrans +
            ", loose=" + loose + ", beLiberal=" + beLiberal + ", ignoreInvalidRst=" + ignoreInvalidRst + '}';
    }

    public static final class Builder
    {
        private final int[] timeoutsMs = new int[TcpState.TIMEOUT_MAX];
        private int maxRetrans = 3;
        private boolean loose = true;
        private boolean beLiberal;
        private boolean ignoreInvalidRst;

        private Builder()
        {
            // tcp_timeouts[] (seconds): SYN_SENT 2 min, SYN_RECV 60 s, ESTABLISHED 5 days, FIN_WAIT 2 min,
            // CLOSE_WAIT 60 s, LAST_ACK 30 s, TIME_WAIT 2 min, CLOSE 10 s, SYN_SENT2 2 min, RETRANS 5 min, UNACK 5 min.
            timeoutsMs[TcpState.SYN_SENT] = 120_000;
            timeoutsMs[TcpState.SYN_RECV] = 60_000;
            timeoutsMs[TcpState.ESTABLISHED] = 432_000_000;
            timeoutsMs[TcpState.FIN_WAIT] = 120_000;
            timeoutsMs[TcpState.CLOSE_WAIT] = 60_000;
            timeoutsMs[TcpState.LAST_ACK] = 30_000;
            timeoutsMs[TcpState.TIME_WAIT] = 120_000;
            timeoutsMs[TcpState.CLOSE] = 10_000;
            timeoutsMs[TcpState.SYN_SENT2] = 120_000;
            timeoutsMs[TcpState.RETRANS] = 300_000;
            timeoutsMs[TcpState.UNACK] = 300_000;
        }

        /** Sets one state's timeout (a {@link TcpState} value, RETRANS or UNACK included) in ms. */
        public Builder timeoutMs(final int state, final int ms)
        {
            if (state <= TcpState.NONE || state >= TcpState.TIMEOUT_MAX || state == TcpState.MAX || state == TcpState.IGNORE)
            {
                throw new IllegalArgumentException("no timeout for state " + state);
            }
            if (ms < 0)
            {
                throw new IllegalArgumentException("negative timeout " + ms);
            }
            timeoutsMs[state] = ms;
            return this;
        }

        /** {@code nf_conntrack_tcp_max_retrans}: 0..255 (Linux keeps it in a u8). */
        public Builder maxRetrans(final int maxRetrans)
        {
            if (maxRetrans < 0 || maxRetrans > 255)
            {
                throw new IllegalArgumentException("maxRetrans out of 0..255: " + maxRetrans);
            }
            this.maxRetrans = maxRetrans;
            return this;
        }

        public Builder loose(final boolean loose)
        {
            this.loose = loose;
            return this;
        }

        public Builder beLiberal(final boolean beLiberal)
        {
            this.beLiberal = beLiberal;
            return this;
        }

        public Builder ignoreInvalidRst(final boolean ignoreInvalidRst)
        {
            this.ignoreInvalidRst = ignoreInvalidRst;
            return this;
        }

        public TcpTrackerConfig build()
        {
            // Linux: timeouts[0] is unused; it mirrors SYN_SENT so it reads as the "new" timeout.
            timeoutsMs[TcpState.NONE] = timeoutsMs[TcpState.SYN_SENT];
            return new TcpTrackerConfig(this);
        }
    }
}
