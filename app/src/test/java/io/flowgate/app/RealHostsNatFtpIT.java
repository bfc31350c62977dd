package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.app.NatTwin.Conn;
import io.flowgate.app.NatTwin.Frames;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * FTP and TFTP through the NAT twin testbed ({@link NatTwin}, names {@code nf<pid><tag>-*}): real {@code lftp} (PORT,
 * PASV, EPSV) and {@code curl} (EPRT: lftp sends EPRT over IPv6 only) against {@code vsftpd}, and {@code tftp}
 * (tftp-hpa) against {@code in.tftpd} (tftpd-hpa), once through the Linux router with nft {@code ct helper} objects
 * assigned in a prerouting chain (Linux needs them since 4.7) and once through flowgate with
 * {@code nat: {helpers: {ftp: [21], tftp: [69]}}}. Two placements: the client inside behind masquerade (servers on
 * the outside host), and the servers inside behind a DNAT port forward of 21 and 69 (the client outside; passive
 * ports and active data connections are reached through the helper's expectations, no forward of their own).
 * <p>
 * Each transfer moves a 300 KiB file, checked by SHA-256. Then, on both routers: the data connections are the
 * connections with status EXPECTED (RELATED), translated as Linux does ({@code conntrack -L -u EXPECTED} against
 * {@code flowgate ct list -u EXPECTED}, ports normalized to which of them equal which); on the outside wire (tshark)
 * every checksum is valid, no inside address appears in a header or in the PORT/EPRT/227/229 text, the text carries
 * the translated address, and each data connection goes to the port the text announced.
 * <p>
 * Servers and clients: {@link NatFtpHosts}. Needs root and the Debian packages lftp, vsftpd, tftp-hpa, tftpd-hpa, curl,
 * tshark, conntrack.
 */
class RealHostsNatFtpIT
{
    private static NatTwin linux;
    private static NatTwin fg;
    private static FlowgateCli flowgate;
    private static Path socket;
    private static NatFtpHosts hosts;

    @BeforeAll
    static void start() throws Exception
    {
        hosts = new NatFtpHosts(RealHostsNatFtpIT::routerState);
        linux = new NatTwin("nf", 'l', true);
        Files.writeString(linux.dir.resolve("helpers.nft"), NatFtpHosts.linuxHelpers());
        linux.in(linux.r, "nft -f " + linux.dir.resolve("helpers.nft"));
        hosts.start(linux);

        fg = new NatTwin("nf", 'f', false);
        hosts.start(fg);
        final Path config = fg.dir.resolve("flowgate.yaml");
        socket = fg.dir.resolve("flowgate.sock");
        final int worker = Runtime.getRuntime().availableProcessors() - 1;
        Files.writeString(config, NatFtpHosts.flowgateConfig(fg.flowgateConfig("nt-" + ProcessHandle.current().pid() + "-ftp",
            "workers: [" + worker + "]", "")));
        flowgate = FlowgateCli.startWithPrefix(List.of("ip", "netns", "exec", fg.r),
            List.of("run", "--config", config.toString(), "--socket", socket.toString(), "--stats-interval", "1"));
        assertTrue(flowgate.awaitLine("route t=", 60), "router started:\n" + flowgate);
    }

    @AfterAll
    static void stop() throws Exception
    {
        try
        {
            if (flowgate != null && flowgate.process.isAlive())
            {
                RealHostsNatIT.stopFlowgate(flowgate);
                System.out.println(flowgate.line("nat summary "));
            }
        }
        finally
        {
            if (hosts != null)
            {
                hosts.close();
            }
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
        return List.of(linux, fg);
    }

    private static String name(final NatTwin t)
    {
        return t.linux ? "linux" : "flowgate";
    }

    @Test
    void shouldCarryFtpAndTftpOfTheMasqueradedClient() throws Exception
    {
        final Map<String, List<String>> texts = new LinkedHashMap<>();
        for (final NatTwin t : twins())
        {
            final NatTwin.Capture capture = t.capture(t.o, t.oIf, "ftp-snat");
            hosts.transfers(t, t.c, "set net:socket-bind-ipv4 " + NatTwin.CLIENT, "--interface " + NatTwin.CLIENT, NatTwin.OUTSIDE);
            final Path pcap = capture.stop();
            final Frames frames = NatTwin.frames(pcap);
            assertWire(t, frames);
            final List<String> text = ftpText(pcap);
            texts.put(name(t), normalizeText(text));
            // The client's announcements carry the router's outside address; the server's are its own.
            assertAnnounced(t, frames, text, "PORT", NatTwin.ROUTER_OUT, NatTwin.OUTSIDE, NatTwin.ROUTER_OUT);
            assertAnnounced(t, frames, text, "EPRT", NatTwin.ROUTER_OUT, NatTwin.OUTSIDE, NatTwin.ROUTER_OUT);
            assertAnnounced(t, frames, text, "227", NatTwin.OUTSIDE, NatTwin.ROUTER_OUT, NatTwin.OUTSIDE);
            assertAnnounced(t, frames, text, "229", NatTwin.OUTSIDE, NatTwin.ROUTER_OUT, NatTwin.OUTSIDE);
            // TFTP: the server answers from another port to the request's translated port, and that answer reached the client.
            assertTrue(frames.lines().stream().anyMatch(l -> l.matches("198\\.51\\.100\\.2>198\\.51\\.100\\.1 17 (?!69>)\\d+>\\d+")),
                name(t) + ": the TFTP answer on the wire: " + frames.lines().stream().filter(l -> l.contains(" 17 ")).distinct().toList());
        }
        assertEquals(texts.get("linux"), texts.get("flowgate"), "the FTP text on the outside wire (ports normalized)");
        assertRelated(c -> NatTwin.CLIENT.equals(c.orig().get("src")) || NatTwin.CLIENT.equals(c.reply().get("src")), Set.of(
            // active (PORT, EPRT): the server connects from 20 to the translated port, the port kept
            "tcp 198.51.100.2:20>198.51.100.1:P1 | 10.0.0.2:P1>198.51.100.2:20",
            // passive (PASV, EPSV): the client's connection masqueraded like any other, port kept
            "tcp 10.0.0.2:P1>198.51.100.2:PASV | 198.51.100.2:PASV>198.51.100.1:P1",
            // TFTP: the answer from the server's new port, to the request's translated port
            "udp 198.51.100.2:P1>198.51.100.1:P2 | 10.0.0.2:P2>198.51.100.2:P1"));
        assertMasters(c -> NatTwin.CLIENT.equals(c.orig().get("src")), Set.of(
            "tcp 10.0.0.2:P1>198.51.100.2:21 | 198.51.100.2:21>198.51.100.1:P1",
            "udp 10.0.0.2:P1>198.51.100.2:69 | 198.51.100.2:69>198.51.100.1:P1"));
    }

    @Test
    void shouldCarryFtpOfTheClientSnattedIntoThePool() throws Exception
    {
        final Map<String, List<String>> texts = new LinkedHashMap<>();
        final Set<String> pool = Set.of(NatTwin.POOL_FIRST, NatTwin.POOL_LAST);
        for (final NatTwin t : twins())
        {
            final NatTwin.Capture capture = t.capture(t.o, t.oIf, "ftp-pool");
            final String bind = "set net:socket-bind-ipv4 " + NatTwin.CLIENT2;
            hosts.lftp(t, t.c, bind, NatTwin.OUTSIDE, "set ftp:passive-mode off", "pool-port");
            hosts.lftp(t, t.c, bind, NatTwin.OUTSIDE, "set ftp:passive-mode on; set ftp:prefer-epsv no", "pool-pasv");
            final Path pcap = capture.stop();
            final Frames frames = NatTwin.frames(pcap);
            assertWire(t, frames, 20);
            final List<String> text = ftpText(pcap);
            texts.put(name(t), normalizeText(text).stream().map(l -> l.replace("198,51,100,21", "198,51,100,20")).toList());
            // PORT names the pool address the control connection got; the server connects there.
            assertAnnounced(t, frames, text, "PORT", pool, NatTwin.OUTSIDE, null);
            assertAnnounced(t, frames, text, "227", Set.of(NatTwin.OUTSIDE), null, NatTwin.OUTSIDE);
        }
        assertEquals(texts.get("linux"), texts.get("flowgate"), "the FTP text on the outside wire (ports and pool address normalized)");
        assertRelated(c -> NatTwin.CLIENT2.equals(c.orig().get("src")) || NatTwin.CLIENT2.equals(c.reply().get("src")), Set.of(
            // active: the data connection goes to the master's pool address and the port PORT announced: the client's own, kept
            // (Linux's nf_nat_ftp tries the announced port first; the rule's port range is not consulted)
            "tcp 198.51.100.2:20>POOL:P1 | 10.0.0.3:P1>198.51.100.2:20",
            // passive: follow-master gives the master's pool address and keeps the client's port (again not the rule's range)
            "tcp 10.0.0.3:P1>198.51.100.2:PASV | 198.51.100.2:PASV>POOL:P1"));
        assertMasters(c -> NatTwin.CLIENT2.equals(c.orig().get("src")), Set.of(
            "tcp 10.0.0.3:P1>198.51.100.2:21 | 198.51.100.2:21>POOL:POOLPORT"));
    }

    @Test
    void shouldCarryFtpAndTftpToTheServerBehindThePortForward() throws Exception
    {
        final Map<String, List<String>> texts = new LinkedHashMap<>();
        for (final NatTwin t : twins())
        {
            final NatTwin.Capture capture = t.capture(t.o, t.oIf, "ftp-dnat");
            hosts.transfers(t, t.o, "", "", NatTwin.ROUTER_OUT);
            final Path pcap = capture.stop();
            final Frames frames = NatTwin.frames(pcap);
            assertWire(t, frames);
            final List<String> text = ftpText(pcap);
            texts.put(name(t), normalizeText(text));
            // The client (outside) announces itself; the server's answers carry the router's outside address.
            assertAnnounced(t, frames, text, "PORT", NatTwin.OUTSIDE, NatTwin.ROUTER_OUT, NatTwin.OUTSIDE);
            assertAnnounced(t, frames, text, "EPRT", NatTwin.OUTSIDE, NatTwin.ROUTER_OUT, NatTwin.OUTSIDE);
            assertAnnounced(t, frames, text, "227", NatTwin.ROUTER_OUT, NatTwin.OUTSIDE, NatTwin.ROUTER_OUT);
            assertAnnounced(t, frames, text, "229", NatTwin.ROUTER_OUT, NatTwin.OUTSIDE, NatTwin.ROUTER_OUT);
            assertTrue(frames.lines().stream().anyMatch(l -> l.matches("198\\.51\\.100\\.1>198\\.51\\.100\\.2 17 (?!69>)\\d+>\\d+")),
                name(t) + ": the TFTP answer on the wire: " + frames.lines().stream().filter(l -> l.contains(" 17 ")).distinct().toList());
        }
        assertEquals(texts.get("linux"), texts.get("flowgate"), "the FTP text on the outside wire (ports normalized)");
        assertRelated(c -> NatTwin.SERVER.equals(c.orig().get("src")) || NatTwin.SERVER.equals(c.reply().get("src")), Set.of(
            // active: the inside server connects from 20; the master's translation follows (the router's address, not the static mapping's)
            "tcp 10.0.0.5:20>198.51.100.2:P1 | 198.51.100.2:P1>198.51.100.1:20",
            // passive: the client connects to the announced port of the router's address, forwarded to the server
            "tcp 198.51.100.2:P1>198.51.100.1:PASV | 10.0.0.5:PASV>198.51.100.2:P1",
            // TFTP: the server's answer from a new port leaves with the router's address and the request's port
            "udp 10.0.0.5:P1>198.51.100.2:P2 | 198.51.100.2:P2>198.51.100.1:P1"));
        assertMasters(c -> NatTwin.SERVER.equals(c.reply().get("src")), Set.of(
            "tcp 198.51.100.2:P1>198.51.100.1:21 | 10.0.0.5:21>198.51.100.2:P1",
            "udp 198.51.100.2:P1>198.51.100.1:69 | 10.0.0.5:69>198.51.100.2:P1"));
    }

    /**
     * Linux's {@code conntrack -L} names the helper of a helped connection ({@code helper=ftp}, {@code helper=tftp}, from
     * CTA_HELP); {@code flowgate ct list} does not (ConntrackFormat prints no helper: the listing's entries do not carry the
     * help slot).
     */
    @Disabled("flowgate ct list prints no helper=NAME on helped connections (Linux: 'mark=0 helper=ftp use=2'); the app's "
        + "listing has no access to the help table")
    @Test
    void shouldNameTheHelperOfEachHelpedConnectionAsLinuxDoes() throws Exception
    {
        for (final NatTwin t : twins())
        {
            hosts.lftp(t, t.c, "set net:socket-bind-ipv4 " + NatTwin.CLIENT, NatTwin.OUTSIDE, "set ftp:passive-mode on", "helper");
        }
        final String linuxLine = linux.conntrack("-p tcp --dport 21 -s " + NatTwin.CLIENT).getFirst().line();
        final FlowgateCli list = FlowgateCli.run(30, List.of("ct", "list", "-p", "tcp", "--dport", "21", "-s", NatTwin.CLIENT, "--socket",
            socket.toString()));
        final String fgLine = list.stdout.stream().filter(l -> !l.isBlank()).findFirst().orElse("");
        assertTrue(linuxLine.contains(" helper=ftp "), linuxLine);
        assertTrue(fgLine.contains(" helper=ftp "), "flowgate: " + fgLine + "\nlinux: " + linuxLine);
    }

    // ---- the transfers

    private static String routerState(final NatTwin t)
    {
        if (t.linux || flowgate == null)
        {
            return "";
        }
        synchronized (flowgate.stdout)
        {
            return "\n--- flowgate\n" + String.join("\n", flowgate.stdout.subList(Math.max(0, flowgate.stdout.size() - 4), flowgate.stdout.size()))
                + "\n" + String.join("\n", flowgate.stderr.subList(Math.max(0, flowgate.stderr.size() - 10), flowgate.stderr.size()));
        }
    }

    // ---- the wire

    private static void assertWire(final NatTwin t, final Frames frames)
    {
        assertWire(t, frames, 100);
    }

    private static void assertWire(final NatTwin t, final Frames frames, final int minimum)
    {
        assertTrue(frames.lines().size() > minimum, name(t) + ": frames captured: " + frames.lines().size());
        assertEquals(List.of(), frames.badChecksums(), name(t) + ": frames with a bad checksum");
        assertEquals(0, frames.ipNotGood(), name(t) + ": IPv4 headers whose checksum tshark did not find good");
        assertEquals(List.of(), frames.lines().stream().filter(l -> l.contains("10.0.0.")).distinct().limit(10).toList(),
            name(t) + ": inside addresses on the outside wire");
    }

    /**
     * The PORT, EPRT, 227 and 229 lines of the capture's FTP control connections as {@code WORD ARGUMENT}, in order (tshark's
     * FTP dissector on port 21).
     */
    static List<String> ftpText(final Path pcap) throws Exception
    {
        final Path file = Path.of(pcap + ".ftp");
        Testbed.sh("tshark -r " + pcap + " -Y 'ftp.request.command == \"PORT\" || ftp.request.command == \"EPRT\" || ftp.response.code == 227 "
            + "|| ftp.response.code == 229' -T fields -E separator=/t -e ftp.request.command -e ftp.request.arg -e ftp.response.code "
            + "-e ftp.response.arg > " + file + " 2>/dev/null");
        final List<String> lines = new ArrayList<>();
        for (final String line : Files.readAllLines(file))
        {
            final String[] f = line.split("\t", -1);
            if (f.length >= 4)
            {
                lines.add(!f[0].isEmpty() ? f[0] + " " + f[1] : f[2] + " " + f[3]);
            }
        }
        return lines;
    }

    /** The text with its port numbers left out (they are the clients' ephemeral ports and vsftpd's choice). */
    private static List<String> normalizeText(final List<String> text)
    {
        final List<String> out = new ArrayList<>();
        for (final String line : text)
        {
            out.add(line.replaceAll("\\|\\d+\\|\\)", "|PORT|)").replaceAll("\\|(\\d+)\\|$", "|PORT|")
                .replaceAll("(\\d+,\\d+,\\d+,\\d+),\\d+,\\d+", "$1,PORT").replaceAll("\\s+$", ""));
        }
        return out;
    }

    private static void assertAnnounced(final NatTwin t, final Frames frames, final List<String> text, final String word, final String address,
                                        final String from, final String to)
    {
        assertAnnounced(t, frames, text, word, Set.of(address), from, to);
    }

    /**
     * Lines of {@code word} (PORT, EPRT, 227, 229) were on the wire, each announcing one of {@code addresses} (229: none, it
     * carries a port only), and a TCP connection from {@code from} (null: any address) to {@code to} (null: the announced address)
     * at each announced port followed.
     */
    private static void assertAnnounced(final NatTwin t, final Frames frames, final List<String> text, final String word,
                                        final Set<String> addresses, final String from, final String to)
    {
        final List<String> lines = text.stream().filter(l -> l.startsWith(word + " ")).toList();
        assertFalse(lines.isEmpty(), name(t) + ": no " + word + " on the outside wire: " + text);
        for (final String line : lines)
        {
            assertFalse(line.contains("10,0,0,") || line.contains("10.0.0."), name(t) + ": an inside address in " + line);
            final int port;
            String announced = null;
            if (word.equals("PORT") || word.equals("227"))
            {
                final Matcher m = Pattern.compile("(\\d+),(\\d+),(\\d+),(\\d+),(\\d+),(\\d+)").matcher(line);
                assertTrue(m.find(), name(t) + ": " + line);
                announced = m.group(1) + "." + m.group(2) + "." + m.group(3) + "." + m.group(4);
                port = Integer.parseInt(m.group(5)) * 256 + Integer.parseInt(m.group(6));
            }
            else if (word.equals("EPRT"))
            {
                final String[] f = line.substring(5).split("\\|");
                announced = f[2];
                port = Integer.parseInt(f[3]);
            }
            else
            {
                final Matcher m = Pattern.compile("\\|\\|\\|(\\d+)\\|").matcher(line);
                assertTrue(m.find(), name(t) + ": " + line);
                port = Integer.parseInt(m.group(1));
            }
            assertTrue(announced == null || addresses.contains(announced), name(t) + ": the address in " + line + ", want one of " + addresses);
            final String head = (from == null ? "" : from) + ">" + (to == null ? announced : to) + " 6 ";
            final Predicate<String> between = l -> from == null ? l.contains(head) : l.startsWith(head);
            assertTrue(frames.lines().stream().anyMatch(l -> between.test(l) && l.endsWith(">" + port)),
                name(t) + ": no data connection " + head + "*>" + port + " after " + line + ": "
                    + frames.lines().stream().filter(between).distinct().toList());
        }
    }

    // ---- the tuples

    /**
     * The connections with status EXPECTED (created by an expectation: RELATED) that {@code select} picks, on both routers:
     * Linux's set equals {@code expected}, flowgate's equals Linux's; both lists are printed.
     */
    private static void assertRelated(final Predicate<Conn> select, final Set<String> expected) throws Exception
    {
        final List<Conn> linuxConns = linux.conntrack("-u EXPECTED").stream().filter(select).toList();
        final FlowgateCli list = FlowgateCli.run(30, List.of("ct", "list", "-u", "EXPECTED", "--socket", socket.toString()));
        assertEquals(0, list.process.exitValue(), list.toString());
        final List<Conn> fgConns = list.stdout.stream().filter(l -> !l.isBlank()).map(Conn::parse).filter(select).toList();
        final String both = "\n--- linux: conntrack -L -u EXPECTED\n" + lines(linuxConns) + "\n--- flowgate: ct list -u EXPECTED\n" + lines(fgConns);
        System.out.println("RELATED connections" + both);
        assertEquals(expected, normalize(linuxConns), "linux" + both);
        assertEquals(normalize(linuxConns), normalize(fgConns), "flowgate against Linux" + both);
        assertEquals(linuxConns.size(), fgConns.size(), "as many RELATED connections" + both);
    }

    /**
     * The helped connections (FTP control connections, TFTP requests) that {@code select} picks, on both routers, as
     * {@link #assertRelated}. Linux's lines name the helper ({@code helper=ftp}); flowgate's are printed beside them.
     */
    private static void assertMasters(final Predicate<Conn> select, final Set<String> expected) throws Exception
    {
        final List<Conn> linuxConns = new ArrayList<>();
        final List<Conn> fgConns = new ArrayList<>();
        for (final String filter : List.of("-p tcp --dport 21", "-p udp --dport 69"))
        {
            linuxConns.addAll(linux.conntrack(filter).stream().filter(select).toList());
            final List<String> args = new ArrayList<>(List.of("ct", "list"));
            args.addAll(List.of(filter.split(" ")));
            args.addAll(List.of("--socket", socket.toString()));
            final FlowgateCli list = FlowgateCli.run(30, args);
            assertEquals(0, list.process.exitValue(), list.toString());
            fgConns.addAll(list.stdout.stream().filter(l -> !l.isBlank()).map(Conn::parse).filter(select).toList());
        }
        final String both = "\n--- linux: conntrack -L\n" + lines(linuxConns) + "\n--- flowgate: ct list\n" + lines(fgConns);
        System.out.println("helped connections" + both);
        assertEquals(expected, normalize(linuxConns), "linux" + both);
        assertEquals(normalize(linuxConns), normalize(fgConns), "flowgate against Linux" + both);
        assertEquals(linuxConns.size(), fgConns.size(), "as many helped connections" + both);
    }

    private static String lines(final List<Conn> conns)
    {
        return String.join("\n", conns.stream().map(Conn::line).toList());
    }

    /**
     * {@code PROTO SRC:SPORT>DST:DPORT | SRC:SPORT>DST:DPORT} (original | reply); ports 20, 21 and 69 as they are, vsftpd's passive
     * ports as PASV, the pool's addresses as POOL and their ports in the pool's range as POOLPORT, any other port as P1, P2, ...
     * in order of first appearance (so a kept port shows as the same name).
     */
    static Set<String> normalize(final List<Conn> conns)
    {
        final Set<String> out = new TreeSet<>();
        for (final Conn c : conns)
        {
            final Map<String, String> names = new LinkedHashMap<>();
            final StringBuilder s = new StringBuilder(c.protocol());
            for (final Map<String, String> tuple : List.of(c.orig(), c.reply()))
            {
                s.append(tuple == c.orig() ? " " : " | ").append(address(tuple.get("src"))).append(':')
                    .append(port(tuple.get("sport"), tuple.get("src"), names)).append('>').append(address(tuple.get("dst"))).append(':')
                    .append(port(tuple.get("dport"), tuple.get("dst"), names));
            }
            out.add(s.toString());
        }
        return out;
    }

    private static String address(final String value)
    {
        return NatTwin.POOL_FIRST.equals(value) || NatTwin.POOL_LAST.equals(value) ? "POOL" : value;
    }

    private static String port(final String value, final String address, final Map<String, String> names)
    {
        final int p = Integer.parseInt(value);
        if (p == 20 || p == 21 || p == 69)
        {
            return value;
        }
        if (p >= NatFtpHosts.PASV_MIN && p <= NatFtpHosts.PASV_MAX)
        {
            return "PASV";
        }
        if (address(address).equals("POOL") && p >= NatTwin.POOL_PORT_MIN && p <= NatTwin.POOL_PORT_MAX)
        {
            return "POOLPORT";
        }
        return names.computeIfAbsent(value, v -> "P" + (names.size() + 1));
    }
}
