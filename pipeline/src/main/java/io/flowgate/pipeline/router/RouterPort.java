package io.flowgate.pipeline.router;

import io.flowgate.pipeline.neigh.PortAddresses;
import io.flowgate.pmd.port.Port;

/**
 * A port as the router sees it: the device, its MAC, IP MTU and addresses. The router's workers transmit on
 * queues {@code 0..workers-1} and the slow path on queue {@code workers}.
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
