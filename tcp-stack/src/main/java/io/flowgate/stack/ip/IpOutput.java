package io.flowgate.stack.ip;

import io.flowgate.pipeline.host.HostOutput;

/**
 * The {@link PacketSender} of the router: packets are DPDK mbufs from the slow path's pool, IP headers are
 * written here, and {@link HostOutput#send} routes them. Contract skeleton: built by the IP/UDP part.
 */
public final class IpOutput implements PacketSender
{
    public IpOutput()
    {
    }

    /** Called from {@code Stack.attach}. */
    public void attach(final HostOutput output)
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public long allocate()
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public long transport(final long packet, final boolean v6)
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public int maxTransportLength(final boolean v6)
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public void free(final long packet)
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public void send(final long packet, final long srcHi, final long srcLo, final long dstHi, final long dstLo,
                     final int protocol, final int transportLength, final boolean dontFragment, final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public int routeMtu(final long dstHi, final long dstLo)
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public boolean sourceFor(final long dstHi, final long dstLo, final long[] out)
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public boolean isLocal(final long hi, final long lo)
    {
        throw new UnsupportedOperationException("contract");
    }
}
