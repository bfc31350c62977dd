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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code flowgate} command end to end, as separate processes (DPDK initialises once per
 * process, and a crash must show as a crash): real EAL, virtual devices, bounded in time.
 */
class FlowgateCliIT
{
    private static final int TIMEOUT_S = 60;

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
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (cli.line("fwd t=") == null && cli.process.isAlive() && System.nanoTime() < deadline)
        {
            Thread.sleep(50);
        }
        assertNotNull(cli.line("fwd t="), "forwarding started:\n" + cli);
        final Process kill = new ProcessBuilder("kill", "-INT", Long.toString(cli.process.pid())).start();
        assertEquals(0, kill.waitFor());
        final int exit = cli.await(TIMEOUT_S);
        assertTrue(exit == 0 || exit == 130, "exit " + exit + "\n" + cli);
        assertNotNull(cli.line("fwd summary "), cli.toString());
        assertTrue(cli.line("mbufs in use:").endsWith("0 after shutdown (baseline 0)"), cli.toString());
        assertTrue(cli.stderr.stream().noneMatch(l -> l.contains("Exception") || l.contains("fatal")), cli.toString());
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
