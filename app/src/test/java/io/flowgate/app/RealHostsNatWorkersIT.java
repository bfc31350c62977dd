package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The flowgate twin of {@link RealHostsNatIT} with two workers, once per dispatch mode: {@code rss} (net_af_packet
 * with two queue pairs: the kernel's fanout spreads frames by flow hash, each worker polls its queue) and
 * {@code software} (a dispatcher on CPU 0 deals bursts to two workers; this machine has two CPUs, so both workers
 * share the last one). Connections of one inside host are owned by one worker while replies to translated
 * addresses arrive wherever the hash puts them: hand-off between workers must make both directions of SNAT
 * (masquerade, the pool, the static mapping) and DNAT (port forward, static mapping) work, with valid checksums
 * and no inside address on the outside wire (tshark).
 */
class RealHostsNatWorkersIT
{
    private static NatTwin twin;

    @BeforeAll
    static void start() throws Exception
    {
        Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "two workers and the slow path need two CPUs");
        twin = new NatTwin('w', false);
        twin.startServers();
    }

    @AfterAll
    static void stop()
    {
        if (twin != null)
        {
            twin.close();
        }
    }

    @Test
    void shouldTranslateBothWaysWithTwoWorkersAndRssDispatch() throws Exception
    {
        final Path config = twin.dir.resolve("rss.yaml");
        Files.writeString(config, twin.flowgateConfig("nt-" + ProcessHandle.current().pid() + "-rss", "workers: [0, 1]", ",qpairs=2"));
        final Path socket = twin.dir.resolve("rss.sock");
        final FlowgateCli flowgate = FlowgateCli.startWithPrefix(List.of("ip", "netns", "exec", twin.r),
            List.of("run", "--config", config.toString(), "--socket", socket.toString(), "--stats-interval", "1"));
        exercise(flowgate, "routing on 2 worker(s)");
    }

    @Test
    void shouldTranslateBothWaysWithTwoWorkersAndSoftwareDispatch() throws Exception
    {
        final int cpus = Runtime.getRuntime().availableProcessors();
        final Path config = twin.dir.resolve("software.yaml");
        Files.writeString(config, twin.flowgateConfig("nt-" + ProcessHandle.current().pid() + "-sw",
            "dispatch: software\ndispatcher: 0\nworkers: [" + (cpus - 1) + "]", ""));
        final Path socket = twin.dir.resolve("software.sock");
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", twin.r,
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
            "-cp",
            System.getProperty("java.class.path"), NatTwinRouterMain.class.getName(), config.toString(), socket.toString(), "2"));
        final ChildProcess child = new ChildProcess(command, false);
        final FlowgateCli flowgate = FlowgateCli.wrap(child);
        exercise(flowgate, "routing on 2 worker(s)");
    }

    private static void exercise(final FlowgateCli flowgate, final String started) throws Exception
    {
        boolean stopped = false;
        try
        {
            assertTrue(flowgate.awaitLine("route t=", 60), "router started:\n" + flowgate);
            assertNotNull(flowgate.line(started), flowgate.toString());
            System.out.println(flowgate.line(started));
            final NatTwin.Capture capture = twin.capture(twin.o, twin.oIf, "workers-" + flowgate.process.pid());
            // SNAT: masquerade (10.0.0.2), the pool (10.0.0.3), the static mapping (10.0.0.5); several connections each.
            for (int i = 0; i < 4; i++)
            {
                assertEquals("outside", curl(twin.c, "--interface " + NatTwin.CLIENT, "http://" + NatTwin.OUTSIDE + "/who", flowgate));
                assertEquals("outside", curl(twin.c, "--interface " + NatTwin.CLIENT2, "http://" + NatTwin.OUTSIDE + "/who", flowgate));
                assertEquals("outside", curl(twin.s, "", "http://" + NatTwin.OUTSIDE + "/who", flowgate));
            }
            ping(twin.c, "-I " + NatTwin.CLIENT, NatTwin.OUTSIDE, flowgate);
            ping(twin.c, "-I " + NatTwin.CLIENT2, NatTwin.OUTSIDE, flowgate);
            // DNAT: the port forward and the static mapping, from outside.
            for (int i = 0; i < 4; i++)
            {
                assertEquals("inside", curl(twin.o, "", "http://" + NatTwin.ROUTER_OUT + ":8080/who", flowgate));
                assertEquals("inside", curl(twin.o, "", "http://" + NatTwin.STATIC_OUT + "/who", flowgate));
            }
            ping(twin.o, "", NatTwin.STATIC_OUT, flowgate);
            final Testbed.Result iperf = twin.exec(twin.o, "iperf3 -c " + NatTwin.ROUTER_OUT + " -p 5201 -t 1 -b 10M -J", 20);
            assertTrue(iperf.exit() == 0 && iperf.output().contains("\"sum_received\""), "iperf3 through the port forward:\n" + iperf.output()
                + tail(flowgate));
            final NatTwin.Frames frames = NatTwin.frames(capture.stop());
            assertEquals(List.of(), frames.badChecksums(), "frames with a bad checksum on the outside wire");
            assertEquals(0, frames.ipNotGood(), "IPv4 headers whose checksum tshark did not find good");
            assertEquals(List.of(), frames.lines().stream().filter(l -> l.contains("10.0.0.")).distinct().limit(10).toList(),
                "inside addresses on the outside wire");
            stopped = true;
            RealHostsNatIT.stopFlowgate(flowgate);
            final String nat = flowgate.line("nat summary ");
            System.out.println(nat);
            assertNotNull(nat, flowgate.toString());
            // 12 curls and 2 pings out, 8 curls, a ping and iperf3's two connections in: 25 connections, each translated once.
            assertEquals(25, FlowgateCli.field(nat, "translated"), "every connection translated once: " + nat);
            // What the hand-off carried (handed_off, handed_in, handoff_dropped) is printed above: it depends on the hash.
        }
        finally
        {
            if (!stopped && flowgate.process.isAlive())
            {
                flowgate.process.destroyForcibly();
            }
        }
    }

    private static String curl(final String ns, final String options, final String url, final FlowgateCli flowgate) throws Exception
    {
        final Testbed.Result r = twin.exec(ns, "curl -sS --max-time 5 " + options + " " + url, 15);
        assertEquals(0, r.exit(), "curl " + url + " from " + ns + ":\n" + r.output() + tail(flowgate));
        return r.output().strip();
    }

    private static void ping(final String ns, final String options, final String to, final FlowgateCli flowgate) throws Exception
    {
        final String out = twin.exec(ns, "ping -c 3 -i 0.2 -W 2 " + options + " " + to, 20).output();
        assertTrue(out.contains("3 received"), "ping " + to + " from " + ns + ":\n" + out + tail(flowgate));
    }

    private static String tail(final FlowgateCli flowgate)
    {
        synchronized (flowgate.stdout)
        {
            return "\n--- flowgate\n" + String.join("\n", flowgate.stdout.subList(Math.max(0, flowgate.stdout.size() - 4), flowgate.stdout.size()))
                + "\n" + String.join("\n", flowgate.stderr.subList(Math.max(0, flowgate.stderr.size() - 10), flowgate.stderr.size()));
        }
    }
}
