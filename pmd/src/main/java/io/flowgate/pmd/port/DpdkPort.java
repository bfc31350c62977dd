package io.flowgate.pmd.port;

import io.flowgate.nativebindings.DpdkException;
import io.flowgate.nativebindings.dpdk.EthDev;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.nativebindings.gen.flowgate_shim_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * A DPDK ethdev port: any poll-mode driver (vfio-pci NICs, net_null, net_ring, net_pcap, net_tap,
 * net_af_packet, net_af_xdp, net_memif).
 * <p>
 * Usage: {@code DpdkPort.open(EthDev.portByName("net_null0"), PortConfig.DEFAULT, pool)}; the port is
 * started and ready. Bursts go straight to the shim's {@code rte_eth_rx_burst}/{@code rte_eth_tx_burst}
 * wrappers: two critical downcalls per burst, nothing allocated.
 * <p>
 * Thread-safety: see {@link Port}.
 * <p>
 * Shutdown: {@link #close()} drains every receive queue (frees what is left so no mbuf leaks), stops and
 * closes the device. The pool must outlive the port.
 */
public final class DpdkPort implements Port
{
    private static final int DRAIN_BURST = 64;
    private static final int DRAIN_EMPTY_POLLS = 4;
    /** A port that generates traffic (net_null, a live NIC) never runs dry: drain at most this per queue. */
    private static final int DRAIN_MIN_LIMIT = 16384;

    private final int portId;
    private final short portIdShort;
    private final String name;
    private final int rxQueues;
    private final int txQueues;
    private final EthDev.Info info;
    private final boolean promiscuous;
    private final int drainLimit;
    private boolean closed;

    private DpdkPort(final int portId, final String name, final int rxQueues, final int txQueues, final EthDev.Info info,
                     final boolean promiscuous, final int rxDescriptors)
    {
        this.drainLimit = Math.max(DRAIN_MIN_LIMIT, 8 * rxDescriptors);
        this.portId = portId;
        this.portIdShort = (short)portId;
        this.name = name;
        this.rxQueues = rxQueues;
        this.txQueues = txQueues;
        this.info = info;
        this.promiscuous = promiscuous;
    }

    /**
     * Configures, sets up queues (receive queues fill from {@code pool}) and starts the port. On failure the
     * device is closed again and a {@link DpdkException} names the step and DPDK's reason.
     */
    public static DpdkPort open(final int portId, final PortConfig config, final Mempool pool)
    {
        if (!EthDev.isValidPort(portId))
        {
            throw new DpdkException("no DPDK port " + portId + " (attached ports: " + EthDev.ports() + ")");
        }
        final String name = EthDev.name(portId);
        final EthDev.Info info = EthDev.info(portId);
        if (config.rxQueues() > info.maxRxQueues() || config.txQueues() > info.maxTxQueues())
        {
            throw new DpdkException("port " + portId + " (" + name + ", " + info.driverName() + ") supports " + info.maxRxQueues()
                + " rx / " + info.maxTxQueues() + " tx queues; asked for " + config.rxQueues() + " / " + config.txQueues());
        }
        boolean started = false;
        try
        {
            EthDev.configure(portId, config.rxQueues(), config.txQueues(), config.rssHashFunctions(), config.mtu());
            final int[] desc = EthDev.adjustDescriptors(portId, config.rxDescriptors(), config.txDescriptors());
            final int socket = Math.max(EthDev.socketId(portId), 0);
            for (int q = 0; q < config.rxQueues(); q++)
            {
                EthDev.rxQueueSetup(portId, q, desc[0], socket, pool);
            }
            for (int q = 0; q < config.txQueues(); q++)
            {
                EthDev.txQueueSetup(portId, q, desc[1], socket);
            }
            EthDev.start(portId);
            started = true;
            final boolean promiscuous = config.promiscuous() && EthDev.promiscuousEnable(portId);
            return new DpdkPort(portId, name, config.rxQueues(), config.txQueues(), info, promiscuous, desc[0]);
        }
        catch (final DpdkException ex)
        {
            try
            {
                if (started)
                {
                    EthDev.stop(portId);
                }
                EthDev.close(portId);
            }
            catch (final DpdkException suppressed)
            {
                ex.addSuppressed(suppressed);
            }
            throw new DpdkException("port " + portId + " (" + name + ") failed to start: " + ex.getMessage(), ex.errno());
        }
    }

    @Override
    public int id()
    {
        return portId;
    }

    @Override
    public String name()
    {
        return name;
    }

    public String driverName()
    {
        return info.driverName();
    }

    public EthDev.Info info()
    {
        return info;
    }

    public boolean promiscuous()
    {
        return promiscuous;
    }

    @Override
    public int rxQueues()
    {
        return rxQueues;
    }

    @Override
    public int txQueues()
    {
        return txQueues;
    }

    @Override
    public int receive(final int queue, final long mbufArray, final int max)
    {
        return flowgate_shim_h.fg_eth_rx_burst(portIdShort, (short)queue, mbufArray, (short)max) & 0xFFFF;
    }

    @Override
    public int transmit(final int queue, final long mbufArray, final int count)
    {
        return flowgate_shim_h.fg_eth_tx_burst(portIdShort, (short)queue, mbufArray, (short)count) & 0xFFFF;
    }

    @Override
    public long macAddress()
    {
        return EthDev.macAddress(portId);
    }

    @Override
    public EthDev.Link link()
    {
        return EthDev.link(portId);
    }

    @Override
    public EthDev.Stats stats()
    {
        return EthDev.stats(portId);
    }

    /**
     * Receives and frees whatever the receive queues still hold (a loopback ring keeps its packets across
     * stop/close), at most a bounded number per queue since a generating port never runs dry. Returns how
     * many mbufs it freed. Only when no worker polls this port any more.
     */
    public long drain()
    {
        long freed = 0;
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment burst = arena.allocate(ValueLayout.ADDRESS, DRAIN_BURST);
            for (int q = 0; q < rxQueues; q++)
            {
                int emptyPolls = 0;
                long queueFreed = 0;
                while (emptyPolls < DRAIN_EMPTY_POLLS && queueFreed < drainLimit)
                {
                    final int n = receive(q, burst.address(), DRAIN_BURST);
                    if (n == 0)
                    {
                        emptyPolls++;
                        continue;
                    }
                    emptyPolls = 0;
                    Mbuf.freeBulk(burst.address(), n);
                    queueFreed += n;
                }
                freed += queueFreed;
            }
        }
        return freed;
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        drain();
        DpdkException failure = null;
        try
        {
            EthDev.stop(portId);
        }
        catch (final DpdkException ex)
        {
            failure = ex;
        }
        try
        {
            EthDev.close(portId);
        }
        catch (final DpdkException ex)
        {
            if (failure == null)
            {
                failure = ex;
            }
            else
            {
                failure.addSuppressed(ex);
            }
        }
        if (failure != null)
        {
            throw failure;
        }
    }

    /**
     * Closes every port (drain, stop, close), going on past failures; throws the first failure with the others
     * suppressed in it. Ports already closed are skipped.
     */
    public static void closeAll(final List<DpdkPort> ports)
    {
        DpdkException failure = null;
        for (final DpdkPort port : ports)
        {
            try
            {
                port.close();
            }
            catch (final DpdkException ex)
            {
                if (failure == null)
                {
                    failure = ex;
                }
                else
                {
                    failure.addSuppressed(ex);
                }
            }
        }
        if (failure != null)
        {
            throw failure;
        }
    }

    /** Closes every port after {@code cause} ended a run; close failures are added to {@code cause} as suppressed. */
    public static void closeAll(final List<DpdkPort> ports, final RuntimeException cause)
    {
        try
        {
            closeAll(ports);
        }
        catch (final DpdkException ex)
        {
            cause.addSuppressed(ex);
        }
    }

    @Override
    public String toString()
    {
        return "port " + portId + " (" + name + ", " + info.driverName() + ", rxq=" + rxQueues + ", txq=" + txQueues + ")";
    }
}
