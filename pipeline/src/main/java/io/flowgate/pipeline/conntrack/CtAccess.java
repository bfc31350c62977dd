package io.flowgate.pipeline.conntrack;

import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.pipeline.burst.PacketBurst;

/**
 * What the hooks after conntrack (the rule engine, NAT) read and write of a packet's connection: nft's
 * {@code ct state}, {@code ct status}, {@code ct mark}, {@code ct direction}; {@code ct mark set} writes the
 * entry under its seqlock so that readers on other threads never see it half written.
 * <p>
 * Thread-safety: the owning worker only (the table is its own).
 */
public final class CtAccess
{
    private final ConntrackTable table;

    public CtAccess(final ConntrackTable table)
    {
        this.table = table;
    }

    /** nft's {@code ct state} bit of packet {@code i}: invalid 1, established 2, related 4, new 8, untracked 64. */
    public static int stateBit(final PacketBurst burst, final int i)
    {
        return CtInfo.stateBit(burst.ctinfo[i]);
    }

    /** nft's {@code ct direction}: 0 original, 1 reply; -1 when the packet has no entry. */
    public static int direction(final PacketBurst burst, final int i)
    {
        return burst.ct[i] < 0 ? -1 : CtInfo.direction(burst.ctinfo[i]);
    }

    /** The entry's status bits ({@code ct status}), 0 when the packet has none. */
    public int status(final PacketBurst burst, final int i)
    {
        final int index = burst.ct[i];
        return index < 0 ? 0 : CtRecord.status(table.record(index));
    }

    /** The entry's mark ({@code ct mark}), 0 when the packet has none. */
    public int mark(final PacketBurst burst, final int i)
    {
        final int index = burst.ct[i];
        return index < 0 ? 0 : CtRecord.mark(table.record(index));
    }

    /** {@code ct mark set}: no effect on a packet without entry (as nft). */
    public void mark(final PacketBurst burst, final int i, final int mark)
    {
        final int index = burst.ct[i];
        if (index >= 0)
        {
            final long record = table.record(index);
            CtRecord.beginWrite(record);
            CtRecord.mark(record, mark);
            CtRecord.endWrite(record);
        }
    }
}
