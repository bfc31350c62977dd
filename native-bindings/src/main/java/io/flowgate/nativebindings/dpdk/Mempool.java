package io.flowgate.nativebindings.dpdk;

import io.flowgate.nativebindings.DpdkException;
import io.flowgate.nativebindings.gen.dpdk_h;
import io.flowgate.nativebindings.gen.flowgate_shim_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A DPDK packet-mbuf pool ({@code rte_pktmbuf_pool_create}).
 * <p>
 * Usage: one pool per NUMA socket, created before the ports that receive into it and freed after they
 * close. {@link #inUse()} is the leak check: after a clean shutdown it is back where it started.
 * <p>
 * Thread-safety: alloc/free are safe from any registered thread (per-lcore caches make them cheap there;
 * unregistered threads go to the shared ring). {@link #close()} only when no mbuf is in flight.
 */
public final class Mempool implements AutoCloseable
{
    /** {@code RTE_MBUF_DEFAULT_BUF_SIZE}: 2048 bytes of data room plus the 128-byte headroom. */
    public static final int DEFAULT_DATA_ROOM = 2048 + 128;
    public static final int HEADROOM = 128;
    public static final int NAME_MAX = 25;
    public static final int SOCKET_ID_ANY = -1;

    private final String name;
    private final long address;
    private final int size;
    private boolean closed;

    private Mempool(final String name, final long address, final int size)
    {
        this.name = name;
        this.address = address;
        this.size = size;
    }

    /**
     * Creates a pool of {@code count} mbufs ({@code 2^q - 1} is the most memory-efficient count) with a
     * per-lcore cache of {@code cacheSize} (at most 512, and {@code count / 1.5} at most).
     */
    public static Mempool createPktmbufPool(final String name, final int count, final int cacheSize, final int dataRoomSize,
                                            final int socketId)
    {
        if (name.length() > NAME_MAX)
        {
            throw new IllegalArgumentException("mempool name longer than " + NAME_MAX + " characters: " + name);
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment pool = dpdk_h.rte_pktmbuf_pool_create(arena.allocateFrom(name), count, cacheSize, (short)0,
                (short)dataRoomSize, socketId);
            if (pool.equals(MemorySegment.NULL))
            {
                final int errno = flowgate_shim_h.fg_rte_errno();
                throw new DpdkException("cannot create mempool '" + name + "' of " + count + " mbufs x " + dataRoomSize + " B: "
                    + Dpdk.strerror(errno) + " (is EAL's memory, -m, large enough?)", errno);
            }
            return new Mempool(name, pool.address(), count);
        }
    }

    public String name()
    {
        return name;
    }

    /** {@code struct rte_mempool *} as a raw address. */
    public long address()
    {
        return address;
    }

    public int size()
    {
        return size;
    }

    /** mbufs currently allocated (not in the pool nor in any lcore cache). */
    public int inUse()
    {
        return dpdk_h.rte_mempool_in_use_count(MemorySegment.ofAddress(address));
    }

    public int available()
    {
        return dpdk_h.rte_mempool_avail_count(MemorySegment.ofAddress(address));
    }

    /**
     * Allocates {@code count} mbufs into the pointer array at {@code mbufArray}: all or none (bulk).
     * Returns false when the pool cannot supply them all.
     */
    public boolean allocBulk(final long mbufArray, final int count)
    {
        return flowgate_shim_h.fg_pktmbuf_alloc_bulk(address, mbufArray, count) == 0;
    }

    /** One mbuf, reset, or 0 when the pool is empty. */
    public long alloc()
    {
        return flowgate_shim_h.fg_pktmbuf_alloc(address);
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            dpdk_h.rte_mempool_free(MemorySegment.ofAddress(address));
        }
    }
}
