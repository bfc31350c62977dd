package io.flowgate.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real Linux hosts: network namespaces joined by veth pairs, all created with unique names and removed by
 * {@link #close()} (deleting a namespace deletes its veth ends). Addresses live only inside these
 * namespaces. {@code flowgate run}'s embedded default and the integration tests build their hosts with it.
 * <pre>
 *   [host a: a0 10.99.0.1/24] --veth-- [a1  (fw namespace: flowgate)  b1] --veth-- [b0 10.99.0.2/24: host b]
 * </pre>
 * Offloads are off on every veth end: flowgate (AF_XDP or DPDK's af_packet) sees frames as the wire would carry them
 * (no partial checksums, no 64 KiB GSO frames); only the hosts' ends keep GRO on, which their veth needs to receive
 * XDP-redirected frames. Each veth has one queue pair (one AF_XDP socket per port).
 * <p>
 * Usage: {@code try (Testbed t = new Testbed("run", true)) { t.in(t.a, "ping -c 1 " + t.addressB); }}.
 * Thread-safety: {@link #close()} may race with itself (a shutdown hook and the main thread); the rest is
 * for one thread. Shutdown: {@link #close()} is idempotent and never throws.
 */
final class Testbed implements AutoCloseable
{
    private static final int COMMAND_TIMEOUT_S = 60;

    final String fw;
    final String a;
    final String b;
    final String a0;
    final String a1;
    final String b0;
    final String b1;
    final String addressA;
    final String addressB;
    /** The router's addresses facing a and b, when the testbed is routed; null for a bridge. */
    final String routerA;
    final String routerB;
    private boolean closed;

    /** The exit status and the merged stdout/stderr of a command. */
    record Result(int exit, String output)
    {
    }

    /** Both hosts on 10.99.0.0/24: flowgate between them is a wire. */
    Testbed(final String tag) throws IOException, InterruptedException
    {
        this(tag, false);
    }

    /**
     * {@code routed}: host a on 10.1.0.2/24 and host b on 10.2.0.2/24, each with a default route via the
     * router's address on its side (10.1.0.1, 10.2.0.1), which flowgate owns in the fw namespace.
     * {@code tag} and this process's id make the names unique; veth names stay within IFNAMSIZ (15).
     */
    Testbed(final String tag, final boolean routed) throws IOException, InterruptedException
    {
        addressA = routed ? "10.1.0.2" : "10.99.0.1";
        addressB = routed ? "10.2.0.2" : "10.99.0.2";
        routerA = routed ? "10.1.0.1" : null;
        routerB = routed ? "10.2.0.1" : null;
        final String id = tag + (ProcessHandle.current().pid() % 100000);
        fw = "fg-" + id + "-fw";
        a = "fg-" + id + "-a";
        b = "fg-" + id + "-b";
        a0 = "fg" + id + "a0";
        a1 = "fg" + id + "a1";
        b0 = "fg" + id + "b0";
        b1 = "fg" + id + "b1";
        try
        {
            for (final String ns : List.of(fw, a, b))
            {
                sh("ip netns add " + ns + " && ip -n " + ns + " link set lo up");
            }
            // one queue per veth end: flowgate's xsk ports bind one AF_XDP socket (queue 0); a veth gets a queue per CPU by
            // default and a flow hashed to another queue would find no socket there
            sh("ip link add " + a0 + " netns " + a + " numtxqueues 1 numrxqueues 1 type veth peer name " + a1 + " netns " + fw
                + " numtxqueues 1 numrxqueues 1");
            sh("ip link add " + b0 + " netns " + b + " numtxqueues 1 numrxqueues 1 type veth peer name " + b1 + " netns " + fw
                + " numtxqueues 1 numrxqueues 1");
            sh("ip -n " + a + " addr add " + addressA + "/24 dev " + a0);
            sh("ip -n " + b + " addr add " + addressB + "/24 dev " + b0);
            for (final String[] end : List.of(new String[] {a, a0}, new String[] {fw, a1}, new String[] {b, b0}, new String[] {fw, b1}))
            {
                // GRO on the hosts' ends: a veth receives frames that the XDP fast path redirects into its peer only while it
                // runs NAPI (GRO on or an XDP program); Linux drops them silently otherwise (docs/xdp-fastpath.md, veth notes)
                final String gro = end[0].equals(fw) ? "off" : "on";
                sh("ip -n " + end[0] + " link set " + end[1] + " up");
                sh("ip netns exec " + end[0] + " ethtool -K " + end[1] + " tx off rx off tso off gso off gro " + gro + " >/dev/null 2>&1 || true");
            }
            if (routed)
            {
                sh("ip -n " + a + " route add default via " + routerA);
                sh("ip -n " + b + " route add default via " + routerB);
            }
        }
        catch (final IOException | InterruptedException | RuntimeException ex)
        {
            close();
            throw ex;
        }
    }

    /** Runs a shell command for at most {@code timeoutS} (then kills it, exit -1); never throws on failure. */
    static Result exec(final String command, final int timeoutS) throws IOException, InterruptedException
    {
        final Process p = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        // NOTE: the output is read after the exit; every command here writes far less than a pipe buffer.
        final boolean done = p.waitFor(timeoutS, TimeUnit.SECONDS);
        if (!done)
        {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(done ? p.exitValue() : -1, out);
    }

    /** Runs a shell command, bounded; throws on a non-zero exit or a timeout. Returns its output. */
    static String sh(final String command) throws IOException, InterruptedException
    {
        final Result r = exec(command, COMMAND_TIMEOUT_S);
        if (r.exit() != 0)
        {
            throw new IllegalStateException("'" + command + "' " + (r.exit() < 0 ? "timed out" : "failed with exit " + r.exit())
                + (r.output().isBlank() ? "" : ": " + r.output().strip().replace('\n', ' ')));
        }
        return r.output();
    }

    /** Runs a shell command in namespace {@code ns}; throws on failure. */
    String in(final String ns, final String command) throws IOException, InterruptedException
    {
        return sh("ip netns exec " + ns + " " + command);
    }

    /** A command line that runs {@code args} in the fw namespace, where flowgate drives a1 and b1. */
    List<String> flowgateInFw(final List<String> args)
    {
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", fw));
        command.addAll(args);
        return command;
    }

    List<String> namespaces()
    {
        return List.of(a, b, fw);
    }

    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (final String ns : namespaces())
        {
            try
            {
                new ProcessBuilder("ip", "netns", "del", ns).redirectErrorStream(true).start().waitFor(30, TimeUnit.SECONDS);
            }
            catch (final IOException ex)
            {
                System.err.println("flowgate: cannot delete namespace " + ns + ": " + ex.getMessage());
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }
}
