package io.flowgate.app;

import io.flowgate.nativebindings.dpdk.Eal;
import io.flowgate.nativebindings.dpdk.EthDev;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pmd.fwd.ForwardCounters;
import io.flowgate.pmd.fwd.IoForwarder;
import io.flowgate.pmd.fwd.Stream;
import io.flowgate.pmd.port.DpdkPort;
import io.flowgate.pmd.port.PortConfig;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

/**
 * One forwarding run: EAL up, pool and ports, workers, a rate line per interval, then a clean shutdown
 * (workers stopped, receive queues drained, ports closed, pool checked for leaks, EAL cleaned up) at the
 * end of the duration or on Ctrl-C/SIGTERM.
 */
final class Forwarding
{
    private static final long NANOS = 1_000_000_000L;

    record Settings(List<Integer> cores, int queues, int burst, int rxDescriptors, int txDescriptors, int mbufs, String idle,
                    double durationSeconds, double warmupSeconds, double statsIntervalSeconds)
    {
        Settings
        {
            final int cpus = Runtime.getRuntime().availableProcessors();
            for (final int core : cores)
            {
                if (core < 0 || core >= cpus)
                {
                    throw new IllegalArgumentException("--cores: CPU " + core + " does not exist (this machine has CPUs 0.." + (cpus - 1) + ")");
                }
            }
            if (burst < 1 || burst > 512)
            {
                throw new IllegalArgumentException("--burst must be 1..512: " + burst);
            }
            if (queues < 1 || queues > 64)
            {
                throw new IllegalArgumentException("--queues must be 1..64: " + queues);
            }
            if (mbufs < 1023)
            {
                throw new IllegalArgumentException("--mbufs must be at least 1023: " + mbufs);
            }
            if (durationSeconds < 0 || warmupSeconds < 0 || statsIntervalSeconds < 0)
            {
                throw new IllegalArgumentException("--duration, --warmup and --stats-interval must not be negative");
            }
            idleStrategy(idle);
        }
    }

    private final Settings settings;
    private final List<String> ealArgs;
    private StopSignal stop;

    Forwarding(final Settings settings, final List<String> ealArgs)
    {
        this.settings = settings;
        this.ealArgs = List.copyOf(ealArgs);
    }

    int run()
    {
        final Eal eal = Eal.init(ealArgs);
        try (StopSignal signal = new StopSignal())
        {
            stop = signal;
            try
            {
                return forward(eal);
            }
            finally
            {
                eal.close();
            }
        }
    }

    private int forward(final Eal eal)
    {
        final List<Integer> portIds = EthDev.ports();
        if (portIds.isEmpty())
        {
            throw new IllegalStateException("no DPDK ports: attach devices with --vdev=... or bind a NIC to vfio-pci");
        }
        final int workers = settings.cores().isEmpty() ? 1 : settings.cores().size();
        final int cache = Math.min(256, settings.mbufs() * 2 / 3 / Math.max(1, workers + 1));
        final Mempool pool = Mempool.createPktmbufPool("fwd-pool", settings.mbufs(), cache, Mempool.DEFAULT_DATA_ROOM,
            Mempool.SOCKET_ID_ANY);
        final int baseline = pool.inUse();
        final List<DpdkPort> ports = new ArrayList<>();
        try
        {
            final PortConfig config = new PortConfig(settings.queues(), settings.queues(), settings.rxDescriptors(),
                settings.txDescriptors(), EthDev.RSS_IP | EthDev.RSS_UDP | EthDev.RSS_TCP, 0, true);
            for (final int id : portIds)
            {
                ports.add(DpdkPort.open(id, config, pool));
            }
            final int inUseAfterStart = pool.inUse();
            final List<Stream> streams = IoForwarder.pairedStreams(ports);
            final int[] cpus = cpus(workers);
            for (final DpdkPort port : ports)
            {
                System.out.println("port " + port.id() + ": " + port.name() + " (" + port.driverName() + "), "
                    + port.rxQueues() + " rx / " + port.txQueues() + " tx queues, link " + (port.link().up() ? "up" : "down"));
            }
            System.out.println("forwarding " + streams.size() + " stream(s) " + streams + " on " + Math.min(workers, streams.size())
                + " worker(s), CPUs " + java.util.Arrays.toString(cpus) + ", burst " + settings.burst());

            final IdleStrategy[] idle = new IdleStrategy[cpus.length];
            for (int i = 0; i < idle.length; i++)
            {
                idle[i] = idleStrategy(settings.idle());
            }
            final long gcBefore = gcCount();
            final IoForwarder forwarder = IoForwarder.start(eal, streams, cpus, settings.burst(), idle);
            final long[] window = report(forwarder);
            forwarder.close();
            final long gcDuring = gcCount() - gcBefore;

            for (final DpdkPort port : ports)
            {
                final EthDev.Stats s = port.stats();
                System.out.println("port " + port.id() + " " + port.name() + ": rx " + s.ipackets() + " tx " + s.opackets()
                    + " missed " + s.imissed() + " rx-errors " + s.ierrors() + " tx-errors " + s.oerrors() + " rx-nombuf " + s.rxNoMbuf());
            }
            DpdkPort.closeAll(ports);
            final int leaked = pool.inUse() - baseline;
            System.out.println("mbufs in use: " + inUseAfterStart + " while running (held by devices), " + pool.inUse()
                + " after shutdown (baseline " + baseline + ")");
            System.out.printf(Locale.ROOT, "fwd summary window_s=%.3f rx_pps=%d tx_pps=%d drop_pps=%d rx_total=%d tx_total=%d drop_total=%d"
                    + " gc_cycles=%d%n", window[0] / 1e9, perSecond(window[1], window[0]), perSecond(window[2], window[0]),
                perSecond(window[3], window[0]), forwarder.total(ForwardCounters.RX), forwarder.total(ForwardCounters.TX),
                forwarder.total(ForwardCounters.DROP), gcDuring);
            if (leaked != 0)
            {
                throw new IllegalStateException(leaked + " mbufs leaked: the pool has " + pool.inUse() + " in use after shutdown, "
                    + baseline + " before");
            }
            pool.close();
            return 0;
        }
        catch (final RuntimeException ex)
        {
            DpdkPort.closeAll(ports, ex);
            throw ex;
        }
    }

    /**
     * Prints a rate line per interval until the duration ends or a stop is requested. Returns the summary
     * window: {nanos, rx, tx, drop} counted from the end of the warm-up.
     */
    private long[] report(final IoForwarder forwarder)
    {
        final long startNs = System.nanoTime();
        final long warmupEndNs = startNs + (long)(settings.warmupSeconds() * NANOS);
        final long endNs = settings.durationSeconds() == 0 ? Long.MAX_VALUE : warmupEndNs + (long)(settings.durationSeconds() * NANOS);
        final long intervalNs = settings.statsIntervalSeconds() == 0 ? Long.MAX_VALUE : (long)(settings.statsIntervalSeconds() * NANOS);
        long nextReportNs = intervalNs == Long.MAX_VALUE ? Long.MAX_VALUE : startNs + intervalNs;
        long lastNs = startNs;
        long lastRx = 0;
        long lastTx = 0;
        long lastDrop = 0;
        final long[] atWarmupEnd = new long[4];
        boolean warm = settings.warmupSeconds() == 0;
        if (warm)
        {
            atWarmupEnd[0] = startNs;
        }
        while (!stop.requested())
        {
            final long nowNs = System.nanoTime();
            if (!warm && nowNs >= warmupEndNs)
            {
                warm = true;
                snapshot(forwarder, atWarmupEnd, nowNs);
            }
            if (nowNs >= endNs)
            {
                break;
            }
            if (nowNs >= nextReportNs)
            {
                final long rx = forwarder.total(ForwardCounters.RX);
                final long tx = forwarder.total(ForwardCounters.TX);
                final long drop = forwarder.total(ForwardCounters.DROP);
                final long elapsed = nowNs - lastNs;
                System.out.printf(Locale.ROOT, "fwd t=%.0fs rx=%.3f Mpps tx=%.3f Mpps drop=%.3f Mpps%n", (nowNs - startNs) / 1e9,
                    (rx - lastRx) * 1e3 / elapsed, (tx - lastTx) * 1e3 / elapsed, (drop - lastDrop) * 1e3 / elapsed);
                lastNs = nowNs;
                lastRx = rx;
                lastTx = tx;
                lastDrop = drop;
                nextReportNs += intervalNs;
            }
            final long sleepNs = Math.min(Math.min(nextReportNs, endNs), warm ? Long.MAX_VALUE : warmupEndNs) - System.nanoTime();
            if (sleepNs > 0)
            {
                sleep(Math.min(sleepNs, 50_000_000L));
            }
        }
        final long[] end = new long[4];
        snapshot(forwarder, end, System.nanoTime());
        if (!warm)
        {
            snapshot(forwarder, atWarmupEnd, end[0]);
        }
        return new long[] {end[0] - atWarmupEnd[0], end[1] - atWarmupEnd[1], end[2] - atWarmupEnd[2], end[3] - atWarmupEnd[3]};
    }

    private static void snapshot(final IoForwarder forwarder, final long[] into, final long nowNs)
    {
        into[0] = nowNs;
        into[1] = forwarder.total(ForwardCounters.RX);
        into[2] = forwarder.total(ForwardCounters.TX);
        into[3] = forwarder.total(ForwardCounters.DROP);
    }

    private int[] cpus(final int workers)
    {
        final int[] cpus = new int[workers];
        if (settings.cores().isEmpty())
        {
            cpus[0] = Runtime.getRuntime().availableProcessors() - 1;
        }
        else
        {
            for (int i = 0; i < workers; i++)
            {
                cpus[i] = settings.cores().get(i);
            }
        }
        return cpus;
    }

    static IdleStrategy idleStrategy(final String name)
    {
        return switch (name)
        {
            case "busy" -> new BusySpinIdleStrategy();
            case "yield" -> new YieldingIdleStrategy();
            case "backoff" -> new BackoffIdleStrategy();
            default -> throw new IllegalArgumentException("--idle must be busy, yield or backoff: " + name);
        };
    }

    private static long perSecond(final long count, final long nanos)
    {
        return nanos <= 0 ? 0 : Math.round(count * 1e9 / nanos);
    }

    private static long gcCount()
    {
        long count = 0;
        for (final GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans())
        {
            count += Math.max(0, gc.getCollectionCount());
        }
        return count;
    }

    private static void sleep(final long nanos)
    {
        try
        {
            TimeUnit.NANOSECONDS.sleep(nanos);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
