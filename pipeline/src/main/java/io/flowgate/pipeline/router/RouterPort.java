package io.flowgate.pipeline.router;

import io.flowgate.pipeline.neigh.PortAddresses;
import io.flowgate.pmd.port.Port;

/**
 * A port as the router sees it: the device, its MAC, IP MTU and addresses. With rss dispatch worker w
 * receives and transmits on queue w (the slow path's packets leave through worker 0); with software dispatch
 * the dispatcher receives on queue 0 and either transmits there for the workers or each worker transmits on
 * its own queue ({@link Router#workersTransmit}).
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
}
