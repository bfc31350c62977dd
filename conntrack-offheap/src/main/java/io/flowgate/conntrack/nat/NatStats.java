package io.flowgate.conntrack.nat;

/**
 * One worker's NAT counters. Written by the owning worker only (plain stores); other threads read them for
 * display, possibly a little stale (a benign race: each is one aligned long).
 */
public final class NatStats
{
    /** Connections given a translation that changes their tuple (SNAT, DNAT, masquerade, redirect, static, or a null binding that had to move a port). */
    public long translated;
    /** NEW connections that no rule matched and that kept their tuple (Linux's null binding). */
    public long nullBindings;
    /** Translations that found no free port in the range (or in the worker's share of it): the packet was dropped. */
    public long portExhausted;
    /** Translations that reused a source's existing mapping (bysource, endpoint-independent mapping). */
    public long bysourceHits;
    /** New connections from outside let in to a live mapping by endpoint-independent filtering. */
    public long filterAdmitted;
    /** Packets handed to the worker that owns their connection. */
    public long handedOff;
    /** Packets dropped because the ring to their owner was full. */
    public long handoffDropped;
    /** Packets received from other workers (they own their connections here). */
    public long handedIn;
    /** ICMP errors whose embedded packet was translated. */
    public long icmpErrorsTranslated;

    /** Adds {@code other} into this (totals over workers). */
    public void add(final NatStats other)
    {
        translated += other.translated;
        nullBindings += other.nullBindings;
        portExhausted += other.portExhausted;
        bysourceHits += other.bysourceHits;
        filterAdmitted += other.filterAdmitted;
        handedOff += other.handedOff;
        handoffDropped += other.handoffDropped;
        handedIn += other.handedIn;
        icmpErrorsTranslated += other.icmpErrorsTranslated;
    }

    @Override
    public String toString()
    {
        return "translated=" + translated + " null_bindings=" + nullBindings + " port_exhausted=" + portExhausted
            + " bysource_hits=" + bysourceHits + " filter_admitted=" + filterAdmitted + " handed_off=" + handedOff
            + " handoff_dropped=" + handoffDropped + " handed_in=" + handedIn + " icmp_errors_translated=" + icmpErrorsTranslated;
    }
}
