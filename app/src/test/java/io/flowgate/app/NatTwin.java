package io.flowgate.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * One half of the NAT twin testbed: a LAN (a bridge) with a client and a server, a router, and an outside host.
 * The Linux twin's router is a namespace doing nftables NAT; the flowgate twin's router namespace holds only
 * the two veth ends that flowgate drives over net_af_packet. Addresses are the same in both twins (each twin
 * has its own namespaces).
 * <pre>
 *   [c: 10.0.0.2, 10.0.0.3] --+
 *                             +-- [lan: bridge] -- [ri  (r: router)  ro] -------- [o: 198.51.100.2]
 *   [s: 10.0.0.5]  ----------+                10.0.0.1    198.51.100.1
 * </pre>
 * The outside host has no route to the LAN (only NAT reaches it) and permanent neighbour entries for the
 * addresses NAT maps to besides the router's own (198.51.100.5, .20, .21: the router's outside MAC), as an
 * upstream router configured for a routed pool would. IPv6 is off everywhere; every veth end has its offloads
 * off so packets carry full checksums (as on a wire).
 * <p>
 * Thread-safety: one thread. Shutdown: {@link #close()} stops the servers and captures it started (by process)
 * and deletes the namespaces (which deletes the veths); idempotent, never throws.
 */
final class NatTwin implements AutoCloseable
{
    static final String CLIENT = "10.0.0.2";
    static final String CLIENT2 = "10.0.0.3";
    static final String SERVER = "10.0.0.5";
    static final String ROUTER_IN = "10.0.0.1";
    static final String ROUTER_OUT = "198.51.100.1";
    static final String OUTSIDE = "198.51.100.2";
    static final String STATIC_OUT = "198.51.100.5";
    static final String POOL_FIRST = "198.51.100.20";
    static final String POOL_LAST = "198.51.100.21";
    static final int POOL_PORT_MIN = 20000;
    static final int POOL_PORT_MAX = 30000;

    final boolean linux;
    final String lan;
    final String c;
    final String s;
    final String r;
    final String o;
    /** Veth ends: in c, s and o; the router's inside and outside ends (in r). */
    final String cIf;
    final String sIf;
    final String oIf;
    final String ri;
    final String ro;
    final Path dir;
    private final List<Process> processes = new ArrayList<>();
    private boolean closed;

    /**
     * {@code tag}: one letter, unique per twin in this process; names are {@code nt<pid><tag>-<role>}, veths
     * {@code nt<pid><tag><end>} (at most 11 characters).
     */
    NatTwin(final char tag, final boolean linux) throws IOException, InterruptedException
    {
        this("nt", tag, linux);
    }

    /** As {@link #NatTwin(char, boolean)} with names starting {@code prefix} (two letters) instead of {@code nt}. */
    NatTwin(final String prefix, final char tag, final boolean linux) throws IOException, InterruptedException
    {
        this(prefix, tag, linux, null);
    }

    /**
     * As {@link #NatTwin(String, char, boolean)}; the Linux twin's router loads {@code ruleset} ({@code nft -f}) instead of
     * {@link #nftRuleset()} when it is not null.
     */
    NatTwin(final String prefix, final char tag, final boolean linux, final String ruleset) throws IOException, InterruptedException
    {
        this.linux = linux;
        final String id = prefix + (ProcessHandle.current().pid() % 10000) + tag;
        lan = id + "-lan";
        c = id + "-c";
        s = id + "-s";
        r = id + "-r";
        o = id + "-o";
        cIf = id + "c";
        sIf = id + "s";
        oIf = id + "o";
        ri = id + "ri";
        ro = id + "ro";
        dir = Files.createTempDirectory(id + "-");
        try
        {
            for (final String ns : namespaces())
            {
                Testbed.sh("ip netns add " + ns + " && ip -n " + ns + " link set lo up");
            }
            Testbed.sh("ip -n " + lan + " link add br0 type bridge && ip -n " + lan + " link set br0 up");
            veth(c, cIf, lan, cIf + "b", "02:00:00:00:0" + (linux ? 1 : 2) + ":02");
            veth(s, sIf, lan, sIf + "b", "02:00:00:00:0" + (linux ? 1 : 2) + ":05");
            veth(r, ri, lan, ri + "b", "02:00:00:00:0" + (linux ? 1 : 2) + ":01");
            veth(r, ro, o, oIf, "02:00:00:00:0" + (linux ? 1 : 2) + ":11");
            for (final String port : List.of(cIf + "b", sIf + "b", ri + "b"))
            {
                Testbed.sh("ip -n " + lan + " link set " + port + " master br0");
            }
            for (final String ns : namespaces())
            {
                Testbed.sh("ip netns exec " + ns + " sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
            }
            Testbed.sh("ip -n " + c + " addr add " + CLIENT + "/24 dev " + cIf + " && ip -n " + c + " addr add " + CLIENT2 + "/24 dev " + cIf);
            Testbed.sh("ip -n " + c + " route add default via " + ROUTER_IN);
            Testbed.sh("ip -n " + s + " addr add " + SERVER + "/24 dev " + sIf + " && ip -n " + s + " route add default via " + ROUTER_IN);
            Testbed.sh("ip -n " + o + " addr add " + OUTSIDE + "/24 dev " + oIf);
            final String routerMac = mac(r, ro);
            for (final String mapped : List.of(STATIC_OUT, POOL_FIRST, POOL_LAST))
            {
                Testbed.sh("ip -n " + o + " neigh replace " + mapped + " lladdr " + routerMac + " dev " + oIf + " nud permanent");
            }
            if (linux)
            {
                Testbed.sh("ip -n " + r + " addr add " + ROUTER_IN + "/24 dev " + ri + " && ip -n " + r + " addr add " + ROUTER_OUT + "/24 dev " + ro);
                // Hairpinned packets leave by the port they came in on: no ICMP redirects (flowgate sends none).
                Testbed.sh("ip netns exec " + r + " sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 "
                    + "net.ipv4.conf." + ri + ".send_redirects=0");
                final Path rules = dir.resolve("nat.nft");
                Files.writeString(rules, ruleset != null ? ruleset : nftRuleset());
                Testbed.sh("ip netns exec " + r + " nft -f " + rules);
            }
        }
        catch (final IOException | InterruptedException | RuntimeException ex)
        {
            close();
            throw ex;
        }
    }

    private void veth(final String nsA, final String a, final String nsB, final String b, final String macA)
        throws IOException, InterruptedException
    {
        Testbed.sh("ip link add " + a + " netns " + nsA + " address " + macA + " type veth peer name " + b + " netns " + nsB);
        for (final String[] end : List.of(new String[] {nsA, a}, new String[] {nsB, b}))
        {
            Testbed.sh("ip -n " + end[0] + " link set " + end[1] + " up");
            Testbed.sh("ip netns exec " + end[0] + " ethtool -K " + end[1] + " tx off rx off tso off gso off gro off >/dev/null 2>&1 || true");
        }
    }

    static String mac(final String ns, final String dev) throws IOException, InterruptedException
    {
        return Testbed.sh("ip netns exec " + ns + " cat /sys/class/net/" + dev + "/address").strip();
    }

    /**
     * The Linux router's rules: what {@link #flowgateNat()} says, in nft. Static mapping first (both ways), then the
     * port forward (also from inside: hairpin), the hairpin's masquerade to the router's inside address, the pool
     * for 10.0.0.3, and masquerade for the rest of what leaves by the outside port.
     */
    String nftRuleset()
    {
        return """
            table ip nt_nat {
              chain pre {
                type nat hook prerouting priority dstnat; policy accept;
                iifname "%2$s" ip daddr 198.51.100.5 dnat to 10.0.0.5
                ip daddr 198.51.100.1 tcp dport 8080 dnat to 10.0.0.5:80
                ip daddr 198.51.100.1 tcp dport 5201 dnat to 10.0.0.5
                ip daddr 198.51.100.1 udp dport 5201 dnat to 10.0.0.5
              }
              chain post {
                type nat hook postrouting priority srcnat; policy accept;
                oifname "%2$s" ip saddr 10.0.0.5 snat to 198.51.100.5
                oifname "%1$s" ip saddr 10.0.0.0/24 ip daddr 10.0.0.5 tcp dport 80 masquerade
                oifname "%2$s" ip saddr 10.0.0.3 meta l4proto { tcp, udp, icmp } snat to 198.51.100.20-198.51.100.21:20000-30000
                oifname "%2$s" masquerade
              }
            }
            """.formatted(ri, ro);
    }

    /** The same NAT in flowgate's configuration (ports {@code inside}: ri, {@code outside}: ro). */
    static String flowgateNat()
    {
        return """
            nat:
              static:
                - {inside: 10.0.0.5, outside: 198.51.100.5, port: outside}
              rules:
                - {type: dnat, protocol: tcp, destination: 198.51.100.1, dport: 8080, to: 10.0.0.5, ports: 80}
                - {type: dnat, protocol: tcp, destination: 198.51.100.1, dport: 5201, to: 10.0.0.5}
                - {type: dnat, protocol: udp, destination: 198.51.100.1, dport: 5201, to: 10.0.0.5}
                - {type: masquerade, out: inside, source: 10.0.0.0/24, destination: 10.0.0.5, protocol: tcp, dport: 80}
                - {type: snat, out: outside, source: 10.0.0.3, to: 198.51.100.20-198.51.100.21, ports: 20000-30000}
                - {type: masquerade, out: outside}
            """;
    }

    /** flowgate's configuration for this twin's router. */
    String flowgateConfig(final String filePrefix, final String workersAndDispatch, final String deviceArgs)
    {
        return """
            eal: [-l, "0", --no-huge, -m, "512", --no-pci, "--file-prefix=%s"]
            %s
            ports:
              - name: inside
                device: net_af_packet0,iface=%s%s
                addresses: [10.0.0.1/24]
              - name: outside
                device: net_af_packet1,iface=%s%s
                addresses: [198.51.100.1/24]
            conntrack:
              capacity: 65536
            """.formatted(filePrefix, workersAndDispatch, ri, deviceArgs, ro, deviceArgs) + flowgateNat();
    }

    List<String> namespaces()
    {
        return List.of(lan, c, s, r, o);
    }

    /** Runs {@code command} in namespace {@code ns}; throws on failure. */
    String in(final String ns, final String command) throws IOException, InterruptedException
    {
        return Testbed.sh("ip netns exec " + ns + " " + command);
    }

    /** Runs {@code command} in namespace {@code ns}, bounded; its exit status and output, never throws on failure. */
    Testbed.Result exec(final String ns, final String command, final int timeoutS) throws IOException, InterruptedException
    {
        return Testbed.exec("ip netns exec " + ns + " " + command, timeoutS);
    }

    /** HTTP (port 80, a file {@code who} naming the host) and iperf3 (5201) servers on the inside server and the outside host. */
    void startServers() throws IOException, InterruptedException
    {
        for (final String[] host : List.of(new String[] {s, "inside"}, new String[] {o, "outside"}))
        {
            final Path root = dir.resolve(host[1]);
            Files.createDirectories(root);
            Files.writeString(root.resolve("who"), host[1] + "\n");
            background(host[0], "timeout 600 /usr/bin/python3 -m http.server 80 --directory " + root, host[1] + "-http.log");
            background(host[0], "timeout 600 iperf3 -s -p 5201", host[1] + "-iperf3.log");
        }
        for (final String ns : List.of(s, o))
        {
            Testbed.sh("for i in $(seq 100); do ip netns exec " + ns + " ss -ltn | grep -q ':80 ' && ip netns exec " + ns
                + " ss -ltn | grep -q ':5201 ' && exit 0; sleep 0.1; done; exit 1");
        }
    }

    private Process background(final String ns, final String command, final String log) throws IOException
    {
        final Process p = new ProcessBuilder("bash", "-c", "exec ip netns exec " + ns + " " + command).redirectErrorStream(true)
            .redirectOutput(dir.resolve(log).toFile()).start();
        processes.add(p);
        return p;
    }

    /** A running tshark capture of IPv4 on {@code dev} in {@code ns}; {@link Capture#stop()} ends it and returns the file. */
    Capture capture(final String ns, final String dev, final String name) throws IOException, InterruptedException
    {
        final Path file = dir.resolve(name + ".pcapng");
        final Path log = dir.resolve(name + ".log");
        final Process p = new ProcessBuilder("bash", "-c", "exec ip netns exec " + ns + " timeout 120 tshark -q -i " + dev + " -f ip -w " + file)
            .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(p);
        for (int i = 0; i < 200 && !Files.readString(log).contains("Capturing on"); i++)
        {
            if (!p.isAlive())
            {
                throw new IllegalStateException("tshark ended: " + Files.readString(log));
            }
            Thread.sleep(50);
        }
        Thread.sleep(200);
        return new Capture(p, file);
    }

    /** A capture in progress. */
    record Capture(Process process, Path file)
    {
        /** Ends the capture (tshark writes its file out on SIGTERM); returns the file. */
        Path stop() throws InterruptedException
        {
            Thread.sleep(300);
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS))
            {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            return file;
        }
    }

    /**
     * The capture's frames as {@code SRC>DST PROTO SPORT>DPORT} lines (ICMP: type and id instead of the ports), and
     * how many have a bad IPv4, TCP, UDP or ICMP checksum (tshark verifying every one).
     */
    static Frames frames(final Path pcap) throws IOException, InterruptedException
    {
        final String checks = "-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE";
        // Outputs go to files: an iperf3 capture lists far more than a pipe buffer holds.
        final Path fieldsFile = Path.of(pcap + ".fields");
        final Path badFile = Path.of(pcap + ".bad");
        Testbed.sh("tshark -r " + pcap + " " + checks + " -T fields -E separator=, -E occurrence=f -e ip.src -e ip.dst -e ip.proto "
            + "-e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport -e icmp.type -e icmp.ident > " + fieldsFile + " 2>/dev/null");
        // A TCP checksum of 0xFFFF where tshark computes 0x0000 is the same value in one's complement (-0): Linux's
        // skb_checksum_help writes it (CSUM_MANGLED_0) for any protocol, and every receiver's check accepts it; tshark
        // compares literally. Seen once in a few hundred thousand frames the Linux server sent.
        Testbed.sh("tshark -r " + pcap + " " + checks + " -Y 'ip.checksum.status == \"Bad\" || "
            + "(tcp.checksum.status == \"Bad\" && tcp.checksum != 0xffff) || udp.checksum.status == \"Bad\" "
            + "|| icmp.checksum.status == \"Bad\"' 2>/dev/null "
            + "| head -20 > " + badFile);
        final String unverified = Testbed.sh("tshark -r " + pcap + " " + checks + " -Y 'ip && !(ip.checksum.status == \"Good\")' "
            + "2>/dev/null | wc -l").strip();
        final String fields = Files.readString(fieldsFile);
        final String bad = Files.readString(badFile);
        final List<String> lines = new ArrayList<>();
        for (final String line : fields.split("\n"))
        {
            if (line.isBlank())
            {
                continue;
            }
            final String[] f = line.split(",", -1);
            // First occurrences only: an ICMP error's outer header (the packet it quotes repeats the fields).
            final String ports = f[2].equals("1") ? "type" + f[7] + " id" + f[8] : !f[3].isEmpty() ? f[3] + ">" + f[4]
                : !f[5].isEmpty() ? f[5] + ">" + f[6] : "";
            lines.add(f[0] + ">" + f[1] + " " + f[2] + " " + ports);
        }
        final List<String> badLines = bad.isBlank() ? List.of() : List.of(bad.strip().split("\n"));
        return new Frames(lines, badLines, Integer.parseInt(unverified));
    }

    /** Frames of a capture: one line each, the frames with a bad checksum, and IPv4 headers whose checksum tshark did not find good. */
    record Frames(List<String> lines, List<String> badChecksums, int ipNotGood)
    {
    }

    /**
     * A connection as {@code conntrack -L} (Linux) or {@code flowgate ct list} prints it: its original and reply
     * tuples as key=value maps (src, dst, sport, dport; ICMP type, code, id), and the line.
     */
    record Conn(String protocol, Map<String, String> orig, Map<String, String> reply, String line)
    {
        static Conn parse(final String line)
        {
            final Map<String, String> orig = new TreeMap<>();
            final Map<String, String> reply = new TreeMap<>();
            for (final String token : line.trim().split("\\s+"))
            {
                final int eq = token.indexOf('=');
                if (eq < 0)
                {
                    continue;
                }
                final String key = token.substring(0, eq);
                if (!List.of("src", "dst", "sport", "dport", "type", "code", "id").contains(key))
                {
                    continue;
                }
                final Map<String, String> into = orig.containsKey(key) ? reply : orig;
                if (!into.containsKey(key))
                {
                    into.put(key, token.substring(eq + 1));
                }
            }
            return new Conn(line.trim().split("\\s+")[0], orig, reply, line);
        }
    }

    /** Connections of the Linux router that match conntrack's filter {@code args} (e.g. {@code -s 10.0.0.2}). */
    List<Conn> conntrack(final String args) throws IOException, InterruptedException
    {
        final String out = Testbed.sh("ip netns exec " + r + " conntrack -L " + args + " 2>/dev/null");
        final List<Conn> conns = new ArrayList<>();
        for (final String line : out.split("\n"))
        {
            if (!line.isBlank())
            {
                conns.add(Conn.parse(line));
            }
        }
        return conns;
    }

    static String read(final Path file)
    {
        try
        {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        }
        catch (final IOException ex)
        {
            return ex.toString();
        }
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (final Process p : processes)
        {
            p.destroy();
        }
        for (final Process p : processes)
        {
            try
            {
                if (!p.waitFor(5, TimeUnit.SECONDS))
                {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        for (final String ns : namespaces())
        {
            try
            {
                new ProcessBuilder("ip", "netns", "del", ns).redirectErrorStream(true).start().waitFor(30, TimeUnit.SECONDS);
            }
            catch (final IOException ex)
            {
                System.err.println("nat twin: cannot delete namespace " + ns + ": " + ex.getMessage());
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        // A flowgate killed after a hang leaves its DPDK runtime directory (its file prefix is nt-PID-...).
        try
        {
            Testbed.exec("rm -rf /var/run/dpdk/nt-" + ProcessHandle.current().pid() + "-*", 10);
        }
        catch (final IOException ex)
        {
            System.err.println("nat twin: " + ex.getMessage());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        try (var files = Files.walk(dir))
        {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        catch (final IOException ex)
        {
            System.err.println("nat twin: cannot delete " + dir + ": " + ex.getMessage());
        }
    }
}
