package io.flowgate.xdp.bpf;

/**
 * flowgate's XDP object (flowgate_xdp.c, built by clang with the module) loaded through libbpf (contract
 * skeleton; see docs/xdp-fastpath.md). It holds two programs over the same maps: {@code fg_fastpath}
 * (offloaded flows forwarded in the driver, everything else to the queue's AF_XDP socket) and
 * {@code fg_xsk} (everything to the AF_XDP socket). Thread-safety: control plane, one thread.
 */
public final class XdpProgram implements AutoCloseable
{
    /** Loads the object with a flow map of {@code maxFlows} entries; nothing is attached yet. */
    public static XdpProgram load(final int maxFlows)
    {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * Attaches the current program ({@link #fastPath()}) to {@code ifindex}, which flowgate port {@code portId}
     * is, and makes the port a redirect target (devmap). Returns the mode it got (AUTO tries native first).
     */
    public XdpMode attach(final int portId, final int ifindex, final XdpMode mode)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Detaches from {@code ifindex} (only if our program is the one attached). */
    public void detach(final int ifindex)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Puts AF_XDP socket {@code xskFd} in the xskmap for {@code ifindex}'s receive queue {@code queue}. */
    public void registerSocket(final int ifindex, final int queue, final int xskFd)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Replaces the program on every attached interface: the fast path, or AF_XDP only (offload off). */
    public void fastPath(final boolean on)
    {
        throw new UnsupportedOperationException("contract");
    }

    public boolean fastPath()
    {
        throw new UnsupportedOperationException("contract");
    }

    public FlowTable flows()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** The program's counters summed over CPUs, indexed by {@code enum fg_stat}. */
    public long[] stats()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Detaches from every interface and closes the maps and programs. */
    @Override
    public void close()
    {
        throw new UnsupportedOperationException("contract");
    }
}
