package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.app.NatTwin.Conn;
import io.flowgate.app.NatTwin.Frames;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The NAT twin testbed ({@link NatTwin}): the same hosts and the same NAT once behind a Linux router doing
 * nftables NAT and once behind flowgate running the {@code nat:} configuration. Real clients (ping, curl against
 * python's http.server, iperf3 TCP and UDP, bounded to 2 s at a modest rate) must work through both; the
 * translated tuples of {@code conntrack -L} and {@code flowgate ct list} (same filter arguments) must agree in what
 * NAT decided (addresses; a port kept when it was free, or taken from the pool's range), and tshark on the outside
 * wire of both must see only the translated addresses, every IPv4, TCP, UDP and ICMP checksum valid.
 * <p>
 * {@code -Dnat.twin.flowgate=false} runs the Linux twin alone (the harness's own check).
 */
class RealHostsNatIT
{
    private static final boolean WITH_FLOWGATE = !"false".equals(System.getProperty("nat.twin.flowgate"));

    private static NatTwin linux;
    private static NatTwin fg;
    private static FlowgateCli flowgate;
    private static Path config;
    private static Path socket;

    @BeforeAll
    static void start() throws Exception
    {
        linux = new NatTwin('l', true);
        linux.startServers();
        if (WITH_FLOWGATE)
        {
            fg = new NatTwin('f', false);
            fg.startServers();
            config = fg.dir.resolve("flowgate.yaml");
            socket = fg.dir.resolve("flowgate.sock");
            final int worker = Runtime.getRuntime().availableProcessors() - 1;
            Files.writeString(config, fg.flowgateConfig("nt-" + ProcessHandle.current().pid() + "-nat", "workers: [" + worker + "]", ""));
            flowgate = FlowgateCli.startWithPrefix(List.of("ip", "netns", "exec", fg.r),
                List.of("run", "--config", config.toString(), "--socket", socket.toString(), "--stats-interval", "1"));
            assertTrue(flowgate.awaitLine("route t=", 60), "router started:\n" + flowgate);
            assertTrue(flowgate.line("nat: ") != null, "nat announced:\n" + flowgate);
        }
    }

    @AfterAll
    static void stop() throws Exception
    {
        try
        {
            if (flowgate != null && flowgate.process.isAlive())
            {
                stopFlowgate(flowgate);
                System.out.println(flowgate.line("nat summary "));
                assertTrue(flowgate.line("nat summary ") != null, flowgate.toString());
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

    /**
     * {@link FlowgateCli#stopCleanly}, and if flowgate has not ended 20 s after the SIGINT, a SIGQUIT: its threads' stacks
     * land in its stdout, which the failure shows, to say where it hangs.
     */
    static void stopFlowgate(final FlowgateCli cli) throws Exception
    {
        final long pid = cli.process.pid();
        final Thread watchdog = Thread.ofPlatform().daemon(true).start(() ->
        {
            try
            {
                Thread.sleep(20_000);
                if (cli.process.isAlive())
                {
                    // The JVM prints its threads' stacks on stdout, which the failure message shows.
                    System.out.println("flowgate has not stopped 20 s after SIGINT: asking for its threads (SIGQUIT)");
                    Testbed.exec("kill -QUIT " + pid, 5);
                }
            }
            catch (final Exception ignored)
            {
                // best effort: a diagnosis only
            }
        });
        try
        {
            cli.stopCleanly("route summary ");
        }
        finally
        {
            watchdog.interrupt();
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
    void shouldMasqueradeTheClientBehindTheOutsideAddress() throws Exception
    {
        for (final NatTwin t : twins())
        {
            final NatTwin.Capture capture = t.capture(t.o, t.oIf, "masquerade");
            ping(t, t.c, "-I " + NatTwin.CLIENT, NatTwin.OUTSIDE);
            assertEquals("outside", curl(t, t.c, "--interface " + NatTwin.CLIENT, "http://" + NatTwin.OUTSIDE + "/who"));
            iperf3(t, t.c, "-B " + NatTwin.CLIENT, NatTwin.OUTSIDE, false);
            iperf3(t, t.c, "-B " + NatTwin.CLIENT, NatTwin.OUTSIDE, true);
            final Frames frames = NatTwin.frames(capture.stop());
            assertWire(t, frames, line -> line.startsWith(NatTwin.ROUTER_OUT + ">" + NatTwin.OUTSIDE + " ")
                || line.startsWith(NatTwin.OUTSIDE + ">" + NatTwin.ROUTER_OUT + " "));
        }
        assertTuples("-s " + NatTwin.CLIENT + " -d " + NatTwin.OUTSIDE, Set.of(
            icmp(NatTwin.CLIENT, NatTwin.OUTSIDE, NatTwin.OUTSIDE, NatTwin.ROUTER_OUT, "ID"),
            l4("tcp", NatTwin.CLIENT, NatTwin.OUTSIDE, "80", NatTwin.OUTSIDE, NatTwin.ROUTER_OUT, "80", "S"),
            l4("tcp", NatTwin.CLIENT, NatTwin.OUTSIDE, "5201", NatTwin.OUTSIDE, NatTwin.ROUTER_OUT, "5201", "S"),
            l4("udp", NatTwin.CLIENT, NatTwin.OUTSIDE, "5201", NatTwin.OUTSIDE, NatTwin.ROUTER_OUT, "5201", "S")));
    }

    @Test
    void shouldSnatTheSecondClientIntoThePoolAndItsPortRange() throws Exception
    {
        for (final NatTwin t : twins())
        {
            final NatTwin.Capture capture = t.capture(t.o, t.oIf, "pool");
            ping(t, t.c, "-I " + NatTwin.CLIENT2, NatTwin.OUTSIDE);
            assertEquals("outside", curl(t, t.c, "--interface " + NatTwin.CLIENT2, "http://" + NatTwin.OUTSIDE + "/who"));
            iperf3(t, t.c, "-B " + NatTwin.CLIENT2, NatTwin.OUTSIDE, false);
            iperf3(t, t.c, "-B " + NatTwin.CLIENT2, NatTwin.OUTSIDE, true);
            final Frames frames = NatTwin.frames(capture.stop());
            assertWire(t, frames, line -> poolLine(line));
        }
        assertTuples("-s " + NatTwin.CLIENT2, Set.of(
            icmp(NatTwin.CLIENT2, NatTwin.OUTSIDE, NatTwin.OUTSIDE, "POOL", "POOLPORT"),
            l4("tcp", NatTwin.CLIENT2, NatTwin.OUTSIDE, "80", NatTwin.OUTSIDE, "POOL", "80", "POOLPORT"),
            l4("tcp", NatTwin.CLIENT2, NatTwin.OUTSIDE, "5201", NatTwin.OUTSIDE, "POOL", "5201", "POOLPORT"),
            l4("udp", NatTwin.CLIENT2, NatTwin.OUTSIDE, "5201", NatTwin.OUTSIDE, "POOL", "5201", "POOLPORT")));
    }

    @Test
    void shouldForwardTheOutsidePortsToTheInsideServer() throws Exception
    {
        for (final NatTwin t : twins())
        {
            final NatTwin.Capture capture = t.capture(t.o, t.oIf, "dnat");
            assertEquals("inside", curl(t, t.o, "", "http://" + NatTwin.ROUTER_OUT + ":8080/who"));
            iperf3(t, t.o, "", NatTwin.ROUTER_OUT, false);
            iperf3(t, t.o, "", NatTwin.ROUTER_OUT, true);
            final Frames frames = NatTwin.frames(capture.stop());
            assertWire(t, frames, line -> line.startsWith(NatTwin.ROUTER_OUT + ">" + NatTwin.OUTSIDE + " ")
                || line.startsWith(NatTwin.OUTSIDE + ">" + NatTwin.ROUTER_OUT + " "));
        }
        assertTuples("-s " + NatTwin.OUTSIDE + " -d " + NatTwin.ROUTER_OUT, Set.of(
            l4("tcp", NatTwin.OUTSIDE, NatTwin.ROUTER_OUT, "8080", NatTwin.SERVER, NatTwin.OUTSIDE, "80", "S"),
            l4("tcp", NatTwin.OUTSIDE, NatTwin.ROUTER_OUT, "5201", NatTwin.SERVER, NatTwin.OUTSIDE, "5201", "S"),
            l4("udp", NatTwin.OUTSIDE, NatTwin.ROUTER_OUT, "5201", NatTwin.SERVER, NatTwin.OUTSIDE, "5201", "S")));
    }

    @Test
    void shouldHairpinTheClientToTheInsideServerThroughTheOutsideAddress() throws Exception
    {
        for (final NatTwin t : twins())
        {
            final NatTwin.Capture capture = t.capture(t.s, t.sIf, "hairpin");
            for (int i = 0; i < 3; i++)
            {
                assertEquals("inside", curl(t, t.c, "--interface " + NatTwin.CLIENT, "http://" + NatTwin.ROUTER_OUT + ":8080/who"));
            }
            final Frames frames = NatTwin.frames(capture.stop());
            // The server sees the router's inside address, never the client's: its replies go back through the router.
            assertWire(t, frames, line -> line.matches("10\\.0\\.0\\.1>10\\.0\\.0\\.5 6 \\d+>80") || line.matches("10\\.0\\.0\\.5>10\\.0\\.0\\.1 6 80>\\d+"));
        }
        assertTuples("-s " + NatTwin.CLIENT + " -d " + NatTwin.ROUTER_OUT, Set.of(
            l4("tcp", NatTwin.CLIENT, NatTwin.ROUTER_OUT, "8080", NatTwin.SERVER, NatTwin.ROUTER_IN, "80", "S")));
    }

    @Test
    void shouldMapTheInsideServerOneToOneBothWays() throws Exception
    {
        for (final NatTwin t : twins())
        {
            final NatTwin.Capture capture = t.capture(t.o, t.oIf, "static");
            ping(t, t.s, "", NatTwin.OUTSIDE);
            assertEquals("outside", curl(t, t.s, "", "http://" + NatTwin.OUTSIDE + "/who"));
            ping(t, t.o, "", NatTwin.STATIC_OUT);
            assertEquals("inside", curl(t, t.o, "", "http://" + NatTwin.STATIC_OUT + "/who"));
            iperf3(t, t.s, "", NatTwin.OUTSIDE, true);
            final Frames frames = NatTwin.frames(capture.stop());
            assertWire(t, frames, line -> line.startsWith(NatTwin.STATIC_OUT + ">" + NatTwin.OUTSIDE + " ")
                || line.startsWith(NatTwin.OUTSIDE + ">" + NatTwin.STATIC_OUT + " "));
        }
        assertTuples("-s " + NatTwin.SERVER, Set.of(
            icmp(NatTwin.SERVER, NatTwin.OUTSIDE, NatTwin.OUTSIDE, NatTwin.STATIC_OUT, "ID"),
            l4("tcp", NatTwin.SERVER, NatTwin.OUTSIDE, "80", NatTwin.OUTSIDE, NatTwin.STATIC_OUT, "80", "S"),
            l4("tcp", NatTwin.SERVER, NatTwin.OUTSIDE, "5201", NatTwin.OUTSIDE, NatTwin.STATIC_OUT, "5201", "S"),
            l4("udp", NatTwin.SERVER, NatTwin.OUTSIDE, "5201", NatTwin.OUTSIDE, NatTwin.STATIC_OUT, "5201", "S")));
        assertTuples("-d " + NatTwin.STATIC_OUT, Set.of(
            icmp(NatTwin.OUTSIDE, NatTwin.STATIC_OUT, NatTwin.SERVER, NatTwin.OUTSIDE, "ID"),
            l4("tcp", NatTwin.OUTSIDE, NatTwin.STATIC_OUT, "80", NatTwin.SERVER, NatTwin.OUTSIDE, "80", "S")));
    }

    @Test
    void shouldTranslateAnIcmpErrorAndItsQuotedPacketBackToTheClient() throws Exception
    {
        // A connected UDP socket hears "port unreachable" (ECONNREFUSED) only when the quoted packet names it: the
        // router must translate the error's outer header and the packet inside it back to the client's addresses.
        final String probe = "/usr/bin/python3 -c \"import socket, time\n"
            + "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('" + NatTwin.CLIENT + "', 0))\n"
            + "s.connect(('" + NatTwin.OUTSIDE + "', 9999)); s.settimeout(2); s.send(b'x'); time.sleep(0.5)\n"
            + "try:\n  s.send(b'x'); s.recv(16); print('answered')\n"
            + "except ConnectionRefusedError: print('refused')\n"
            + "except socket.timeout: print('timeout')\"";
        try
        {
            for (final NatTwin t : twins())
            {
                final NatTwin.Capture capture = t.capture(t.c, t.cIf, "icmp-error");
                final String out = t.exec(t.c, probe, 15).output().strip();
                final Frames frames = NatTwin.frames(capture.stop());
                assertEquals("refused", out, name(t) + ": the client's socket got the port unreachable" + routerState(t));
                assertEquals(List.of(), frames.badChecksums(), name(t) + ": frames with a bad checksum");
                assertTrue(frames.lines().stream().anyMatch(l -> l.startsWith(NatTwin.OUTSIDE + ">" + NatTwin.CLIENT + " 1 type3")),
                    name(t) + ": the ICMP error reached the client: " + frames.lines());
            }
            assertTuples("-p udp --dport 9999", Set.of(l4("udp", NatTwin.CLIENT, NatTwin.OUTSIDE, "9999", NatTwin.OUTSIDE,
                NatTwin.ROUTER_OUT, "9999", "S")));
        }
        finally
        {
            // Out of the way of the masquerade case's listing.
            Testbed.exec("ip netns exec " + linux.r + " conntrack -D -p udp --dport 9999", 10);
            if (flowgate != null)
            {
                FlowgateCli.run(30, List.of("ct", "delete", "-p", "udp", "--dport", "9999", "--socket", socket.toString()));
            }
        }
    }

    // ---- clients

    static void ping(final NatTwin t, final String ns, final String options, final String to) throws Exception
    {
        final String out = t.exec(ns, "ping -c 3 -i 0.2 -W 2 " + options + " " + to, 20).output();
        assertTrue(out.contains("3 received"), name(t) + ": ping " + to + " from " + ns + ":\n" + out + routerState(t));
    }

    static String curl(final NatTwin t, final String ns, final String options, final String url) throws Exception
    {
        final Testbed.Result r = t.exec(ns, "curl -sS --max-time 5 " + options + " " + url, 15);
        assertEquals(0, r.exit(), name(t) + ": curl " + url + " from " + ns + ":\n" + r.output() + routerState(t));
        return r.output().strip();
    }

    /** A 2 s iperf3 run at 20 Mbit/s (TCP) or 5 Mbit/s (UDP); asserts that the server received most of it. */
    static void iperf3(final NatTwin t, final String ns, final String options, final String to, final boolean udp) throws Exception
    {
        final Testbed.Result r = t.exec(ns, "iperf3 -c " + to + " -p 5201 -t 2 " + (udp ? "-u -b 5M" : "-b 20M") + " -J " + options, 20);
        final String out = r.output();
        assertTrue(r.exit() == 0 && !out.contains("\"error\""), name(t) + ": iperf3 " + (udp ? "udp " : "tcp ") + to + ":\n" + out
            + routerState(t));
        final String key = udp ? "sum" : "sum_received";
        final long bytes = Long.parseLong(out.replaceAll("(?s).*\"end\":.*?\"" + key + "\":\\s*\\{[^}]*?\"bytes\":\\s*(\\d+).*", "$1"));
        assertTrue(bytes > (udp ? 500_000 : 1_000_000), name(t) + ": iperf3 " + (udp ? "udp" : "tcp") + " carried " + bytes + " bytes");
        if (udp)
        {
            final double lost = Double.parseDouble(out.replaceAll("(?s).*\"end\":.*?\"sum\":\\s*\\{[^}]*?\"lost_percent\":\\s*([0-9.e+-]+).*",
                "$1"));
            assertTrue(lost < 10, name(t) + ": iperf3 udp lost " + lost + "%");
        }
    }

    private static String routerState(final NatTwin t)
    {
        if (t.linux || flowgate == null)
        {
            return "";
        }
        if (!threadsAsked)
        {
            // Once: the JVM prints its threads' stacks on stdout (shown in full when the class ends), to say where it stalls.
            threadsAsked = true;
            try
            {
                Testbed.exec("kill -QUIT " + flowgate.process.pid(), 5);
            }
            catch (final Exception ignored)
            {
                // a diagnosis only
            }
        }
        return "\n--- flowgate (last lines)\n" + String.join("\n", tail(flowgate.stdout, 6)) + "\n" + String.join("\n", tail(flowgate.stderr, 10));
    }

    private static boolean threadsAsked;

    private static List<String> tail(final List<String> lines, final int n)
    {
        synchronized (lines)
        {
            return new ArrayList<>(lines.subList(Math.max(0, lines.size() - n), lines.size()));
        }
    }

    // ---- the wire

    private static boolean poolLine(final String line)
    {
        final String[] parts = line.split(" ");
        final String[] addresses = parts[0].split(">");
        final boolean out = addresses[1].equals(NatTwin.OUTSIDE);
        final String mapped = out ? addresses[0] : addresses[1];
        if (!mapped.equals(NatTwin.POOL_FIRST) && !mapped.equals(NatTwin.POOL_LAST) || !(out ? addresses[1] : addresses[0]).equals(NatTwin.OUTSIDE))
        {
            return false;
        }
        if (parts[2].startsWith("type"))
        {
            return inPool(parts[3].substring(2));
        }
        final String[] ports = parts[2].split(">");
        return inPool(out ? ports[0] : ports[1]);
    }

    private static boolean inPool(final String port)
    {
        final int p = Integer.parseInt(port);
        return p >= NatTwin.POOL_PORT_MIN && p <= NatTwin.POOL_PORT_MAX;
    }

    private static void assertWire(final NatTwin t, final Frames frames, final Predicate<String> expected)
    {
        assertTrue(frames.lines().size() > 10, name(t) + ": frames captured: " + frames.lines());
        assertEquals(List.of(), frames.badChecksums(), name(t) + ": frames with a bad checksum");
        assertEquals(0, frames.ipNotGood(), name(t) + ": IPv4 headers whose checksum tshark did not find good");
        final List<String> unexpected = frames.lines().stream().filter(expected.negate()).distinct().limit(10).toList();
        assertEquals(List.of(), unexpected, name(t) + ": frames with addresses or ports other than NAT's");
    }

    // ---- the tuples

    /**
     * Lists connections matching {@code filter} on both routers (conntrack's filter arguments) and compares them in
     * what NAT decided: each connection normalized (the client's port as S, an ICMP id as ID when kept, a pool
     * address and port as POOL and POOLPORT), both twins' sets equal to {@code expected}.
     */
    private static void assertTuples(final String filter, final Set<String> expected) throws Exception
    {
        final List<Conn> linuxConns = linux.conntrack(filter);
        assertEquals(expected, normalize(linuxConns), "linux: conntrack -L " + filter + ":\n" + lines(linuxConns));
        if (flowgate != null)
        {
            final List<String> args = new ArrayList<>(List.of("ct", "list"));
            args.addAll(List.of(filter.split(" ")));
            args.addAll(List.of("--socket", socket.toString()));
            final FlowgateCli list = FlowgateCli.run(30, args);
            assertEquals(0, list.process.exitValue(), list.toString());
            final List<Conn> fgConns = list.stdout.stream().filter(l -> !l.isBlank()).map(Conn::parse).toList();
            assertEquals(normalize(linuxConns), normalize(fgConns), "flowgate ct list " + filter + " against Linux's conntrack -L:\n--- linux\n"
                + lines(linuxConns) + "\n--- flowgate\n" + lines(fgConns));
        }
    }

    private static String lines(final List<Conn> conns)
    {
        return String.join("\n", conns.stream().map(Conn::line).toList());
    }

    private static Set<String> normalize(final List<Conn> conns)
    {
        final Set<String> out = new TreeSet<>();
        for (final Conn c : conns)
        {
            final Map<String, String> orig = new TreeMap<>(c.orig());
            final Map<String, String> reply = new TreeMap<>(c.reply());
            final boolean pool = NatTwin.POOL_FIRST.equals(reply.get("dst")) || NatTwin.POOL_LAST.equals(reply.get("dst"));
            if (pool)
            {
                reply.put("dst", "POOL");
            }
            for (final String key : List.of("dport", "id"))
            {
                final String value = reply.get(key);
                if (value == null)
                {
                    continue;
                }
                final String origValue = orig.get(key.equals("id") ? "id" : "sport");
                if (pool && inPool(value))
                {
                    reply.put(key, "POOLPORT");
                }
                else if (value.equals(origValue))
                {
                    reply.put(key, key.equals("id") ? "ID" : "S");
                }
            }
            if (orig.containsKey("sport"))
            {
                orig.put("sport", "S");
            }
            if (orig.containsKey("id"))
            {
                orig.put("id", "ID");
            }
            out.add(c.protocol() + " " + orig + " " + reply);
        }
        return out;
    }

    private static String icmp(final String src, final String dst, final String replySrc, final String replyDst, final String replyId)
    {
        return "icmp {code=0, dst=" + dst + ", id=ID, src=" + src + ", type=8} {code=0, dst=" + replyDst + ", id=" + replyId + ", src="
            + replySrc + ", type=0}";
    }

    private static String l4(final String protocol, final String src, final String dst, final String dport, final String replySrc,
                             final String replyDst, final String replySport, final String replyDport)
    {
        return protocol + " {dport=" + dport + ", dst=" + dst + ", sport=S, src=" + src + "} {dport=" + replyDport + ", dst=" + replyDst
            + ", sport=" + replySport + ", src=" + replySrc + "}";
    }
}
