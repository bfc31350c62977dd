package io.flowgate.xdp.xsk;

/**
 * How an {@link XskPort} binds its AF_XDP sockets (contract; see docs/xdp-fastpath.md).
 *
 * @param iface        the Linux interface (e.g. {@code veth0})
 * @param queues       receive/transmit queue pairs, one AF_XDP socket each, starting at {@code firstQueue}
 * @param firstQueue   the interface queue of the port's queue 0
 * @param bind         zero-copy, copy, or zero-copy when the driver supports it (else copy)
 * @param ringSize     descriptors per ring (rx, tx, fill, completion); a power of two
 * @param frames       UMEM frames (= mbufs in the port's pool), shared by the port's queues
 * @param busyPollUs   {@code SO_BUSY_POLL} microseconds with {@code SO_PREFER_BUSY_POLL}; 0 = off
 * @param busyPollBudget {@code SO_BUSY_POLL_BUDGET} packets per busy poll
 * @param program      who redirects packets to the sockets: libxdp's default program (loaded by libxdp when
 *                     the socket is created) or an external program that registers {@link XskPort#socketFd}
 *                     in its own xskmap (flowgate's {@code XdpProgram})
 * @param xdpMode      attach mode for the libxdp default program
 */
public record XskConfig(String iface, int queues, int firstQueue, Bind bind, int ringSize, int frames, int busyPollUs,
                        int busyPollBudget, Program program, io.flowgate.xdp.bpf.XdpMode xdpMode)
{
    public enum Bind
    {
        AUTO, ZERO_COPY, COPY
    }

    public enum Program
    {
        LIBXDP_DEFAULT, EXTERNAL
    }
}
