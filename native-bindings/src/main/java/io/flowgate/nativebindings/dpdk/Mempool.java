package io.flowgate.nativebindings.dpdk;

import io.flowgate.nativebindings.DpdkException;
import io.flowgate.nativebindings.gen.dpdk_h;
import io.flowgate.nativebindings.gen.flowgate_shim_h;
import io.flowgate.nativebindings.NativeLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

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

    /** {@code sizeof(struct rte_mbuf)}: an mbuf's buffer starts this far after it (no private area). */
    public static final int MBUF_SIZE = 128;

    private static final MethodHandle CALC_OBJ_SIZE = NativeLibrary.downcall("rte_mempool_calc_obj_size",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    private static final MethodHandle CREATE_EMPTY = NativeLibrary.downcall("rte_mempool_create_empty", FunctionDescriptor.of(
        ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle BEST_OPS = NativeLibrary.downcall("rte_mbuf_best_mempool_ops",
        FunctionDescriptor.of(ValueLayout.JAVA_LONG));
    private static final MethodHandle SET_OPS = NativeLibrary.downcall("rte_mempool_set_ops_byname",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle POOL_INIT = NativeLibrary.downcall("rte_pktmbuf_pool_init",
        FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    private static final MethodHandle POPULATE_IOVA = NativeLibrary.downcall("rte_mempool_populate_iova", FunctionDescriptor.of(
        ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
        ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle OBJ_ITER = NativeLibrary.downcall("rte_mempool_obj_iter",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    /**
     * {@code RTE_MEMPOOL_F_NO_IOVA_CONTIG}: objects may cross page boundaries, so they lie back to back in the caller's
     * memory (object i at {@code address + i * total}) and none is lost to page alignment.
     */
    public static final int F_NO_IOVA_CONTIG = 0x0020;
    /** {@code RTE_BAD_IOVA}: the chunk's IO address is unknown (the memory is only used by the CPU and the kernel). */
    private static final long BAD_IOVA = -1L;

    /**
     * The layout of one pool object ({@code rte_mempool_calc_obj_size}): the mempool's object header, the element (an
     * mbuf, its private area and its buffer) and the trailer; {@code total} includes DPDK's spreading padding.
     */
    public record ObjectSize(int header, int element, int trailer, int total)
    {
    }

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

    /** The object layout of a pktmbuf pool of {@code dataRoomSize} buffers (no private area). */
    public static ObjectSize pktmbufObjectSize(final int dataRoomSize)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment sz = arena.allocate(16, 4);
            final int total = (int)CALC_OBJ_SIZE.invokeExact(MBUF_SIZE + dataRoomSize, 0, sz);
            return new ObjectSize(sz.get(ValueLayout.JAVA_INT, 4), sz.get(ValueLayout.JAVA_INT, 0), sz.get(ValueLayout.JAVA_INT, 8), total);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    /**
     * A pktmbuf pool of {@code count} mbufs whose objects live in the caller's memory {@code [address, address + length)}
     * (what {@code rte_pktmbuf_pool_create} does, over memory DPDK did not allocate): {@code rte_mempool_create_empty},
     * the platform's best mempool ops, {@code rte_pktmbuf_pool_init}, one {@code rte_mempool_populate_iova} chunk with an
     * unknown IO address, {@code rte_pktmbuf_init} on every object. The objects are laid out back to back from
     * {@code address} (cache-line aligned), each {@link #pktmbufObjectSize} {@code total} bytes ({@link #F_NO_IOVA_CONTIG}). The caller keeps the
     * memory mapped until {@link #close()}. Used by the AF_XDP port, whose UMEM is this memory.
     */
    public static Mempool createPktmbufPoolOver(final String name, final int count, final int cacheSize, final int dataRoomSize,
                                                final long address, final long length)
    {
        if (name.length() > NAME_MAX)
        {
            throw new IllegalArgumentException("mempool name longer than " + NAME_MAX + " characters: " + name);
        }
        try (Arena arena = Arena.ofConfined())
        {
            final long pool = (long)CREATE_EMPTY.invokeExact(arena.allocateFrom(name), count, MBUF_SIZE + dataRoomSize, cacheSize,
                8, SOCKET_ID_ANY, F_NO_IOVA_CONTIG);
            if (pool == 0)
            {
                final int errno = flowgate_shim_h.fg_rte_errno();
                throw new DpdkException("cannot create empty mempool '" + name + "': " + Dpdk.strerror(errno), errno);
            }
            final Mempool created = new Mempool(name, pool, count);
            int rc = (int)SET_OPS.invokeExact(pool, (long)BEST_OPS.invokeExact(), 0L);
            if (rc != 0)
            {
                created.close();
                throw new DpdkException("rte_mempool_set_ops_byname failed for '" + name + "'", -rc);
            }
            // struct rte_pktmbuf_pool_private: data room (u16), private size (u16), flags (u32).
            final MemorySegment priv = arena.allocate(8, 4);
            priv.set(ValueLayout.JAVA_SHORT, 0, (short)dataRoomSize);
            POOL_INIT.invokeExact(pool, priv);
            rc = (int)POPULATE_IOVA.invokeExact(pool, address, BAD_IOVA, length, 0L, 0L);
            if (rc != count)
            {
                created.close();
                throw new DpdkException("rte_mempool_populate_iova of '" + name + "' placed " + rc + " of " + count + " mbufs in "
                    + length + " B", rc < 0 ? -rc : 0);
            }
            final int initialised = (int)OBJ_ITER.invokeExact(pool, NativeLibrary.find("rte_pktmbuf_init").address(), 0L);
            if (initialised != count)
            {
                created.close();
                throw new DpdkException("rte_pktmbuf_init ran on " + initialised + " of " + count + " mbufs", 0);
            }
            return created;
        }
        catch (final DpdkException ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
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
