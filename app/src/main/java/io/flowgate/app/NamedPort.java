package io.flowgate.app;

import io.flowgate.nativebindings.dpdk.EthDev;
import io.flowgate.pmd.port.Port;

/**
 * A port under the name the configuration gives it ({@code ports[].name}), not the DPDK device's: the name the router's
 * rule engine resolves {@code iif}/{@code oif}/{@code iifname}/{@code oifname} against and its {@code log} prints
 * ({@code IN=}/{@code OUT=}), as Linux uses interface names. Everything else is the device's.
 * <p>
 * Thread-safety: as the wrapped port. The extra call is per burst, not per packet.
 */
final class NamedPort implements Port
{
    private final Port port;
    private final String name;

    NamedPort(final Port port, final String name)
    {
        this.port = port;
        this.name = name;
    }

    @Override
    public int id()
    {
        return port.id();
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public int rxQueues()
    {
        return port.rxQueues();
    }

    @Override
    public int txQueues()
    {
        return port.txQueues();
    }

    @Override
    public int receive(final int queue, final long mbufArray, final int max)
    {
        return port.receive(queue, mbufArray, max);
    }

    @Override
    public int transmit(final int queue, final long mbufArray, final int count)
    {
        return port.transmit(queue, mbufArray, count);
    }

    @Override
    public long macAddress()
    {
        return port.macAddress();
    }

    @Override
    public EthDev.Link link()
    {
        return port.link();
    }

    @Override
    public EthDev.Stats stats()
    {
        return port.stats();
    }

    @Override
    public void close()
    {
        port.close();
    }
}
