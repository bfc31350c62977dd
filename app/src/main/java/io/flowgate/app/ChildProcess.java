package io.flowgate.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A child process whose stdout and stderr lines are collected as they come (stdout also echoed to this
 * process's stdout if asked): the router that {@code flowgate run}'s embedded default starts, and the
 * {@code flowgate} processes the integration tests start.
 * <p>
 * Thread-safety: the line lists are synchronized (two pump threads append); the rest is for one thread.
 * Shutdown: {@link #interrupt(int)} or {@link #await(int)}; both kill the process if it overstays.
 */
final class ChildProcess
{
    final Process process;
    final List<String> stdout = Collections.synchronizedList(new ArrayList<>());
    final List<String> stderr = Collections.synchronizedList(new ArrayList<>());
    private final Thread outPump;
    private final Thread errPump;

    ChildProcess(final List<String> command, final boolean echoStdout) throws IOException
    {
        process = new ProcessBuilder(command).start();
        process.getOutputStream().close();
        outPump = pump(process.getInputStream(), stdout, echoStdout);
        errPump = pump(process.getErrorStream(), stderr, false);
    }

    private static Thread pump(final InputStream stream, final List<String> into, final boolean echo)
    {
        return Thread.ofPlatform().daemon(true).start(() ->
        {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = r.readLine()) != null)
                {
                    into.add(line);
                    if (echo)
                    {
                        System.out.println(line);
                    }
                }
            }
            catch (final IOException ignored)
            {
                // the process ended
            }
        });
    }

    /** Waits until a stdout line starts with {@code prefix}; false if the process ended or time ran out. */
    boolean awaitLine(final String prefix, final int seconds) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (line(prefix) == null && process.isAlive() && System.nanoTime() < deadlineNs)
        {
            TimeUnit.MILLISECONDS.sleep(50);
        }
        if (line(prefix) != null)
        {
            return true;
        }
        if (!process.isAlive())
        {
            joinPumps(); // its last lines, e.g. the error, are read
        }
        return line(prefix) != null;
    }

    /** Sends SIGINT (what Ctrl-C sends) unless the process has ended, then {@link #await(int)}s it. */
    boolean interrupt(final int seconds) throws InterruptedException
    {
        if (process.isAlive())
        {
            try
            {
                new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor(5, TimeUnit.SECONDS);
            }
            catch (final IOException ex)
            {
                process.destroy();
            }
        }
        return await(seconds);
    }

    /** Waits for the end and the last output lines; kills the process and returns false if it overstays. */
    boolean await(final int seconds) throws InterruptedException
    {
        final boolean exited = process.waitFor(seconds, TimeUnit.SECONDS);
        if (!exited)
        {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        joinPumps();
        return exited;
    }

    private void joinPumps() throws InterruptedException
    {
        outPump.join(5000);
        errPump.join(5000);
    }

    /** The first stdout line starting with {@code prefix}, or null. */
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

    String lastErrorLine()
    {
        synchronized (stderr)
        {
            return stderr.isEmpty() ? "" : stderr.get(stderr.size() - 1);
        }
    }
}
