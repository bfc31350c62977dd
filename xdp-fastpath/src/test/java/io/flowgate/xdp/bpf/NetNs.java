package io.flowgate.xdp.bpf;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.flowgate.nativebindings.NativeLibrary;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Test helper: shell commands (ip, ethtool) and moving the calling thread into a named network namespace
 * (setns on this thread only), so libbpf's netlink attach and Java sockets act inside it.
 */
final class NetNs
{
    private static final int CLONE_NEWNET = 0x40000000;
    private static final MethodHandle OPEN = NativeLibrary.libc("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CLOSE = NativeLibrary.libc("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle SETNS = NativeLibrary.libc("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    private NetNs()
    {
    }

    /** Runs a command; fails with its output unless {@code mayFail}. */
    static String sh(final boolean mayFail, final String... command)
    {
        try
        {
            final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS))
            {
                p.destroyForcibly();
                throw new IllegalStateException("timeout: " + String.join(" ", command));
            }
            if (p.exitValue() != 0 && !mayFail)
            {
                throw new IllegalStateException(String.join(" ", command) + " -> " + p.exitValue() + ": " + out);
            }
            return out;
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    static String sh(final String... command)
    {
        return sh(false, command);
    }

    static String inNs(final String ns, final String command)
    {
        return sh("ip", "netns", "exec", ns, "sh", "-c", command);
    }

    static int ifindex(final String ns, final String dev)
    {
        return Integer.parseInt(inNs(ns, "cat /sys/class/net/" + dev + "/ifindex").trim());
    }

    /** An fd of a namespace file (/proc/self/ns/net or /var/run/netns/NAME). */
    static int open(final String path)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final int fd = (int)OPEN.invokeExact(arena.allocateFrom(path), 0);
            if (fd < 0)
            {
                throw new IllegalStateException("open " + path);
            }
            return fd;
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    static void close(final int fd)
    {
        try
        {
            final int rc = (int)CLOSE.invokeExact(fd);
            assert rc >= 0;
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    /** Moves this thread into the namespace of {@code fd}. */
    static void enter(final int fd)
    {
        try
        {
            if ((int)SETNS.invokeExact(fd, CLONE_NEWNET) != 0)
            {
                throw new IllegalStateException("setns failed");
            }
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    /** Moves this thread into namespace {@code name}. */
    static void enter(final String name)
    {
        final int fd = open(Path.of("/var/run/netns", name).toString());
        try
        {
            enter(fd);
        }
        finally
        {
            close(fd);
        }
    }

    static boolean exists(final String name)
    {
        return Files.exists(Path.of("/var/run/netns", name));
    }
}
