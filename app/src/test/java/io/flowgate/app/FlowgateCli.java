package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Runs the packaged {@code flowgate.jar} as a real process, as a user would, and collects its output. */
final class FlowgateCli
{
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    final Process process;
    final List<String> stdout;
    final List<String> stderr;
    private final ChildProcess child;

    private FlowgateCli(final List<String> prefix, final List<String> args) throws IOException
    {
        final List<String> command = new ArrayList<>(prefix);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(System.getProperty("flowgate.jar"));
        command.addAll(args);
        child = new ChildProcess(command, false);
        process = child.process;
        stdout = child.stdout;
        stderr = child.stderr;
    }

    private FlowgateCli(final ChildProcess child)
    {
        this.child = child;
        process = child.process;
        stdout = child.stdout;
        stderr = child.stderr;
    }

    /** A flowgate started some other way (e.g. from the test class path), watched and stopped as the others. */
    static FlowgateCli wrap(final ChildProcess child)
    {
        return new FlowgateCli(child);
    }

    static FlowgateCli start(final List<String> args) throws IOException
    {
        return new FlowgateCli(List.of(), args);
    }

    /** Starts flowgate behind a command prefix, e.g. {@code ip netns exec NS}. */
    static FlowgateCli startWithPrefix(final List<String> prefix, final List<String> args) throws IOException
    {
        return new FlowgateCli(prefix, args);
    }

    /** Waits until a stdout line starts with {@code prefix}; false if the process ended or time ran out. */
    boolean awaitLine(final String prefix, final int seconds) throws InterruptedException
    {
        return child.awaitLine(prefix, seconds);
    }

    /** Sends SIGINT (Ctrl-C) and waits for the process to end; fails the test on a hang. */
    int interrupt(final int seconds) throws InterruptedException
    {
        assertTrue(child.interrupt(seconds), "flowgate did not stop within " + seconds + " s of SIGINT:\n" + this);
        return process.exitValue();
    }

    /** Runs to completion; fails the test if it takes longer than {@code seconds} (a hang). */
    static FlowgateCli run(final int seconds, final List<String> args) throws Exception
    {
        final FlowgateCli cli = start(args);
        cli.await(seconds);
        return cli;
    }

    int await(final int seconds) throws InterruptedException
    {
        assertTrue(child.await(seconds), "flowgate did not finish within " + seconds + " s:\n" + this);
        return process.exitValue();
    }

    /** EAL arguments for a private, small, NIC-less DPDK instance. */
    static List<String> eal(final String... devices)
    {
        final List<String> args = new ArrayList<>(List.of("-l", "0", "--no-huge", "-m", "512", "--no-pci",
            "--file-prefix=fg-it-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet()));
        for (final String device : devices)
        {
            args.add("--vdev=" + device);
        }
        return args;
    }

    String lastErrorLine()
    {
        return child.lastErrorLine();
    }

    String line(final String prefix)
    {
        return child.line(prefix);
    }

    /**
     * Stops this long-running flowgate as Ctrl-C does and checks that it ended cleanly: exit 0 (or 130), no
     * worker error on stderr, every mbuf back in its pool, and a line starting with {@code summaryPrefix},
     * which is returned for further checks.
     */
    String stopCleanly(final String summaryPrefix) throws Exception
    {
        final int exit = interrupt(60);
        assertTrue(exit == 0 || exit == 130, "exit " + exit + "\n" + this);
        assertTrue(stderr.stream().noneMatch(l -> l.contains("worker error")), "no worker error:\n" + this);
        final String mbufs = line("mbufs in use:");
        assertTrue(mbufs != null && mbufs.endsWith(" 0 after shutdown (baseline 0)"), "every mbuf back:\n" + this);
        final String summary = line(summaryPrefix);
        assertNotNull(summary, toString());
        return summary;
    }

    static long field(final String line, final String name)
    {
        for (final String part : line.split(" "))
        {
            if (part.startsWith(name + "="))
            {
                return Math.round(Double.parseDouble(part.substring(name.length() + 1)));
            }
        }
        throw new AssertionError("no " + name + " in: " + line);
    }

    @Override
    public String toString()
    {
        return "--- stdout\n" + String.join("\n", stdout) + "\n--- stderr\n" + String.join("\n", stderr);
    }
}
