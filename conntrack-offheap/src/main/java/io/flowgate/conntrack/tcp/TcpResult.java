package io.flowgate.conntrack.tcp;

/**
 * What {@link TcpTracker#packet} decided for one segment, for the caller (who owns the record's status word,
 * timeout and events) to apply. One instance per worker, reset by every call.
 */
public final class TcpResult
{
    /** One of {@link TcpTracker#ACCEPT}, {@link TcpTracker#INVALID}, {@link TcpTracker#REPEAT}, {@link TcpTracker#DROP}. */
    public int verdict;
    /** State before and after the segment (TcpState values); equal when nothing moved. */
    public int oldState;
    public int newState;
    /** True: set the connection's timeout to {@link #timeoutMs} from now (Linux's nf_ct_refresh_acct). */
    public boolean refresh;
    public int timeoutMs;
    /** True: the state changed (Linux caches IPCT_PROTOINFO). */
    public boolean stateChanged;
    /** True: set ASSURED in the status word and report it (Linux caches IPCT_ASSURED). */
    public boolean assured;
    /**
     * True: kill the connection now (Linux's nf_ct_kill_acct for an RST before any reply, or the kill
     * before REPEAT/DROP); the packet itself is still accounted and, for ACCEPT, passes.
     */
    public boolean kill;
    /**
     * Non-zero after an out-of-window FIN/RST answering one from the other side on an ASSURED connection
     * (Linux's nf_tcp_handle_invalid): if the connection's remaining time is at least 120 s and more than
     * this many ms, set it to this many ms.
     */
    public int shrinkTimeoutMs;
    /** Why the segment was invalid or ignored: a {@code TcpTracker.REASON_*} code, 0 when none. */
    public int reason;

    public void reset()
    {
        verdict = TcpTracker.ACCEPT;
        oldState = 0;
        newState = 0;
        refresh = false;
        timeoutMs = 0;
        stateChanged = false;
        assured = false;
        kill = false;
        shrinkTimeoutMs = 0;
        reason = TcpTracker.REASON_NONE;
    }

    @Override
    public String toString()
    {
        return "TcpResult{verdict=" + verdict + ", " + TcpState.name(oldState) + "->" + TcpState.name(newState) +
            ", refresh=" + refresh + ", timeoutMs=" + timeoutMs + ", stateChanged=" + stateChanged +
            ", assured=" + assured + ", kill=" + kill + ", shrinkTimeoutMs=" + shrinkTimeoutMs + ", reason=" + reason + '}';
    }
}
