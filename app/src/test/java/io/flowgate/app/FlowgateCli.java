package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Runs the packaged {@code flowgate.jar} as a real process, as a user would, and collects its output. */
final class FlowgateCli
{
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    final Process process;
    final List<String> stdout = Collections.synchronizedList(new ArrayList<>());
    final List<String> stderr = Collections.synchronizedList(new ArrayList<>());
    private final Thread outReader;
    private final Thread errReader;

    private FlowgateCli(final List<String> prefix, final List<String> args) throws IOException
    {
        final List<String> command = new ArrayList<>(prefix);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(System.getProperty("flowgate.jar"));
        command.addAll(args);
        process = new ProcessBuilder(command).start();
        process.getOutputStream().close();
        outReader = pump(stdout, true);
        errReader = pump(stderr, false);
    }

    private Thread pump(final List<String> into, final boolean out)
    {
        return Thread.ofPlatform().daemon(true).start(() ->
        {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(
                out ? process.getInputStream() : process.getErrorStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = r.readLine()) != null)
                {
                    into.add(line);
                }
            }
            catch (final IOException ignored)
            {
                // process ended
            }
        });
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
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (line(prefix) == null && process.isAlive() && System.nanoTime() < deadline)
        {
            Thread.sleep(50);
        }
        return line(prefix) != null;
    }

    /** Sends SIGINT (Ctrl-C) and waits for the process to end. */
    int interrupt(final int seconds) throws Exception
    {
        final Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start();
        kill.waitFor(10, TimeUnit.SECONDS);
        return await(seconds);
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
        final boolean exited = process.waitFor(seconds, TimeUnit.SECONDS);
        if (!exited)
        {
            process.destroyForcibly();
        }
        outReader.join(5000);
        errReader.join(5000);
        assertTrue(exited, "flowgate did not finish within " + seconds + " s:\n" + this);
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
        synchronized (stderr)
        {
            return stderr.isEmpty() ? "" : stderr.get(stderr.size() - 1);
        }
    }

    String line(final String prefix)
    {
        synchronized (stdout)
        {
            for (final String l : stdout)
            {
                if (l.startsWith(prefix))
                {
                    return l;
                }
            }
        }
        return null;
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
