package io.flowgate.stack.udp;

import io.flowgate.stack.StackConfig;
import io.flowgate.stack.ip.PacketSender;
import io.flowgate.stack.ip.Transport;

/**
 * The UDP layer: sockets by local address and port, datagrams queued per socket (bounded by the receive
 * buffer, drops counted as Linux's RcvbufErrors), ICMP port unreachable for datagrams to no socket (rate
 * limited), ICMP errors to the socket that sent the quoted datagram. Stack thread. Contract skeleton: built by
 * the IP/UDP part, which also decides its socket-facing methods (used by {@code api.UdpSocket}).
 */
public final class Udp implements Transport
{
    public Udp(final StackConfig config, final PacketSender out)
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public void receive(final long address, final int length, final long srcHi, final long srcLo, final long dstHi,
                        final long dstLo, final int port, final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public void icmpError(final int kind, final int info, final long quoted, final int quotedLength, final long localHi,
                          final long localLo, final long remoteHi, final long remoteLo, final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }
}
