package io.flowgate.pipeline.router;

import io.flowgate.pipeline.neigh.PortAddresses;
import io.flowgate.pmd.port.Port;

/**
 * A port as the router sees it: the device, its MAC, IP MTU and addresses (IPv4 and IPv6; a port routes IPv6
 * when it has an IPv6 address, and then also its EUI-64 link-local one, see {@link PortAddresses#addLinkLocal}).
 * With rss dispatch worker w receives and transmits on queue w (the slow path's packets leave through worker
 * 0); with software dispatch the dispatcher receives on queue 0 and either transmits there for the workers or
 * each worker transmits on its own queue ({@link Router#workersTransmit}).
 */
public record RouterPort(Port port, long mac, int mtu, PortAddresses addresses)
{
    public int id()
    {
        return port.id();
    }

    /** The first IPv4 address of the port (the source of ICMP errors sent from it), 0 when it has none. */
    public int primaryIpv4()
    {
        return addresses.ipv4Count() == 0 ? 0 : addresses.ipv4(0);
    }

    /** Whether the port takes part in IPv6: it has at least one IPv6 address (its link-local one included). */
    public boolean hasIpv6()
    {
        return addresses.ipv6Count() > 0;
    }

    /** Index in {@link #addresses()} of the first IPv6 address that is not link-local, -1 when there is none. */
    public int globalIpv6Index()
    {
        for (int i = 0; i < addresses.ipv6Count(); i++)
        {
            if (!PortAddresses.isLinkLocal(addresses.ipv6Hi(i)))
            {
                return i;
            }
        }
        return -1;
    }

    /** Index in {@link #addresses()} of the first link-local IPv6 address, -1 when there is none. */
    public int linkLocalIpv6Index()
    {
        for (int i = 0; i < addresses.ipv6Count(); i++)
        {
            if (PortAddresses.isLinkLocal(addresses.ipv6Hi(i)))
            {
                return i;
            }
        }
        return -1;
    }

    /**
     * The source for what the box sends from this port to {@code dstHi}: the link-local address towards a
     * link-local destination, else the first global one (RFC 6724 rule 2, scope), falling back to the other
     * kind; -1 when the port has no IPv6 address.
     */
    public int ipv6SourceIndexFor(final long dstHi)
    {
        final int global = globalIpv6Index();
        final int linkLocal = linkLocalIpv6Index();
        if (PortAddresses.isLinkLocal(dstHi))
        {
            return linkLocal >= 0 ? linkLocal : global;
        }
        return global >= 0 ? global : linkLocal;
    }
}
