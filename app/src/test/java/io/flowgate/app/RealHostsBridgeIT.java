package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two real Linux hosts, each in its own network namespace, talk through {@code flowgate fwd} running on
 * DPDK's {@code net_af_packet} ports over veth: io forwarding is a wire between them. What crossed is
 * checked in a {@code tshark} capture on the far host, and a TCP transfer is checked byte for byte.
 */
class RealHostsBridgeIT
{
    private static Testbed testbed;
    private static FlowgateCli flowgate;

    @BeforeAll
    static void startFlowgateBetweenTwoHosts() throws Exception
    {
        testbed = new Testbed("br");
        final List<String> args = List.of("fwd", "--idle", "backoff", "--stats-interval", "0.5", "--",
            "-l", "0", "--no-huge", "-m", "512", "--no-pci", "--file-prefix=fg-it-br-" + ProcessHandle.current().pid(),
            "--vdev=net_af_packet0,iface=" + testbed.a1, "--vdev=net_af_packet1,iface=" + testbed.b1);
        flowgate = FlowgateCli.startWithPrefix(testbed.flowgateInFw(List.of()), args);
        assertTrue(flowgate.awaitLine("fwd t=", 60), "flowgate started:\n" + flowgate);
    }

    @AfterAll
    static void stop() throws Exception
    {
        try
        {
            if (flowgate != null && flowgate.process.isAlive())
            {
                flowgate.stopCleanly("fwd summary ");
            }
        }
        finally
        {
            testbed.close();
        }
    }

    @Test
    void shouldCarryPingBetweenHostsAsCapturedOnTheFarSide() throws Exception
    {
        final String pcap = "/tmp/" + testbed.b + "-icmp.pcap";
        final Process dumpcap = new ProcessBuilder("ip", "netns", "exec", testbed.b, "tshark", "-q", "-i", testbed.b0,
            "-f", "icmp", "-a", "duration:8", "-w", pcap).redirectErrorStream(true).start();
        Thread.sleep(1500); // let the capture start before traffic
        final String ping = testbed.in(testbed.a, "ping -c 5 -i 0.2 -W 2 " + testbed.addressB);
        assertTrue(ping.contains("5 received"), ping);
        dumpcap.waitFor();
        final String requests = Testbed.sh("tshark -r " + pcap + " -Y 'icmp.type == 8 && ip.src == " + testbed.addressA
            + " && ip.dst == " + testbed.addressB + "' -T fields -e icmp.seq 2>/dev/null | wc -l");
        assertEquals("5", requests.trim(), "host b saw the 5 echo requests flowgate carried");
        Testbed.sh("rm -f " + pcap);
    }

    @Test
    void shouldCarryATcpTransferByteForByte() throws Exception
    {
        final String dir = "/tmp/" + testbed.a + "-tcp";
        Testbed.sh("mkdir -p " + dir + " && head -c 2000000 /dev/urandom > " + dir + "/sent");
        final Process server = new ProcessBuilder("bash", "-c", "ip netns exec " + testbed.b + " timeout 30 nc -l -N 5001 > " + dir
            + "/received").start();
        Thread.sleep(500);
        testbed.in(testbed.a, "timeout 30 bash -c 'until nc -N " + testbed.addressB + " 5001 < " + dir
            + "/sent; do sleep 0.2; done'");
        assertTrue(server.waitFor(40, java.util.concurrent.TimeUnit.SECONDS));
        final String sums = Testbed.sh("cd " + dir + " && sha256sum sent received | awk '{print $1}' | uniq | wc -l");
        assertEquals("1", sums.trim(), "the received bytes equal the sent ones");
        Testbed.sh("rm -rf " + dir);
    }
}
