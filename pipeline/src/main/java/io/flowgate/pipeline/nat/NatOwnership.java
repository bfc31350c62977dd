package io.flowgate.pipeline.nat;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtRecord;

/**
 * Which worker owns the connection of a packet that is not in this worker's table (docs/nat.md, "Ownership
 * across workers"):
 * <ol>
 *   <li>to a translated address (SNAT pool, masquerade port): the worker that owns the destination port (ICMP:
 *       identifier), {@code port % workers}; a protocol without ports: whichever table has it;</li>
 *   <li>to a static mapping's outside address: the worker of the inside address it stands for;</li>
 *   <li>a reply to a connection the destination host opened (it is in the table of the destination's worker):
 *       that worker;</li>
 *   <li>anything else, a new connection: the worker of the source address.</li>
 * </ol>
 * Other workers' tables are read through their {@link ConntrackTable.Reader}s (lock-free, under their epochs).
 * <p>
 * Thread-safety: the owning worker only (its readers are its own).
 */
public final class NatOwnership
{
    private final int worker;
    private final int workers;
    private final NatPolicy policy;
    private final ConntrackTable.Reader[] readers;

    /** @param readers a reader of every worker's table, indexed by worker ({@code readers[worker]} unused) */
    public NatOwnership(final int worker, final int workers, final NatPolicy policy, final ConntrackTable.Reader[] readers)
    {
        this.worker = worker;
        this.workers = workers;
        this.policy = policy;
        this.readers = readers.clone();
    }

    /** The worker that the source (or any) address {@code address} belongs to. */
    public static int ownerOf(final int address, final int workers)
    {
        final long h = ((address & 0xFFFF_FFFFL) * 0x9E3779B97F4A7C15L) >>> 32;
        return (int)((h * workers) >>> 32);
    }

    /** The owner of packet tuple {@code key}, which missed this worker's table; this worker for what it should keep. */
    public int owner(final CtKey key)
    {
        if (key.family != CtRecord.FAMILY_IPV4)
        {
            return worker; // IPv6 is not translated: the symmetric hash already brings both directions here
        }
        final int src = (int)key.srcLo;
        final int dst = (int)key.dstLo;
        final int protocol = key.protocol;
        if (policy.isPoolAddress(dst))
        {
            if (protocol == Conntrack.IPPROTO_ICMP)
            {
                return key.srcPort % workers; // the identifier
            }
            if (NatRewriter.hasPorts(protocol))
            {
                return key.dstPort % workers;
            }
            for (int w = 0; w < workers; w++)
            {
                if (w != worker && has(w, key))
                {
                    return w;
                }
            }
            return worker;
        }
        final int inside = policy.staticInside(dst);
        if (inside != dst)
        {
            return ownerOf(inside, workers);
        }
        final int byDestination = ownerOf(dst, workers);
        if (byDestination != worker && has(byDestination, key))
        {
            return byDestination;
        }
        return ownerOf(src, workers);
    }

    private boolean has(final int w, final CtKey key)
    {
        final ConntrackTable.Reader reader = readers[w];
        reader.enter();
        try
        {
            return reader.lookup(key) != ConntrackTable.NONE;
        }
        finally
        {
            reader.exit();
        }
    }
}
