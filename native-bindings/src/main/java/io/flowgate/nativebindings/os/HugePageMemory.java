package io.flowgate.nativebindings.os;

import io.flowgate.nativebindings.gen.libc_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One large zeroed, 2 MiB aligned block of native memory for a table (LPM, connection table), asked to
 * live on transparent huge pages: anonymous {@code mmap} with {@code MAP_NORESERVE}, then
 * {@code madvise(MADV_HUGEPAGE)} before the first touch, so the kernel backs it with 2 MiB pages as it is
 * written (these machines run THP in {@code madvise} mode) and only the touched part of a sparse table costs
 * memory. At millions of entries TLB misses dominate (DESIGN.md, Memory). When {@code mmap} fails the block
 * comes from a shared {@link Arena}: zeroed up front, 4 KiB pages.
 * <p>
 * Thread-safety: allocation and {@link #close()} on the control thread; the memory itself is read and
 * written through raw addresses by any thread until {@link #close()}.
 */
public final class HugePageMemory implements AutoCloseable
{
    public static final long HUGE_PAGE_SIZE = 2L << 20;

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
    private boolean closed;

    private HugePageMemory(final long address, final long length, final long mappedAddress, final long mappedLength, final Arena arena,
                           final boolean hugePagesAdvised)
    {
        this.address = address;
        this.length = length;
        this.mappedAddress = mappedAddress;
        this.mappedLength = mappedLength;
        this.arena = arena;
        this.hugePagesAdvised = hugePagesAdvised;
    }

    public static HugePageMemory allocate(final long length)
    {
        final long mappedLength = length + HUGE_PAGE_SIZE;
        final long mapped = libc_h.mmap(0L, mappedLength, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS_NORESERVE, -1, 0L);
        if (mapped != MAP_FAILED)
        {
            final long aligned = (mapped + HUGE_PAGE_SIZE - 1) & -HUGE_PAGE_SIZE;
            final boolean advised = libc_h.madvise(aligned, length, MADV_HUGEPAGE) == 0;
            return new HugePageMemory(aligned, length, mapped, mappedLength, null, advised);
        }
        final Arena arena = Arena.ofShared();
        final MemorySegment segment = arena.allocate(length, 64);
        return new HugePageMemory(segment.address(), length, 0, 0, arena, false);
    }

    public long address()
    {
        return address;
    }

    public long length()
    {
        return length;
    }

    public boolean hugePagesAdvised()
    {
        return hugePagesAdvised;
    }

    /** Frees the block. The caller guarantees no reader will touch it again. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (arena != null)
        {
            arena.close();
        }
        else if (libc_h.munmap(mappedAddress, mappedLength) != 0)
        {
            throw new IllegalStateException("munmap failed");
        }
    }
}
