package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fragments through flowgate between two real Linux hosts: defragmentation in PREROUTING, refragmentation
 * for a smaller egress MTU, and ICMP host unreachable when ARP gets no answer. The testbed is the routed
 * one of {@link Testbed}; flowgate's port towards host b has an IP MTU of 1280 while every veth keeps 1500.
 */
class RealHostsFragmentIT
{
    private static final int OUTSIDE_MTU = 1280;
    /** An address on host b's network that nobody holds. */
    private static final String UNUSED = "10.2.0.99";

    private static Testbed testbed;
    private static FlowgateCli flowgate;
    private static Path config;

    @BeforeAll
    static void startRouter() throws Exception
    {
        testbed = new Testbed("fr", true);
        config = Files.createTempFile("flowgate-frag-", ".yaml");
        final int worker = Runtime.getRuntime().availableProcessors() - 1;
        // net_pcap on the veth ends, not net_af_packet: DPDK 22.11's af_packet socket joins a fanout group with
        // PACKET_FANOUT_FLAG_DEFRAG, so the kernel reassembles fragments before flowgate sees them (and cuts
        // the result at the 2048-byte ring frame). libpcap's socket leaves them alone; rx_iface_in keeps
        // flowgate from receiving what it sends itself.
        Files.writeString(config, """
            eal: [-l, "0", --no-huge, -m, "512", --no-pci, --file-prefix=fg-it-fr-%d]
            workers: [%d]
            ports:
              - name: inside
                device: net_pcap0,rx_iface_in=%s,tx_iface=%s
                addresses: [%s/24]
              - name: outside
                device: net_pcap1,rx_iface_in=%s,tx_iface=%s
                mtu: %d
                addresses: [%s/24]
            """.formatted(ProcessHandle.current().pid(), worker, testbed.a1, testbed.a1, testbed.routerA, testbed.b1, testbed.b1,
            OUTSIDE_MTU, testbed.routerB));
        flowgate = FlowgateCli.startWithPrefix(testbed.flowgateInFw(List.of()),
            List.of("run", "--config", config.toString(), "--stats-interval", "0.5"));
        assertTrue(flowgate.awaitLine("route t=", 60), "router started:\n" + flowgate);
        // Both hosts and flowgate learn each other's MAC first (a small ping, retried: on this shared machine
        // the slow path has taken seconds to answer its first ARP), so that the tests below see fragments and
        // failed resolution, not a cold neighbour table.
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        String ping = "";
        while (System.nanoTime() < deadline && !ping.contains(" 1 received"))
        {
            ping = Testbed.sh("ip netns exec " + testbed.a + " ping -c 1 -W 2 " + testbed.addressB + " || true");
        }
        assertTrue(ping.contains(" 1 received"), "host b reachable through flowgate:\n" + ping + "\n" + flowgate);
    }

    @AfterAll
    static void stop() throws Exception
    {
        try
        {
            if (flowgate != null && flowgate.process.isAlive())
            {
                flowgate.stopCleanly("defrag summary ");
            }
        }
        finally
        {
            testbed.close();
            Files.deleteIfExists(config);
        }
    }

    @Test
    void shouldReassembleAndRefragmentAPingTooLargeForTheEgressMtu() throws Exception
    {
        final String pcap = "/tmp/" + testbed.b + "-frag.pcap";
        final Process capture = new ProcessBuilder("ip", "netns", "exec", testbed.b, "tshark", "-q", "-i", testbed.b0,
            "-f", "ip", "-a", "duration:10", "-w", pcap).redirectErrorStream(true).start();
        try
        {
            Thread.sleep(1500);
            // 3000 bytes of ICMP data: host a sends each request in three fragments (1500, 1500, 48)
            final String ping = Testbed.sh("ip netns exec " + testbed.a + " ping -c 3 -i 0.3 -W 3 -s 3000 " + testbed.addressB + " || true");
            if (!ping.contains("3 received"))
            {
                flowgate.interrupt(30);
            }
            assertTrue(ping.contains("3 received"), ping + "\n" + flowgate);
            assertTrue(capture.waitFor(30, TimeUnit.SECONDS), "capture ended");
            // per frame from a: IP total length, MF, fragment offset (no reassembly in tshark: the wire as it is)
            final String fields = Testbed.sh("tshark -r " + pcap + " -o ip.defragment:FALSE -Y 'ip.src == " + testbed.addressA
                + "' -T fields -E occurrence=f -e ip.len -e ip.flags.mf -e ip.frag_offset 2>/dev/null").strip();
            final List<String> frames = Arrays.asList(fields.split("\n"));
            assertTrue(frames.size() >= 9, "every request arrived in fragments:\n" + fields);
            int firsts = 0;
            for (final String frame : frames)
            {
                final String[] f = frame.trim().split("\\s+");
                final int length = Integer.parseInt(f[0]);
                assertTrue(length <= OUTSIDE_MTU, "a packet of " + length + " bytes left a 1280-byte MTU port:\n" + fields);
                final int offset = Integer.parseInt(f[2]);   // tshark shows it in 8-byte units, as on the wire
                final boolean more = f[1].equals("1") || f[1].equalsIgnoreCase("true");
                if (more)
                {
                    assertEquals(0, (length - 20) % 8, "a non-last fragment carries a multiple of 8 bytes:\n" + fields);
                }
                if (offset == 0)
                {
                    firsts++;
                    assertTrue(more, "a first fragment has MF:\n" + fields);
                }
            }
            assertEquals(3, firsts, "three requests, each refragmented:\n" + fields);
            final String replies = Testbed.sh("tshark -r " + pcap + " -o ip.defragment:FALSE -Y 'ip.src == " + testbed.addressB
                + " && ip.frag_offset == 0' -T fields -E occurrence=f -e ip.id 2>/dev/null | sort -u | wc -l").strip();
            assertEquals("3", replies, "host b answered each request");
        }
        finally
        {
            capture.destroy();
            Files.deleteIfExists(Path.of(pcap));
        }
    }

    @Test
    void shouldAnswerDestinationHostUnreachableWhenArpGetsNoAnswer() throws Exception
    {
        final String arpPcap = "/tmp/" + testbed.b + "-arp.pcap";
        final String icmpPcap = "/tmp/" + testbed.a + "-unreach.pcap";
        final Process arp = new ProcessBuilder("ip", "netns", "exec", testbed.b, "tshark", "-q", "-i", testbed.b0,
            "-f", "arp", "-a", "duration:12", "-w", arpPcap).redirectErrorStream(true).start();
        final Process icmp = new ProcessBuilder("ip", "netns", "exec", testbed.a, "tshark", "-q", "-i", testbed.a0,
            "-f", "icmp", "-a", "duration:12", "-w", icmpPcap).redirectErrorStream(true).start();
        try
        {
            Thread.sleep(1500);
            final String ping = Testbed.sh("ip netns exec " + testbed.a + " ping -c 1 -W 8 " + UNUSED + " || true");
            assertTrue(ping.contains("From " + testbed.routerA) && ping.contains("Destination Host Unreachable"), ping);
            assertTrue(arp.waitFor(30, TimeUnit.SECONDS) && icmp.waitFor(30, TimeUnit.SECONDS), "captures ended");
            final String requests = Testbed.sh("tshark -r " + arpPcap + " -Y 'arp.opcode == 1 && arp.dst.proto_ipv4 == " + UNUSED
                + " && arp.src.proto_ipv4 == " + testbed.routerB + "' -T fields -E occurrence=f -e arp.dst.proto_ipv4 2>/dev/null | wc -l").strip();
            assertTrue(Integer.parseInt(requests) >= 3, "flowgate asked 3 times (mcast_solicit): " + requests);
            final String errors = Testbed.sh("tshark -r " + icmpPcap + " -Y 'icmp.type == 3 && icmp.code == 1 && ip.src == " + testbed.routerA
                + " && ip.dst == " + testbed.addressA + "' -T fields -E occurrence=f -e ip.src 2>/dev/null | wc -l").strip();
            assertEquals("1", errors, "one ICMP host unreachable from the ingress port's address");
        }
        finally
        {
            arp.destroy();
            icmp.destroy();
            Files.deleteIfExists(Path.of(arpPcap));
            Files.deleteIfExists(Path.of(icmpPcap));
        }
    }
}
