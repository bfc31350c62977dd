package io.flowgate.stack.tcp;

/** RFC 9293's connection states, numbered as Linux's TCP_* so that {@code ss} style output matches. */
public final class TcpState
{
    public static final int ESTABLISHED = 1;
    public static final int SYN_SENT = 2;
    public static final int SYN_RECEIVED = 3;
    public static final int FIN_WAIT_1 = 4;
    public static final int FIN_WAIT_2 = 5;
    public static final int TIME_WAIT = 6;
    public static final int CLOSED = 7;
    public static final int CLOSE_WAIT = 8;
    public static final int LAST_ACK = 9;
    public static final int LISTEN = 10;
    public static final int CLOSING = 11;

    private static final String[] SS_NAMES = {"UNKNOWN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2",
        "TIME-WAIT", "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING"};

    private TcpState()
    {
    }

    /** The state as {@code ss} prints it. */
    public static String ssName(final int state)
    {
        return state > 0 && state < SS_NAMES.length ? SS_NAMES[state] : "UNKNOWN";
    }
}
