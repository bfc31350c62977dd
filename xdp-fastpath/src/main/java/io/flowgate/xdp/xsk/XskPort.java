package io.flowgate.xdp.xsk;

import io.flowgate.nativebindings.dpdk.EthDev;
import io.flowgate.pmd.port.Port;

/**
 * A {@link Port} over AF_XDP sockets (contract skeleton; see docs/xdp-fastpath.md, "AF_XDP port").
 * Packets are DPDK mbufs whose buffers are UMEM frames, so the pipeline handles them as any port's.
 */
public final class XskPort implements Port
{
    /** Opens the sockets of {@code config}; {@code id} is the port id the pipeline uses (not a DPDK port id). */
    public static XskPort open(final int id, final String name, final XskConfig config)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** The interface's ifindex. */
    public int ifindex()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** The AF_XDP socket of {@code queue} (port-relative), for an external program's xskmap. */
    public int socketFd(final int queue)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** The interface queue behind port queue {@code queue}. */
    public int interfaceQueue(final int queue)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** True when the sockets are bound in zero-copy mode. */
    public boolean zeroCopy()
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public int id()
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public String name()
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public int rxQueues()
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public int txQueues()
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public int receive(final int queue, final long mbufArray, final int max)
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public int transmit(final int queue, final long mbufArray, final int count)
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public long macAddress()
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public EthDev.Link link()
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public EthDev.Stats stats()
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public void close()
    {
        throw new UnsupportedOperationException("contract");
    }
}
