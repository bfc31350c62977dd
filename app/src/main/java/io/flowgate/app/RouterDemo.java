package io.flowgate.app;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code flowgate run} without {@code --config}: the embedded default. It builds a {@link Testbed} (host a on
 * 10.1.0.0/24 and host b on 10.2.0.0/24, each in its own network namespace, joined over veth pairs through
 * a third namespace), starts the router of the embedded configuration ({@value #CONFIG_RESOURCE}) there on
 * AF_XDP ports ({@code device: xsk}) with the XDP fast path on, and runs real traffic between the hosts: ping both ways,
 * traceroute, iperf3 TCP one way and UDP the other, a download from flowgate's own HTTP service, then the fast path's
 * state during a transfer ({@code flowgate offload status}, the {@code [OFFLOAD]} entries of {@code flowgate ct list})
 * and a transfer through Java with offload off. It prints one result line per step, stops the router (whose summary
 * says what it forwarded and that every mbuf went back to its pool) and removes the namespaces.
 * <p>
 * The router is a child {@code flowgate run --config} started inside the fw namespace, the command a user
 * runs ({@link RouterRun}): it opens its AF_XDP sockets, attaches its XDP program and sets interface flags and MTU
 * in the network namespace of the calling thread, and one JVM cannot move all of its threads into another namespace.
 * <p>
 * Usage: {@code new RouterDemo().run()}, as root.
 * Thread-safety: one thread runs it; {@link #cleanUp()} may also run on the shutdown hook and is locked.
 * Shutdown: a failed step or Ctrl-C (the child receives SIGINT too) stops the router, prints its summary and
 * removes the namespaces before the error line; if the run does not finish within the {@link StopSignal}'s
 * grace period, the hook removes them itself.
 */
final class RouterDemo
{
    static final String CONFIG_RESOURCE = "embedded-router.yaml";
    static final String RULES_RESOURCE = "embedded-rules.nft";
    /**
     * The xsk ports' UMEM: 16384 frames rather than the default 4096 (which the fill and tx rings of 2048 take whole): the
     * host stack keeps unacknowledged segments and the slow path queues packets in frames of the port's pool, and with
     * the default the 20 MB download left the fill ring empty (rx-nombuf in the millions, curl timing out).
     */
    static final String XSK_OPTIONS = ",frames=16384";
    private static final int EXIT_INTERRUPTED = 130;
    private static final int READY_TIMEOUT_S = 30;
    private static final int STOP_TIMEOUT_S = 20;
    private static final int STEP_TIMEOUT_S = 20;
    private static final int PINGS = 4;
    private static final int TCP_SECONDS = 3;
    private static final int UDP_SECONDS = 2;
    private static final String UDP_RATE = "100M";
    private static final String IPERF_PORT = "5201";
    /** The iperf3 transfer during which the fast path's state is printed, and the one through Java with offload off. */
    private static final int FAST_PATH_SECONDS = 4;
    private static final int JAVA_SECONDS = 2;
    private static final int DATA_PACKETS = 1000;
    /** What curl fetches from flowgate's own HTTP service (the host stack), in bytes. */
    private static final int HTTP_BYTES = 20_000_000;
    private static final Pattern PING_SUMMARY = Pattern.compile("(\\d+) packets transmitted, (\\d+) received.*");
    private static final Pattern RATE = Pattern.compile("([\\d.]+ [KMG]?Bytes)\\s+([\\d.]+ [KMG]?bits/sec)");
    private static final Pattern UDP_LOSS = Pattern.compile("(\\d+)/(\\d+) \\(([^)]*)\\)");

    private final Object lock = new Object();
    private Testbed testbed;
    private ChildProcess router;
    private Path configFile;

    int run() throws IOException, InterruptedException
    {
        preflight();
        final long startNs = System.nanoTime();
        try (StopSignal stop = new StopSignal(this::cleanUp))
        {
            try
            {
                final Testbed bed = new Testbed("run", true);
                synchronized (lock)
                {
                    testbed = bed;
                }
                System.out.println("flowgate run: embedded default: hosts a and b in network namespaces, routed through flowgate "
                    + "(AF_XDP sockets on veth, the XDP fast path on)");
                System.out.println("testbed: a " + bed.addressA + "/24 (" + bed.a + ") -- " + bed.a1 + " [flowgate " + bed.routerA + ", "
                    + bed.routerB + " in " + bed.fw + "] " + bed.b1 + " -- b " + bed.addressB + "/24 (" + bed.b + ")");
                startRouter(bed);
                checkNotStopped(stop);
                ping(bed, bed.a, "a -> b", bed.addressB);
                checkNotStopped(stop);
                ping(bed, bed.b, "b -> a", bed.addressA);
                checkNotStopped(stop);
                traceroute(bed);
                checkNotStopped(stop);
                iperfTcp(bed);
                checkNotStopped(stop);
                iperfUdp(bed);
                checkNotStopped(stop);
                hostStack(bed);
                checkNotStopped(stop);
                conntrack(bed);
                checkNotStopped(stop);
                ruleset();
                checkNotStopped(stop);
                fastPath(bed);
                checkNotStopped(stop);
                System.out.println("stopping the router");
                final String[] summaries = stopRouter();
                final String summary = summaries[0];
                cleanUp();
                System.out.println(String.format(Locale.ROOT, "flowgate run: done in %.1f s: the XDP fast path forwarded %d packets in the driver; "
                        + "Java sent %d packets (forwarded and its own) for %d received (dropped %d, of them %d IPv6 on ports without IPv6 "
                        + "addresses; to the slow path %d), every mbuf back in its pool, namespaces removed",
                    (System.nanoTime() - startNs) / 1e9, field(summaries[1], "fast"), field(summary, "tx"), field(summary, "rx"),
                    field(summary, "dropped"), field(summary, "dropped_ipv6"), field(summary, "to_slow_path")));
                return 0;
            }
            catch (final IOException | RuntimeException ex)
            {
                if (stop.requested())
                {
                    // NOTE: the JVM exits (130) as soon as the StopSignal closes: say it here, an error thrown
                    // from here would race with the exit.
                    System.out.println("flowgate run: interrupted: stopping the router and removing the namespaces");
                    return EXIT_INTERRUPTED;
                }
                throw ex;
            }
            finally
            {
                cleanUp();
            }
        }
    }

    /**
     * The embedded router configuration for a routed testbed: flowgate owns its a1/b1 ends and its routerA/routerB;
     * {@code xsk}: AF_XDP ports with the XDP fast path on, else DPDK net_af_packet ports without it.
     */
    static String config(final Testbed bed, final String filePrefix, final int workerCpu, final boolean xsk) throws IOException
    {
        return config(filePrefix, workerCpu, bed.a1, bed.routerA, bed.b1, bed.routerB, xsk);
    }

    /**
     * The embedded configuration without its NAT section (and what follows: host stack, offload): the plain router (with
     * conntrack) that routing tests expect, on net_af_packet ports (their counts and dispatch modes are af_packet's).
     */
    static String routingConfig(final Testbed bed, final String filePrefix, final int workerCpu) throws IOException
    {
        final String full = config(bed, filePrefix, workerCpu, false);
        final int nat = full.indexOf("\n# NAT:");
        if (nat < 0)
        {
            throw new IllegalStateException("the embedded configuration has no '# NAT:' section to leave out");
        }
        return full.substring(0, nat + 1);
    }

    /**
     * The embedded router configuration: two /24 networks on two ports, one worker; {@code xsk}: AF_XDP ports and the XDP
     * fast path on, else net_af_packet ports and no offload section.
     */
    static String config(final String filePrefix, final int workerCpu, final String inside, final String insideAddress,
        final String outside, final String outsideAddress, final boolean xsk) throws IOException
    {
        final String template;
        try (InputStream in = RouterDemo.class.getResourceAsStream(CONFIG_RESOURCE))
        {
            if (in == null)
            {
                throw new IllegalStateException(CONFIG_RESOURCE + " is missing from the flowgate jar");
            }
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        final Path rules = Files.createTempFile("flowgate-run-rules-", ".nft");
        rules.toFile().deleteOnExit();
        try (InputStream in = RouterDemo.class.getResourceAsStream(RULES_RESOURCE))
        {
            if (in == null)
            {
                throw new IllegalStateException(RULES_RESOURCE + " is missing from the flowgate jar");
            }
            Files.write(rules, in.readAllBytes());
        }
        return template.replace("${rules}", rules.toString()).replace("${prefix}", filePrefix).replace("${worker}", Integer.toString(workerCpu))
            .replace("${insideDevice}", xsk ? "xsk,iface=" + inside + XSK_OPTIONS : "net_af_packet0,iface=" + inside).replace("${insideAddress}", insideAddress)
            .replace("${outsideDevice}", xsk ? "xsk,iface=" + outside + XSK_OPTIONS : "net_af_packet1,iface=" + outside).replace("${outsideAddress}", outsideAddress)
            .replace("${offload}", xsk ? "offload: {enabled: true}" : "");
    }

    private static void preflight() throws IOException, InterruptedException
    {
        final String uid = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
            .map(l -> l.split("\\s+")[2]).findFirst().orElse("?");
        if (!"0".equals(uid))
        {
            throw new IllegalStateException("the embedded default creates network namespaces and veth pairs: run it as root "
                + "(or run flowgate run --config FILE, or --embedded forward)");
        }
        final String missing = Testbed.exec("for c in ip ping iperf3 traceroute ss curl; do command -v $c >/dev/null || printf '%s ' $c; done",
            10).output().strip();
        if (!missing.isEmpty())
        {
            throw new IllegalStateException("the embedded default needs " + missing + " (Debian packages iproute2 iputils-ping iperf3 curl "
                + "traceroute; ./flowgate installs them)");
        }
    }

    /** Between steps: a stop request ends the run through the interrupted path of {@link #run()}. */
    private static void checkNotStopped(final StopSignal stop)
    {
        if (stop.requested())
        {
            throw new IllegalStateException("interrupted");
        }
    }

    private void startRouter(final Testbed bed) throws IOException, InterruptedException
    {
        final Path file = Files.createTempFile("flowgate-run-", ".yaml");
        synchronized (lock)
        {
            configFile = file;
        }
        final int cpus = Runtime.getRuntime().availableProcessors();
        Files.writeString(file, config(bed, "flowgate-run-" + ProcessHandle.current().pid(), cpus - 1, true));
        final List<String> command = bed.flowgateInFw(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--enable-native-access=ALL-UNNAMED", "-cp",
            System.getProperty("java.class.path"), Main.class.getName(),
            "run", "--config", file.toString(), "--stats-interval", "0", "--socket", socket().toString()));
        final ChildProcess child = new ChildProcess(command, true);
        synchronized (lock)
        {
            router = child;
        }
        if (!child.awaitLine("routing on ", READY_TIMEOUT_S))
        {
            throw new IllegalStateException("the router did not start" + (child.process.isAlive() ? " within " + READY_TIMEOUT_S + " s"
                : ": " + cause(child)));
        }
    }

    /** Stops the router with SIGINT (as Ctrl-C does) and checks its ending; returns its route summary and fg_stats lines. */
    private String[] stopRouter() throws InterruptedException
    {
        final ChildProcess child;
        synchronized (lock)
        {
            child = router;
        }
        if (!child.interrupt(STOP_TIMEOUT_S))
        {
            throw new IllegalStateException("the router did not stop within " + STOP_TIMEOUT_S + " s (killed)");
        }
        final int exit = child.process.exitValue();
        if (exit != 0 && exit != EXIT_INTERRUPTED)
        {
            throw new IllegalStateException("the router failed: " + cause(child));
        }
        final String summary = child.line("route summary ");
        if (summary == null || !"mbufs in use: 0 after shutdown (baseline 0)".equals(child.line("mbufs in use:")))
        {
            throw new IllegalStateException("the router ended without its summary or with mbufs still in use: " + cause(child));
        }
        final String fgStats = child.line("offload summary fg_stats ");
        if (fgStats == null)
        {
            throw new IllegalStateException("the router ended without its offload summary: " + cause(child));
        }
        return new String[] {summary, fgStats};
    }

    /** The router's own error line if it wrote one, else its last stderr line (EAL's log) and exit status. */
    private static String cause(final ChildProcess child)
    {
        synchronized (child.stderr)
        {
            for (int i = child.stderr.size() - 1; i >= 0; i--)
            {
                if (child.stderr.get(i).startsWith("flowgate: error: "))
                {
                    return child.stderr.get(i).substring("flowgate: error: ".length());
                }
            }
        }
        final String exit = child.process.isAlive() ? "still running" : "exit " + child.process.exitValue();
        final String last = child.lastErrorLine();
        return last.isEmpty() ? exit : last + " (" + exit + ")";
    }

    private void cleanUp()
    {
        synchronized (lock)
        {
            try
            {
                if (router != null)
                {
                    router.interrupt(STOP_TIMEOUT_S);
                }
            }
            catch (final InterruptedException ex)
            {
                router.process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            if (testbed != null)
            {
                testbed.close();
            }
            if (configFile != null)
            {
                try
                {
                    Files.deleteIfExists(configFile);
                }
                catch (final IOException ex)
                {
                    System.err.println("flowgate: cannot delete " + configFile + ": " + ex.getMessage());
                }
            }
        }
    }

    /** The management socket of this run's router (flowgate ct talks to it). */
    private static Path socket()
    {
        return Path.of("/tmp/flowgate-run-" + ProcessHandle.current().pid() + ".sock");
    }

    /**
     * What the router's connection tracker saw, as {@code flowgate ct list} (conntrack -L's format) prints it over
     * the management socket: the pings, the traceroute's probes, iperf3's control and data connections. The
     * iperf3 TCP data connection must be there, assured, closed or established.
     */
    private static void conntrack(final Testbed bed) throws IOException, InterruptedException
    {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final Testbed.Result r = Testbed.exec(String.join(" ", java, "--enable-native-access=ALL-UNNAMED", "-cp",
            System.getProperty("java.class.path"), Main.class.getName(), "ct", "list", "--socket", socket().toString()), STEP_TIMEOUT_S);
        final List<String> lines = new ArrayList<>();
        for (final String line : r.output().split("\n"))
        {
            if (line.startsWith("tcp ") || line.startsWith("udp ") || line.startsWith("icmp ") || line.startsWith("conntrack v"))
            {
                lines.add(line);
            }
        }
        final boolean iperfTcp = lines.stream().anyMatch(l -> l.startsWith("tcp ") && l.contains(" dport=" + IPERF_PORT + " ")
            && l.contains("[ASSURED]"));
        if (r.exit() != 0 || !iperfTcp)
        {
            throw new IllegalStateException("flowgate ct list: no assured iperf3 TCP connection to port " + IPERF_PORT + " in: "
                + (lines.isEmpty() ? lastLine(r.output()) : String.join(" | ", lines)));
        }
        System.out.println("flowgate ct list (conntrack -L format, over " + socket() + "):");
        for (final String line : lines)
        {
            System.out.println("  " + line);
        }
    }

    /**
     * The embedded ruleset as {@code flowgate nft list ruleset} prints it over the management socket, with its
     * counters: the established/related rule must have counted (iperf3's replies passed it).
     */
    private static void ruleset() throws IOException, InterruptedException
    {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final Testbed.Result r = Testbed.exec(String.join(" ", java, "--enable-native-access=ALL-UNNAMED", "-cp",
            System.getProperty("java.class.path"), Main.class.getName(), "nft", "list", "ruleset", "--socket", socket().toString()),
            STEP_TIMEOUT_S);
        final String established = r.output().lines().filter(l -> l.contains("ct state established,related counter")).findFirst().orElse("");
        if (r.exit() != 0 || established.contains("packets 0 ") || established.isEmpty())
        {
            throw new IllegalStateException("flowgate nft list ruleset: no counted established traffic in: " + r.output().strip());
        }
        System.out.println("flowgate nft list ruleset (over " + socket() + "):");
        r.output().lines().filter(l -> !l.isBlank()).forEach(l -> System.out.println("  " + l));
    }

    /**
     * The XDP fast path at work and switched off. While a {@value #FAST_PATH_SECONDS} s iperf3 TCP transfer a -> b runs,
     * {@code flowgate offload status} (program, fg_stats, the agent's counters) and the {@code [OFFLOAD]} entries of
     * {@code flowgate ct list} (their counters folded in from the driver) are printed; the fast path's {@code fast} count
     * must have grown. Then {@code flowgate offload off} and a {@value #JAVA_SECONDS} s transfer that must arrive with
     * the fast path's count unchanged: Java carried it.
     */
    private static void fastPath(final Testbed bed) throws IOException, InterruptedException
    {
        final long fastBefore = field(fgStats(), "fast");
        final Process server = new ProcessBuilder("ip", "netns", "exec", bed.b, "iperf3", "-s", "-1", "-p", IPERF_PORT)
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Process client = null;
        try
        {
            awaitIperfServer(bed, server, "iperf3 tcp a -> b (fast path)");
            client = new ProcessBuilder("ip", "netns", "exec", bed.a, "iperf3", "-c", bed.addressB, "-p", IPERF_PORT, "-f", "m", "-t",
                Integer.toString(FAST_PATH_SECONDS)).redirectErrorStream(true).start();
            client.getOutputStream().close();
            // the data connection is offloaded once it is ESTABLISHED and ASSURED and the agent took the worker's request:
            // ask until its entry shows [OFFLOAD], while the transfer lasts
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FAST_PATH_SECONDS * 1000L - 500);
            Testbed.Result ct;
            do
            {
                TimeUnit.MILLISECONDS.sleep(300);
                ct = cli(List.of("ct", "list"));
            }
            while (!offloadedTcp(ct.output()) && System.nanoTime() < deadlineNs);
            final Testbed.Result status = cli(List.of("offload", "status"));
            final String clientOut = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!client.waitFor(STEP_TIMEOUT_S, TimeUnit.SECONDS) || client.exitValue() != 0)
            {
                throw new IllegalStateException("iperf3 tcp a -> b (fast path) failed: " + lastLine(clientOut));
            }
            final List<String> offloaded = new ArrayList<>();
            for (final String line : ct.output().split("\n"))
            {
                if (line.contains("[OFFLOAD]"))
                {
                    offloaded.add(line);
                }
            }
            if (status.exit() != 0 || ct.exit() != 0 || !offloadedTcp(ct.output()))
            {
                throw new IllegalStateException("flowgate ct list during an iperf3 transfer: iperf3's data connection is not [OFFLOAD]: "
                    + ct.output().lines().filter(l -> l.contains("dport=" + IPERF_PORT + " ")).toList() + " (offload status: "
                    + status.output().strip().replace('\n', ' ') + ")");
            }
            System.out.println("iperf3 tcp a -> b, " + FAST_PATH_SECONDS + " s, offload on: " + receiverRate(clientOut, "iperf3 tcp a -> b (fast path)"));
            System.out.println("flowgate offload status (during that transfer):");
            status.output().lines().filter(l -> !l.isBlank()).forEach(l -> System.out.println("  " + l));
            System.out.println("flowgate ct list, the [OFFLOAD] entries (during that transfer; counters folded in from the XDP program):");
            for (final String line : offloaded)
            {
                System.out.println("  " + line);
            }
        }
        finally
        {
            if (client != null && !client.waitFor(5, TimeUnit.SECONDS))
            {
                client.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            if (!server.waitFor(5, TimeUnit.SECONDS))
            {
                server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        final long fastOn = field(fgStats(), "fast");
        if (fastOn <= fastBefore)
        {
            throw new IllegalStateException("the XDP fast path forwarded nothing of the iperf3 transfer: fast=" + fastOn);
        }
        final Testbed.Result off = cli(List.of("offload", "off"));
        if (off.exit() != 0 || !off.output().strip().equals("offload off"))
        {
            throw new IllegalStateException("flowgate offload off: " + off.output().strip());
        }
        final String receiver = iperf(bed, "-t " + JAVA_SECONDS, "iperf3 tcp a -> b (offload off)");
        final long fastOff = field(fgStats(), "fast");
        if (fastOff != fastOn)
        {
            throw new IllegalStateException("offload off, yet the XDP fast path forwarded " + (fastOff - fastOn) + " packets");
        }
        System.out.println(String.format(Locale.ROOT, "flowgate offload off; iperf3 tcp a -> b, %d s, through Java: %s; fast path: "
            + "%d packets forwarded in all, none since off", JAVA_SECONDS, receiverRate(receiver, "iperf3 tcp a -> b (offload off)"), fastOff));
    }

    /**
     * Whether {@code flowgate ct list}'s output has iperf3's TCP data connection offloaded: an {@code [OFFLOAD]} entry to
     * its port with more than {@value #DATA_PACKETS} packets counted (the control connection carries a few).
     */
    private static boolean offloadedTcp(final String ctList)
    {
        for (final String line : ctList.split("\n"))
        {
            if (line.startsWith("tcp ") && line.contains(" dport=" + IPERF_PORT + " ") && line.contains("[OFFLOAD]")
                && field(line, "packets") > DATA_PACKETS)
            {
                return true;
            }
        }
        return false;
    }

    /** The fg_stats line of {@code flowgate offload status}. */
    private static String fgStats() throws IOException, InterruptedException
    {
        final Testbed.Result r = cli(List.of("offload", "status"));
        for (final String line : r.output().split("\n"))
        {
            if (line.startsWith("fg_stats "))
            {
                return line;
            }
        }
        throw new IllegalStateException("flowgate offload status: no fg_stats line in: " + r.output().strip());
    }

    /** "rate (bytes received)" from iperf3's receiver line (or its whole output). */
    private static String receiverRate(final String output, final String label)
    {
        final Matcher rate = RATE.matcher(output.lines().filter(l -> l.strip().endsWith("receiver")).findFirst().orElse(""));
        if (!rate.find() || rate.group(1).startsWith("0.00 "))
        {
            throw new IllegalStateException(label + ": nothing received: " + lastLine(output));
        }
        return rate.group(2) + " (" + rate.group(1) + " received)";
    }

    /** {@code flowgate ARGS --socket} of this run, bounded. */
    private static Testbed.Result cli(final List<String> args) throws IOException, InterruptedException
    {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return Testbed.exec(String.join(" ", java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
            Main.class.getName(), String.join(" ", args), "--socket", socket().toString()), STEP_TIMEOUT_S);
    }

    /**
     * flowgate's own TCP (the host stack): curl in a downloads {@value #HTTP_BYTES} bytes from the router's HTTP
     * service at its inside address, the body is checked against the pattern (byte i is i % 251), and the stack's
     * counters are printed as {@code flowgate tcp stats} (nstat's names) gives them.
     */
    private static void hostStack(final Testbed bed) throws IOException, InterruptedException
    {
        final Path body = Files.createTempFile("flowgate-run-http-", ".bin");
        try
        {
            final String url = "http://" + bed.routerA + "/bytes/" + HTTP_BYTES;
            final Testbed.Result r = Testbed.exec("ip netns exec " + bed.a + " curl -sS --max-time " + STEP_TIMEOUT_S + " -o " + body
                + " -w '%{http_code} %{size_download} %{speed_download}' " + url, STEP_TIMEOUT_S + 5);
            final String[] w = r.output().strip().split(" ");
            final byte[] got = Files.readAllBytes(body);
            int bad = got.length == HTTP_BYTES ? -1 : 0;
            for (int i = 0; i < got.length && bad < 0; i++)
            {
                if ((got[i] & 0xFF) != i % 251)
                {
                    bad = i;
                }
            }
            if (r.exit() != 0 || w.length != 3 || !"200".equals(w[0]) || bad >= 0)
            {
                throw new IllegalStateException("curl a -> flowgate " + url + ": " + (bad >= 0 && got.length == HTTP_BYTES
                    ? "byte " + bad + " differs from the pattern" : r.output().strip() + " (" + got.length + " bytes)"));
            }
            System.out.println(String.format(Locale.ROOT, "curl a -> flowgate's own http://%s/bytes/%d: %d bytes, pattern checked, %.0f Mbit/s",
                bed.routerA, HTTP_BYTES, got.length, Double.parseDouble(w[2]) * 8 / 1e6));
        }
        finally
        {
            Files.deleteIfExists(body);
        }
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final Testbed.Result stats = Testbed.exec(String.join(" ", java, "--enable-native-access=ALL-UNNAMED", "-cp",
            System.getProperty("java.class.path"), Main.class.getName(), "tcp", "stats", "--socket", socket().toString()), STEP_TIMEOUT_S);
        if (stats.exit() != 0)
        {
            throw new IllegalStateException("flowgate tcp stats: " + stats.output().strip());
        }
        System.out.println("flowgate tcp stats (nstat names, over " + socket() + "):");
        System.out.println("  " + String.join("  ", stats.output().lines().map(String::strip)
            .filter(l -> l.matches("Tcp(PassiveOpens|InSegs|OutSegs|RetransSegs|ExtDelayedACKs|ExtTCPSackRecovery)\\s.*"))
            .map(l -> l.replaceAll("\\s+", "=").replaceAll("=0\\.0$", "")).toList()));
    }

    private static void ping(final Testbed bed, final String from, final String label, final String to)
        throws IOException, InterruptedException
    {
        final Testbed.Result r = Testbed.exec("ip netns exec " + from + " ping -n -c " + PINGS + " -i 0.2 -W 2 " + to, STEP_TIMEOUT_S);
        String summary = null;
        String rtt = "";
        for (final String line : r.output().split("\n"))
        {
            if (PING_SUMMARY.matcher(line).matches())
            {
                summary = line.strip();
            }
            else if (line.startsWith("rtt "))
            {
                rtt = "; " + line.strip();
            }
        }
        final Matcher m = summary == null ? null : PING_SUMMARY.matcher(summary);
        if (m == null || !m.matches() || Integer.parseInt(m.group(2)) == 0)
        {
            throw new IllegalStateException("ping " + label + " (" + to + "): " + (summary == null ? lastLine(r.output()) : summary));
        }
        System.out.println("ping " + label + ": " + summary + rtt);
    }

    private static void traceroute(final Testbed bed) throws IOException, InterruptedException
    {
        final Testbed.Result r = Testbed.exec("ip netns exec " + bed.a + " traceroute -n -q 1 -w 2 -m 4 " + bed.addressB, STEP_TIMEOUT_S);
        final List<String> hops = new ArrayList<>();
        for (final String line : r.output().split("\n"))
        {
            final String hop = line.strip();
            if (!hop.isEmpty() && Character.isDigit(hop.charAt(0)))
            {
                hops.add(hop.replaceAll("\\s+", " "));
            }
        }
        if (r.exit() != 0 || hops.size() < 2 || !hops.get(0).startsWith("1 " + bed.routerA + " ")
            || !hops.get(hops.size() - 1).contains(" " + bed.addressB + " "))
        {
            throw new IllegalStateException("traceroute a -> b: expected hop 1 " + bed.routerA + " (flowgate) and then " + bed.addressB
                + ", got: " + (hops.isEmpty() ? lastLine(r.output()) : String.join(", ", hops)));
        }
        hops.set(0, hops.get(0).replace(bed.routerA, bed.routerA + " (flowgate)"));
        System.out.println("traceroute a -> b: " + String.join(", ", hops));
    }

    private static void iperfTcp(final Testbed bed) throws IOException, InterruptedException
    {
        final String receiver = iperf(bed, "-t " + TCP_SECONDS, "iperf3 tcp a -> b");
        final Matcher rate = RATE.matcher(receiver);
        if (!rate.find() || rate.group(1).startsWith("0.00 "))
        {
            throw new IllegalStateException("iperf3 tcp a -> b: nothing received: " + receiver);
        }
        System.out.println("iperf3 tcp a -> b, " + TCP_SECONDS + " s: " + rate.group(2) + " (" + rate.group(1) + " received)");
    }

    private static void iperfUdp(final Testbed bed) throws IOException, InterruptedException
    {
        final String receiver = iperf(bed, "-u -b " + UDP_RATE + " -t " + UDP_SECONDS + " -R", "iperf3 udp b -> a");
        final Matcher rate = RATE.matcher(receiver);
        final Matcher loss = UDP_LOSS.matcher(receiver);
        if (!rate.find() || !loss.find() || loss.group(1).equals(loss.group(2)))
        {
            throw new IllegalStateException("iperf3 udp b -> a: nothing received: " + receiver);
        }
        System.out.println("iperf3 udp b -> a, " + UDP_SECONDS + " s at " + UDP_RATE + "bit/s: " + rate.group(2) + " received, lost "
            + loss.group(1) + "/" + loss.group(2) + " (" + loss.group(3) + ")");
    }

    /**
     * One bounded iperf3 run, client in a and a one-off server in b ({@code -R}: b sends); returns the client's
     * receiver summary line.
     */
    private static String iperf(final Testbed bed, final String clientArgs, final String label) throws IOException, InterruptedException
    {
        final Process server = new ProcessBuilder("ip", "netns", "exec", bed.b, "iperf3", "-s", "-1", "-p", IPERF_PORT)
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try
        {
            awaitIperfServer(bed, server, label);
            final Testbed.Result r = Testbed.exec("ip netns exec " + bed.a + " iperf3 -c " + bed.addressB + " -p " + IPERF_PORT + " -f m "
                + clientArgs, STEP_TIMEOUT_S);
            String receiver = null;
            for (final String line : r.output().split("\n"))
            {
                if (line.strip().endsWith("receiver"))
                {
                    receiver = line.strip().replaceAll("\\s+", " ");
                }
            }
            if (r.exit() != 0 || receiver == null)
            {
                throw new IllegalStateException(label + " failed: " + lastLine(r.output()));
            }
            return receiver;
        }
        finally
        {
            if (!server.waitFor(5, TimeUnit.SECONDS))
            {
                server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /** Waits (at most 10 s) until the one-off iperf3 server in b listens. */
    private static void awaitIperfServer(final Testbed bed, final Process server, final String label) throws IOException, InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Testbed.exec("ip netns exec " + bed.b + " ss -Hltn 'sport = :" + IPERF_PORT + "'", 10).output().isBlank())
        {
            if (!server.isAlive() || System.nanoTime() > deadlineNs)
            {
                throw new IllegalStateException(label + ": the iperf3 server in b did not start");
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    private static long field(final String line, final String name)
    {
        final Matcher m = Pattern.compile(" " + name + "=(\\d+)").matcher(line);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static String lastLine(final String output)
    {
        final String[] lines = output.strip().split("\n");
        return lines[lines.length - 1].isEmpty() ? "no output" : lines[lines.length - 1];
    }
}
