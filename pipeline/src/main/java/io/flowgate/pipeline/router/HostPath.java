package io.flowgate.pipeline.router;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pipeline.host.HostOutput;
import io.flowgate.pipeline.neigh.NeighbourResolver;
import io.flowgate.pipeline.neigh.NeighbourTable;
import io.flowgate.pipeline.route.NextHopTable;
import io.flowgate.pipeline.route.RouteTable;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.header.Ipv6Flyweight;

/**
 * The slow path's {@link HostOutput}: how the host stack's packets leave, as Linux's {@code ip_local_out} and
 * {@code ip_finish_output2} would send them. The destination is looked up in the router's own tables (the LPM
 * the workers read; the slow path only reads it too), the Ethernet header is written for the egress port, and
 * the packet goes to worker 0 marked {@link SlowPathBurst#LOCAL_OUT} (OUTPUT and POSTROUTING run there) when
 * the neighbour is known, or waits in the neighbour resolver (whose single writer is this thread) when not.
 * Packets the box originates carry {@link #HOST_ORIGIN} as their mbuf port, so that a packet released by
 * resolution still takes OUTPUT and POSTROUTING. An IPv4 packet larger than the egress MTU without DF is
 * fragmented by the slow path ({@link SlowPathBurst#FRAGMENT}'s code); with DF (TCP sets it) or IPv6 it is
 * counted and freed: the transport keeps to the path MTU itself. Slow-path thread only.
 */
final class HostPath implements HostOutput
{
    /** The mbuf port of a packet the box itself originates (no real port has this id). */
    static final int HOST_ORIGIN = 0xFFFF;

    private final SlowPath slowPath;
    private final RouteTable routes;
    private final RouterPort[] portById;
    private final Mempool pool;
    private final NeighbourTable neighbours;
    private final NeighbourResolver resolver;

    HostPath(final SlowPath slowPath, final RouteTable routes, final RouterPort[] portById, final Mempool pool,
             final NeighbourTable neighbours, final NeighbourResolver resolver)
    {
        this.slowPath = slowPath;
        this.routes = routes;
        this.portById = portById;
        this.pool = pool;
        this.neighbours = neighbours;
        this.resolver = resolver;
    }

    @Override
    public long allocate()
    {
        final long m = pool.alloc();
        if (m != 0)
        {
            Mbuf.port(m, HOST_ORIGIN);
        }
        return m;
    }

    @Override
    public int maxIpLength()
    {
        return Mempool.DEFAULT_DATA_ROOM - Mempool.HEADROOM - IP_OFFSET;
    }

    @Override
    public void send(final long mbuf, final long nowNs)
    {
        Mbuf.port(mbuf, HOST_ORIGIN);
        final long frame = Mbuf.data(mbuf);
        final long ip = frame + IP_OFFSET;
        final int version = Memory.getUnsignedByte(ip) >>> 4;
        if (version == 4)
        {
            send4(mbuf, frame, ip, nowNs);
        }
        else if (version == 6)
        {
            send6(mbuf, frame, ip, nowNs);
        }
        else
        {
            slowPath.hostDrop(mbuf, SlowPath.HOST_UNSENDABLE);
        }
    }

    private void send4(final long mbuf, final long frame, final long ip, final long nowNs)
    {
        final int dst = Ipv4Flyweight.getDstAddress(ip);
        final int route = routes.ipv4().lookup(dst);
        if (route < 0)
        {
            slowPath.hostDrop(mbuf, SlowPath.HOST_NO_ROUTE);
            return;
        }
        final NextHopTable hops = routes.nextHops();
        final int hop = hops.select(route, dst);
        final int out = hops.port(hop);
        final RouterPort p = out < portById.length ? portById[out] : null;
        if (p == null)
        {
            slowPath.hostDrop(mbuf, SlowPath.HOST_NO_ROUTE);
            return;
        }
        final int via = hops.isConnected(hop) ? dst : hops.gatewayIpv4(hop);
        EthernetFlyweight.putSrcMac(frame, p.mac());
        Memory.putShortBE(frame + EthernetFlyweight.ETHER_TYPE_OFFSET, EthernetFlyweight.ETHER_TYPE_IPV4);
        if (Ipv4Flyweight.getTotalLength(ip) > p.mtu())
        {
            if ((Memory.getUnsignedByte(ip + 6) & 0x40) != 0)
            {
                slowPath.hostDrop(mbuf, SlowPath.HOST_UNSENDABLE);
            }
            else
            {
                slowPath.hostFragment(mbuf, out, p.mtu(), via, nowNs);
            }
            return;
        }
        final long mac = neighbours.lookupMac(out, via);
        if (mac != NeighbourTable.NO_MAC)
        {
            EthernetFlyweight.putDstMac(frame, mac);
            slowPath.hostStage(out, mbuf);
        }
        else
        {
            resolver.resolve(out, via, mbuf, nowNs);
        }
    }

    private void send6(final long mbuf, final long frame, final long ip, final long nowNs)
    {
        final long dstHi = Ipv6Flyweight.getDstAddressHi(ip);
        final long dstLo = Ipv6Flyweight.getDstAddressLo(ip);
        final int route = routes.ipv6().lookup(dstHi, dstLo);
        if (route < 0)
        {
            slowPath.hostDrop(mbuf, SlowPath.HOST_NO_ROUTE);
            return;
        }
        final NextHopTable hops = routes.nextHops();
        final int hop = hops.select(route, (int)(dstLo ^ (dstLo >>> 32)));
        final int out = hops.port(hop);
        final RouterPort p = out < portById.length ? portById[out] : null;
        if (p == null)
        {
            slowPath.hostDrop(mbuf, SlowPath.HOST_NO_ROUTE);
            return;
        }
        if (Ipv6Flyweight.HEADER_LENGTH + Ipv6Flyweight.getPayloadLength(ip) > p.mtu())
        {
            slowPath.hostDrop(mbuf, SlowPath.HOST_UNSENDABLE);
            return;
        }
        final boolean connected = hops.isConnected(hop);
        final long viaHi = connected ? dstHi : hops.gatewayIpv6Hi(hop);
        final long viaLo = connected ? dstLo : hops.gatewayIpv6Lo(hop);
        EthernetFlyweight.putSrcMac(frame, p.mac());
        Memory.putShortBE(frame + EthernetFlyweight.ETHER_TYPE_OFFSET, EthernetFlyweight.ETHER_TYPE_IPV6);
        final long mac = neighbours.lookupMac6(out, viaHi, viaLo);
        if (mac != NeighbourTable.NO_MAC)
        {
            EthernetFlyweight.putDstMac(frame, mac);
            slowPath.hostStage(out, mbuf);
        }
        else
        {
            resolver.resolve6(out, viaHi, viaLo, mbuf, nowNs);
        }
    }

    @Override
    public int route4(final int destination)
    {
        final int route = routes.ipv4().lookup(destination);
        return route < 0 ? NO_ROUTE : egress(routes.nextHops().select(route, destination));
    }

    @Override
    public int route6(final long destinationHi, final long destinationLo)
    {
        final int route = routes.ipv6().lookup(destinationHi, destinationLo);
        return route < 0 ? NO_ROUTE : egress(routes.nextHops().select(route, (int)(destinationLo ^ (destinationLo >>> 32))));
    }

    private int egress(final int hop)
    {
        final int out = routes.nextHops().port(hop);
        final RouterPort p = out < portById.length ? portById[out] : null;
        return p == null ? NO_ROUTE : (p.mtu() << 16) | out;
    }

    @Override
    public int sourceAddress4(final int port)
    {
        final RouterPort p = port >= 0 && port < portById.length ? portById[port] : null;
        return p == null ? 0 : p.primaryIpv4();
    }

    @Override
    public long sourceAddress6Hi(final int port, final long destinationHi)
    {
        final RouterPort p = port >= 0 && port < portById.length ? portById[port] : null;
        final int index = p == null ? -1 : p.ipv6SourceIndexFor(destinationHi);
        return index < 0 ? 0 : p.addresses().ipv6Hi(index);
    }

    @Override
    public long sourceAddress6Lo(final int port, final long destinationHi)
    {
        final RouterPort p = port >= 0 && port < portById.length ? portById[port] : null;
        final int index = p == null ? -1 : p.ipv6SourceIndexFor(destinationHi);
        return index < 0 ? 0 : p.addresses().ipv6Lo(index);
    }

    @Override
    public boolean isLocal4(final int address)
    {
        for (final RouterPort p : portById)
        {
            if (p != null && p.addresses().hasIpv4(address))
            {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean isLocal6(final long hi, final long lo)
    {
        for (final RouterPort p : portById)
        {
            if (p != null && p.addresses().hasIpv6(hi, lo))
            {
                return true;
            }
        }
        return false;
    }
}
