package io.flowgate.pipeline.neigh;

import io.flowgate.nativebindings.dpdk.Mbuf;

/**
 * What the neighbour state machine asks of the slow path: to send probes, and to transmit or free the packets
 * that waited for an address. Called on the slow-path thread, from inside {@link NeighbourResolver},
 * {@link ArpProcessor} and {@link NdProcessor}; an implementation must not call back into them.
 */
public interface NeighbourHandler
{
    /** {@link #solicit}'s {@code dstMac} when the probe goes to the broadcast (ARP) or solicited-node multicast (ND) address. */
    long MULTICAST = -1L;

    /** Dropped because the neighbour's queue was full: the oldest packet made room for a newer one. */
    int DROP_QUEUE_FULL = 1;
    /** Dropped because resolution failed (Linux answers with ICMP host unreachable). */
    int DROP_FAILED = 2;
    /** Dropped because the table had no room for a new neighbour. */
    int DROP_TABLE_FULL = 3;
    /** Dropped because the neighbour was removed (collected or deleted) while the packet waited. */
    int DROP_REMOVED = 4;

    /**
     * Send an ARP request ({@link NeighbourTable#family} 4) or a neighbour solicitation (6) for the neighbour in
     * {@code slot} of {@code table} out of its port: to {@code dstMac} (a unicast probe of the cached address)
     * or, when it is {@link #MULTICAST}, to everyone. {@link ArpProcessor#writeRequest} and
     * {@link NdProcessor#writeSolicitation} write the frame.
     */
    void solicit(NeighbourTable table, int slot, long dstMac);

    /** Transmit {@code packet}, which waited for this neighbour, out of {@code port} to {@code dstMac}. */
    void transmit(long packet, int port, long dstMac);

    /** Free {@code packet}, which waited for a neighbour, for {@code reason} ({@code DROP_*}). */
    void drop(long packet, int reason);

    /**
     * A handler for tables with permanent entries only (benchmarks, tests of the workers' table reads): it sends
     * no probe and frees every packet it is given.
     */
    static NeighbourHandler discarding()
    {
        return Discarding.INSTANCE;
    }

    /** See {@link #discarding()}. */
    final class Discarding implements NeighbourHandler
    {
        private static final Discarding INSTANCE = new Discarding();

        private Discarding()
        {
        }

        @Override
        public void solicit(final NeighbourTable table, final int slot, final long dstMac)
        {
        }

        @Override
        public void transmit(final long packet, final int port, final long dstMac)
        {
            Mbuf.free(packet);
        }

        @Override
        public void drop(final long packet, final int reason)
        {
            Mbuf.free(packet);
        }
    }
}
