package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
 * flowgate as an IPv6 router between two real Linux hosts, each in its own namespace with a global address
 * and a default route via flowgate ({@code flowgate run --config}, DPDK {@code net_af_packet} over veth):
 * <pre>
 *   [host a: fd00:1::2/64] --veth-- [fd00:1::1  flowgate  fd00:2::1 (mtu 1280)] --veth-- [fd00:2::2/64: host b]
 * </pre>
 * The hosts and flowgate find each other with neighbour discovery; tshark shows it, and the hop limit
 * decremented on what crossed. DAD is off on the hosts' veths (no tentative addresses, no flakiness); IPv6
 * is off on the fw namespace's own ends, which flowgate owns (the kernel there would answer for the same
 * EUI-64 link-local address).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealHostsRouterIpv6IT
{
    private static final String HOST_A = "fd00:1::2";
    private static final String HOST_B = "fd00:2::2";
    private static final String ROUTER_A = "fd00:1::1";
    private static final String ROUTER_B = "fd00:2::1";
    private static final String UNROUTED = "2001:db8:99::7";
    private static final int OUTSIDE_MTU = 1280;

    private static Testbed testbed;
    private static FlowgateCli flowgate;
    private static Path config;

    @BeforeAll
    static void startRouter() throws Exception
    {
        testbed = new Testbed("r6", true);
        host(testbed.a, testbed.a0, HOST_A, ROUTER_A);
        host(testbed.b, testbed.b0, HOST_B, ROUTER_B);
        for (final String end : List.of(testbed.a1, testbed.b1))
        {
            testbed.in(testbed.fw, "sysctl -q -w net.ipv6.conf." + end + ".disable_ipv6=1");
        }
        config = Files.createTempFile("flowgate-router6-", ".yaml");
        final int worker = Runtime.getRuntime().availableProcessors() - 1;
        Files.writeString(config, """
            eal: [-l, "0", --no-huge, -m, "512", --no-pci, --file-prefix=fg-it-r6-%d]
            workers: [%d]
            ports:
              - name: inside
                device: net_af_packet0,iface=%s
                addresses: [%s/24, "%s/64"]
              - name: outside
                device: net_af_packet1,iface=%s
                mtu: %d
                addresses: [%s/24, "%s/64"]
            """.formatted(ProcessHandle.current().pid(), worker, testbed.a1, testbed.routerA, ROUTER_A, testbed.b1, OUTSIDE_MTU,
            testbed.routerB, ROUTER_B));
        flowgate = FlowgateCli.startWithPrefix(testbed.flowgateInFw(List.of()),
            List.of("run", "--config", config.toString(), "--stats-interval", "0.5"));
        assertTrue(flowgate.awaitLine("route t=", 60), "router started:\n" + flowgate);
    }

    /** Global address without DAD, a default route via flowgate, no router advertisements taken. */
    private static void host(final String ns, final String dev, final String address, final String router) throws Exception
    {
        final String conf = "net.ipv6.conf." + dev;
        testbed.in(ns, "sysctl -q -w " + conf + ".accept_dad=0 " + conf + ".accept_ra=0 " + conf + ".dad_transmits=0");
        // Down and up again: the link-local address comes back without DAD too.
        testbed.in(ns, "ip link set " + dev + " down");
        testbed.in(ns, "ip link set " + dev + " up");
        testbed.in(ns, "ip -6 addr add " + address + "/64 dev " + dev + " nodad");
        testbed.in(ns, "ip -6 route add default via " + router + " dev " + dev);
    }

    @AfterAll
    static void stop() throws Exception
    {
        try
        {
            if (flowgate != null && flowgate.process.isAlive())
            {
                final String summary = flowgate.stopCleanly("route summary ");
                assertTrue(FlowgateCli.field(summary, "ipv6_rx") > 0, summary);
                assertTrue(FlowgateCli.field(summary, "na_sent") > 0, "flowgate answered solicitations: " + summary);
                assertTrue(FlowgateCli.field(summary, "ns_sent") > 0, "flowgate solicited the hosts: " + summary);
            }
        }
        finally
        {
            testbed.close();
            Files.deleteIfExists(config);
        }
    }

    @Test
    @Order(1)
    void shouldRouteBothWaysAfterNeighbourDiscoveryAndDecrementTheHopLimit() throws Exception
    {
        final String pcap = "/tmp/" + testbed.b + "-routed6.pcap";
        final Process capture = new ProcessBuilder("ip", "netns", "exec", testbed.b, "tshark", "-q", "-i", testbed.b0,
            "-f", "icmp6", "-a", "duration:8", "-w", pcap).redirectErrorStream(true).start();
        try
        {
            Thread.sleep(1500);
            final String ping = testbed.in(testbed.a, "ping -6 -c 5 -i 0.2 -W 2 " + HOST_B);
            assertTrue(ping.contains("5 received"), ping);
            final String back = testbed.in(testbed.b, "ping -6 -c 3 -i 0.2 -W 2 " + HOST_A);
            assertTrue(back.contains("3 received"), back);
            assertTrue(capture.waitFor(30, TimeUnit.SECONDS));
            final String hopLimits = Testbed.sh("tshark -r " + pcap + " -Y 'icmpv6.type == 128 && ipv6.src == " + HOST_A
                + "' -T fields -e ipv6.hlim 2>/dev/null | sort | uniq -c");
            assertEquals("5 63", hopLimits.trim().replaceAll("\\s+", " "), "host b saw 5 requests with hop limit 64 - 1");
            final String solicitations = Testbed.sh("tshark -r " + pcap + " -Y 'icmpv6.type == 135 && icmpv6.nd.ns.target_address == "
                + HOST_B + "' -T fields -e ipv6.src 2>/dev/null");
            assertTrue(solicitations.contains(ROUTER_B), "flowgate solicited host b from its address on that link:\n" + solicitations);
            final String advertisements = Testbed.sh("tshark -r " + pcap + " -Y 'icmpv6.type == 136 && icmpv6.nd.na.target_address == "
                + HOST_B + "' -T fields -e ipv6.dst 2>/dev/null");
            assertTrue(advertisements.contains(ROUTER_B), "host b advertised itself to flowgate:\n" + advertisements);
            final String neighbours = testbed.in(testbed.b, "ip -6 neigh show " + ROUTER_B + " dev " + testbed.b0);
            assertTrue(neighbours.contains("lladdr"), "host b knows flowgate's MAC: " + neighbours);
        }
        finally
        {
            capture.destroy();
            capture.waitFor(10, TimeUnit.SECONDS);
            Testbed.sh("rm -f " + pcap);
        }
    }

    @Test
    @Order(2)
    void shouldAnswerPingToItsOwnAddressesIncludingLinkLocal() throws Exception
    {
        final String near = testbed.in(testbed.a, "ping -6 -c 3 -i 0.2 -W 2 " + ROUTER_A);
        assertTrue(near.contains("3 received"), near);
        final String far = testbed.in(testbed.a, "ping -6 -c 3 -i 0.2 -W 2 " + ROUTER_B);
        assertTrue(far.contains("3 received"), far);
        final String portLine = flowgate.line("port ");
        assertNotNull(portLine, flowgate.toString());
        final String linkLocal = portLine.replaceAll(".* link-local (\\S+).*", "$1");
        assertTrue(linkLocal.startsWith("fe80:"), portLine);
        final String local = testbed.in(testbed.a, "ping -6 -c 2 -i 0.2 -W 2 " + linkLocal + "%" + testbed.a0);
        assertTrue(local.contains("2 received"), local);
    }

    @Test
    @Order(3)
    void shouldReturnTimeExceededWhenTheHopLimitRunsOut() throws Exception
    {
        final String out = runAllowingFailure(testbed.a, "ping -6 -c 1 -t 1 -W 2 " + HOST_B);
        assertTrue(out.contains("From " + ROUTER_A) && out.contains("Time exceeded"), out);
    }

    @Test
    @Order(4)
    void shouldShowItselfAsTheFirstHopToTraceroute() throws Exception
    {
        final String trace = testbed.in(testbed.a, "traceroute -6 -n -q 1 -w 2 -m 4 " + HOST_B);
        final String[] lines = trace.strip().split("\n");
        assertTrue(lines.length >= 3, trace);
        assertTrue(lines[1].trim().startsWith("1  " + ROUTER_A), "hop 1 is flowgate:\n" + trace);
        assertTrue(lines[2].trim().startsWith("2  " + HOST_B), "hop 2 is host b:\n" + trace);
    }

    @Test
    @Order(5)
    void shouldReturnUnreachableWithoutARoute() throws Exception
    {
        final String out = runAllowingFailure(testbed.a, "ping -6 -c 1 -W 2 " + UNROUTED);
        assertTrue(out.contains("From " + ROUTER_A) && out.contains("Destination unreachable: No route"), out);
    }

    @Test
    @Order(6)
    void shouldReturnPacketTooBigWithTheEgressMtuAndLetTheHostAdapt() throws Exception
    {
        final String out = runAllowingFailure(testbed.a, "ping -6 -c 3 -i 0.3 -W 2 -s 1400 " + HOST_B);
        assertTrue(out.contains("From " + ROUTER_A) && out.contains("Packet too big: mtu=" + OUTSIDE_MTU), out);
        assertTrue(out.contains("bytes from " + HOST_B), "the host fragments for the path MTU and gets through:\n" + out);
    }

    @Test
    @Order(7)
    void shouldCarryATcpTransferByteForByte() throws Exception
    {
        final String dir = "/tmp/" + testbed.a + "-r6tcp";
        Testbed.sh("mkdir -p " + dir + " && head -c 1000000 /dev/urandom > " + dir + "/sent");
        final Process server = new ProcessBuilder("bash", "-c", "ip netns exec " + testbed.b + " timeout 30 nc -6 -l -N 5003 > " + dir
            + "/received").start();
        try
        {
            Thread.sleep(500);
            testbed.in(testbed.a, "timeout 30 bash -c 'until nc -6 -N " + HOST_B + " 5003 < " + dir + "/sent; do sleep 0.2; done'");
            assertTrue(server.waitFor(40, TimeUnit.SECONDS));
            assertEquals("1", Testbed.sh("cd " + dir + " && sha256sum sent received | awk '{print $1}' | uniq | wc -l").trim());
        }
        finally
        {
            server.destroy();
            Testbed.sh("rm -rf " + dir);
        }
    }

    private static String runAllowingFailure(final String ns, final String command) throws Exception
    {
        return Testbed.sh("ip netns exec " + ns + " " + command + " || true");
    }
}
