package io.flowgate.pmd.testing;

import io.flowgate.nativebindings.dpdk.Eal;
import java.util.List;

/**
 * The real DPDK EAL for tests: initialised once per test JVM (DPDK allows one initialisation per process)
 * without huge pages or PCI, on virtual devices only. Its own {@code --file-prefix} keeps it apart from
 * any other DPDK process on the machine; the runtime folder is removed by {@code rte_eal_cleanup} at exit.
 * <p>
 * Devices: {@code net_ring0..3} (a ring port is a loopback: what it transmits it receives; 16 queues),
 * {@code net_null0..1} (receives generated 64-byte packets, transmit frees), {@code net_nullrx0}
 * (a null port that receives nothing).
 */
public final class TestEal
{
    public static final List<String> ARGS = List.of(
        "-l", "0",
        "--no-huge", "-m", "512", "--no-pci",
        "--file-prefix=fg-test-" + ProcessHandle.current().pid(),
        "--log-level=lib.eal:error",
        "--vdev=net_ring0", "--vdev=net_ring1", "--vdev=net_ring2", "--vdev=net_ring3",
        "--vdev=net_null0", "--vdev=net_null1",
        "--vdev=net_null2,no-rx=1");

    private static Eal eal;

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
}
