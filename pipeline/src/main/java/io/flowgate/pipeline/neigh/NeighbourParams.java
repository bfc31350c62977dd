package io.flowgate.pipeline.neigh;

/**
 * The tunables of the neighbour state machine, named after Linux's {@code neigh_parms}
 * ({@code /proc/sys/net/ipv4/neigh/default/*}), with the defaults of {@code arp_tbl} in
 * {@code net/ipv4/arp.c} (IPv6's {@code nd_tbl} has the same ones but a lock time of 0, which only ARP uses).
 * Times are in nanoseconds. Control path: a {@link NeighbourResolver} copies the values when it is built.
 */
public final class NeighbourParams
{
    private static final long SECOND_NS = 1_000_000_000L;

    /** {@code retrans_time_ms}: between two probes of a neighbour. */
    long retransTimeNs = SECOND_NS;
    /** {@code base_reachable_time_ms}: a confirmation keeps the entry REACHABLE 0.5 to 1.5 times this. */
    long baseReachableTimeNs = 30 * SECOND_NS;
    /** Linux draws the random reachable time again every 300 s ({@code neigh_periodic_work}). */
    long reachableRedrawIntervalNs = 300 * SECOND_NS;
    /** {@code delay_first_probe_time}: DELAY waits this for an upper-layer confirmation before probing. */
    long delayProbeTimeNs = 5 * SECOND_NS;
    /** {@code gc_stale_time}: an entry unused this long may be collected. */
    long gcStaleTimeNs = 60 * SECOND_NS;
    /** {@code locktime}: an ARP with another address within this of the last change is ignored. */
    long locktimeNs = SECOND_NS;
    /** {@code ucast_solicit}: unicast probes in PROBE. */
    int ucastProbes = 3;
    /** {@code mcast_solicit}: broadcast/multicast probes in INCOMPLETE. */
    int mcastProbes = 3;
    /** {@code mcast_resolicit}: broadcast/multicast probes appended to the unicast ones in PROBE. */
    int mcastReprobes = 0;
    /** {@code gc_thresh1}: with fewer entries than this nothing is collected. */
    int gcThresh1 = 128;
    /** Packets queued per unresolved neighbour (Linux's {@code unres_qlen} is 101, bounded by bytes). */
    int queuePerNeighbour = 3;
    /** Packets queued over all neighbours. */
    int queueCapacity = 256;
    /**
     * How often the writer reads the workers' "used" marks (no Linux equivalent: there the sender moves
     * STALE to DELAY itself). A use is seen at most this late.
     */
    long usedScanIntervalNs = 100_000_000L;

    public static NeighbourParams linuxDefaults()
    {
        return new NeighbourParams();
    }

    public NeighbourParams retransTimeNs(final long value)
    {
        retransTimeNs = positive(value);
        return this;
    }

    public NeighbourParams baseReachableTimeNs(final long value)
    {
        baseReachableTimeNs = positive(value);
        return this;
    }

    public NeighbourParams reachableRedrawIntervalNs(final long value)
    {
        reachableRedrawIntervalNs = positive(value);
        return this;
    }

    public NeighbourParams delayProbeTimeNs(final long value)
    {
        delayProbeTimeNs = positive(value);
        return this;
    }

    public NeighbourParams gcStaleTimeNs(final long value)
    {
        gcStaleTimeNs = positive(value);
        return this;
    }

    public NeighbourParams locktimeNs(final long value)
    {
        locktimeNs = Math.max(0, value);
        return this;
    }

    public NeighbourParams ucastProbes(final int value)
    {
        ucastProbes = Math.max(0, value);
        return this;
    }

    public NeighbourParams mcastProbes(final int value)
    {
        mcastProbes = Math.max(0, value);
        return this;
    }

    public NeighbourParams mcastReprobes(final int value)
    {
        mcastReprobes = Math.max(0, value);
        return this;
    }

    public NeighbourParams gcThresh1(final int value)
    {
        gcThresh1 = Math.max(0, value);
        return this;
    }

    public NeighbourParams queuePerNeighbour(final int value)
    {
        queuePerNeighbour = (int)positive(value);
        return this;
    }

    public NeighbourParams queueCapacity(final int value)
    {
        queueCapacity = (int)positive(value);
        return this;
    }

    public NeighbourParams usedScanIntervalNs(final long value)
    {
        usedScanIntervalNs = positive(value);
        return this;
    }

    private static long positive(final long value)
    {
        if (value <= 0)
        {
            throw new IllegalArgumentException("must be positive: " + value);
        }
        return value;
    }
}
