package io.flowgate.app;

import io.flowgate.app.config.ConfigLoader;
import io.flowgate.pipeline.router.Router;
import io.flowgate.pmd.traffic.UdpFlowGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import io.flowgate.app.mgmt.ManagementServer;
import picocli.CommandLine.Option;

/**
 * {@code flowgate run}: flowgate's main job. With {@code --config}, the router the file describes
 * ({@link RouterRun}). Without, an embedded default that needs no NIC: {@code --embedded router} (the default)
 * routes between two real Linux hosts in network namespaces and drives traffic through it ({@link RouterDemo});
 * {@code --embedded forward} replays a generated pcap of 64-byte UDP frames over 4096 flows with {@code net_pcap}
 * ({@code infinite_rx}) and io-forwards it into {@code net_null}, rates printed every second.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Run flowgate: with --config, the IPv4/IPv6 router the file describes (until Ctrl-C); without, an embedded default",
        "that needs no NIC: 'router' (default, as root) creates two hosts in network namespaces joined through flowgate over",
        "veth, pings, traceroutes and runs iperf3 through it, prints what it forwarded and removes the namespaces;",
        "'forward' forwards generated pcap traffic into a null port for 10 s, printing rates."})
final class RunCommand implements Callable<Integer>
{
    @Option(names = "--config", paramLabel = "FILE", description = "configuration file (YAML, see docs/configuration.md)")
    Path config;

    @Option(names = "--embedded", paramLabel = "NAME", defaultValue = "router",
        description = "without --config, which embedded default runs: router (default) or forward")
    String embedded;

    @Option(names = "--duration",
        description = "seconds to run; 0 runs until Ctrl-C (default: 0 with --config, 10 for --embedded forward)")
    Double durationSeconds;

    @Option(names = "--warmup", defaultValue = "0", description = "with --config: seconds before the summary's rate window opens")
    double warmupSeconds;

    @Option(names = "--stats-interval", defaultValue = "1", description = "seconds between counter lines; 0 prints none")
    double statsIntervalSeconds;

    @Option(names = "--latency", description = "with --config: record every forwarded packet's transit time (receive burst to transmit) "
        + "and print p50/p90/p99/p99.9/max over the window")
    boolean latency;

    @Option(names = "--latency-histogram", paramLabel = "FILE",
        description = "with --latency: also write the window's HdrHistogram percentile distribution (.hgrm, microseconds) to FILE")
    Path latencyHistogram;

    @Option(names = "--rx-rate", paramLabel = "PPS", defaultValue = "0",
        description = "with --config: each worker takes at most PPS packets per second from its receive queues (benchmarks: a chosen "
            + "load from a source that never runs dry); 0: no limit")
    long rxRate;

    @Option(names = "--socket", paramLabel = "PATH",
        description = "with --config and conntrack: the management socket that flowgate ct talks to (default /run/flowgate/flowgate.sock)")
    Path socket;

    @Option(names = "--mbufs", defaultValue = "" + RouterRun.DEFAULT_MBUFS,
        description = "with --config: mbufs in the pool (net_pcap with infinite_rx holds one per pcap frame), default ${DEFAULT-VALUE}")
    int mbufs;

    @Option(names = "--flows", defaultValue = "4096", description = "--embedded forward: flows in the generated traffic, default ${DEFAULT-VALUE}")
    int flows;

    @Override
    public Integer call() throws IOException, InterruptedException
    {
        if (config != null)
        {
            if (rxRate < 0)
            {
                throw new IllegalArgumentException("--rx-rate must be 0 or more packets per second, not " + rxRate);
            }
            if (mbufs < 1024)
            {
                throw new IllegalArgumentException("--mbufs must be at least 1024, not " + mbufs);
            }
            return new RouterRun(ConfigLoader.load(config), durationSeconds == null ? 0 : durationSeconds, warmupSeconds,
                statsIntervalSeconds).instruments(new Router.Instruments(latency || latencyHistogram != null, rxRate), latencyHistogram)
                .socket(socket == null ? ManagementServer.DEFAULT_PATH : socket).mbufs(mbufs).run();
        }
        return switch (embedded)
        {
            case "router" ->
            {
                if (durationSeconds != null)
                {
                    throw new IllegalArgumentException("--duration: the embedded router runs its fixed steps (use --config FILE to run a "
                        + "router for a given time)");
                }
                yield new RouterDemo().run();
            }
            case "forward" -> forward();
            default -> throw new IllegalArgumentException("--embedded: unknown default '" + embedded + "' (router, forward)");
        };
    }

    private int forward() throws IOException
    {
        final double duration = durationSeconds == null ? 10 : durationSeconds;
        final Path dir = Files.createTempDirectory("flowgate-run-");
        final Path pcap = dir.resolve("udp-" + flows + "-flows.pcap");
        try
        {
            UdpFlowGenerator.writePcap(pcap, flows, 64);
            final int cpus = Runtime.getRuntime().availableProcessors();
            final String lcores = cpus > 1 ? "0," + (cpus - 1) : "0";
            final List<String> eal = List.of(
                "-l", lcores, "--no-huge", "-m", "512", "--no-pci",
                "--file-prefix=flowgate-run-" + ProcessHandle.current().pid(),
                "--vdev=net_pcap0,rx_pcap=" + pcap + ",infinite_rx=1",
                "--vdev=net_null0,no-rx=1");
            System.out.println("flowgate run: embedded forward, " + flows + " UDP flows of 64 B from " + pcap.getFileName()
                + " (net_pcap0) forwarded to net_null0");
            final Forwarding.Settings settings = new Forwarding.Settings(List.of(cpus - 1), 1, 32, 1024, 1024, 32767, "busy",
                duration, 0, statsIntervalSeconds);
            return new Forwarding(settings, eal).run();
        }
        finally
        {
            Files.deleteIfExists(pcap);
            Files.deleteIfExists(dir);
        }
    }
}
