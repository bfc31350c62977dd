package io.flowgate.app;

import io.flowgate.nativebindings.dpdk.EthDev;
import io.flowgate.pmd.port.Port;

/**
 * A port under the name the configuration gives it ({@code ports[].name}), not the DPDK device's: the name the router's
 * rule engine resolves {@code iif}/{@code oif}/{@code iifname}/{@code oifname} against and its {@code log} prints
 * ({@code IN=}/{@code OUT=}), as Linux uses interface names. Everything else is the device's.
 * <p>
 * <p>
 * {@code flushTx}: each {@link #receive} of queue q first transmits nothing on queue q. For an AF_XDP port in copy mode
 * that reaps completions and, while frames are in flight, kicks the kernel again: Linux sends at most 32 descriptors
 * per kick (TX_BATCH_SIZE in net/xdp/xsk.c), and the router transmits only when it has packets, so what a burst left in
 * the ring (an ARP reply, the host stack's last segments) would otherwise wait for the next burst on that port.
 * <p>
 * Thread-safety: as the wrapped port; {@code flushTx} only where one thread owns rx queue q and tx queue q (rss dispatch).
 * The extra call is per burst, not per packet.
 */
final class NamedPort implements Port
{
    private final Port port;
    private final String name;
    private final boolean flushTx;

    NamedPort(final Port port, final String name)
    {
        this(port, name, false);
    }

    NamedPort(final Port port, final String name, final boolean flushTx)
    {
        this.port = port;
        this.name = name;
        this.flushTx = flushTx;
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
        if (flushTx && queue < port.txQueues())
        {
            port.transmit(queue, mbufArray, 0);
        }
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
