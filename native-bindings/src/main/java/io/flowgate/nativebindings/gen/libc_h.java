package io.flowgate.nativebindings.gen;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.flowgate.nativebindings.NativeLibrary;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The libc calls flowgate needs (CPU affinity, thread ids), shaped as jextract would generate them. Calls that
 * set {@code errno} capture it ({@link #CALL_STATE}): pass a segment of that layout as the first argument.
 */
@SuppressWarnings("unused")
public final class libc_h
{
    private libc_h()
    {
    }

    /** The call state captured by calls that set errno, and the offset of errno in it. */
    public static final java.lang.foreign.StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    public static final long ERRNO$OFFSET = CALL_STATE.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final class sched_setaffinity$
    {
        static final MethodHandle HANDLE = NativeLibrary.libc("sched_setaffinity", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), CAPTURE_ERRNO);
    }

    /** {@code int sched_setaffinity(pid_t pid, size_t cpusetsize, const cpu_set_t *mask)} */
    public static int sched_setaffinity(MemorySegment callState, int pid, long cpusetsize, MemorySegment mask)
    {
        try
        {
            return (int)sched_setaffinity$.HANDLE.invokeExact(callState, pid, cpusetsize, mask);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class sched_getaffinity$
    {
        static final MethodHandle HANDLE = NativeLibrary.libc("sched_getaffinity", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), CAPTURE_ERRNO);
    }

    /** {@code int sched_getaffinity(pid_t pid, size_t cpusetsize, cpu_set_t *mask)} */
    public static int sched_getaffinity(MemorySegment callState, int pid, long cpusetsize, MemorySegment mask)
    {
        try
        {
            return (int)sched_getaffinity$.HANDLE.invokeExact(callState, pid, cpusetsize, mask);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class gettid$
    {
        static final MethodHandle HANDLE = NativeLibrary.libc("gettid", FunctionDescriptor.of(JAVA_INT));
    }

    /** {@code pid_t gettid(void)} */
    public static int gettid()
    {
        try
        {
            return (int)gettid$.HANDLE.invokeExact();
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class strerror$
    {
        static final MethodHandle HANDLE = NativeLibrary.libc("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    /** {@code char *strerror(int errnum)} */
    public static MemorySegment strerror(int errnum)
    {
        try
        {
            return (MemorySegment)strerror$.HANDLE.invokeExact(errnum);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }


    private static final class mmap$
    {
        static final MethodHandle HANDLE = NativeLibrary.libc("mmap", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    }

    /** {@code void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)}; addresses as raw longs */
    public static long mmap(long addr, long length, int prot, int flags, int fd, long offset)
    {
        try
        {
            return (long)mmap$.HANDLE.invokeExact(addr, length, prot, flags, fd, offset);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class madvise$
    {
        static final MethodHandle HANDLE = NativeLibrary.libc("madvise", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    }

    /** {@code int madvise(void *addr, size_t length, int advice)} */
    public static int madvise(long addr, long length, int advice)
    {
        try
        {
            return (int)madvise$.HANDLE.invokeExact(addr, length, advice);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class munmap$
    {
        static final MethodHandle HANDLE = NativeLibrary.libc("munmap", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    }

    /** {@code int munmap(void *addr, size_t length)} */
    public static int munmap(long addr, long length)
    {
        try
        {
            return (int)munmap$.HANDLE.invokeExact(addr, length);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }
}
