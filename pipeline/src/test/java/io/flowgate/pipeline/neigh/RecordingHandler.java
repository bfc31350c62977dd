package io.flowgate.pipeline.neigh;

import java.util.ArrayList;
import java.util.List;

/** Records what the state machine asked for, one readable line per call, so tests compare whole sequences. */
final class RecordingHandler implements NeighbourHandler
{
    final List<String> events = new ArrayList<>();

    @Override
    public void solicit(final NeighbourTable table, final int slot, final long dstMac)
    {
        final String target = table.family(slot) == NeighbourTable.FAMILY_IPV4 ?
            Integer.toHexString(table.ipv4(slot)) :
            Long.toHexString(table.ipv6Hi(slot)) + ":" + Long.toHexString(table.ipv6Lo(slot));
        events.add("solicit " + target + (dstMac == MULTICAST ? " multicast" : " unicast " + Long.toHexString(dstMac)));
    }

    @Override
    public void transmit(final long packet, final int port, final long dstMac)
    {
        events.add("transmit " + packet + " port " + port + " to " + Long.toHexString(dstMac));
    }

    @Override
    public void drop(final long packet, final int reason)
    {
        events.add("drop " + packet + " " + switch (reason)
        {
            case DROP_QUEUE_FULL -> "queue-full";
            case DROP_FAILED -> "failed";
            case DROP_TABLE_FULL -> "table-full";
            case DROP_REMOVED -> "removed";
            default -> "reason-" + reason;
        });
    }

    /** The events since the last call, cleared. */
    List<String> take()
    {
        final List<String> taken = List.copyOf(events);
        events.clear();
        return taken;
    }
}
