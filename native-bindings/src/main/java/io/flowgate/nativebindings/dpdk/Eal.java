package io.flowgate.nativebindings.dpdk;

import io.flowgate.nativebindings.DpdkException;
import io.flowgate.nativebindings.gen.dpdk_h;
import io.flowgate.nativebindings.gen.flowgate_shim_h;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * DPDK's Environment Abstraction Layer, initialised once per process.
 * <p>
 * Usage: {@code Eal eal = Eal.init(List.of("--no-huge", "-m", "512", "--no-pci", "--vdev=net_null0"));} then,
 * on every thread that touches mbufs or ports, {@link #registerCurrentThread()} (unregistered threads bypass
 * the mempool caches and ran at half speed, DESIGN.md); {@link #close()} at the very end.
 * <p>
 * Thread-safety: {@code rte_eal_init} pins the thread that calls it to the first core and every thread it
 * then creates inherits the pin, so it runs on a dedicated platform thread that stays the EAL main thread
 * and later runs {@code rte_eal_cleanup}. Other methods may be called from any thread.
 * <p>
 * Shutdown: {@link #close()} after every port is closed and every pool freed; DPDK cannot be initialised
 * again in the same process.
 */
public final class Eal implements AutoCloseable
{
    private static final AtomicBoolean INITIALISED = new AtomicBoolean();

    private final ExecutorService mainThread;
    private final List<String> args;
    private final long tscHz;
    private boolean closed;

    private Eal(final ExecutorService mainThread, final List<String> args)
    {
        this.mainThread = mainThread;
        this.args = List.copyOf(args);
        this.tscHz = dpdk_h.rte_get_tsc_hz();
    }

    /**
     * Initialises EAL with these arguments (as after {@code --} on a DPDK application's command line, without
     * a program name). Throws {@link DpdkException} with DPDK's reason when EAL refuses them.
     */
    public static Eal init(final List<String> ealArgs)
    {
        Dpdk.checkVersion();
        if (!INITIALISED.compareAndSet(false, true))
        {
            throw new DpdkException("EAL is already initialised in this process (DPDK allows one initialisation)");
        }
        final ExecutorService thread = Executors.newSingleThreadExecutor(r ->
        {
            final Thread t = Thread.ofPlatform().name("flowgate-eal").daemon(true).unstarted(r);
            return t;
        });
        final Future<Integer> result = thread.submit(() -> initOnThisThread(ealArgs));
        try
        {
            final int errno = result.get();
            if (errno != 0)
            {
                thread.shutdown();
                INITIALISED.set(false);
                removeRuntimeDirectory(ealArgs);
                throw new DpdkException("rte_eal_init failed: " + Dpdk.strerror(errno) + " (EAL arguments: "
                    + String.join(" ", ealArgs) + ")", errno);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new DpdkException("interrupted while EAL initialised");
        }
        catch (final ExecutionException ex)
        {
            throw new DpdkException("rte_eal_init crashed: " + ex.getCause());
        }
        return new Eal(thread, ealArgs);
    }

    private static int initOnThisThread(final List<String> ealArgs)
    {
        final List<String> argv = new ArrayList<>(ealArgs.size() + 1);
        argv.add("flowgate");
        argv.addAll(ealArgs);
        // EAL keeps pointers into argv (device arguments, file prefix) for the life of the process.
        final Arena arena = Arena.global();
        final MemorySegment array = arena.allocate(ValueLayout.ADDRESS, argv.size() + 1L);
        for (int i = 0; i < argv.size(); i++)
        {
            array.setAtIndex(ValueLayout.ADDRESS, i, arena.allocateFrom(argv.get(i)));
        }
        array.setAtIndex(ValueLayout.ADDRESS, argv.size(), MemorySegment.NULL);
        final int ret = dpdk_h.rte_eal_init(argv.size(), array);
        return ret < 0 ? Math.max(1, flowgate_shim_h.fg_rte_errno()) : 0;
    }

    public List<String> args()
    {
        return args;
    }

    /** TSC ticks per second, read once at initialisation. */
    public long tscHz()
    {
        return tscHz;
    }

    /**
     * Registers the calling (non-EAL) thread with DPDK, giving it an lcore id and so a mempool cache.
     * Returns the lcore id.
     */
    public int registerCurrentThread()
    {
        if (dpdk_h.rte_thread_register() < 0)
        {
            final int errno = flowgate_shim_h.fg_rte_errno();
            throw new DpdkException("rte_thread_register failed: " + Dpdk.strerror(errno)
                + " (all lcore ids in use? EAL has " + dpdk_h.rte_lcore_count() + " lcores)", errno);
        }
        return flowgate_shim_h.fg_lcore_id();
    }

    public void unregisterCurrentThread()
    {
        dpdk_h.rte_thread_unregister();
    }

    /** The calling thread's lcore id, or {@code -1} (LCORE_ID_ANY) when it is not registered. */
    public static int currentLcoreId()
    {
        return flowgate_shim_h.fg_lcore_id();
    }

    /** Hot-plugs a device after initialisation, e.g. {@code net_null1} or {@code net_ring0}. */
    public void probeDevice(final String devargs)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final int ret = dpdk_h.rte_dev_probe(arena.allocateFrom(devargs));
            if (ret < 0)
            {
                throw new DpdkException("rte_dev_probe(" + devargs + ") failed: " + Dpdk.strerror(-ret), -ret);
            }
        }
    }

    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            mainThread.submit(dpdk_h::rte_eal_cleanup).get();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        catch (final ExecutionException ex)
        {
            throw new DpdkException("rte_eal_cleanup failed: " + ex.getCause());
        }
        finally
        {
            mainThread.shutdown();
            removeRuntimeDirectory(args);
        }
    }

    /**
     * EAL leaves its runtime folder ({@code /var/run/dpdk/PREFIX}: config, multi-process socket) behind
     * after cleanup. It is removed when this process chose its own {@code --file-prefix}; the shared default
     * prefix is left alone, since another DPDK process may use it.
     */
    private static void removeRuntimeDirectory(final List<String> args)
    {
        final String prefix = filePrefix(args);
        if (prefix == null || prefix.isEmpty() || prefix.contains("/") || prefix.equals("rte"))
        {
            return;
        }
        final String xdg = System.getenv("XDG_RUNTIME_DIR");
        final boolean root = "root".equals(System.getProperty("user.name"));
        final Path base = root ? Path.of("/var/run/dpdk") : Path.of(xdg != null ? xdg : "/tmp", "dpdk");
        final Path dir = base.resolve(prefix);
        try (Stream<Path> files = Files.exists(dir) ? Files.walk(dir) : Stream.empty())
        {
            for (final Path file : files.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(file);
            }
        }
        catch (final IOException ex)
        {
            System.err.println("flowgate: warning: cannot remove EAL runtime folder " + dir + ": " + ex.getMessage());
        }
    }

    static String filePrefix(final List<String> ealArgs)
    {
        String prefix = null;
        for (int i = 0; i < ealArgs.size(); i++)
        {
            final String arg = ealArgs.get(i);
            if (arg.startsWith("--file-prefix="))
            {
                prefix = arg.substring("--file-prefix=".length());
            }
            else if (arg.equals("--file-prefix") && i + 1 < ealArgs.size())
            {
                prefix = ealArgs.get(i + 1);
            }
        }
        return prefix;
    }
}
