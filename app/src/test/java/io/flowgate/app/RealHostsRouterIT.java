package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * flowgate as an IPv4 router between two real Linux hosts on different networks, each in its own
 * namespace with a default route via flowgate ({@code flowgate run --config}, DPDK {@code net_af_packet}
 * over veth). The hosts resolve flowgate's addresses with ARP, flowgate resolves theirs; what crossed is
 * checked with tshark where the command's success alone would not show it.
 */
class RealHostsRouterIT
{
    private static Testbed testbed;
    private static FlowgateCli flowgate;
    private static Path config;

    @BeforeAll
    static void startRouter() throws Exception
    {
        testbed = new Testbed("rt", true);
        config = Files.createTempFile("flowgate-router-", ".yaml");
        final int worker = Runtime.getRuntime().availableProcessors() - 1;
        Files.writeString(config, RouterDemo.routingConfig(testbed, "fg-it-rt-" + ProcessHandle.current().pid(), worker));
        flowgate = FlowgateCli.startWithPrefix(testbed.flowgateInFw(List.of()),
            List.of("run", "--config", config.toString(), "--stats-interval", "0.5"));
        assertTrue(flowgate.awaitLine("route t=", 60), "router started:\n" + flowgate);
    }

    @AfterAll
    static void stop() throws Exception
    {
        try
        {
            if (flowgate != null && flowgate.process.isAlive())
            {
                flowgate.stopCleanly("route summary ");
            }
        }
        finally
        {
            testbed.close();
            Files.deleteIfExists(config);
        }
    }

    @Test
    void shouldAnswerPingToItsOwnAddress() throws Exception
    {
        final String ping = testbed.in(testbed.a, "ping -c 3 -i 0.2 -W 2 " + testbed.routerA);
        assertTrue(ping.contains("3 received"), ping);
    }

    @Test
    void shouldRouteBetweenTheHostsAndDecrementTheTtl() throws Exception
    {
        final String pcap = "/tmp/" + testbed.b + "-routed.pcap";
        final Process capture = new ProcessBuilder("ip", "netns", "exec", testbed.b, "tshark", "-q", "-i", testbed.b0,
            "-f", "icmp", "-a", "duration:6", "-w", pcap).redirectErrorStream(true).start();
        Thread.sleep(1500);
        final String ping = testbed.in(testbed.a, "ping -c 5 -i 0.2 -W 2 " + testbed.addressB);
        assertTrue(ping.contains("5 received"), ping);
        assertTrue(capture.waitFor(30, TimeUnit.SECONDS));
        final String ttls = Testbed.sh("tshark -r " + pcap + " -Y 'icmp.type == 8 && ip.src == " + testbed.addressA
            + "' -T fields -e ip.ttl 2>/dev/null | sort | uniq -c");
        assertEquals("5 63", ttls.trim().replaceAll("\\s+", " "), "host b saw 5 requests with TTL 64 - 1");
        Testbed.sh("rm -f " + pcap);
    }

    @Test
    void shouldCarryATcpTransferByteForByte() throws Exception
    {
        final String dir = "/tmp/" + testbed.a + "-rtcp";
        Testbed.sh("mkdir -p " + dir + " && head -c 2000000 /dev/urandom > " + dir + "/sent");
        final Process server = new ProcessBuilder("bash", "-c", "ip netns exec " + testbed.b + " timeout 30 nc -l -N 5002 > " + dir
            + "/received").start();
        Thread.sleep(500);
        testbed.in(testbed.a, "timeout 30 bash -c 'until nc -N " + testbed.addressB + " 5002 < " + dir + "/sent; do sleep 0.2; done'");
        assertTrue(server.waitFor(40, TimeUnit.SECONDS));
        assertEquals("1", Testbed.sh("cd " + dir + " && sha256sum sent received | awk '{print $1}' | uniq | wc -l").trim());
        Testbed.sh("rm -rf " + dir);
    }

    @Test
    void shouldShowItselfAsTheFirstHopToTraceroute() throws Exception
    {
        final String trace = testbed.in(testbed.a, "traceroute -n -q 1 -w 2 -m 4 " + testbed.addressB);
        final String[] lines = trace.strip().split("\n");
        assertTrue(lines.length >= 3, trace);
        assertTrue(lines[1].trim().startsWith("1  " + testbed.routerA), "hop 1 is flowgate:\n" + trace);
        assertTrue(lines[2].trim().startsWith("2  " + testbed.addressB), "hop 2 is host b:\n" + trace);
    }

    @Test
    void shouldCarryAnIperf3TcpRunFromAToB() throws Exception
    {
        final Process server = new ProcessBuilder("ip", "netns", "exec", testbed.b, "timeout", "30", "iperf3", "-s", "-1", "-p", "5201")
            .redirectErrorStream(true).start();
        Thread.sleep(700);
        final String up = testbed.in(testbed.a, "timeout 20 iperf3 -c " + testbed.addressB + " -p 5201 -t 2 -J");
        assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        assertTrue(up.contains("\"sum_received\"") && !up.contains("\"error\""), up);
        final long received = Long.parseLong(up.replaceAll("(?s).*\"sum_received\":\\s*\\{[^}]*?\"bytes\":\\s*(\\d+).*", "$1"));
        assertTrue(received > 1_000_000, "more than 1 MB crossed in 2 s: " + received);
    }

    @Test
    void shouldReturnTimeExceededWhenTheTtlRunsOut() throws Exception
    {
        final String out = runAllowingFailure(testbed.a, "ping -c 1 -t 1 -W 2 " + testbed.addressB);
        assertTrue(out.contains("From " + testbed.routerA) && out.contains("Time to live exceeded"), out);
    }

    @Test
    void shouldReturnNetUnreachableWithoutARoute() throws Exception
    {
        final String out = runAllowingFailure(testbed.a, "ping -c 1 -W 2 198.51.100.7");
        assertTrue(out.contains("From " + testbed.routerA) && out.contains("Destination Net Unreachable"), out);
    }

    private static String runAllowingFailure(final String ns, final String command) throws Exception
    {
        return Testbed.sh("ip netns exec " + ns + " " + command + " || true");
    }
}
