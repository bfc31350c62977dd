package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Differential test of the rule engine against Linux on the twin testbed ({@link NatTwin}, names {@code fgd...}): the same
 * nft ruleset ({@link #ruleset}) loaded with {@code nft -f} in the Linux twin's router namespace and with the {@code rules:}
 * key by flowgate in the other twin; the same traffic through both (ping, TCP to an allowed, a rejected and a dropped
 * port, UDP to a rejected port, a UDP burst through a {@code limit}, masquerade of everything leaving by the outside port,
 * a dnat port forward); then the same answers seen by the clients (delivered, TCP reset, ICMP port unreachable, nothing),
 * the same frames on both wires (tshark, ephemeral ports and ICMP ids blurred), and the same per-rule counters
 * ({@code nft list ruleset} against {@code flowgate nft list ruleset}).
 * <p>
 * flowgate's port names are the Linux router's interface names, so one ruleset text serves both. {@code
 * -Drules.twin.flowgate=false} runs the Linux twin alone (the harness's own check).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RulesTwinIT
{
    private static final boolean WITH_FLOWGATE = !"false".equals(System.getProperty("rules.twin.flowgate"));
    private static final String PREFIX = "fgd";
    private static final int UDP_BURST = 30;

    private static NatTwin linux;
    private static NatTwin fg;
    private static FlowgateCli flowgate;
    private static Path socket;
    private static String ri;
    private static String ro;
    /** What each twin's clients saw, by twin name: one line per probe. */
    private static final Map<String, List<String>> SEEN = new LinkedHashMap<>();
    private static final Map<String, Set<String>> CLIENT_WIRE = new LinkedHashMap<>();
    private static final Map<String, Set<String>> OUTSIDE_WIRE = new LinkedHashMap<>();
    private static final Map<String, Integer> LIMITED = new LinkedHashMap<>();

    /**
     * The ruleset under test. Rule order matters for the counters: established traffic first, then one rule per probe; a
     * named set, and UDP through a regular chain (jump, and a return no probe reaches).
     * {@code %1$s}, {@code %2$s}: the router's inside and outside interfaces.
     */
    static String ruleset(final String inside, final String outside, final String port82Verdict)
    {
        return """
            table ip fgd {
            	set rejected {
            		type inet_service
            		elements = { 81, 444 }
            	}

            	chain fw {
            		type filter hook forward priority filter; policy drop;
            		ct state established,related counter accept
            		ct state invalid counter drop
            		icmp type echo-request counter accept
            		iifname "%1$s" tcp dport 80 counter accept
            		iifname "%2$s" ip daddr 10.0.0.5 tcp dport 80 counter accept
            		tcp dport @rejected counter reject with tcp reset
            		meta l4proto udp counter jump udp_in
            		tcp dport 82 counter %3$s
            		counter
            	}

            	chain udp_in {
            		udp dport 5353 counter reject
            		udp dport 9000 limit rate 10/second burst 5 packets counter accept
            		udp dport 9000 counter drop
            		counter return
            	}

            	chain pre {
            		type nat hook prerouting priority dstnat; policy accept;
            		iifname "%2$s" ip daddr 198.51.100.1 tcp dport 8080 counter dnat to 10.0.0.5:80
            	}

            	chain post {
            		type nat hook postrouting priority srcnat; policy accept;
            		oifname "%2$s" counter masquerade
            	}
            }
            """.formatted(inside, outside, port82Verdict);
    }

    @BeforeAll
    static void start() throws Exception
    {
        final String id = PREFIX + (ProcessHandle.current().pid() % 10000) + 'l';
        ri = id + "ri";
        ro = id + "ro";
        linux = new NatTwin(PREFIX, 'l', true, ruleset(ri, ro, "drop"));
        linux.startServers();
        if (WITH_FLOWGATE)
        {
            fg = new NatTwin(PREFIX, 'f', false);
            fg.startServers();
            final Path rules = fg.dir.resolve("rules.nft");
            Files.writeString(rules, ruleset(ri, ro, "drop"));
            // Permanent neighbours, as the Linux router has them within a millisecond: a first packet held in flowgate's slow
            // path while it resolves the next hop can leave the next one of its connection still NEW (seen: a ping's
            // second echo request counted by the rule for new ones).
            final Path config = fg.dir.resolve("flowgate.yaml");
            socket = fg.dir.resolve("flowgate.sock");
            final int worker = Runtime.getRuntime().availableProcessors() - 1;
            Files.writeString(config, """
                eal: [-l, "0", --no-huge, -m, "512", --no-pci, "--file-prefix=nt-%d-rules"]
                workers: [%d]
                ports:
                  - name: %s
                    device: net_af_packet0,iface=%s
                    addresses: [10.0.0.1/24]
                  - name: %s
                    device: net_af_packet1,iface=%s
                    addresses: [198.51.100.1/24]
                neighbours:
                  - {port: %s, address: %s, mac: "%s"}
                  - {port: %s, address: %s, mac: "%s"}
                  - {port: %s, address: %s, mac: "%s"}
                conntrack:
                  capacity: 65536
                rules: rules.nft
                """.formatted(ProcessHandle.current().pid(), worker, ri, fg.ri, ro, fg.ro, ri, NatTwin.CLIENT, NatTwin.mac(fg.c, fg.cIf), ri,
                NatTwin.SERVER, NatTwin.mac(fg.s, fg.sIf), ro, NatTwin.OUTSIDE, NatTwin.mac(fg.o, fg.oIf)));
            flowgate = FlowgateCli.startWithPrefix(List.of("ip", "netns", "exec", fg.r),
                List.of("run", "--config", config.toString(), "--socket", socket.toString(), "--stats-interval", "1"));
            assertTrue(flowgate.awaitLine("route t=", 60), "router started:\n" + flowgate);
            assertTrue(flowgate.line("rules: " + rules + ", 1 table(s), 15 rule(s); flowgate nft talks to " + socket) != null, flowgate.toString());
        }
    }

    @AfterAll
    static void stop() throws Exception
    {
        try
        {
            if (flowgate != null && flowgate.process.isAlive())
            {
                RealHostsNatIT.stopFlowgate(flowgate);
            }
        }
        finally
        {
            if (fg != null)
            {
                fg.close();
            }
            if (linux != null)
            {
                linux.close();
            }
        }
    }

    private static List<NatTwin> twins()
    {
        return fg == null ? List.of(linux) : List.of(linux, fg);
    }

    private static String name(final NatTwin twin)
    {
        return twin.linux ? "linux" : "flowgate";
    }

    @Test
    @Order(1)
    void shouldGiveTheClientsTheSameAnswersAsLinux() throws Exception
    {
        for (final NatTwin t : twins())
        {
            // The LAN bridge learns where the client and the server are (traffic that does not cross the router): flowgate
            // knows their MACs from the configuration and sends without asking, and an unknown destination is flooded.
            t.exec(t.c, "ping -c 1 -W 1 " + NatTwin.SERVER, 5);
            final NatTwin.Capture client = t.capture(t.c, t.cIf, "client");
            final NatTwin.Capture outside = t.capture(t.o, t.oIf, "outside");
            SEEN.put(name(t), probe(t));
            final Path clientPcap = client.stop();
            final Path outsidePcap = outside.stop();
            CLIENT_WIRE.put(name(t), wire(clientPcap));
            OUTSIDE_WIRE.put(name(t), wire(outsidePcap));
            LIMITED.put(name(t), Integer.parseInt(Testbed.sh("tshark -r " + outsidePcap + " -Y 'udp.dstport == 9000 && !icmp' 2>/dev/null | wc -l")
                .strip()));
            System.out.println(name(t) + ": " + LIMITED.get(name(t)) + " of " + UDP_BURST + " datagrams through the limit; sent over "
                + Testbed.sh("tshark -r " + clientPcap + " -Y 'udp.dstport == 9000 && !icmp' -T fields -e frame.time_relative 2>/dev/null "
                + "| sed -n '1p;$p' | tr '\\n' ' '").strip() + " s");
        }
        final List<String> linuxSeen = SEEN.get("linux");
        assertEquals(List.of("ping ok", "tcp 80 outside", "tcp 81 refused", "tcp 82 timeout", "udp 5353 refused", "dnat inside"),
            linuxSeen, "the Linux twin (the harness's expectation)");
        final int linuxLimited = LIMITED.get("linux");
        // The burst takes well under a millisecond: the bucket's 5 packets and no refill (a packet costs 100 ms).
        assertEquals(5, linuxLimited, "Linux let " + linuxLimited + " of " + UDP_BURST + " through limit 10/s burst 5");
        if (fg != null)
        {
            assertEquals(linuxSeen, SEEN.get("flowgate"), "what the clients saw\n" + flowgate);
            assertEquals(CLIENT_WIRE.get("linux"), CLIENT_WIRE.get("flowgate"), "frames on the client's wire");
            assertEquals(OUTSIDE_WIRE.get("linux"), OUTSIDE_WIRE.get("flowgate"), "frames on the outside wire");
            assertEquals(linuxLimited, LIMITED.get("flowgate"), "through the limit");
        }
    }

    @Test
    @Order(2)
    void shouldCountLikeLinux() throws Exception
    {
        final String linuxListing = linux.in(linux.r, "nft list ruleset");
        System.out.println("linux:\n" + linuxListing);
        final Map<String, long[]> l = counters(linuxListing);
        assertEquals(15, l.size(), "counters of the Linux ruleset: " + l.keySet());
        // The harness's expectation of Linux: one new packet per probe (the ping's later requests and the unreplied UDP
        // flow's later datagrams belong to the first's connection); masquerade sees the first packet of the ping, the
        // port 80 connection and the UDP flow (rejected and dropped packets never reach postrouting).
        final Map<String, Long> expected = new TreeMap<>(Map.of("fgd/fw/1", 0L, "fgd/fw/2", 1L, "fgd/fw/3", 1L, "fgd/fw/4", 1L,
            "fgd/fw/5", 1L, "fgd/fw/6", 1L + UDP_BURST, "fgd/fw/7", 1L, "fgd/fw/8", 0L, "fgd/pre/0", 1L, "fgd/post/0", 3L));
        expected.putAll(Map.of("fgd/udp_in/0", 1L, "fgd/udp_in/3", 0L));
        for (final Map.Entry<String, Long> e : expected.entrySet())
        {
            assertEquals(e.getValue(), packets(l, e.getKey()), "linux " + e.getKey() + "\n" + linux.in(linux.r, "nft list ruleset"));
        }
        assertEquals(UDP_BURST, packets(l, "fgd/udp_in/1") + packets(l, "fgd/udp_in/2"), "the burst: limited and dropped");
        if (fg == null)
        {
            return;
        }
        final Map<String, long[]> f = counters(listFlowgate());
        assertEquals(l.keySet(), f.keySet(), "the same counted rules");
        for (final String rule : l.keySet())
        {
            final long lp = l.get(rule)[0];
            final long fp = f.get(rule)[0];
            if (rule.equals("fgd/fw/0"))
            {
                // Established traffic: TCP's acknowledgements depend on timing (delayed ACKs); within a quarter.
                assertTrue(Math.abs(lp - fp) <= Math.max(3, lp / 4), rule + ": linux " + lp + " flowgate " + fp);
            }
            else
            {
                assertEquals(lp, fp, rule + " packets");
                assertEquals(l.get(rule)[1], f.get(rule)[1], rule + " bytes");
            }
        }
    }

    @Test
    @Order(3)
    void shouldReplaceTheRulesetAtomicallyWhileTrafficRuns() throws Exception
    {
        if (fg == null)
        {
            return;
        }
        final Map<String, long[]> before = counters(listFlowgate());
        // Traffic during the reload: a ping that must not lose a packet.
        final Process ping = new ProcessBuilder("bash", "-c", "exec ip netns exec " + fg.c + " ping -c 20 -i 0.05 -W 2 " + NatTwin.OUTSIDE)
            .redirectErrorStream(true).start();
        final Path changed = fg.dir.resolve("changed.nft");
        Files.writeString(changed, ruleset(ri, ro, "reject with tcp reset"));
        final FlowgateCli load = FlowgateCli.run(30, List.of("nft", "-f", changed.toString(), "--socket", socket.toString()));
        assertEquals(0, load.process.exitValue(), load.toString());
        final String pingOut = new String(ping.getInputStream().readAllBytes());
        assertTrue(ping.waitFor() == 0 && pingOut.contains("20 received"), "ping across the reload:\n" + pingOut);
        assertEquals("tcp 82 refused", tcp(fg, 82), "the changed rule applies");
        final Map<String, long[]> after = counters(listFlowgate());
        for (final String rule : List.of("fgd/fw/2", "fgd/fw/3", "fgd/fw/5", "fgd/pre/0", "fgd/post/0"))
        {
            assertTrue(after.get(rule)[0] >= before.get(rule)[0], rule + " kept its count: " + before.get(rule)[0] + " then "
                + after.get(rule)[0]);
        }
        assertEquals(1, after.get("fgd/fw/7")[0], "the changed rule starts from zero and counts its one SYN");

        // A broken file: refused with its line and column, the running ruleset stays and keeps working.
        final Path broken = fg.dir.resolve("broken.nft");
        Files.writeString(broken, ruleset(ri, ro, "drop").replace("tcp dport 82", "tcp dport eightytwo"));
        final FlowgateCli refused = FlowgateCli.run(30, List.of("nft", "-f", broken.toString(), "--socket", socket.toString()));
        assertEquals(1, refused.process.exitValue(), refused.toString());
        assertTrue(refused.lastErrorLine().startsWith("flowgate: error: " + broken + ":16:"), refused.toString());
        assertEquals("tcp 82 refused", tcp(fg, 82), "the running ruleset stays");
        assertEquals("tcp 80 outside", tcp(fg, 80), "and still forwards");
        assertNotEquals(0, counters(listFlowgate()).get("fgd/fw/3")[0]);
    }

    // ---- traffic

    /** The probes, in order; one line each saying what the client saw. */
    private static List<String> probe(final NatTwin t) throws Exception
    {
        final List<String> seen = new ArrayList<>();
        final String ping = t.exec(t.c, "ping -c 3 -i 0.2 -W 2 " + NatTwin.OUTSIDE, 20).output();
        seen.add(ping.contains("3 received") ? "ping ok" : "ping failed: " + ping);
        seen.add(tcp(t, 80));
        seen.add(tcp(t, 81));
        seen.add(tcp(t, 82));
        seen.add(udp(t, 5353));
        udpBurst(t, 9000);
        final Testbed.Result dnat = t.exec(t.o, "curl -sS --max-time 5 http://" + NatTwin.ROUTER_OUT + ":8080/who", 15);
        seen.add(dnat.exit() == 0 ? "dnat " + dnat.output().strip() : "dnat failed: " + dnat.output());
        return seen;
    }

    /**
     * A TCP connection from the client to the outside host's {@code port}: answered, refused (a reset) or timed out. The
     * connect timeout ends before the first SYN retransmission (1 s), so a dropped connection is exactly one packet.
     */
    static String tcp(final NatTwin t, final int port) throws Exception
    {
        final Testbed.Result r = t.exec(t.c, "curl -sS --connect-timeout 0.5 --max-time 3 http://" + NatTwin.OUTSIDE + ":" + port + "/who", 10);
        return "tcp " + port + " " + switch (r.exit())
        {
            case 0 -> r.output().strip();
            case 7 -> "refused";
            case 28 -> "timeout";
            default -> "curl exit " + r.exit() + ": " + r.output().strip();
        };
    }

    /** One datagram from the client to the outside host's {@code port} on a connected socket: refused (ICMP port unreachable) or not. */
    private static String udp(final NatTwin t, final int port) throws Exception
    {
        final String script = "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.settimeout(1.5)\n"
            + "s.connect(('" + NatTwin.OUTSIDE + "'," + port + "))\ns.send(b'probe')\n"
            + "try:\n  s.recv(100)\n  print('answered')\nexcept ConnectionRefusedError:\n  print('refused')\n"
            + "except socket.timeout:\n  print('timeout')\n";
        final Path file = t.dir.resolve("udp.py");
        Files.writeString(file, script);
        return "udp " + port + " " + t.exec(t.c, "/usr/bin/python3 " + file, 10).output().strip();
    }

    /** {@link #UDP_BURST} datagrams to the outside host's {@code port} as fast as python sends them (well under 100 ms). */
    private static void udpBurst(final NatTwin t, final int port) throws Exception
    {
        final Path file = t.dir.resolve("burst.py");
        Files.writeString(file, "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(" + UDP_BURST + "):\n"
            + "  s.sendto(b'x'*64,('" + NatTwin.OUTSIDE + "'," + port + "))\n");
        t.exec(t.c, "/usr/bin/python3 " + file, 10);
    }

    // ---- what the wires carried

    private static final Pattern EPHEMERAL = Pattern.compile("^(3[2-9]\\d{3}|[4-6]\\d{4})$");

    /**
     * The distinct frames of a capture as {@code SRC>DST PROTO SPORT>DPORT FLAGS} (TCP flags without PSH; ICMP: type and code), with ephemeral
     * ports (32768 and up: the client's and masquerade's choices) written {@code E}, and the UDP burst's datagrams once.
     */
    private static Set<String> wire(final Path pcap) throws Exception
    {
        final Path fields = Path.of(pcap + ".fields");
        Testbed.sh("tshark -r " + pcap + " -T fields -E separator=, -E occurrence=f -e ip.src -e ip.dst -e ip.proto -e tcp.srcport "
            + "-e tcp.dstport -e tcp.flags -e udp.srcport -e udp.dstport -e icmp.type -e icmp.code > " + fields + " 2>/dev/null");
        final Set<String> lines = new TreeSet<>();
        for (final String line : Files.readString(fields).split("\n"))
        {
            if (line.isBlank())
            {
                continue;
            }
            final String[] f = line.split(",", -1);
            final String rest = switch (f[2])
            {
                case "1" -> "type" + f[8] + " code" + f[9];
                // Without PSH: whether a server's last data and its FIN share a segment is its own timing, not the router's.
                case "6" -> port(f[3]) + ">" + port(f[4]) + " 0x" + String.format("%04x", Integer.decode(f[5]) & ~0x08);
                case "17" -> port(f[6]) + ">" + port(f[7]);
                default -> "";
            };
            lines.add(f[0] + ">" + f[1] + " " + f[2] + " " + rest);
        }
        return lines;
    }

    private static String port(final String port)
    {
        return EPHEMERAL.matcher(port).matches() ? "E" : port;
    }

    // ---- counters

    private static String listFlowgate() throws Exception
    {
        final FlowgateCli list = FlowgateCli.run(30, List.of("nft", "list", "ruleset", "--socket", socket.toString()));
        assertEquals(0, list.process.exitValue(), list.toString());
        return String.join("\n", list.stdout);
    }

    private static final Pattern TABLE = Pattern.compile("^table \\S+ (\\S+) \\{$");
    private static final Pattern CHAIN = Pattern.compile("^chain (\\S+) \\{$");
    private static final Pattern SET = Pattern.compile("^set (\\S+) \\{$");
    private static final Pattern COUNTER = Pattern.compile("counter packets (\\d+) bytes (\\d+)");

    /**
     * The counters of {@code nft list ruleset} output by {@code TABLE/CHAIN/RULE-INDEX} (rules counted from 0 in their chain;
     * the base chain's {@code type ...} line and blank lines are not rules): {packets, bytes}.
     */
    static Map<String, long[]> counters(final String listing)
    {
        final Map<String, long[]> out = new LinkedHashMap<>();
        String table = null;
        String chain = null;
        boolean inSet = false;
        int index = 0;
        for (final String raw : listing.split("\n"))
        {
            final String line = raw.strip();
            final Matcher t = TABLE.matcher(line);
            final Matcher c = CHAIN.matcher(line);
            if (t.matches())
            {
                table = t.group(1);
            }
            else if (c.matches())
            {
                chain = c.group(1);
                index = 0;
            }
            else if (SET.matcher(line).matches())
            {
                inSet = true;
            }
            else if (line.equals("}"))
            {
                if (inSet)
                {
                    inSet = false;
                }
                else if (chain != null)
                {
                    chain = null;
                }
                else
                {
                    table = null;
                }
            }
            else if (chain != null && !line.isEmpty() && !line.startsWith("type "))
            {
                final Matcher m = COUNTER.matcher(line);
                if (m.find())
                {
                    out.put(table + "/" + chain + "/" + index, new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))});
                }
                index++;
            }
        }
        return out;
    }

    private static long packets(final Map<String, long[]> counters, final String rule)
    {
        final long[] v = counters.get(rule);
        return v == null ? -1 : v[0];
    }
}
