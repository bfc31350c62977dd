package io.flowgate.app;

import io.flowgate.app.config.ConfigLoader;
import io.flowgate.pmd.traffic.UdpFlowGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flowgate run}: flowgate's main job. Until the configuration-driven router lands (pipeline issue),
 * it runs the embedded default, which needs no NIC: a generated pcap of 64-byte UDP frames over 4096 flows
 * replayed by {@code net_pcap} ({@code infinite_rx}) and io-forwarded into {@code net_null}, with rates
 * printed every second.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Run flowgate: with --config, the IPv4/IPv6 router the file describes (until Ctrl-C);",
        "without, the embedded default (no NIC): pcap traffic forwarded into a null port for 10 s, rates printed."})
final class RunCommand implements Callable<Integer>
{
    @Option(names = "--config", paramLabel = "FILE", description = "configuration file (YAML, see docs/configuration.md)")
    Path config;

    @Option(names = "--duration", description = "seconds to run; 0 runs until Ctrl-C (default: 10 for the embedded default, 0 with --config)")
    Double durationSeconds;

    @Option(names = "--warmup", defaultValue = "0", description = "with --config: seconds before the summary's rate window opens")
    double warmupSeconds;

    @Option(names = "--stats-interval", defaultValue = "1", description = "seconds between counter lines; 0 prints none")
    double statsIntervalSeconds;

    @Option(names = "--flows", defaultValue = "4096", description = "flows in the generated traffic, default ${DEFAULT-VALUE}")
    int flows;

    @Override
    public Integer call() throws IOException
    {
        if (config != null)
        {
            return new RouterRun(ConfigLoader.load(config), durationSeconds == null ? 0 : durationSeconds, warmupSeconds,
                statsIntervalSeconds).run();
        }
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
            System.out.println("flowgate run: embedded default, " + flows + " UDP flows of 64 B from " + pcap.getFileName()
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
