package io.flowgate.app;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code flowgate fwd [options] -- EAL arguments}: io forwarding between the DPDK ports the EAL arguments
 * attach, paired as testpmd pairs them (0 and 1, 2 and 3, ...).
 */
@Command(name = "fwd", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"io forwarding between DPDK ports (port 0 <-> 1, 2 <-> 3; an odd last port to itself), printing rates.",
        "EAL arguments follow '--', as for any DPDK application, e.g.:",
        "  flowgate fwd -- --no-huge -m 512 --no-pci --vdev=net_null0 --vdev=net_null1"})
final class FwdCommand implements Callable<Integer>
{
    @Option(names = "--cores", split = ",", paramLabel = "CPU",
        description = "CPUs for the forwarding workers, one worker each (default: the last CPU)")
    List<Integer> cores = new ArrayList<>();

    @Option(names = "--queues", defaultValue = "1", description = "rx/tx queues per port (RSS across them), default ${DEFAULT-VALUE}")
    int queues;

    @Option(names = "--burst", defaultValue = "32", description = "packets per receive burst, default ${DEFAULT-VALUE}")
    int burst;

    @Option(names = "--rxd", defaultValue = "1024", description = "receive descriptors per queue, default ${DEFAULT-VALUE}")
    int rxDescriptors;

    @Option(names = "--txd", defaultValue = "1024", description = "transmit descriptors per queue, default ${DEFAULT-VALUE}")
    int txDescriptors;

    @Option(names = "--mbufs", defaultValue = "32767",
        description = "mbufs in the pool (net_pcap with infinite_rx holds one per pcap frame), default ${DEFAULT-VALUE}")
    int mbufs;

    @Option(names = "--idle", defaultValue = "busy", description = "worker idle strategy when no packet arrives: busy, yield, backoff")
    String idle;

    @Option(names = "--duration", defaultValue = "0", description = "seconds to run after warm-up; 0 runs until Ctrl-C")
    double durationSeconds;

    @Option(names = "--warmup", defaultValue = "0", description = "seconds excluded from the summary, default ${DEFAULT-VALUE}")
    double warmupSeconds;

    @Option(names = "--stats-interval", defaultValue = "1", description = "seconds between rate lines; 0 prints none")
    double statsIntervalSeconds;

    @Parameters(paramLabel = "EAL_ARG", description = "EAL arguments (after --)")
    List<String> ealArgs = new ArrayList<>();

    @Override
    public Integer call()
    {
        if (ealArgs.isEmpty())
        {
            throw new IllegalArgumentException("no EAL arguments: give devices after '--', e.g. flowgate fwd -- --no-huge -m 512 "
                + "--no-pci --vdev=net_null0 --vdev=net_null1 (or run 'flowgate run' for the embedded default)");
        }
        return new Forwarding(settings(), ealArgs).run();
    }

    Forwarding.Settings settings()
    {
        return new Forwarding.Settings(cores, queues, burst, rxDescriptors, txDescriptors, mbufs, idle, durationSeconds,
            warmupSeconds, statsIntervalSeconds);
    }
}
