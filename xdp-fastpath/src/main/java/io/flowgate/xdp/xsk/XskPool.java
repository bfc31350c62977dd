package io.flowgate.xdp.xsk;

import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.nativebindings.gen.libc_h;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The memory behind AF_XDP ports: one mapping (2 MiB huge pages when {@code MAP_HUGETLB} works, else 4 KiB pages
 * advised to THP) holding a pktmbuf pool of {@code frames} mbufs back to back (see
 * {@link Mempool#createPktmbufPoolOver}). Every {@link XskPort} opened over it registers this memory as its UMEM,
 * so mbufs received on one such port are transmitted by another without a copy (as DPDK's net_af_xdp does for
 * ports sharing a mempool).
 * <p>
 * Usage: {@code XskPool pool = XskPool.create("xsk0", 16384); XskPort a = XskPort.open(0, "a", cfgA, pool); ...}
 * close the ports, then the pool. A port opened without a pool creates and owns one.
 * <p>
 * Thread-safety: create/close on the control thread; the mbufs are used as any mempool's.
 */
public final class XskPool implements AutoCloseable
{
    static final int DATA_ROOM = Mempool.DEFAULT_DATA_ROOM;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MAP_HUGETLB = 0x40000;
    private static final int MAP_POPULATE = 0x8000;
    private static final int MADV_HUGEPAGE = 14;
    private static final long HUGE_PAGE = 2L << 20;
    private static final long PAGE = 4096;
    private static final AtomicInteger NUMBER = new AtomicInteger();

    private final Mempool pool;
    private final long area;
    private final long mappedLength;
    private final boolean hugePages;
    private final int headerSize;
    private final int elementSize;
    private final int objectSize;
    private final int frames;
    private boolean closed;

    private XskPool(final Mempool pool, final long area, final long mappedLength, final boolean hugePages, final Mempool.ObjectSize size,
                    final int frames)
    {
        this.pool = pool;
        this.area = area;
        this.mappedLength = mappedLength;
        this.hugePages = hugePages;
        this.headerSize = size.header();
        this.elementSize = size.element();
        this.objectSize = size.total();
        this.frames = frames;
    }

    /** A pool of {@code frames} UMEM mbufs ({@code name} at most 25 characters; null: generated). */
    public static XskPool create(final String name, final int frames)
    {
        final Mempool.ObjectSize size = Mempool.pktmbufObjectSize(DATA_ROOM);
        final long needed = (long)frames * size.total() + PAGE;
        long mappedLength = (needed + HUGE_PAGE - 1) & -HUGE_PAGE;
        long area = libc_h.mmap(0L, mappedLength, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0L);
        final boolean huge = area != -1L;
        if (!huge)
        {
            mappedLength = (needed + PAGE - 1) & -PAGE;
            area = libc_h.mmap(0L, mappedLength, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
            if (area == -1L)
            {
                throw new IllegalStateException("cannot mmap " + mappedLength + " B for a UMEM");
            }
            libc_h.madvise(area, mappedLength, MADV_HUGEPAGE);
        }
        try
        {
            final String poolName = name != null ? name : "xsk" + NUMBER.incrementAndGet();
            final Mempool pool = Mempool.createPktmbufPoolOver(poolName, frames, Math.min(256, frames * 2 / 3), DATA_ROOM, area,
                mappedLength);
            return new XskPool(pool, area, mappedLength, huge, size, frames);
        }
        catch (final RuntimeException ex)
        {
            libc_h.munmap(area, mappedLength);
            throw ex;
        }
    }

    public Mempool mempool()
    {
        return pool;
    }

    public int frames()
    {
        return frames;
    }

    /** True when the memory sits on 2 MiB huge pages. */
    public boolean hugePages()
    {
        return hugePages;
    }

    long area()
    {
        return area;
    }

    long length()
    {
        return mappedLength;
    }

    int headerSize()
    {
        return headerSize;
    }

    /** Header + mbuf + buffer: the UMEM chunk size (the spreading padding after it is not given to the kernel). */
    int frameSize()
    {
        return headerSize + elementSize;
    }

    int objectSize()
    {
        return objectSize;
    }

    /** Frees the pool and unmaps the memory; every port over it must be closed. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            pool.close();
            libc_h.munmap(area, mappedLength);
        }
    }
}
