package io.flowgate.app;

import static io.flowgate.app.FlowgateCli.eal;
import static io.flowgate.app.FlowgateCli.field;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code flowgate} command end to end, as separate processes (DPDK initialises once per
 * process, and a crash must show as a crash): real EAL, virtual devices, bounded in time.
 */
class FlowgateCliIT
{
    private static final int TIMEOUT_S = 60;
    /** The embedded default router run is bounded well under a minute; a slow shared CI machine gets slack. */
    private static final int DEMO_TIMEOUT_S = 120;

    private static List<String> fwd(final List<String> options, final List<String> ealArgs)
    {
        final List<String> args = new ArrayList<>();
        args.add("fwd");
        args.addAll(options);
        args.add("--");
        args.addAll(ealArgs);
        return args;
    }

    @Test
    void shouldForwardBetweenNullPortsAndLeakNoMbuf() throws Exception
    {
        final FlowgateCli cli = FlowgateCli.run(TIMEOUT_S, fwd(List.of("--duration", "1", "--stats-interval", "0.25"),
            eal("net_null0", "net_null1")));
        assertEquals(0, cli.process.exitValue(), cli.toString());
        final String summary = cli.line("fwd summary ");
        assertNotNull(summary, cli.toString());
        assertTrue(field(summary, "tx_total") > 100_000, summary);
        assertEquals(field(summary, "rx_total"), field(summary, "tx_total") + field(summary, "drop_total"), summary);
        assertNotNull(cli.line("fwd t="), "prints rate lines:\n" + cli);
        assertTrue(cli.line("mbufs in use:").endsWith("0 after shutdown (baseline 0)"), cli.toString());
    }

    @Test
    void shouldReplayAPcapIntoANullPortAsTheBenchmarkDoes(@TempDir final Path dir) throws Exception
    {
        final Path pcap = dir.resolve("flows.pcap");
        final FlowgateCli gen = FlowgateCli.run(TIMEOUT_S, List.of("gen-pcap", "--out", pcap.toString(), "--flows", "256"));
        assertEquals(0, gen.process.exitValue(), gen.toString());
        assertEquals(24 + 256 * (16 + 60), Files.size(pcap), "pcap header + 256 records of 60-byte frames");

        final FlowgateCli cli = FlowgateCli.run(TIMEOUT_S, fwd(List.of("--warmup", "0.5", "--duration", "1", "--stats-interval", "0"),
            eal("net_pcap0,rx_pcap=" + pcap + ",infinite_rx=1", "net_null0,no-rx=1")));
        assertEquals(0, cli.process.exitValue(), cli.toString());
        final String summary = cli.line("fwd summary ");
        assertTrue(field(summary, "tx_pps") > 100_000, summary);
        assertEquals(0, field(summary, "drop_total"), summary);
        final String nullPort = cli.line("port 1 net_null0:");
        assertTrue(nullPort.contains("tx " + field(summary, "tx_total")), "DPDK's own counter agrees: " + nullPort + "\n" + summary);
    }

    @Test
    void shouldStopCleanlyOnCtrlC() throws Exception
    {
        final FlowgateCli cli = FlowgateCli.start(fwd(List.of("--stats-interval", "0.2"), eal("net_null0", "net_null1")));
        assertTrue(cli.awaitLine("fwd t=", TIMEOUT_S), "forwarding started:\n" + cli);
        final int exit = cli.interrupt(TIMEOUT_S);
        assertTrue(exit == 0 || exit == 130, "exit " + exit + "\n" + cli);
        assertNotNull(cli.line("fwd summary "), cli.toString());
        assertTrue(cli.line("mbufs in use:").endsWith("0 after shutdown (baseline 0)"), cli.toString());
        assertTrue(cli.stderr.stream().noneMatch(l -> l.contains("Exception") || l.contains("fatal")), cli.toString());
    }

    @Test
    void shouldRunTheEmbeddedDefaultRouterBetweenRealHostsAndRemoveItsNamespaces() throws Exception
    {
        final FlowgateCli cli = FlowgateCli.run(DEMO_TIMEOUT_S, List.of("run"));
        assertEquals(0, cli.process.exitValue(), cli.toString());
        final String id = demoId(cli);
        for (final String step : List.of("ping a -> b: ", "ping b -> a: ", "traceroute a -> b: 1 10.1.0.1 (flowgate) ",
            "iperf3 tcp a -> b, ", "iperf3 udp b -> a, ", "flowgate ct list (conntrack -L format", "conntrack summary entries=",
            "port 0 inside: rx ", "port 1 outside: rx ", "flowgate offload status (during that transfer):",
            "flowgate ct list, the [OFFLOAD] entries", "flowgate offload off; iperf3 tcp a -> b, ", "offload summary fg_stats ",
            "flowgate run: done in "))
        {
            assertNotNull(cli.line(step), "prints '" + step + "...':\n" + cli);
        }
        assertTrue(cli.line("traceroute a -> b: ").contains(", 2 10.2.0.2 "), cli.toString());
        assertTrue(cli.line("iperf3 tcp a -> b, ").contains("bits/sec"), cli.toString());
        assertTrue(cli.stdout.stream().anyMatch(l -> l.startsWith("  icmp     1 ") && l.contains(" type=8 code=0 ") && !l.contains("[UNREPLIED]")),
            "the ping a -> b is a replied icmp entry:\n" + cli);
        assertTrue(cli.stdout.stream().anyMatch(l -> l.startsWith("  tcp      6 ") && l.contains(" dport=5201 ") && l.contains("[ASSURED]")),
            "iperf3's TCP connections are assured entries:\n" + cli);
        final String summary = cli.line("route summary ");
        assertNotNull(summary, cli.toString());
        assertTrue(field(summary, "tx") > 10_000, "the router forwarded the iperf3 runs: " + summary);
        assertTrue(field(cli.line("offload summary fg_stats "), "fast") > 10_000, "the XDP fast path carried the iperf3 runs:\n" + cli);
        assertTrue(cli.stdout.stream().anyMatch(l -> l.startsWith("  tcp      6 ") && l.contains(" dport=5201 ") && l.contains("[OFFLOAD]")),
            "iperf3's connection is an offloaded entry during the transfer:\n" + cli);
        assertEquals("mbufs in use: 0 after shutdown (baseline 0)", cli.line("mbufs in use:"), cli.toString());
        assertTrue(cli.stderr.stream().noneMatch(l -> l.contains("Exception") || l.contains("error")), cli.toString());
        assertNoNamespaceLeft(id);
    }

    @Test
    void shouldRemoveTheEmbeddedDefaultsNamespacesOnCtrlC() throws Exception
    {
        final FlowgateCli cli = FlowgateCli.start(List.of("run"));
        assertTrue(cli.awaitLine("routing on ", DEMO_TIMEOUT_S), "the router started:\n" + cli);
        final int exit = cli.interrupt(DEMO_TIMEOUT_S);
        assertEquals(130, exit, cli.toString());
        assertNotNull(cli.line("flowgate run: interrupted"), cli.toString());
        assertEquals("mbufs in use: 0 after shutdown (baseline 0)", cli.line("mbufs in use:"), cli.toString());
        assertNoNamespaceLeft(demoId(cli));
    }

    @Test
    void shouldRefuseTheEmbeddedDefaultRouterToANonRootUser() throws Exception
    {
        final FlowgateCli cli = FlowgateCli.startWithPrefix(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"),
            List.of("run"));
        assertEquals(Main.EXIT_FAILURE, cli.await(TIMEOUT_S), cli.toString());
        assertTrue(cli.lastErrorLine().startsWith("flowgate: error: ") && cli.lastErrorLine().contains("run it as root"), cli.toString());
        assertTrue(cli.stdout.isEmpty(), "created nothing, printed nothing:\n" + cli);
    }

    @Test
    void shouldKeepThePcapForwardingDefaultAsEmbeddedForward() throws Exception
    {
        final FlowgateCli cli = FlowgateCli.run(TIMEOUT_S, List.of("run", "--embedded", "forward", "--duration", "1", "--flows", "256",
            "--stats-interval", "0"));
        assertEquals(0, cli.process.exitValue(), cli.toString());
        assertTrue(field(cli.line("fwd summary "), "tx_pps") > 100_000, cli.toString());
        assertTrue(cli.line("mbufs in use:").endsWith("0 after shutdown (baseline 0)"), cli.toString());
    }

    @Test
    void shouldRefuseAnUnknownEmbeddedDefault() throws Exception
    {
        final FlowgateCli cli = assertOneLineError(List.of("run", "--embedded", "bridge"), "unknown default 'bridge'");
        assertEquals(Main.EXIT_USAGE, cli.process.exitValue());
    }

    /** The unique part of the demo's namespace names (fg-run12345-a), from its testbed line. */
    private static String demoId(final FlowgateCli cli)
    {
        final String id = "fg-run" + (cli.process.pid() % 100000) + "-";
        assertTrue(cli.line("testbed: ") != null && cli.line("testbed: ").contains("(" + id + "a)"), cli.toString());
        return id;
    }

    private static void assertNoNamespaceLeft(final String id) throws Exception
    {
        final String namespaces = Testbed.sh("ip netns list");
        assertTrue(!namespaces.contains(id), "no " + id + "* namespace left:\n" + namespaces);
    }

    @Test
    void shouldRefuseWrongEalArguments() throws Exception
    {
        final List<String> args = new ArrayList<>(eal("net_null0"));
        args.add("--no-such-eal-option");
        assertOneLineError(fwd(List.of(), args), "rte_eal_init failed");
    }

    @Test
    void shouldRefuseADeviceThatDoesNotExist() throws Exception
    {
        assertOneLineError(fwd(List.of(), eal("net_nosuchdriver0")), "rte_eal_init failed");
    }

    @Test
    void shouldRefuseWhenThereIsNoPort() throws Exception
    {
        assertOneLineError(fwd(List.of(), eal()), "no DPDK ports");
    }

    @Test
    void shouldNameAPortThatFailsToStart(@TempDir final Path dir) throws Exception
    {
        // net_pcap with infinite_rx copies the whole file into mbufs when its queue is set up: 4096 frames
        // cannot fit a pool of 1023.
        final Path pcap = dir.resolve("big.pcap");
        assertEquals(0, FlowgateCli.run(TIMEOUT_S, List.of("gen-pcap", "--out", pcap.toString(), "--flows", "4096")).process.exitValue());
        final FlowgateCli cli = assertOneLineError(fwd(List.of("--mbufs", "1023"),
            eal("net_pcap0,rx_pcap=" + pcap + ",infinite_rx=1", "net_null0,no-rx=1")), "failed to start");
        assertTrue(cli.lastErrorLine().contains("port 0 (net_pcap0)"), cli.lastErrorLine());
    }

    /** A router on net_pcap (infinite_rx) into net_null, as perf/bench conntrack-udp runs it. */
    private static Path pcapRouterConfig(final Path dir, final int flows) throws Exception
    {
        final Path pcap = dir.resolve("flows.pcap");
        assertEquals(0, FlowgateCli.run(TIMEOUT_S, List.of("gen-pcap", "--out", pcap.toString(), "--flows", Integer.toString(flows)))
            .process.exitValue());
        final int worker = Runtime.getRuntime().availableProcessors() - 1;
        final Path config = dir.resolve("router.yaml");
        Files.writeString(config, String.join("\n",
            "eal: [\"-l\", \"0," + worker + "\", \"--no-huge\", \"-m\", \"512\", \"--no-pci\", \"--file-prefix=fg-it-"
                + ProcessHandle.current().pid() + "-mbufs-" + flows + "\"]",
            "workers: [" + worker + "]",
            "ports:",
            "  - {name: p0, device: \"net_pcap0,rx_pcap=" + pcap + ",infinite_rx=1\", addresses: [198.18.255.254/16]}",
            "  - {name: p1, device: \"net_null0,no-rx=1\", addresses: [198.19.255.254/16]}",
            "neighbours:",
            "  - {port: p1, address: 198.19.0.1, mac: \"02:00:00:00:00:02\"}",
            ""));
        return config;
    }

    @Test
    void shouldRouteAPcapLargerThanTheDefaultPoolWithMoreMbufs(@TempDir final Path dir) throws Exception
    {
        // 20000 frames held by net_pcap do not fit the default pool of 16383 mbufs
        final Path config = pcapRouterConfig(dir, 20_000);
        final FlowgateCli cli = FlowgateCli.run(TIMEOUT_S, List.of("run", "--config", config.toString(), "--duration", "1",
            "--stats-interval", "0", "--mbufs", "32767"));
        assertEquals(0, cli.process.exitValue(), cli.toString());
        assertTrue(field(cli.line("route summary "), "tx_pps") > 10_000, cli.toString());
        assertTrue(cli.line("mbufs in use:").endsWith("0 after shutdown (baseline 0)"), cli.toString());
    }

    @Test
    void shouldRefuseTooFewMbufsForTheRouter(@TempDir final Path dir) throws Exception
    {
        final Path config = pcapRouterConfig(dir, 16);
        final FlowgateCli cli = assertOneLineError(List.of("run", "--config", config.toString(), "--duration", "1", "--mbufs", "100"),
            "--mbufs must be at least 1024");
        assertEquals(Main.EXIT_USAGE, cli.process.exitValue());
    }

    @Test
    void shouldRefuseAMempoolThatCannotBeCreated() throws Exception
    {
        assertOneLineError(fwd(List.of("--mbufs", "4000000"), eal("net_null0", "net_null1")), "cannot create mempool");
    }

    @Test
    void shouldRefuseACoreThatDoesNotExist() throws Exception
    {
        final FlowgateCli cli = assertOneLineError(fwd(List.of("--cores", "4095"), eal("net_null0", "net_null1")), "does not exist");
        assertEquals(Main.EXIT_USAGE, cli.process.exitValue());
    }

    @Test
    void shouldRefuseMissingEalArguments() throws Exception
    {
        final FlowgateCli cli = assertOneLineError(List.of("fwd"), "no EAL arguments");
        assertEquals(Main.EXIT_USAGE, cli.process.exitValue());
    }

    @Test
    void shouldPrintTheDpdkVersions() throws Exception
    {
        final FlowgateCli cli = FlowgateCli.run(TIMEOUT_S, List.of("--version"));
        assertEquals(0, cli.process.exitValue());
        assertNotNull(cli.line("DPDK shim built against 22.11"), cli.toString());
    }

    private static FlowgateCli assertOneLineError(final List<String> args, final String cause) throws Exception
    {
        final FlowgateCli cli = FlowgateCli.run(TIMEOUT_S, args);
        assertNotEquals(0, cli.process.exitValue(), cli.toString());
        final String last = cli.lastErrorLine();
        assertTrue(last.startsWith("flowgate: error: ") && last.contains(cause), "last stderr line names the cause '" + cause + "':\n" + cli);
        assertTrue(cli.stderr.stream().noneMatch(l -> l.startsWith("\tat ") || l.contains("SIGSEGV") || l.contains("hs_err")),
            "no stack trace, no JVM crash:\n" + cli);
        return cli;
    }
}
