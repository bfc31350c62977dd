package io.flowgate.pmd.testing;

import io.flowgate.nativebindings.dpdk.Eal;
import io.flowgate.nativebindings.dpdk.EthDev;
import java.util.List;

/**
 * The real DPDK EAL for tests: initialised once per test JVM (DPDK allows one initialisation per process)
 * without huge pages or PCI, on virtual devices only. Its own {@code --file-prefix} keeps it apart from
 * any other DPDK process on the machine; the runtime folder is removed by {@code rte_eal_cleanup} at exit.
 * <p>
 * Devices: a closed DPDK port is released for good, so every test hot-plugs its own with
 * {@link #newPort}: {@code net_ring} (a loopback: what it transmits it receives; 16 queues), {@code net_null}
 * (receives generated 64-byte packets, transmit frees; {@code no-rx=1} receives nothing).
 */
public final class TestEal
{
    public static final List<String> ARGS = List.of(
        "-l", "0",
        "--no-huge", "-m", "512", "--no-pci",
        "--file-prefix=fg-test-" + ProcessHandle.current().pid(),
        "--log-level=lib.eal:error");

    private static Eal eal;
    private static int nextDevice = 100;

    private TestEal()
    {
    }

    public static synchronized Eal get()
    {
        if (eal == null)
        {
            eal = Eal.init(ARGS);
            final Eal toClose = eal;
            Runtime.getRuntime().addShutdownHook(new Thread(toClose::close, "eal-cleanup"));
        }
        return eal;
    }

    /** Hot-plugs a new virtual device of {@code driver} (e.g. {@code net_ring}) and returns its port id. */
    public static synchronized int newPort(final String driver, final String args)
    {
        final String name = driver + nextDevice++;
        get().probeDevice(args.isEmpty() ? name : name + "," + args);
        return EthDev.portByName(name);
    }

    public static int newPort(final String driver)
    {
        return newPort(driver, "");
    }
}
