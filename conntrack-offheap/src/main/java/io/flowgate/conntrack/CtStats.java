package io.flowgate.conntrack;

/**
 * One worker's conntrack statistics with the names of {@code /proc/net/stat/nf_conntrack} and
 * {@code conntrack -S}. Written by the owning worker only (plain increments); read by the control plane.
 * NOTE: readers see each counter without tearing (aligned 64-bit accesses on x86-64 HotSpot) but not a
 * consistent cut across counters, as Linux's per-cpu counters.
 */
public final class CtStats
{
    /** Lookups that found an entry. */
    public long found;
    /** Packets conntrack could not track (malformed, out of window, ...). */
    public long invalid;
    /** Packets that matched an entry in a state the tracker ignores (Linux's {@code ignore}). */
    public long ignore;
    /** Entries confirmed into the table. */
    public long insert;
    /** Entries that could not be inserted (no room, or a clash at confirmation). */
    public long insertFailed;
    /** Packets dropped because no entry could be created. */
    public long drop;
    /** Unassured entries evicted to make room (Linux's early_drop). */
    public long earlyDrop;
    /** Errors: ICMP errors that matched no connection, bogus inner packets. */
    public long error;
    /** Reader lookups restarted because the index moved under them. */
    public long searchRestart;
    /** Clashes at confirmation resolved by reusing the existing entry. */
    public long clashResolve;
    /** Unconfirmed entries created (Linux's {@code new}). */
    public long created;
    /** Entries deleted (expired, killed, flushed). */
    public long delete;
    /** Entries removed by the GC sweep because they had expired. */
    public long expired;
    /** Events the event ring had no room for. */
    public long eventsLost;
    /** Probe chains longer than the table allows (Linux's chaintoolong). */
    public long chainTooLong;
    /** ICMP errors attached to a connection as RELATED. */
    public long icmpError;

    public void copyTo(final CtStats out)
    {
        out.found = found;
        out.invalid = invalid;
        out.ignore = ignore;
        out.insert = insert;
        out.insertFailed = insertFailed;
        out.drop = drop;
        out.earlyDrop = earlyDrop;
        out.error = error;
        out.searchRestart = searchRestart;
        out.clashResolve = clashResolve;
        out.created = created;
        out.delete = delete;
        out.expired = expired;
        out.eventsLost = eventsLost;
        out.chainTooLong = chainTooLong;
        out.icmpError = icmpError;
    }
}
