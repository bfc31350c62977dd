package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;

/**
 * FTP and TFTP servers and clients for the NAT twin testbed ({@link NatTwin}): {@code vsftpd} and {@code in.tftpd}
 * (tftpd-hpa) in the foreground on the outside host (198.51.100.2) and the inside server (10.0.0.5) of a twin, serving
 * one 300 KiB file; {@code lftp} (PORT, PASV, EPSV), {@code curl} (EPRT: lftp sends EPRT over IPv6 only) and
 * {@code tftp} (tftp-hpa) fetching it, each bounded by {@code timeout}, the copy checked by SHA-256. Also what a
 * router needs to help them: the nft {@code ct helper} table for Linux and the {@code nat.helpers} for flowgate, both
 * with a port forward of 21 and 69 to the inside server.
 * <p>
 * Thread-safety: one thread. Shutdown: {@link #close()} stops the servers (by process: each one's descendants,
 * vsftpd's sessions, first) and deletes the files; idempotent, never throws.
 */
final class NatFtpHosts implements AutoCloseable
{
    static final int FILE_BYTES = 300 * 1024;
    static final String FILE = "file.bin";
    /** vsftpd's passive ports. */
    static final int PASV_MIN = 51000;
    static final int PASV_MAX = 51010;

    /** World-readable (vsftpd's anonymous user and in.tftpd drop their privileges). */
    final Path root;
    final String sha256;
    private final List<Process> servers = new ArrayList<>();
    private final Function<NatTwin, String> state;
    private boolean closed;

    /**
     * Skips the test (an assumption) without root or the packages. {@code state}: what to add to a failure about a
     * twin (its router's last lines).
     */
    NatFtpHosts(final Function<NatTwin, String> state) throws Exception
    {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (network namespaces)");
        for (final String tool : List.of("/usr/bin/lftp", "/usr/sbin/vsftpd", "/usr/bin/tftp", "/usr/sbin/in.tftpd", "/usr/bin/curl",
            "/usr/bin/tshark", "/usr/sbin/conntrack", "/usr/sbin/nft"))
        {
            Assumptions.assumeTrue(Files.isExecutable(Path.of(tool)), "needs " + tool + " (apt packages lftp vsftpd tftp-hpa tftpd-hpa)");
        }
        this.state = state;
        root = Files.createTempDirectory("nf-ftp-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.createDirectories(root.resolve("ftp/pub"));
        Files.createDirectories(root.resolve("tftp"));
        Files.createDirectories(root.resolve("empty"));
        Files.createDirectories(root.resolve("out"));
        final byte[] data = new byte[FILE_BYTES];
        new Random(20261123).nextBytes(data);
        Files.write(root.resolve("ftp/pub").resolve(FILE), data);
        Files.write(root.resolve("tftp").resolve(FILE), data);
        sha256 = sha256(root.resolve("tftp").resolve(FILE));
        // vsftpd refuses an anonymous root its user could write to.
        Testbed.sh("chmod -R a+rX " + root + " && chmod 555 " + root.resolve("ftp"));
        for (final String[] host : List.of(new String[] {"outside", NatTwin.OUTSIDE}, new String[] {"inside", NatTwin.SERVER}))
        {
            Files.writeString(root.resolve("vsftpd-" + host[0] + ".conf"), vsftpdConfig(host[1]));
        }
    }

    /** The helpers for Linux: ct helper objects assigned at prerouting, and the port forward of 21 and 69 to the inside server. */
    static String linuxHelpers()
    {
        return """
            table ip nf_helpers {
              ct helper ftp-21 { type "ftp" protocol tcp; }
              ct helper tftp-69 { type "tftp" protocol udp; }
              chain pre_helper {
                type filter hook prerouting priority filter; policy accept;
                tcp dport 21 ct helper set "ftp-21"
                udp dport 69 ct helper set "tftp-69"
              }
              chain pre_nat {
                type nat hook prerouting priority dstnat; policy accept;
                ip daddr 198.51.100.1 tcp dport 21 dnat to 10.0.0.5
                ip daddr 198.51.100.1 udp dport 69 dnat to 10.0.0.5
              }
            }
            """;
    }

    /** A twin's flowgate configuration with the same port forward (first among the rules) and the helpers. */
    static String flowgateConfig(final String twinConfig)
    {
        final String rules = "  rules:\n";
        assertTrue(twinConfig.contains(rules), twinConfig);
        return twinConfig.replace(rules, rules
            + "    - {type: dnat, protocol: tcp, destination: 198.51.100.1, dport: 21, to: 10.0.0.5}\n"
            + "    - {type: dnat, protocol: udp, destination: 198.51.100.1, dport: 69, to: 10.0.0.5}\n")
            + "  helpers: {ftp: [21], tftp: [69]}\n";
    }

    private String vsftpdConfig(final String address)
    {
        return """
            listen=YES
            listen_address=%1$s
            background=NO
            anonymous_enable=YES
            local_enable=NO
            write_enable=NO
            anon_root=%2$s/ftp
            no_anon_password=YES
            pasv_enable=YES
            pasv_min_port=%3$d
            pasv_max_port=%4$d
            port_enable=YES
            connect_from_port_20=YES
            seccomp_sandbox=NO
            isolate=NO
            isolate_network=NO
            secure_chroot_dir=%2$s/empty
            xferlog_enable=NO
            """.formatted(address, root, PASV_MIN, PASV_MAX);
    }

    /** vsftpd and in.tftpd in the foreground on the twin's outside host and inside server; returns once they listen. */
    void start(final NatTwin t) throws Exception
    {
        // The expectations name a port in vsftpd's passive range PASV: no host may pick one as its own ephemeral port (seen in
        // CI: a client's data connection from 51003 normalized as PASV > PASV). Linux's default range starts at 32768.
        for (final String ns : List.of(t.c, t.s, t.o))
        {
            Testbed.sh("ip netns exec " + ns + " sysctl -qw net.ipv4.ip_local_port_range='32768 " + (PASV_MIN - 1) + "'");
        }
        for (final String[] host : List.of(new String[] {t.o, "outside", NatTwin.OUTSIDE}, new String[] {t.s, "inside", NatTwin.SERVER}))
        {
            server(t, host[0], "vsftpd " + root.resolve("vsftpd-" + host[1] + ".conf"), host[1] + "-vsftpd.log");
            server(t, host[0], "in.tftpd --foreground --address " + host[2] + ":69 --secure " + root.resolve("tftp"), host[1] + "-tftpd.log");
        }
        for (final String ns : List.of(t.o, t.s))
        {
            Testbed.sh("for i in $(seq 100); do ip netns exec " + ns + " ss -ltn | grep -q ':21 ' && ip netns exec " + ns
                + " ss -lun | grep -q ':69 ' && exit 0; sleep 0.1; done; exit 1");
        }
    }

    private void server(final NatTwin t, final String ns, final String command, final String log) throws IOException
    {
        servers.add(new ProcessBuilder("bash", "-c", "exec ip netns exec " + ns + " timeout 300 " + command).redirectErrorStream(true)
            .redirectOutput(t.dir.resolve(log).toFile()).start());
    }

    /**
     * From {@code ns} to the FTP and TFTP server at {@code target}: lftp active (PORT), lftp passive (PASV), lftp EPSV,
     * curl active (EPRT), tftp. {@code lftpBind}: lftp settings (the source address), {@code curlBind}: curl options.
     */
    void transfers(final NatTwin t, final String ns, final String lftpBind, final String curlBind, final String target) throws Exception
    {
        lftp(t, ns, lftpBind, target, "set ftp:passive-mode off", "port");
        lftp(t, ns, lftpBind, target, "set ftp:passive-mode on; set ftp:prefer-epsv no", "pasv");
        lftp(t, ns, lftpBind, target, "set ftp:passive-mode on; set ftp:prefer-epsv yes", "epsv");
        curlEprt(t, ns, curlBind, target);
        tftp(t, ns, target);
    }

    void lftp(final NatTwin t, final String ns, final String bind, final String target, final String mode, final String tag) throws Exception
    {
        final Path file = out(t, tag);
        final String script = (bind.isEmpty() ? "" : bind + "; ") + mode
            + "; set net:max-retries 1; set net:timeout 5; set cmd:fail-exit yes; get pub/" + FILE + " -o " + file + "; quit";
        fetched(t, "lftp " + tag, t.exec(ns, "timeout 25 lftp -e '" + script + "' ftp://" + target, 30), file);
    }

    /** curl in active mode: EPRT (curl's first choice) with the control connection's own address. */
    void curlEprt(final NatTwin t, final String ns, final String bind, final String target) throws Exception
    {
        final Path file = out(t, "eprt");
        fetched(t, "curl EPRT", t.exec(ns, "timeout 25 curl -sS --max-time 20 --ftp-port - --eprt " + bind + " -o " + file
            + " ftp://" + target + "/pub/" + FILE, 30), file);
    }

    void tftp(final NatTwin t, final String ns, final String target) throws Exception
    {
        final Path file = out(t, "tftp");
        fetched(t, "tftp", t.exec(ns, "timeout 25 tftp -m binary " + target + " -c get " + FILE + " " + file, 30), file);
    }

    private Path out(final NatTwin t, final String tag)
    {
        return root.resolve("out").resolve(t.r + "-" + tag + ".bin");
    }

    private void fetched(final NatTwin t, final String what, final Testbed.Result r, final Path file) throws Exception
    {
        final boolean present = Files.exists(file);
        final String sha = present ? sha256(file) : "none";
        final long size = present ? Files.size(file) : -1;
        Files.deleteIfExists(file);
        assertTrue(r.exit() == 0 && sha256.equals(sha), (t.linux ? "linux" : "flowgate") + ": " + what + " exit " + r.exit() + ", " + size
            + " bytes, sha256 " + sha + " (want " + FILE_BYTES + " bytes, " + sha256 + "):\n" + r.output() + state.apply(t));
    }

    private static String sha256(final Path file) throws Exception
    {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (final Process p : servers)
        {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        for (final Process p : servers)
        {
            try
            {
                if (!p.waitFor(5, TimeUnit.SECONDS))
                {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        try
        {
            Testbed.exec("rm -rf " + root, 20);
        }
        catch (final IOException ex)
        {
            System.err.println("nat ftp: cannot delete " + root + ": " + ex.getMessage());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
