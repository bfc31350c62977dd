package io.flowgate.pipeline.route;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * One large zeroed, 2 MiB aligned block of native memory for a lookup table, asked to live on transparent huge
 * pages: anonymous {@code mmap} with {@code MAP_NORESERVE}, then {@code madvise(MADV_HUGEPAGE)} before the first
 * touch, so the kernel backs it with 2 MiB pages as it is written (these machines run THP in {@code madvise}
 * mode) and only the touched part of a sparsely used tbl8 pool costs memory. When {@code mmap} is not reachable
 * (native access denied) the block comes from a shared {@link Arena} instead: zeroed up front, 4 KiB pages.
 * <p>
 * NOTE: the three libc bindings belong in {@code native-bindings}' {@code os} package with the other libc calls;
 * they sit here only because this branch may not touch that module. Move them there.
 * <p>
 * Thread-safety: allocation and {@link #close()} on the control thread; the memory itself is read and written
 * through raw addresses ({@code Memory}) by any thread until {@link #close()}.
 */
final class LpmMemory implements AutoCloseable
{
    static final long HUGE_PAGE_SIZE = 2L << 20;

    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS_NORESERVE = 0x02 | 0x20 | 0x4000;
    private static final int MADV_HUGEPAGE = 14;
    private static final long MAP_FAILED = -1L;

    private final long address;
    private final long length;
    private final long mappedAddress;
    private final long mappedLength;
    private final Arena arena;
    private final boolean hugePagesAdvised;

    private LpmMemory(
        final long address,
        final long length,
        final long mappedAddress,
        final long mappedLength,
        final Arena arena,
        final boolean hugePagesAdvised)
    {
        this.address = address;
        this.length = length;
        this.mappedAddress = mappedAddress;
        this.mappedLength = mappedLength;
        this.arena = arena;
        this.hugePagesAdvised = hugePagesAdvised;
    }

    static LpmMemory allocate(final long length)
    {
        final long mappedLength = length + HUGE_PAGE_SIZE;
        try
        {
            final long mapped = (long)Libc.MMAP.invokeExact(
                0L, mappedLength, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS_NORESERVE, -1, 0L);
            if (mapped != MAP_FAILED)
            {
                final long aligned = (mapped + HUGE_PAGE_SIZE - 1) & -HUGE_PAGE_SIZE;
                final int advised = (int)Libc.MADVISE.invokeExact(aligned, length, MADV_HUGEPAGE);
                return new LpmMemory(aligned, length, mapped, mappedLength, null, advised == 0);
            }
        }
        catch (final Throwable ignore)
        {
            // native access denied or no such symbol: the arena below still gives correct (if slower) memory
        }

        final Arena arena = Arena.ofShared();
        final MemorySegment segment = arena.allocate(length, 64);
        return new LpmMemory(segment.address(), length, 0, 0, arena, false);
    }

    long address()
    {
        return address;
    }

    long length()
    {
        return length;
    }

    boolean hugePagesAdvised()
    {
        return hugePagesAdvised;
    }

    /** Frees the block. The caller guarantees no reader will touch it again. */
    public void close()
    {
        if (arena != null)
        {
            arena.close();
            return;
        }
        try
        {
            final int ignored = (int)Libc.MUNMAP.invokeExact(mappedAddress, mappedLength);
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("munmap failed", ex);
        }
    }

    /** Holder: the downcalls are linked on first use only. */
    private static final class Libc
    {
        private static final Linker LINKER = Linker.nativeLinker();

        // void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
        static final MethodHandle MMAP = downcall("mmap", FunctionDescriptor.of(
            ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));

        // int madvise(void *addr, size_t length, int advice)
        static final MethodHandle MADVISE = downcall("madvise", FunctionDescriptor.of(
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));

        // int munmap(void *addr, size_t length)
        static final MethodHandle MUNMAP = downcall("munmap", FunctionDescriptor.of(
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));

        private static MethodHandle downcall(final String name, final FunctionDescriptor descriptor)
        {
            final MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc symbol not found: " + name));
            return LINKER.downcallHandle(symbol, descriptor);
        }
    }
}
