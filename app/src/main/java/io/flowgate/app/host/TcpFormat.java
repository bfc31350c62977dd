package io.flowgate.app.host;

import io.flowgate.pipeline.route.IpPrefix;
import io.flowgate.stack.InetAddr;
import io.flowgate.stack.tcp.TcpCounters;
import io.flowgate.stack.tcp.TcpInfo;
import io.flowgate.stack.tcp.TcpState;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Text as Linux's tools print it: {@code ss -tin} for connections ({@link #ssLines}) and {@code nstat -az} names for
 * the TCP counters ({@link #NSTAT_NAMES}). Addresses numeric always ({@code -n} is accepted for habit).
 */
public final class TcpFormat
{
    /** nstat's name of each {@link TcpCounters} index (Tcp* from /proc/net/snmp, TcpExt* from netstat); null: unused. */
    public static final String[] NSTAT_NAMES = new String[TcpCounters.COUNTERS];

    static
    {
        NSTAT_NAMES[TcpCounters.ACTIVE_OPENS] = "TcpActiveOpens";
        NSTAT_NAMES[TcpCounters.PASSIVE_OPENS] = "TcpPassiveOpens";
        NSTAT_NAMES[TcpCounters.ATTEMPT_FAILS] = "TcpAttemptFails";
        NSTAT_NAMES[TcpCounters.ESTAB_RESETS] = "TcpEstabResets";
        NSTAT_NAMES[TcpCounters.IN_SEGS] = "TcpInSegs";
        NSTAT_NAMES[TcpCounters.OUT_SEGS] = "TcpOutSegs";
        NSTAT_NAMES[TcpCounters.RETRANS_SEGS] = "TcpRetransSegs";
        NSTAT_NAMES[TcpCounters.IN_ERRS] = "TcpInErrs";
        NSTAT_NAMES[TcpCounters.IN_CSUM_ERRORS] = "TcpInCsumErrors";
        NSTAT_NAMES[TcpCounters.OUT_RSTS] = "TcpOutRsts";
        NSTAT_NAMES[TcpCounters.SYNCOOKIES_SENT] = "TcpExtSyncookiesSent";
        NSTAT_NAMES[TcpCounters.SYNCOOKIES_RECV] = "TcpExtSyncookiesRecv";
        NSTAT_NAMES[TcpCounters.SYNCOOKIES_FAILED] = "TcpExtSyncookiesFailed";
        NSTAT_NAMES[TcpCounters.LISTEN_OVERFLOWS] = "TcpExtListenOverflows";
        NSTAT_NAMES[TcpCounters.LISTEN_DROPS] = "TcpExtListenDrops";
        NSTAT_NAMES[TcpCounters.TIMEOUTS] = "TcpExtTCPTimeouts";
        NSTAT_NAMES[TcpCounters.FAST_RETRANS] = "TcpExtTCPFastRetrans";
        NSTAT_NAMES[TcpCounters.SACK_RECOVERY] = "TcpExtTCPSackRecovery";
        NSTAT_NAMES[TcpCounters.RENO_RECOVERY] = "TcpExtTCPRenoRecovery";
        NSTAT_NAMES[TcpCounters.CHALLENGE_ACKS] = "TcpExtTCPChallengeACK";
        NSTAT_NAMES[TcpCounters.TIME_WAITS] = "TcpExtTW";
        NSTAT_NAMES[TcpCounters.ABORT_ON_DATA] = "TcpExtTCPAbortOnData";
        NSTAT_NAMES[TcpCounters.ABORT_ON_TIMEOUT] = "TcpExtTCPAbortOnTimeout";
        NSTAT_NAMES[TcpCounters.KEEPALIVES] = "TcpExtTCPKeepAlive";
        NSTAT_NAMES[TcpCounters.DELAYED_ACKS] = "TcpExtDelayedACKs";
        NSTAT_NAMES[TcpCounters.DROPPED] = "FlowgateTcpDropped"; // no Linux counter covers exactly these
        NSTAT_NAMES[TcpCounters.NO_BUFFER] = "FlowgateTcpNoBuffer";
        NSTAT_NAMES[TcpCounters.LOSS_PROBES] = "TcpExtTCPLossProbes";
        NSTAT_NAMES[TcpCounters.DSACK_UNDO] = "TcpExtTCPDSACKUndo";
        NSTAT_NAMES[TcpCounters.LOST_RETRANSMITS] = "TcpExtTCPLostRetransmit";
    }

    public static final String SS_HEADER = String.format(Locale.ROOT, "%-10s %6s %6s %-30s %-30s", "State", "Recv-Q", "Send-Q",
        "Local Address:Port", "Peer Address:Port").stripTrailing();

    private TcpFormat()
    {
    }

    /**
     * ss's lines for {@code connections}: with {@code listening} only listeners (ss -l), else all but listeners;
     * with {@code info} each followed by its tcp_info line (ss -i), tab-indented as ss does.
     */
    public static List<String> ssLines(final List<TcpInfo> connections, final boolean listening, final boolean info)
    {
        final List<String> lines = new ArrayList<>();
        lines.add(SS_HEADER);
        for (final TcpInfo c : connections)
        {
            if ((c.state() == TcpState.LISTEN) != listening)
            {
                continue;
            }
            lines.add(ssLine(c));
            if (info && c.state() != TcpState.LISTEN)
            {
                lines.add("\t " + details(c));
            }
        }
        return lines;
    }

    public static String ssLine(final TcpInfo c)
    {
        final String peer = c.state() == TcpState.LISTEN ? (InetAddr.isV4(c.localHi(), c.localLo()) || InetAddr.isAny(c.localHi(), c.localLo())
            ? "0.0.0.0:*" : "[::]:*") : endpoint(c.remoteHi(), c.remoteLo(), c.remotePort());
        return String.format(Locale.ROOT, "%-10s %6d %6d %-30s %-30s", TcpState.ssName(c.state()), c.receiveQueue(), c.sendQueue(),
            endpoint(c.localHi(), c.localLo(), c.localPort()), peer).stripTrailing();
    }

    /** ss -i's second line: options, congestion control, then the tcp_info fields by ss's names and units. */
    public static String details(final TcpInfo c)
    {
        final StringBuilder b = new StringBuilder();
        if (c.timestamps())
        {
            b.append("ts ");
        }
        if (c.sack())
        {
            b.append("sack ");
        }
        b.append(c.congestion());
        b.append(" wscale:").append(c.sndWscale()).append(',').append(c.rcvWscale());
        b.append(" rto:").append(ms(c.rtoUs()));
        b.append(" rtt:").append(ms(c.rttUs())).append('/').append(ms(c.rttVarUs()));
        b.append(" mss:").append(c.mss());
        b.append(" pmtu:").append(c.pmtu());
        b.append(" rcvmss:").append(c.rcvMss());
        b.append(" cwnd:").append(c.cwnd());
        if (c.ssthresh() > 0 && c.ssthresh() < 0xFFFF)
        {
            b.append(" ssthresh:").append(c.ssthresh()); // Linux omits an infinite ssthresh
        }
        b.append(" bytes_sent:").append(c.bytesSent());
        b.append(" bytes_retrans:").append(c.bytesRetrans());
        b.append(" bytes_acked:").append(c.bytesAcked());
        b.append(" bytes_received:").append(c.bytesReceived());
        b.append(" segs_out:").append(c.segsOut());
        b.append(" segs_in:").append(c.segsIn());
        b.append(" data_segs_out:").append(c.dataSegsOut());
        b.append(" data_segs_in:").append(c.dataSegsIn());
        b.append(" lastsnd:").append(c.lastSendAgoMs());
        b.append(" lastrcv:").append(c.lastReceiveAgoMs());
        b.append(" unacked:").append(c.unacked());
        b.append(" retrans:").append(c.retransmits()).append('/').append(c.totalRetrans());
        b.append(" lost:").append(c.lost());
        b.append(" sacked:").append(c.sacked());
        b.append(" rcv_space:").append(c.rcvWnd());
        b.append(" snd_wnd:").append(c.sndWnd());
        b.append(" minrtt:").append(ms(c.minRttUs()));
        return b.toString();
    }

    /** Milliseconds from microseconds as ss prints them: up to three decimals, no trailing zeros. */
    static String ms(final long us)
    {
        if (us % 1000 == 0)
        {
            return Long.toString(us / 1000);
        }
        String s = String.format(Locale.ROOT, "%d.%03d", us / 1000, us % 1000);
        while (s.endsWith("0"))
        {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }

    static String endpoint(final long hi, final long lo, final int port)
    {
        if (InetAddr.isAny(hi, lo))
        {
            return "*:" + port;
        }
        return (InetAddr.isV4(hi, lo) ? InetAddr.toString(hi, lo) : "[" + v6(hi, lo) + "]") + ":" + port;
    }

    /** RFC 5952 text (the router's own formatter, {@code IpPrefix.ipv6Text}). */
    static String v6(final long hi, final long lo)
    {
        return IpPrefix.ipv6Text(hi, lo);
    }

    /** nstat -az lines: name, value (and nstat's rate column as 0.0), every counter including zeros. */
    public static List<String> nstatLines(final long[] counters)
    {
        final List<String> lines = new ArrayList<>();
        lines.add("#kernel");
        for (int i = 0; i < NSTAT_NAMES.length; i++)
        {
            if (NSTAT_NAMES[i] != null)
            {
                lines.add(String.format(Locale.ROOT, "%-31s %-15d %s", NSTAT_NAMES[i], counters[i], "0.0").stripTrailing());
            }
        }
        return lines;
    }
}
