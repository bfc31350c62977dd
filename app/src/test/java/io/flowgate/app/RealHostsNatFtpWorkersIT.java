package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.app.NatTwin.Conn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * The flowgate twin of {@link RealHostsNatFtpIT} with two workers, once per dispatch mode (as {@link RealHostsNatWorkersIT}).
 * The expectation lives in the master's worker, so each data connection must reach that worker to be created RELATED (each
 * one listed by {@code ct list -u EXPECTED}); files checked by SHA-256, the outside wire by tshark (checksums valid, no
 * inside address). What works: the masqueraded client's active FTP (lftp PORT, curl EPRT) and TFTP, passive FTP (PASV, EPSV)
 * to the server behind the port forward. What does not, each in a disabled test saying how it fails: the masqueraded
 * client's passive FTP, and connections the forwarded server opens (active FTP, the TFTP answer).
 */
class RealHostsNatFtpWorkersIT
{
    private static NatTwin twin;
    private static NatFtpHosts hosts;
    private static FlowgateCli running;

    @BeforeAll
    static void start() throws Exception
    {
        Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "two workers and the slow path need two CPUs");
        hosts = new NatFtpHosts(t -> tail(running));
        twin = new NatTwin("nf", 'w', false);
        hosts.start(twin);
    }

    @AfterAll
    static void stop()
    {
        if (hosts != null)
        {
            hosts.close();
        }
        if (twin != null)
        {
            twin.close();
        }
    }

    @Test
    void shouldRelateTheDataConnectionsWithTwoWorkersAndRssDispatch() throws Exception
    {
        exercise("rss", WORKING, 5, WORKING_RELATED);
    }

    @Test
    void shouldRelateTheDataConnectionsWithTwoWorkersAndSoftwareDispatch() throws Exception
    {
        exercise("software", WORKING, 5, WORKING_RELATED);
    }

    /**
     * Masqueraded client, passive: the data connection from 10.0.0.2 is RELATED and follow-master keeps its source port (as
     * Linux does), though the master's worker may not own it (owner of a reply to 198.51.100.1: {@code port % 2}). Seen (rss):
     * the master's worker owned the even ports (control connections mapped 54123 to 27700, 51099 to 45784); PASV's data
     * connection kept 57411: {@code SYN_SENT src=10.0.0.2 dst=198.51.100.2 sport=57411 dport=51008 [UNREPLIED]
     * src=198.51.100.2 dst=198.51.100.1 sport=51007 dport=57411}; the server's SYN-ACK {@code 198.51.100.2>198.51.100.1 6
     * 51007>57411} is on the outside wire, never inside: the worker the fanout gives it misses, finds itself the port's owner
     * and drops it, and every retransmission takes the same way. EPSV's (46643, also odd) passed because the hash brought its
     * replies to the master's worker. Also visible: the helper moved the 227's port (51007 announced, 51008 sent inside, DNAT
     * back to 51007) to one its worker owns, which Linux does not and this direction does not need (the client's
     * connection is owned by its source). One worker: passes ({@link RealHostsNatFtpIT}).
     */
    @Test
    void shouldRelateThePassiveDataConnectionsOfTheMasqueradedClientWithTwoWorkers() throws Exception
    {
        final String bind = "set net:socket-bind-ipv4 " + NatTwin.CLIENT;
        exercise("rss", List.of(
            () -> hosts.lftp(twin, twin.c, bind, NatTwin.OUTSIDE, "set ftp:passive-mode on; set ftp:prefer-epsv no", "pasv"),
            () -> hosts.lftp(twin, twin.c, bind, NatTwin.OUTSIDE, "set ftp:passive-mode on; set ftp:prefer-epsv yes", "epsv")),
            2, Set.of("tcp 10.0.0.2:P1>198.51.100.2:PASV | 198.51.100.2:PASV>198.51.100.1:P1"));
    }

    /**
     * Server behind the port forward opening the data connection (active FTP, TFTP's answer): the expectation lives in the
     * master's worker; the inside server's packet goes to the worker of its own source, which has no expectation: the
     * connection is NEW and gets the static mapping (198.51.100.5) instead of follow-master's 198.51.100.1. Seen (rss): active
     * {@code tcp src=10.0.0.5 dst=198.51.100.2 sport=20 dport=50897 ... src=198.51.100.2 dst=198.51.100.5}, on the wire
     * {@code 198.51.100.5>198.51.100.2 6 20>50897} (lftp accepts it; Linux sends it from 198.51.100.1, RELATED); TFTP
     * {@code udp src=10.0.0.5 dst=198.51.100.2 sport=53904 dport=44579 [UNREPLIED] src=198.51.100.2 dst=198.51.100.5}, on the
     * wire {@code 198.51.100.5>198.51.100.2 17 53904>44579} then the client's ACKs {@code 198.51.100.2>198.51.100.1 17
     * 44579>53904} match nothing: one block arrives, tftp times out. docs/nat-helpers.md lists the active FTP case as not
     * covered; TFTP to a forwarded server is the same case. One worker: passes.
     */
    @Disabled("flowgate, two workers: a connection the server behind DNAT opens (active FTP data, TFTP answer) reaches a worker "
        + "without the master's expectation (docs/nat-helpers.md: not covered)")
    @Test
    void shouldRelateTheConnectionsTheForwardedServerOpensWithTwoWorkers() throws Exception
    {
        exercise("rss", List.of(
            () -> hosts.lftp(twin, twin.o, "", NatTwin.ROUTER_OUT, "set ftp:passive-mode off", "dnat-port"),
            () -> hosts.tftp(twin, twin.o, NatTwin.ROUTER_OUT)),
            2, Set.of("tcp 10.0.0.5:20>198.51.100.2:P1 | 198.51.100.2:P1>198.51.100.1:20",
                "udp 10.0.0.5:P1>198.51.100.2:P2 | 198.51.100.2:P2>198.51.100.1:P1"));
    }

    /** A transfer (a client run). */
    private interface Transfer
    {
        void run() throws Exception;
    }

    /**
     * What works with two workers: the masqueraded client's active FTP (PORT, EPRT: the helper announces a port the master's
     * worker owns) and TFTP (the answer goes to the request's translated port, owned by the master's worker), passive FTP to
     * the forwarded server (the helper announces an owned port of the router's address).
     */
    private static final List<Transfer> WORKING = List.of(
        () -> hosts.lftp(twin, twin.c, "set net:socket-bind-ipv4 " + NatTwin.CLIENT, NatTwin.OUTSIDE, "set ftp:passive-mode off", "port"),
        () -> hosts.curlEprt(twin, twin.c, "--interface " + NatTwin.CLIENT, NatTwin.OUTSIDE),
        () -> hosts.tftp(twin, twin.c, NatTwin.OUTSIDE),
        () -> hosts.lftp(twin, twin.o, "", NatTwin.ROUTER_OUT, "set ftp:passive-mode on; set ftp:prefer-epsv no", "dnat-pasv"),
        () -> hosts.lftp(twin, twin.o, "", NatTwin.ROUTER_OUT, "set ftp:passive-mode on; set ftp:prefer-epsv yes", "dnat-epsv"));

    /**
     * As with one worker, except that the helper's port need not be the announced one (it must be owned), so the active data
     * connection's translated port and the client's differ (P1, P2) as often as not.
     */
    private static final Set<String> WORKING_RELATED = Set.of(
        "tcp 198.51.100.2:20>198.51.100.1:P1 | 10.0.0.2:P2>198.51.100.2:20",
        "udp 198.51.100.2:P1>198.51.100.1:P2 | 10.0.0.2:P3>198.51.100.2:P1",
        "tcp 198.51.100.2:P1>198.51.100.1:PASV | 10.0.0.5:PASV>198.51.100.2:P1");

    /**
     * Starts flowgate with two workers ({@code rss}: net_af_packet with two queue pairs; {@code software}: a dispatcher on CPU 0
     * and two workers sharing the last CPU, as {@link RealHostsNatWorkersIT}), runs {@code transfers} (each file checked),
     * then checks the outside wire and that {@code related} connections are RELATED, normalized to {@code expected}. A
     * failure carries the wire and flowgate's whole table.
     */
    private static void exercise(final String mode, final List<Transfer> transfers, final int related, final Set<String> expected)
        throws Exception
    {
        final Path config = twin.dir.resolve(mode + ".yaml");
        final Path socket = twin.dir.resolve(mode + ".sock");
        final String prefix = "nt-" + ProcessHandle.current().pid() + "-ftp" + mode;
        final FlowgateCli flowgate;
        if (mode.equals("rss"))
        {
            Files.writeString(config, NatFtpHosts.flowgateConfig(twin.flowgateConfig(prefix, "workers: [0, 1]", ",qpairs=2")));
            flowgate = FlowgateCli.startWithPrefix(List.of("ip", "netns", "exec", twin.r),
                List.of("run", "--config", config.toString(), "--socket", socket.toString(), "--stats-interval", "1"));
        }
        else
        {
            final int cpus = Runtime.getRuntime().availableProcessors();
            Files.writeString(config, NatFtpHosts.flowgateConfig(twin.flowgateConfig(prefix,
                "dispatch: software\ndispatcher: 0\nworkers: [" + (cpus - 1) + "]", "")));
            final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", twin.r,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
            "-cp",
                System.getProperty("java.class.path"), NatTwinRouterMain.class.getName(), config.toString(), socket.toString(), "2"));
            flowgate = FlowgateCli.wrap(new ChildProcess(command, false));
        }
        running = flowgate;
        boolean stopped = false;
        try
        {
            assertTrue(flowgate.awaitLine("route t=", 60), "router started:\n" + flowgate);
            assertNotNull(flowgate.line("routing on 2 worker(s)"), flowgate.toString());
            final NatTwin.Capture capture = twin.capture(twin.o, twin.oIf, "ftp-workers-" + mode + "-" + flowgate.process.pid());
            final List<String> failed = new ArrayList<>();
            for (final Transfer transfer : transfers)
            {
                try
                {
                    transfer.run();
                }
                catch (final AssertionError ex)
                {
                    failed.add(ex.getMessage().lines().findFirst().orElse(""));
                }
            }
            final NatTwin.Frames frames = NatTwin.frames(capture.stop());
            if (!failed.isEmpty())
            {
                final FlowgateCli all = FlowgateCli.run(30, List.of("ct", "list", "--socket", socket.toString()));
                assertEquals(List.of(), failed, "transfers through flowgate, two workers (" + mode + ")\n--- outside wire\n"
                    + String.join("\n", frames.lines().stream().distinct().toList()) + "\n--- flowgate ct list\n" + String.join("\n", all.stdout)
                    + tail(flowgate));
            }
            assertEquals(List.of(), frames.badChecksums(), "frames with a bad checksum on the outside wire");
            assertEquals(0, frames.ipNotGood(), "IPv4 headers whose checksum tshark did not find good");
            assertEquals(List.of(), frames.lines().stream().filter(l -> l.contains("10.0.0.")).distinct().limit(10).toList(),
                "inside addresses on the outside wire");
            final FlowgateCli list = FlowgateCli.run(30, List.of("ct", "list", "-u", "EXPECTED", "--socket", socket.toString()));
            assertEquals(0, list.process.exitValue(), list.toString());
            final List<Conn> conns = list.stdout.stream().filter(l -> !l.isBlank()).map(Conn::parse).toList();
            final String lines = String.join("\n", conns.stream().map(Conn::line).toList());
            System.out.println("RELATED connections, two workers (" + mode + "):\n" + lines);
            assertEquals(related, conns.size(), "every data connection and TFTP answer RELATED:\n" + lines);
            assertEquals(expected, normalizeKept(RealHostsNatFtpIT.normalize(conns)), lines);
            stopped = true;
            RealHostsNatIT.stopFlowgate(flowgate);
            System.out.println(flowgate.line("nat summary "));
        }
        finally
        {
            running = null;
            if (!stopped && flowgate.process.isAlive())
            {
                flowgate.process.destroyForcibly();
            }
        }
    }

    /**
     * One form whether the helper kept the announced port or took another it owns: a kept port (the same name on both sides)
     * written as if it had not been (P1 | P1 becomes P1 | P2), a passive port moved out of vsftpd's range written as PASV.
     */
    private static Set<String> normalizeKept(final Set<String> normalized)
    {
        final Set<String> out = new TreeSet<>();
        for (final String line : normalized)
        {
            out.add(switch (line)
            {
                case "tcp 198.51.100.2:20>198.51.100.1:P1 | 10.0.0.2:P1>198.51.100.2:20" -> "tcp 198.51.100.2:20>198.51.100.1:P1 | 10.0.0.2:P2>198.51.100.2:20";
                case "udp 198.51.100.2:P1>198.51.100.1:P2 | 10.0.0.2:P2>198.51.100.2:P1" -> "udp 198.51.100.2:P1>198.51.100.1:P2 | 10.0.0.2:P3>198.51.100.2:P1";
                case "tcp 198.51.100.2:P1>198.51.100.1:P2 | 10.0.0.5:PASV>198.51.100.2:P1" -> "tcp 198.51.100.2:P1>198.51.100.1:PASV | 10.0.0.5:PASV>198.51.100.2:P1";
                // the passive data connection's source port: kept when the worker owns it, else one it owns (docs/nat.md)
                case "tcp 10.0.0.2:P1>198.51.100.2:PASV | 198.51.100.2:PASV>198.51.100.1:P2" -> "tcp 10.0.0.2:P1>198.51.100.2:PASV | 198.51.100.2:PASV>198.51.100.1:P1";
                default -> line;
            });
        }
        return out;
    }

    private static String tail(final FlowgateCli flowgate)
    {
        if (flowgate == null)
        {
            return "";
        }
        synchronized (flowgate.stdout)
        {
            return "\n--- flowgate\n" + String.join("\n", flowgate.stdout.subList(Math.max(0, flowgate.stdout.size() - 4), flowgate.stdout.size()))
                + "\n" + String.join("\n", flowgate.stderr.subList(Math.max(0, flowgate.stderr.size() - 10), flowgate.stderr.size()));
        }
    }
}
