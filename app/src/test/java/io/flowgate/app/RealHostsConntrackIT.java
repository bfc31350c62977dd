package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * flowgate routing with connection tracking between two real Linux hosts in namespaces, inspected the way an
 * operator would: {@code flowgate ct list|get|count|stats|events|delete} against the running process over
 * its management socket, in conntrack-tools' formats. Real ping, TCP (nc) and UDP traffic make the entries.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealHostsConntrackIT
{
    private static Testbed testbed;
    private static FlowgateCli flowgate;
    private static Path config;
    private static Path socket;

    @BeforeAll
    static void startRouter() throws Exception
    {
        testbed = new Testbed("ct", true);
        config = Files.createTempFile("flowgate-ct-", ".yaml");
        socket = Path.of("/tmp/fg-ct-" + ProcessHandle.current().pid() + ".sock");
        final int worker = Runtime.getRuntime().availableProcessors() - 1;
        Files.writeString(config, RouterDemo.routingConfig(testbed, "fg-it-ct-" + ProcessHandle.current().pid(), worker)
);
        flowgate = FlowgateCli.startWithPrefix(testbed.flowgateInFw(List.of()),
            List.of("run", "--config", config.toString(), "--socket", socket.toString(), "--stats-interval", "0.5"));
        assertTrue(flowgate.awaitLine("route t=", 60), "router started:\n" + flowgate);
        assertTrue(flowgate.line("conntrack: ") != null, "conntrack announced:\n" + flowgate);
    }

    @AfterAll
    static void stop() throws Exception
    {
        try
        {
            if (flowgate != null && flowgate.process.isAlive())
            {
                flowgate.stopCleanly("route summary ");
                final String summary = flowgate.line("conntrack summary ");
                assertTrue(summary != null && FlowgateCli.field(summary, "entries") >= 0, flowgate.toString());
            }
        }
        finally
        {
            testbed.close();
            Files.deleteIfExists(config);
            Files.deleteIfExists(socket);
        }
    }

    private static FlowgateCli ct(final String... args) throws Exception
    {
        final List<String> command = new java.util.ArrayList<>(List.of("ct"));
        command.addAll(List.of(args));
        command.addAll(List.of("--socket", socket.toString()));
        return FlowgateCli.run(30, command);
    }

    private static String out(final FlowgateCli cli)
    {
        return String.join("\n", cli.stdout);
    }

    @Test
    @Order(1)
    void shouldListAPingAsAnIcmpEntryWithItsReplyAndCounters() throws Exception
    {
        final String ping = testbed.in(testbed.a, "ping -c 3 -i 0.2 -W 2 " + testbed.addressB);
        assertTrue(ping.contains("3 received"), ping);
        final FlowgateCli list = ct("list", "-p", "icmp", "-s", testbed.addressA);
        assertEquals(0, list.process.exitValue(), list.toString());
        assertEquals(1, list.stdout.size(), list.toString());
        final String line = list.stdout.get(0);
        assertTrue(line.startsWith("icmp     1 "), line);
        assertTrue(line.contains("src=" + testbed.addressA + " dst=" + testbed.addressB + " type=8 code=0 id="), line);
        assertTrue(line.contains("src=" + testbed.addressB + " dst=" + testbed.addressA + " type=0 code=0 id="), line);
        assertTrue(line.contains("packets=3 bytes=252"), "three 84-byte requests and three replies: " + line);
        assertFalse(line.contains("[UNREPLIED]"), line);
        assertTrue(list.stderr.stream().anyMatch(l -> l.endsWith("1 flow entries have been shown.")), list.toString());
    }

    @Test
    @Order(2)
    void shouldSeeItsOwnEchoRepliesAsTheRepliesOfAPingToTheRouter() throws Exception
    {
        final String ping = testbed.in(testbed.a, "ping -c 2 -i 0.2 -W 2 " + testbed.routerA);
        assertTrue(ping.contains("2 received"), ping);
        final FlowgateCli list = ct("list", "-p", "icmp", "-d", testbed.routerA);
        assertEquals(1, list.stdout.size(), list.toString());
        final String line = list.stdout.get(0);
        assertTrue(line.contains("src=" + testbed.addressA + " dst=" + testbed.routerA + " type=8 code=0 id=")
            && line.contains("packets=2 bytes=168 src=" + testbed.routerA + " dst=" + testbed.addressA + " type=0 code=0"), line);
        assertTrue(line.endsWith("packets=2 bytes=168 mark=0 use=1"), "the replies left through OUTPUT and were counted: " + line);
    }

    @Test
    @Order(3)
    void shouldFollowATcpConnectionToTimeWaitAfterItsClose() throws Exception
    {
        final String dir = "/tmp/" + testbed.a + "-ct";
        Testbed.sh("mkdir -p " + dir + " && head -c 300000 /dev/urandom > " + dir + "/sent");
        final Process server = new ProcessBuilder("bash", "-c", "ip netns exec " + testbed.b + " timeout 30 nc -l -N 5003 > " + dir
            + "/received").start();
        Thread.sleep(500);
        testbed.in(testbed.a, "timeout 30 bash -c 'until nc -N " + testbed.addressB + " 5003 < " + dir + "/sent; do sleep 0.2; done'");
        assertTrue(server.waitFor(40, TimeUnit.SECONDS));
        assertEquals("1", Testbed.sh("cd " + dir + " && sha256sum sent received | awk '{print $1}' | uniq | wc -l").trim());
        Testbed.sh("rm -rf " + dir);
        Thread.sleep(300);
        final FlowgateCli list = ct("list", "-p", "tcp", "--dport", "5003", "--state", "TIME_WAIT");
        assertEquals(0, list.process.exitValue(), list.toString());
        assertEquals(1, list.stdout.size(), "one connection to 5003, closed both ways:\n" + list);
        final String line = list.stdout.get(0);
        assertTrue(line.startsWith("tcp      6 1") && line.contains(" TIME_WAIT src=" + testbed.addressA), line);
        assertTrue(line.contains("[ASSURED]"), line);
        final long origBytes = Long.parseLong(line.replaceAll(".*? dport=5003 packets=\\d+ bytes=(\\d+) .*", "$1"));
        assertTrue(origBytes > 300_000, "the 300 kB went through: " + line);
    }

    @Test
    @Order(4)
    void shouldShowAOneWayUdpFlowAsUnreplied() throws Exception
    {
        testbed.in(testbed.a, "bash -c 'echo hello > /dev/udp/" + testbed.addressB + "/5004'");
        Thread.sleep(200);
        final FlowgateCli list = ct("list", "-p", "udp", "--dport", "5004");
        assertEquals(1, list.stdout.size(), list.toString());
        final String line = list.stdout.get(0);
        assertTrue(line.matches("udp      17 (29|30) src=.* dport=5004 packets=1 bytes=34 \\[UNREPLIED] src=.*"), line);
    }

    @Test
    @Order(5)
    void shouldCountStatAndStreamEvents() throws Exception
    {
        final FlowgateCli count = ct("count");
        assertTrue(Long.parseLong(count.stdout.get(0).trim()) >= 3, count.toString());
        final FlowgateCli stats = ct("stats");
        assertTrue(stats.stdout.get(0).startsWith("cpu=0   \tfound=") || stats.stdout.get(0).startsWith("cpu=0"), stats.toString());
        final FlowgateCli events = FlowgateCli.start(List.of("ct", "events", "-e", "NEW", "-p", "icmp", "--max-events", "1", "--socket",
            socket.toString()));
        Thread.sleep(1000);
        final String ping = testbed.in(testbed.b, "ping -c 1 -W 2 " + testbed.addressA);
        assertTrue(ping.contains("1 received"), ping);
        events.await(20);
        assertEquals(1, events.stdout.size(), events.toString());
        assertTrue(events.stdout.get(0).matches("\\s*\\[NEW] icmp     1 30 src=" + testbed.addressB + " dst=" + testbed.addressA
            + " type=8 code=0 id=\\d+ \\[UNREPLIED] src=.*"), events.stdout.get(0));
    }

    @Test
    @Order(6)
    void shouldDeleteEntriesThroughTheWorker() throws Exception
    {
        final FlowgateCli delete = ct("delete", "-p", "icmp");
        assertEquals(0, delete.process.exitValue(), delete.toString());
        assertTrue(delete.stderr.stream().anyMatch(l -> l.endsWith("flow entries have been deleted.")), delete.toString());
        final FlowgateCli list = ct("list", "-p", "icmp");
        assertEquals(0, list.stdout.size(), list.toString());
        final FlowgateCli get = ct("get", "-p", "icmp", "-s", testbed.addressA, "-d", testbed.addressB, "--icmp-type", "8", "--icmp-code", "0",
            "--icmp-id", "1");
        assertEquals(1, get.process.exitValue(), "nothing to get: " + get);
    }
}
