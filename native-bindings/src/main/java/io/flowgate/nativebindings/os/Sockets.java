package io.flowgate.nativebindings.os;

import io.flowgate.nativebindings.NativeLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Socket system calls the AF_XDP port needs, from libc.
 * <p>
 * Control calls ({@link #setsockopt}, {@link #getsockopt}, {@link #ifNameToIndex}) capture {@code errno} and throw
 * {@link SocketException} with it. The wakeup calls ({@link #kick}, {@link #wakeupReceive}, {@link #poll}) are
 * on the packet path: no errno capture, no exception, no allocation; they return the raw result (the AF_XDP
 * wakeups' {@code EAGAIN}/{@code EBUSY}/{@code ENOBUFS} only mean "try again on the next burst").
 * <p>
 * Thread-safety: stateless.
 */
public final class Sockets
{
    public static final int SOL_SOCKET = 1;
    public static final int SOL_XDP = 283;
    public static final int SO_BUSY_POLL = 46;
    public static final int SO_PREFER_BUSY_POLL = 69;
    public static final int SO_BUSY_POLL_BUDGET = 70;
    public static final int XDP_STATISTICS = 7;
    public static final int XDP_OPTIONS = 8;
    public static final int XDP_OPTIONS_ZEROCOPY = 1;
    public static final int MSG_DONTWAIT = 0x40;
    public static final short POLLIN = 0x1;
    public static final short POLLOUT = 0x4;

    /** {@code struct xdp_statistics} (linux/if_xdp.h), six u64 counters. */
    public static final StructLayout XDP_STATISTICS_LAYOUT = MemoryLayout.structLayout(
        ValueLayout.JAVA_LONG.withName("rx_dropped"),
        ValueLayout.JAVA_LONG.withName("rx_invalid_descs"),
        ValueLayout.JAVA_LONG.withName("tx_invalid_descs"),
        ValueLayout.JAVA_LONG.withName("rx_ring_full"),
        ValueLayout.JAVA_LONG.withName("rx_fill_ring_empty_descs"),
        ValueLayout.JAVA_LONG.withName("tx_ring_empty_descs")).withName("xdp_statistics");

    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");

    private static final MethodHandle SETSOCKOPT = NativeLibrary.libc("setsockopt", FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), ERRNO_OPTION);
    private static final MethodHandle GETSOCKOPT = NativeLibrary.libc("getsockopt", FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS), ERRNO_OPTION);
    private static final MethodHandle IF_NAMETOINDEX = NativeLibrary.libc("if_nametoindex",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS), ERRNO_OPTION);
    // Packet path: sendto/recvfrom with null buffers and poll, pointers as raw longs; no errno capture.
    private static final MethodHandle SENDTO = NativeLibrary.libc("sendto", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
        ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle RECVFROM = NativeLibrary.libc("recvfrom", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
        ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle POLL = NativeLibrary.libc("poll", FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));

    private Sockets()
    {
    }

    /** {@code setsockopt} of an int option. */
    public static void setsockopt(final int fd, final int level, final int option, final int value)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CAPTURE);
            final MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
            v.set(ValueLayout.JAVA_INT, 0, value);
            final int rc = (int)SETSOCKOPT.invokeExact(state, fd, level, option, v, 4);
            if (rc != 0)
            {
                throw new SocketException("setsockopt(" + level + ", " + option + ")", (int)ERRNO.get(state, 0L));
            }
        }
        catch (final SocketException ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    /** {@code getsockopt} into {@code value} (its size is the option length); returns the length the kernel wrote. */
    public static int getsockopt(final int fd, final int level, final int option, final MemorySegment value)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CAPTURE);
            final MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, (int)value.byteSize());
            final int rc = (int)GETSOCKOPT.invokeExact(state, fd, level, option, value, len);
            if (rc != 0)
            {
                throw new SocketException("getsockopt(" + level + ", " + option + ")", (int)ERRNO.get(state, 0L));
            }
            return len.get(ValueLayout.JAVA_INT, 0);
        }
        catch (final SocketException ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    public static int ifNameToIndex(final String name)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CAPTURE);
            final int index = (int)IF_NAMETOINDEX.invokeExact(state, arena.allocateFrom(name));
            if (index == 0)
            {
                throw new SocketException("if_nametoindex(" + name + ")", (int)ERRNO.get(state, 0L));
            }
            return index;
        }
        catch (final SocketException ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    /** {@code sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0)}: the AF_XDP transmit kick. Returns the raw result. */
    public static long kick(final int fd)
    {
        try
        {
            return (long)SENDTO.invokeExact(fd, 0L, 0L, MSG_DONTWAIT, 0L, 0);
        }
        catch (final Throwable t)
        {
            return -1;
        }
    }

    /** {@code recvfrom(fd, NULL, 0, MSG_DONTWAIT, NULL, NULL)}: the AF_XDP receive/fill wakeup (and busy poll). */
    public static long wakeupReceive(final int fd)
    {
        try
        {
            return (long)RECVFROM.invokeExact(fd, 0L, 0L, MSG_DONTWAIT, 0L, 0L);
        }
        catch (final Throwable t)
        {
            return -1;
        }
    }

    /** {@code poll(fds, count, timeoutMs)} over a {@code struct pollfd} array at {@code pollfds}. */
    public static int poll(final long pollfds, final int count, final int timeoutMs)
    {
        try
        {
            return (int)POLL.invokeExact(pollfds, (long)count, timeoutMs);
        }
        catch (final Throwable t)
        {
            return -1;
        }
    }

    /** A failed socket control call with its errno. */
    public static final class SocketException extends RuntimeException
    {
        private static final long serialVersionUID = 1L;
        private final int errno;

        public SocketException(final String call, final int errno)
        {
            super(call + " failed: errno " + errno);
            this.errno = errno;
        }

        public int errno()
        {
            return errno;
        }
    }
}
