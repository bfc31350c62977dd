package io.flowgate.conntrack.tcp;

/**
 * Linux's {@code enum tcp_conntrack} ({@code include/uapi/linux/netfilter/nf_conntrack_tcp.h}): the values
 * and the names {@code conntrack -L} prints.
 */
public final class TcpState
{
    public static final int NONE = 0;
    public static final int SYN_SENT = 1;
    public static final int SYN_RECV = 2;
    public static final int ESTABLISHED = 3;
    public static final int FIN_WAIT = 4;
    public static final int CLOSE_WAIT = 5;
    public static final int LAST_ACK = 6;
    public static final int TIME_WAIT = 7;
    public static final int CLOSE = 8;
    public static final int SYN_SENT2 = 9;
    public static final int MAX = 10;
    public static final int IGNORE = 11;
    public static final int RETRANS = 12;
    public static final int UNACK = 13;
    public static final int TIMEOUT_MAX = 14;

    private static final String[] NAMES = {
        "NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2"};

    private TcpState()
    {
    }

    public static String name(final int state)
    {
        return state >= 0 && state < NAMES.length ? NAMES[state] : "UNKNOWN";
    }

    /** The state of a name as conntrack-tools spell it ({@code --state ESTABLISHED}), -1 when none. */
    public static int of(final String name)
    {
        for (int state = 0; state < NAMES.length; state++)
        {
            if (NAMES[state].equalsIgnoreCase(name))
            {
                return state;
            }
        }
        return -1;
    }
}
