package io.flowgate.stack.ip;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.pipeline.host.HostOutput;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.stack.InetAddr;

/**
 * The {@link PacketSender} of the router: packets are DPDK mbufs from the slow path's pool, IP headers are
 * written here ({@code ip_build_and_send_pkt}/{@code ip6_xmit} without options), and {@link HostOutput#send}
 * routes them. A packet handle is the mbuf itself. Stack thread only.
 */
public final class IpOutput implements PacketSender
{
    private static final int TTL = 64;

    private HostOutput output;
    private int nextId;
    private long sent;

    public IpOutput()
    {
    }

    /** Called from {@code Stack.attach}. */
    public void attach(final HostOutput output)
    {
        this.output = output;
        this.nextId = (int)System.nanoTime();
    }

    public boolean attached()
    {
        return output != null;
    }

    /** Packets handed to the slow path. */
    public long sent()
    {
        return sent;
    }

    @Override
    public long allocate()
    {
        return output == null ? 0 : output.allocate();
    }

    @Override
    public long transport(final long packet, final boolean v6)
    {
        return Mbuf.data(packet) + HostOutput.IP_OFFSET + (v6 ? IPV6_HEADER : IPV4_HEADER);
    }

    @Override
    public int maxTransportLength(final boolean v6)
    {
        return output == null ? 0 : Math.min(65535, output.maxIpLength()) - (v6 ? IPV6_HEADER : IPV4_HEADER);
    }

    @Override
    public void free(final long packet)
    {
        Mbuf.free(packet);
    }

    @Override
    public void send(final long packet, final long srcHi, final long srcLo, final long dstHi, final long dstLo,
                     final int protocol, final int transportLength, final boolean dontFragment, final long nowNs)
    {
        final long ip = Mbuf.data(packet) + HostOutput.IP_OFFSET;
        final int length;
        if (InetAddr.isV4(dstHi, dstLo))
        {
            length = IPV4_HEADER + transportLength;
            Memory.putShortBE(ip, 0x4500);
            Memory.putShortBE(ip + 2, length);
            Memory.putShortBE(ip + 4, nextId++ & 0xFFFF);
            Memory.putShortBE(ip + 6, dontFragment ? 0x4000 : 0);
            Memory.putByte(ip + 8, (byte)TTL);
            Memory.putByte(ip + 9, (byte)protocol);
            Memory.putShortBE(ip + 10, 0);
            Memory.putIntBE(ip + 12, InetAddr.v4Of(srcLo));
            Memory.putIntBE(ip + 16, InetAddr.v4Of(dstLo));
            Memory.putShortBE(ip + 10, Checksum.checksum(ip, IPV4_HEADER));
        }
        else
        {
            length = IPV6_HEADER + transportLength;
            Memory.putIntBE(ip, 6 << 28);
            Memory.putShortBE(ip + 4, transportLength);
            Memory.putByte(ip + 6, (byte)protocol);
            Memory.putByte(ip + 7, (byte)TTL);
            Memory.putLongBE(ip + 8, srcHi);
            Memory.putLongBE(ip + 16, srcLo);
            Memory.putLongBE(ip + 24, dstHi);
            Memory.putLongBE(ip + 32, dstLo);
        }
        sendIp(packet, length, nowNs);
    }

    /** Sends a packet whose whole IP header the caller wrote at {@link HostOutput#IP_OFFSET} (ICMP errors). */
    public void sendIp(final long packet, final int ipLength, final long nowNs)
    {
        Mbuf.length(packet, HostOutput.IP_OFFSET + ipLength);
        sent++;
        output.send(packet, nowNs);
    }

    /** The next IPv4 identification (shared by every packet the stack sends). */
    public int nextId()
    {
        return nextId++ & 0xFFFF;
    }

    @Override
    public int routeMtu(final long dstHi, final long dstLo)
    {
        if (output == null)
        {
            return 0;
        }
        final int route = InetAddr.isV4(dstHi, dstLo) ? output.route4(InetAddr.v4Of(dstLo)) : output.route6(dstHi, dstLo);
        return route == HostOutput.NO_ROUTE ? 0 : route >>> 16;
    }

    @Override
    public boolean sourceFor(final long dstHi, final long dstLo, final long[] out)
    {
        if (output == null)
        {
            return false;
        }
        if (InetAddr.isV4(dstHi, dstLo))
        {
            final int route = output.route4(InetAddr.v4Of(dstLo));
            if (route == HostOutput.NO_ROUTE)
            {
                return false;
            }
            final int source = output.sourceAddress4(route & 0xFFFF);
            if (source == 0)
            {
                return false;
            }
            out[0] = 0;
            out[1] = InetAddr.v4(source);
            return true;
        }
        final int route = output.route6(dstHi, dstLo);
        if (route == HostOutput.NO_ROUTE)
        {
            return false;
        }
        final long hi = output.sourceAddress6Hi(route & 0xFFFF, dstHi);
        final long lo = output.sourceAddress6Lo(route & 0xFFFF, dstHi);
        if (hi == 0 && lo == 0)
        {
            return false;
        }
        out[0] = hi;
        out[1] = lo;
        return true;
    }

    @Override
    public boolean isLocal(final long hi, final long lo)
    {
        if (output == null)
        {
            return false;
        }
        return InetAddr.isV4(hi, lo) ? output.isLocal4(InetAddr.v4Of(lo)) : output.isLocal6(hi, lo);
    }
}
