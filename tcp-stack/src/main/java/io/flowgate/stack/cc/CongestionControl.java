package io.flowgate.stack.cc;

/**
 * A pluggable congestion control, in the spirit of Linux's {@code tcp_congestion_ops}: one instance per
 * connection (its algorithm state lives in the instance), called by the connection on the stack thread with
 * its {@link CongestionState}. The connection does slow start, recovery and loss itself and asks the algorithm
 * for the decisions Linux asks of it. Implementations: {@link NewReno} (RFC 5681/6582 window rules) and
 * {@link Cubic} (RFC 9438, as Linux's {@code tcp_cubic}). No allocation in any method.
 */
public interface CongestionControl
{
    /** The name {@code ss -ti} and the configuration use: "reno", "cubic". */
    String name();

    /** The connection is established (or the algorithm replaced): initialise state. */
    void init(CongestionState s, long nowNs);

    /** A loss was detected (entering recovery or loss): the new ssthresh in segments (tcp_congestion_ops.ssthresh). */
    int ssthresh(CongestionState s);

    /**
     * An ACK advanced snd_una outside recovery: grow cwnd for {@code acked} newly acknowledged segments
     * (tcp_congestion_ops.cong_avoid; slow start below ssthresh included). Only when {@link CongestionState#cwndLimited}.
     */
    void congestionAvoid(CongestionState s, int acked, long nowNs);

    /** The connection's {@link CongestionState#caState} changes to {@code newState} (called before the field is set). */
    void setState(CongestionState s, int newState, long nowNs);

    /** One of {@code CongestionState.EVENT_*}. */
    void cwndEvent(CongestionState s, int event, long nowNs);

    /** An ACK acknowledged {@code acked} segments; {@code rttUs} is an RTT sample from it (Karn), or -1 (tcp_congestion_ops.pkts_acked). */
    void packetsAcked(CongestionState s, int acked, long rttUs, long nowNs);

    /** A loss turned out spurious (undo): the cwnd to return to (tcp_congestion_ops.undo_cwnd). */
    int undoCwnd(CongestionState s);

    /** A new instance of the algorithm called {@code name} ("reno"/"newreno" or "cubic"). */
    static CongestionControl create(final String name)
    {
        return switch (name)
        {
            case "reno", "newreno" -> new NewReno();
            case "cubic" -> new Cubic();
            default -> throw new IllegalArgumentException("unknown congestion control '" + name + "' (reno, cubic)");
        };
    }
}
