package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The host stack's testbed: one real Linux host in a namespace on a veth whose other end flowgate drives
 * (DPDK {@code net_af_packet}) in a namespace of its own, flowgate's stack answering on 10.77.0.1 and fd77::1:
 * <pre>
 *   [linux host: H 10.77.0.2/24 fd77::2/64] --veth-- [MH  bridge  MF (wire namespace)] --veth-- [F (fw namespace: flowgate 10.77.0.1 fd77::1)]
 * </pre>
 * The wire namespace bridges the two veths; loss, reordering and bottlenecks ({@link #impair}, {@link #rateLimit}) go
 * on its egress ends, where a drop is a real drop: on flowgate's own end, DPDK's af_packet transmit ring re-sends
 * what the qdisc refused (a TBF there dropped 6,726 frames of which TCP lost none: the ring became a 700-segment
 * queue), and on a Linux sender's own end a qdisc drop is local congestion, not a loss.
 * Names start with "tit" and carry this process's id; {@link #close()} deletes the namespaces (and with
 * them the veths and the qdiscs and nft tables on them) and stops flowgate. Offloads are off on both ends, IPv6 is
 * off on flowgate's end (the kernel there would answer for the same link-local address) and DAD is off on
 * the host's (no tentative address).
 */
final class HostBed implements AutoCloseable
{
    static final String FG4 = "10.77.0.1";
    static final String FG6 = "fd77::1";
    static final String HOST4 = "10.77.0.2";
    static final String HOST6 = "fd77::2";

    final String fw;
    final String host;
    final String wire;
    final String fwEnd;
    final String hostEnd;
    /** The wire's end towards the Linux host: what flowgate sends leaves the wire here. */
    final String wireToHost;
    /** The wire's end towards flowgate: what the Linux host sends leaves the wire here. */
    final String wireToFw;
    final Path socket;
    final Path dir;
    FlowgateCli flowgate;
    private Path config;
    private boolean closed;

    HostBed(final String tag) throws IOException, InterruptedException
    {
        final String id = tag + (ProcessHandle.current().pid() % 100000);
        fw = "tit-" + id + "-fw";
        host = "tit-" + id + "-h";
        fwEnd = "tit" + id + "f";
        hostEnd = "tit" + id + "h";
        wire = "tit-" + id + "-w";
        wireToHost = "tit" + id + "wh";
        wireToFw = "tit" + id + "wf";
        dir = Files.createTempDirectory("tit-" + id + "-");
        socket = dir.resolve("flowgate.sock");
        try
        {
            for (final String ns : List.of(fw, host, wire))
            {
                Testbed.sh("ip netns add " + ns + " && ip -n " + ns + " link set lo up");
            }
            Testbed.sh("ip link add " + hostEnd + " netns " + host + " type veth peer name " + wireToHost + " netns " + wire);
            Testbed.sh("ip link add " + fwEnd + " netns " + fw + " type veth peer name " + wireToFw + " netns " + wire);
            in(wire, "ip link add br0 type bridge forward_delay 0 stp_state 0");
            in(wire, "sysctl -q -w net.ipv6.conf.br0.disable_ipv6=1 net.ipv6.conf." + wireToHost + ".disable_ipv6=1 net.ipv6.conf."
                + wireToFw + ".disable_ipv6=1");
            in(wire, "ip link set " + wireToHost + " master br0");
            in(wire, "ip link set " + wireToFw + " master br0");
            in(wire, "ip link set br0 up");
            in(fw, "sysctl -q -w net.ipv6.conf." + fwEnd + ".disable_ipv6=1");
            final String conf = "net.ipv6.conf." + hostEnd;
            in(host, "sysctl -q -w " + conf + ".accept_dad=0 " + conf + ".accept_ra=0 " + conf + ".dad_transmits=0");
            in(host, "ip addr add " + HOST4 + "/24 dev " + hostEnd);
            in(host, "ip -6 addr add " + HOST6 + "/64 dev " + hostEnd + " nodad");
            for (final String[] end : List.of(new String[] {host, hostEnd}, new String[] {fw, fwEnd}, new String[] {wire, wireToHost},
                new String[] {wire, wireToFw}))
            {
                in(end[0], "ip link set " + end[1] + " up");
                Testbed.exec("ip netns exec " + end[0] + " ethtool -K " + end[1] + " tx off rx off tso off gso off gro off", 20);
            }
        }
        catch (final IOException | InterruptedException | RuntimeException ex)
        {
            close();
            throw ex;
        }
    }

    /** The configuration flowgate runs with: one port, the stack with its four services, extra {@code tcp:} keys. */
    String config(final String tcpExtra)
    {
        final int worker = Runtime.getRuntime().availableProcessors() - 1;
        return """
            eal: [-l, "0", --no-huge, -m, "512", --no-pci, --file-prefix=tit-%d-%s]
            workers: [%d]
            ports:
              - name: host
                device: net_af_packet0,iface=%s,qdisc_bypass=0
                addresses: [%s/24, "%s/64"]
            host:
              tcp: {congestion: cubic, sack: true, timestamps: true, window-scaling: true%s}
              services:
                - {type: http, port: 80}
                - {type: discard, port: 9}
                - {type: echo, port: 7}
                - {type: chargen, port: 19}
            """.formatted(ProcessHandle.current().pid(), fw, worker, fwEnd, FG4, FG6, tcpExtra.isEmpty() ? "" : ", " + tcpExtra);
    }

    /** Starts flowgate in the fw namespace; a flowgate that does not start fails the test. */
    void start(final String tcpExtra) throws Exception
    {
        config = dir.resolve("flowgate.yaml");
        Files.writeString(config, config(tcpExtra));
        flowgate = FlowgateCli.startWithPrefix(List.of("ip", "netns", "exec", fw),
            List.of("run", "--config", config.toString(), "--socket", socket.toString(), "--stats-interval", "0.5"));
        final boolean started = flowgate.awaitLine("route t=", 60);
        assertTrue(started, "flowgate with the host stack started:\n" + flowgate);
        // The first exchange resolves both neighbours; later timing then measures TCP, not ARP/ND.
        Testbed.exec("ip netns exec " + host + " ping -c 1 -W 2 " + FG4, 10);
        Testbed.exec("ip netns exec " + host + " ping -6 -c 1 -W 2 " + FG6, 10);
    }

    String in(final String ns, final String command) throws IOException, InterruptedException
    {
        return Testbed.sh("ip netns exec " + ns + " " + command);
    }

    /** Runs a command on the Linux host, bounded; throws on failure. */
    String onHost(final String command) throws IOException, InterruptedException
    {
        return in(host, command);
    }

    /** Runs a command on the Linux host for at most {@code seconds} (Testbed.sh stops at 60 s); throws on failure. */
    String onHost(final String command, final int seconds) throws IOException, InterruptedException
    {
        final Testbed.Result r = Testbed.exec("ip netns exec " + host + " " + command, seconds);
        if (r.exit() != 0)
        {
            throw new IllegalStateException("'" + command + "' " + (r.exit() < 0 ? "timed out after " + seconds + " s" : "failed with exit "
                + r.exit()) + ": " + r.output().strip());
        }
        return r.output();
    }

    /** A flowgate CLI command against this run's management socket, bounded; returns stdout. */
    String cli(final int seconds, final String... args) throws Exception
    {
        final List<String> all = new ArrayList<>(List.of(args));
        all.add("--socket");
        all.add(socket.toString());
        final FlowgateCli cli = FlowgateCli.startWithPrefix(List.of("ip", "netns", "exec", fw), all);
        final int exit = cli.await(seconds);
        assertTrue(exit == 0, "flowgate " + String.join(" ", args) + " exit " + exit + ":\n" + cli);
        return String.join("\n", cli.stdout);
    }

    /** A counter of flowgate's services from {@code flowgate tcp stats} ("#services NAME VALUE" lines); -1 when absent. */
    long serviceStat(final String name) throws Exception
    {
        for (final String line : cli(30, "tcp", "stats").split("\n"))
        {
            final String[] words = line.trim().split("\\s+");
            if (words.length >= 3 && words[0].equals("#services") && words[1].equals(name))
            {
                return Long.parseLong(words[2]);
            }
        }
        return -1;
    }

    /** A counter from {@code flowgate tcp stats} (lines "NAME VALUE" as nstat prints them); -1 when absent. */
    long tcpStat(final String name) throws Exception
    {
        for (final String line : cli(30, "tcp", "stats").split("\n"))
        {
            final String[] words = line.trim().split("\\s+");
            if (words.length >= 2 && (words[0].equals(name) || words[0].equals("TcpExt" + name) || words[0].equals("Tcp" + name)))
            {
                return Long.parseLong(words[1]);
            }
        }
        return -1;
    }

    /**
     * Impairs what leaves {@code dev} in {@code ns}: drops {@code lossPermille}/1000 of the frames at random
     * and sends {@code reorderPercent}% through a slower HTB class (100 Mbit/s, at most 20 frames queued), so
     * they arrive after frames sent later. This kernel has no netem ({@code CONFIG_NET_SCH_NETEM} is off), so
     * loss and reordering come from an nftables netdev egress chain ({@code numgen random}) that drops or
     * marks {@code meta priority 1:20} before the qdisc; there is no added delay. Meant for the wire's ends
     * ({@link #wireToHost}, {@link #wireToFw}), where a drop is a loss.
     */
    void impair(final String ns, final String dev, final int lossPermille, final int reorderPercent) throws IOException, InterruptedException
    {
        clearImpairment(ns, dev);
        in(ns, "tc qdisc add dev " + dev + " root handle 1: htb default 10");
        in(ns, "tc class add dev " + dev + " parent 1: classid 1:10 htb rate 10gbit quantum 60000");
        in(ns, "tc class add dev " + dev + " parent 1: classid 1:20 htb rate 100mbit ceil 100mbit quantum 1514");
        in(ns, "tc qdisc add dev " + dev + " parent 1:20 pfifo limit 20");
        in(ns, "nft add table netdev tit");
        in(ns, "nft 'add chain netdev tit out { type filter hook egress device \"" + dev + "\" priority 0 ; }'");
        in(ns, "nft add rule netdev tit out numgen random mod 1000 '<' " + lossPermille + " counter drop");
        in(ns, "nft add rule netdev tit out numgen random mod 100 '<' " + reorderPercent + " counter meta priority set 1:20");
    }

    /** Rate-limits what leaves {@code dev} (a TBF: {@code rate}, a queue of {@code queueBytes}), e.g. for a loss by overflow. */
    void rateLimit(final String ns, final String dev, final String rate, final int queueBytes) throws IOException, InterruptedException
    {
        clearImpairment(ns, dev);
        in(ns, "tc qdisc add dev " + dev + " root tbf rate " + rate + " burst 3028 limit " + queueBytes);
    }

    void clearImpairment(final String ns, final String dev) throws IOException, InterruptedException
    {
        Testbed.exec("ip netns exec " + ns + " tc qdisc del dev " + dev + " root", 10);
        Testbed.exec("ip netns exec " + ns + " nft delete table netdev tit", 10);
    }

    /**
     * Starts a bounded tshark capture of TCP headers on the host's end (at most {@code seconds} and 30,000
     * frames: tshark's analysis of more takes minutes here) and returns once tshark captures.
     */
    Process capture(final Path pcap, final int seconds, final String filter) throws IOException, InterruptedException
    {
        final Path log = dir.resolve("tshark-" + pcap.getFileName() + ".log");
        final Process tshark = new ProcessBuilder("ip", "netns", "exec", host, "timeout", Integer.toString(seconds + 10), "tshark", "-q", "-i",
            hostEnd, "-s", "128", "-c", "30000", "-f", filter, "-a", "duration:" + seconds, "-w", pcap.toString()).redirectErrorStream(true)
            .redirectOutput(log.toFile()).start();
        // tshark takes seconds to start on a busy 2-core machine: wait for its "Capturing on" line.
        for (int i = 0; i < 100 && tshark.isAlive(); i++)
        {
            if (Files.exists(log) && Files.readString(log).contains("Capturing on"))
            {
                return tshark;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("tshark did not start capturing: " + (Files.exists(log) ? Files.readString(log) : ""));
    }

    /** Waits for a capture to end at its duration (stopping tshark early can lose what it had not written yet). */
    static void stop(final Process capture) throws InterruptedException
    {
        if (!capture.waitFor(30, TimeUnit.SECONDS))
        {
            capture.destroy();
            capture.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** flowgate's sockets ({@code ss -i -n}) for a failure message: what a stalled transfer looked like. */
    String sockets()
    {
        try
        {
            return cli(30, "ss", "-i", "-n");
        }
        catch (final Exception | AssertionError ex)
        {
            return "(ss failed: " + ex.getMessage() + ")";
        }
    }

    /** tshark's fields of the packets a display filter selects, one line each. */
    static List<String> tshark(final Path pcap, final String filter, final String... fields) throws IOException, InterruptedException
    {
        final StringBuilder command = new StringBuilder("tshark -r " + pcap + " -Y '" + filter + "' -T fields -E separator=,");
        for (final String field : fields)
        {
            command.append(" -e ").append(field);
        }
        // Into a file: Testbed.exec reads the output only after the exit, and thousands of lines fill the pipe.
        final Path out = Files.createTempFile("tit-tshark-", ".txt");
        try
        {
            final Testbed.Result r = Testbed.exec(command + " > " + out + " 2>/dev/null", 120);
            assertTrue(r.exit() == 0, command + ": exit " + r.exit() + " " + r.output());
            final List<String> lines = new ArrayList<>();
            for (final String line : Files.readAllLines(out))
            {
                if (!line.isBlank())
                {
                    lines.add(line.strip());
                }
            }
            return lines;
        }
        finally
        {
            Files.deleteIfExists(out);
        }
    }

    /** The offset of the first byte of {@code file} that differs from the PATTERN starting at {@code start}; -1 if none. */
    static long patternMismatch(final Path file, final long start) throws IOException
    {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 20))
        {
            final byte[] buffer = new byte[1 << 20];

            long offset = 0;
            int n;
            while ((n = in.read(buffer)) > 0)
            {
                final long bad = io.flowgate.app.host.Pattern.mismatch(buffer, 0, n, start + offset);
                if (bad >= 0)
                {
                    final int i = (int) (bad - start - offset);
                    System.err.println(file + ": byte " + (offset + i) + " is " + (buffer[i] & 0xff) + ", expected "
                        + (io.flowgate.app.host.Pattern.at(bad) & 0xff)
                        + (offset == 0 ? "; the first bytes: " + java.util.Arrays.toString(java.util.Arrays.copyOf(buffer, Math.min(n, 16))) : ""));
                    return offset + i;
                }
                offset += n;
            }
            return -1;
        }
    }

    static String sha256(final Path file) throws IOException, InterruptedException
    {
        return Testbed.sh("sha256sum " + file).split("\\s+")[0];
    }

    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            if (flowgate != null && flowgate.process.isAlive())
            {
                flowgate.interrupt(60);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        catch (final AssertionError ex)
        {
            System.err.println("flowgate did not stop: " + ex.getMessage());
        }
        finally
        {
            for (final String ns : List.of(host, fw, wire))
            {
                try
                {
                    new ProcessBuilder("ip", "netns", "del", ns).redirectErrorStream(true).start().waitFor(30, TimeUnit.SECONDS);
                }
                catch (final IOException ex)
                {
                    System.err.println("cannot delete namespace " + ns + ": " + ex.getMessage());
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
            try
            {
                Testbed.exec("rm -rf " + dir, 30);
            }
            catch (final IOException ex)
            {
                System.err.println("cannot remove " + dir + ": " + ex.getMessage());
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }
}
