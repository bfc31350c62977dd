package io.flowgate.conntrack.nat;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.OffHeap;

/**
 * A worker's NAT decisions: Linux's {@code nf_nat_setup_info} and {@code get_unique_tuple} (nf_nat_core.c) on
 * the worker's own {@link Conntrack}. A decision rewrites the unconfirmed entry's reply tuple and sets
 * {@code SRC_NAT}/{@code DST_NAT} and the {@code *_NAT_DONE} bits; the packets are rewritten by the pipeline
 * from the two tuples.
 * <p>
 * Usage: one per worker, {@code conntrack.binding(binder)} so mappings die with their connections; the NAT hook
 * calls {@link #setup} or {@link #nullBinding} for the first packet of a connection at each manip.
 * <p>
 * Ports across workers: with {@code partitioned}, a translated source port (ICMP: identifier) is always one
 * this worker owns, {@code port % workers == worker}, so a reply to a translated address names its owner
 * (docs/nat.md). With one worker every port is its own and the choice is Linux's.
 * <p>
 * Thread-safety: the owning worker only. Allocation-free after construction.
 */
public final class NatBinder implements Conntrack.Binding
{
    public static final int MANIP_SRC = 0;
    public static final int MANIP_DST = 1;

    /** NF_NAT_MAX_ATTEMPTS: tries of one round of the port search. */
    private static final int MAX_ATTEMPTS = 128;
    /** Addresses of a range tried in turn when the hashed one has no free port (Linux tries only the hashed one). */
    private static final int MAX_ADDRESS_TRIES = 8;

    private final Conntrack conntrack;
    private final ConntrackTable table;
    private final int worker;
    private final int workers;
    private final NatStats stats;
    private final NatMappings mappings;
    private final boolean[] holdsMapping;
    private final CtKey reply = new CtKey();
    private final CtKey curr = new CtKey();
    private final CtKey next = new CtKey();
    private final CtKey probe = new CtKey();
    private boolean uniqueMappings;
    private long random;

    // The decision in progress (fields, not parameters, to keep the search's signatures short).
    private int idx;
    private int manip;
    private int flags;
    private int minAddress;
    private int maxAddress;
    private int minPort;
    private int maxPort;
    private boolean partitioned;
    private int nowMs;

    public NatBinder(final Conntrack conntrack, final int worker, final int workers, final int mappingCapacity, final NatStats stats,
                     final long seed)
    {
        if (worker < 0 || worker >= workers)
        {
            throw new IllegalArgumentException("worker " + worker + " of " + workers);
        }
        this.conntrack = conntrack;
        this.table = conntrack.table();
        this.worker = worker;
        this.workers = workers;
        this.stats = stats;
        this.mappings = new NatMappings(mappingCapacity);
        this.holdsMapping = new boolean[table.capacity()];
        this.random = seed == 0 ? 0x9E3779B97F4A7C15L : seed;
    }

    public NatStats stats()
    {
        return stats;
    }

    public NatMappings mappings()
    {
        return mappings;
    }

    /**
     * Endpoint-independent filtering: a mapped endpoint stands for one inside endpoint only (RFC 4787 REQ-8 needs
     * it), so a translated (address, port) is never given to a second source while the first keeps it.
     */
    public void uniqueMappings(final boolean unique)
    {
        this.uniqueMappings = unique;
    }

    /** Whether the entry's {@code manip} has been decided ({@code nf_nat_initialized}). */
    public static boolean initialized(final long record, final int manip)
    {
        return (CtRecord.status(record) & (manip == MANIP_SRC ? CtStatus.SRC_NAT_DONE : CtStatus.DST_NAT_DONE)) != 0;
    }

    /** The inside endpoint ({@link NatMappings#key}) that mapped endpoint (protocol, address, port) stands for, or {@link NatMappings#NONE}. */
    public long insideOf(final int protocol, final int address, final int port)
    {
        return mappings.sourceOf(NatMappings.key(protocol, address, port));
    }

    /**
     * {@code alloc_null_binding}: no rule translates this connection at {@code manip}; its address stays, and its
     * port too unless a translated connection already uses the tuple. Returns false when no port is free.
     */
    public boolean nullBinding(final int index, final int manipType)
    {
        final long record = table.record(index);
        final int address = manipType == MANIP_SRC ? OffHeap.getInt(record + CtRecord.REPLY_DST_OFFSET)
            : OffHeap.getInt(record + CtRecord.REPLY_SRC_OFFSET);
        final boolean bound = setup(index, manipType, NatRange.MAP_IPS, address, address, 0, 0, false);
        if (bound && manipType == MANIP_SRC && (CtRecord.status(record) & CtStatus.NAT_MASK) == 0)
        {
            stats.nullBindings++;
        }
        return bound;
    }

    /**
     * {@code nf_nat_setup_info}: decides entry {@code index}'s tuple at {@code manipType} within the range (see
     * {@link NatRange} for the flags), rewrites its reply tuple and sets its status. Returns false when every
     * candidate tuple is taken ({@code port_exhausted} counted; the caller drops the packet); the entry is then
     * unchanged. An IPv6 entry is marked done, untranslated.
     */
    public boolean setup(final int index, final int manipType, final int rangeFlags, final int rangeMinAddress, final int rangeMaxAddress,
                         final int rangeMinPort, final int rangeMaxPort, final boolean portPartitioned)
    {
        final long record = table.record(index);
        final int doneBit = manipType == MANIP_SRC ? CtStatus.SRC_NAT_DONE : CtStatus.DST_NAT_DONE;
        final int status = CtRecord.status(record);
        if ((status & doneBit) != 0)
        {
            return true;
        }
        if (CtRecord.family(record) != CtRecord.FAMILY_IPV4)
        {
            setStatus(record, doneBit);
            return true;
        }
        idx = index;
        manip = manipType;
        flags = rangeFlags;
        minAddress = rangeMinAddress;
        maxAddress = rangeMaxAddress;
        minPort = rangeMinPort;
        maxPort = rangeMaxPort;
        partitioned = portPartitioned && workers > 1 && manipType == MANIP_SRC;
        nowMs = conntrack.clockMs();
        table.tuple(index, 1, reply);
        if (!Conntrack.invert(reply, curr))
        {
            setStatus(record, doneBit);
            return true;
        }
        if (!uniqueTuple())
        {
            stats.portExhausted++;
            return false;
        }
        int bits = doneBit;
        if (!Conntrack.sameTuple(next, curr))
        {
            Conntrack.invert(next, reply);
            table.replyTuple(index, reply);
            bits |= manipType == MANIP_SRC ? CtStatus.SRC_NAT : CtStatus.DST_NAT;
            stats.translated++;
            if (manipType == MANIP_SRC && (rangeFlags & NatRange.RANDOM_FULLY) == 0 && (next.srcLo != curr.srcLo || next.srcPort != curr.srcPort))
            {
                holdsMapping[index] = mappings.acquire(NatMappings.key(curr.protocol, (int)curr.srcLo, curr.srcPort),
                    NatMappings.key(curr.protocol, (int)next.srcLo, next.srcPort));
            }
        }
        setStatus(record, bits);
        return true;
    }

    @Override
    public void destroyed(final int index, final long record)
    {
        if (holdsMapping[index])
        {
            holdsMapping[index] = false;
            mappings.release(NatMappings.key(CtRecord.protocol(record), OffHeap.getInt(record + CtRecord.ORIG_SRC_OFFSET),
                OffHeap.getUnsignedShort(record + CtRecord.ORIG_SRC_PORT_OFFSET)));
        }
    }

    // ---- get_unique_tuple ----

    /** Leaves the chosen tuple in {@code next}; false when none is free. */
    private boolean uniqueTuple()
    {
        final CtKey c = curr;
        final CtKey n = next;
        final boolean src = manip == MANIP_SRC;
        // 1) Source manip: the original tuple if in range and free, else this source's mapping (bysource).
        if (src && (flags & NatRange.RANDOM_ALL) == 0)
        {
            if (inRange(c))
            {
                if (owned(c) && !used(c))
                {
                    n.copyFrom(c);
                    return true;
                }
            }
            else
            {
                final long mapped = mappings.mappedOf(NatMappings.key(c.protocol, (int)c.srcLo, c.srcPort));
                if (mapped != NatMappings.NONE)
                {
                    n.copyFrom(c);
                    n.srcLo = NatMappings.address(mapped) & 0xFFFF_FFFFL;
                    n.srcPort = NatMappings.port(mapped);
                    if (inRange(n) && !used(n))
                    {
                        stats.bysourceHits++;
                        return true;
                    }
                }
            }
        }
        // 2) An address of the range, 3) a port that makes the tuple unique.
        n.copyFrom(c);
        final boolean mapsAddress = (flags & NatRange.MAP_IPS) != 0;
        int address = mapsAddress ? bestAddress(c) : 0;
        final long span = mapsAddress ? (maxAddress & 0xFFFF_FFFFL) - (minAddress & 0xFFFF_FFFFL) + 1 : 1;
        final int tries = (flags & NatRange.NETMAP) != 0 ? 1 : (int)Math.min(span, MAX_ADDRESS_TRIES);
        for (int t = 0; t < tries; t++)
        {
            if (mapsAddress)
            {
                setAddress(n, address);
            }
            if ((flags & NatRange.RANDOM_ALL) == 0)
            {
                if ((flags & NatRange.PROTO_SPECIFIED) != 0)
                {
                    if (inPorts(n) && owned(n) && (minPort == maxPort || !used(n)))
                    {
                        return true;
                    }
                }
                else if (owned(n) && !used(n))
                {
                    return true;
                }
            }
            if (uniquePort(n))
            {
                return true;
            }
            address = address == maxAddress ? minAddress : address + 1;
        }
        return false;
    }

    /** find_best_ips_proto: one address of the range for this connection (the same for the same hosts). */
    private int bestAddress(final CtKey c)
    {
        final int var = (int)(manip == MANIP_SRC ? c.srcLo : c.dstLo);
        if ((flags & NatRange.NETMAP) != 0)
        {
            final int netmask = ~(minAddress ^ maxAddress);
            return (var & ~netmask) | (minAddress & netmask);
        }
        if (minAddress == maxAddress)
        {
            return minAddress;
        }
        final long dist = (maxAddress & 0xFFFF_FFFFL) - (minAddress & 0xFFFF_FFFFL) + 1;
        final int other = (flags & NatRange.PERSISTENT) != 0 ? 0 : (int)(manip == MANIP_SRC ? c.dstLo : c.srcLo);
        final long j = mix((c.srcLo & 0xFFFF_FFFFL) << 32 | (other & 0xFFFF_FFFFL)) & 0xFFFF_FFFFL;
        return (int)((minAddress & 0xFFFF_FFFFL) + ((j * dist) >>> 32));
    }

    /** nf_nat_l4proto_unique_tuple: a port (ICMP: identifier) of the range that makes the tuple unused. */
    private boolean uniquePort(final CtKey n)
    {
        final int protocol = n.protocol;
        final boolean icmp = protocol == Conntrack.IPPROTO_ICMP;
        if (!icmp && protocol != Conntrack.IPPROTO_TCP && protocol != Conntrack.IPPROTO_UDP)
        {
            return true; // no ports the rewriter translates (SCTP, DCCP, UDP-Lite: address only): a clash is refused at confirmation
        }
        final int current = icmp || manip == MANIP_SRC ? n.srcPort : n.dstPort;
        final int min;
        final int size;
        if ((flags & NatRange.PROTO_SPECIFIED) != 0)
        {
            min = minPort;
            size = maxPort - minPort + 1;
        }
        else if (icmp)
        {
            min = 0;
            size = 65536;
        }
        else if (manip == MANIP_DST)
        {
            return true; // a destination port is never changed unless asked for (a clash is refused at confirmation)
        }
        else if (current < 1024)
        {
            min = current < 512 ? 1 : 600;
            size = current < 512 ? 511 : 424;
        }
        else
        {
            min = 1024;
            size = 65536 - 1024;
        }
        final int first;
        final int count;
        final int step;
        if (partitioned)
        {
            first = min + Math.floorMod(worker - min, workers);
            final int last = min + size - 1;
            count = first > last ? 0 : (last - first) / workers + 1;
            step = workers;
        }
        else
        {
            first = min;
            count = size;
            step = 1;
        }
        if (count == 0)
        {
            return false;
        }
        int off = (flags & NatRange.RANDOM_ALL) != 0 || manip != MANIP_DST ? nextRandom() : 0;
        int attempts = Math.min(count, MAX_ATTEMPTS);
        while (true)
        {
            for (int i = 0; i < attempts; i++)
            {
                final int port = first + (int)(((off & 0xFFFF_FFFFL) + i) % count) * step;
                setPort(n, port);
                if (!used(n))
                {
                    return true;
                }
            }
            if (attempts >= count || attempts < 16)
            {
                return false;
            }
            attempts /= 2;
            off = nextRandom();
        }
    }

    private boolean inRange(final CtKey t)
    {
        if ((flags & NatRange.MAP_IPS) != 0)
        {
            final long address = manip == MANIP_SRC ? t.srcLo : t.dstLo;
            if (address < (minAddress & 0xFFFF_FFFFL) || address > (maxAddress & 0xFFFF_FFFFL))
            {
                return false;
            }
        }
        return (flags & NatRange.PROTO_SPECIFIED) == 0 || inPorts(t);
    }

    private boolean inPorts(final CtKey t)
    {
        final int port = t.protocol == Conntrack.IPPROTO_ICMP || manip == MANIP_SRC ? t.srcPort : t.dstPort;
        return port >= minPort && port <= maxPort;
    }

    /** Whether the tuple's source port is this worker's to give (always, unless partitioned). */
    private boolean owned(final CtKey t)
    {
        return !partitioned || t.srcPort % workers == worker;
    }

    /** nf_nat_used_tuple: another connection has the reply tuple this one would get (or, unique mappings, the mapped endpoint). */
    private boolean used(final CtKey t)
    {
        Conntrack.invert(t, probe);
        if (conntrack.tupleTaken(probe, idx, nowMs))
        {
            return true;
        }
        if (uniqueMappings && manip == MANIP_SRC && (t.srcLo != curr.srcLo || t.srcPort != curr.srcPort))
        {
            final long owner = mappings.sourceOf(NatMappings.key(t.protocol, (int)t.srcLo, t.srcPort));
            return owner != NatMappings.NONE && owner != NatMappings.key(curr.protocol, (int)curr.srcLo, curr.srcPort);
        }
        return false;
    }

    private void setAddress(final CtKey t, final int address)
    {
        if (manip == MANIP_SRC)
        {
            t.srcLo = address & 0xFFFF_FFFFL;
        }
        else
        {
            t.dstLo = address & 0xFFFF_FFFFL;
        }
    }

    private void setPort(final CtKey t, final int port)
    {
        if (t.protocol == Conntrack.IPPROTO_ICMP || manip == MANIP_SRC)
        {
            t.srcPort = port;
        }
        else
        {
            t.dstPort = port;
        }
    }

    private static void setStatus(final long record, final int bits)
    {
        CtRecord.beginWrite(record);
        CtRecord.status(record, CtRecord.status(record) | bits);
        CtRecord.endWrite(record);
    }

    private int nextRandom()
    {
        long x = random;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        random = x;
        return (int)(x >>> 33);
    }

    private static long mix(final long v)
    {
        long h = v * 0x9E3779B97F4A7C15L;
        h ^= h >>> 32;
        h *= 0xC2B2AE3D27D4EB4FL;
        return h ^ (h >>> 29);
    }
}
