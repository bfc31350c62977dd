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
 * The C shim ({@code native-bindings/src/main/c/flowgate_dpdk_shim.c}): one wrapper per DPDK helper that is
 * {@code static inline} or thread-local. Pointers are passed as raw {@code long} addresses (the wrappers
 * are linked {@code critical}, no thread-state transition) so the hot path creates no {@code MemorySegment}.
 * <p>
 * NOTE: critical calls hold off safepoints while they run. rx/tx bursts on software PMDs that make a
 * system call (af_packet transmit) keep that window to one syscall; no wrapper here blocks.
 */
@SuppressWarnings("unused")
public final class flowgate_shim_h
{
    private flowgate_shim_h()
    {
    }

    private static final class fg_build_version$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("fg_build_version", FunctionDescriptor.of(JAVA_INT));
    }

    /** {@code uint32_t fg_build_version(void): RTE_VERSION the shim was compiled against} */
    public static int fg_build_version()
    {
        try
        {
            return (int)fg_build_version$.HANDLE.invokeExact();
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class fg_eth_rx_burst$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("fg_eth_rx_burst", FunctionDescriptor.of(JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, JAVA_LONG, JAVA_SHORT), Linker.Option.critical(false));
    }

    /** {@code uint16_t rte_eth_rx_burst(uint16_t port_id, uint16_t queue_id, struct rte_mbuf **rx_pkts, uint16_t nb_pkts)} */
    public static short fg_eth_rx_burst(short port_id, short queue_id, long rx_pkts, short nb_pkts)
    {
        try
        {
            return (short)fg_eth_rx_burst$.HANDLE.invokeExact(port_id, queue_id, rx_pkts, nb_pkts);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class fg_eth_tx_burst$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("fg_eth_tx_burst", FunctionDescriptor.of(JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, JAVA_LONG, JAVA_SHORT), Linker.Option.critical(false));
    }

    /** {@code uint16_t rte_eth_tx_burst(uint16_t port_id, uint16_t queue_id, struct rte_mbuf **tx_pkts, uint16_t nb_pkts)} */
    public static short fg_eth_tx_burst(short port_id, short queue_id, long tx_pkts, short nb_pkts)
    {
        try
        {
            return (short)fg_eth_tx_burst$.HANDLE.invokeExact(port_id, queue_id, tx_pkts, nb_pkts);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class fg_eth_rx_queue_count$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("fg_eth_rx_queue_count", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT), Linker.Option.critical(false));
    }

    /** {@code int rte_eth_rx_queue_count(uint16_t port_id, uint16_t queue_id)} */
    public static int fg_eth_rx_queue_count(short port_id, short queue_id)
    {
        try
        {
            return (int)fg_eth_rx_queue_count$.HANDLE.invokeExact(port_id, queue_id);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class fg_pktmbuf_alloc_bulk$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("fg_pktmbuf_alloc_bulk", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT), Linker.Option.critical(false));
    }

    /** {@code int rte_pktmbuf_alloc_bulk(struct rte_mempool *pool, struct rte_mbuf **mbufs, unsigned int count)} */
    public static int fg_pktmbuf_alloc_bulk(long pool, long mbufs, int count)
    {
        try
        {
            return (int)fg_pktmbuf_alloc_bulk$.HANDLE.invokeExact(pool, mbufs, count);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class fg_pktmbuf_alloc$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("fg_pktmbuf_alloc", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG), Linker.Option.critical(false));
    }

    /** {@code struct rte_mbuf *rte_pktmbuf_alloc(struct rte_mempool *pool)} */
    public static long fg_pktmbuf_alloc(long pool)
    {
        try
        {
            return (long)fg_pktmbuf_alloc$.HANDLE.invokeExact(pool);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class fg_pktmbuf_free$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("fg_pktmbuf_free", FunctionDescriptor.ofVoid(JAVA_LONG), Linker.Option.critical(false));
    }

    /** {@code void rte_pktmbuf_free(struct rte_mbuf *m)} */
    public static void fg_pktmbuf_free(long m)
    {
        try
        {
            fg_pktmbuf_free$.HANDLE.invokeExact(m);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class fg_pktmbuf_reset$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("fg_pktmbuf_reset", FunctionDescriptor.ofVoid(JAVA_LONG), Linker.Option.critical(false));
    }

    /** {@code void rte_pktmbuf_reset(struct rte_mbuf *m)} */
    public static void fg_pktmbuf_reset(long m)
    {
        try
        {
            fg_pktmbuf_reset$.HANDLE.invokeExact(m);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class fg_mempool_get_bulk$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("fg_mempool_get_bulk", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT), Linker.Option.critical(false));
    }

    /** {@code int rte_mempool_get_bulk(struct rte_mempool *mp, void **obj_table, unsigned int n)} */
    public static int fg_mempool_get_bulk(long mp, long obj_table, int n)
    {
        try
        {
            return (int)fg_mempool_get_bulk$.HANDLE.invokeExact(mp, obj_table, n);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class fg_mempool_put_bulk$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("fg_mempool_put_bulk", FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG, JAVA_INT), Linker.Option.critical(false));
    }

    /** {@code void rte_mempool_put_bulk(struct rte_mempool *mp, void * const *obj_table, unsigned int n)} */
    public static void fg_mempool_put_bulk(long mp, long obj_table, int n)
    {
        try
        {
            fg_mempool_put_bulk$.HANDLE.invokeExact(mp, obj_table, n);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class fg_ring_enqueue_burst$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("fg_ring_enqueue_burst", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG), Linker.Option.critical(false));
    }

    /** {@code unsigned int rte_ring_enqueue_burst(struct rte_ring *r, void * const *obj_table, unsigned int n, unsigned int *free_space)} */
    public static int fg_ring_enqueue_burst(long r, long obj_table, int n, long free_space)
    {
        try
        {
            return (int)fg_ring_enqueue_burst$.HANDLE.invokeExact(r, obj_table, n, free_space);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class fg_ring_dequeue_burst$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("fg_ring_dequeue_burst", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG), Linker.Option.critical(false));
    }

    /** {@code unsigned int rte_ring_dequeue_burst(struct rte_ring *r, void **obj_table, unsigned int n, unsigned int *available)} */
    public static int fg_ring_dequeue_burst(long r, long obj_table, int n, long available)
    {
        try
        {
            return (int)fg_ring_dequeue_burst$.HANDLE.invokeExact(r, obj_table, n, available);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class fg_lcore_id$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("fg_lcore_id", FunctionDescriptor.of(JAVA_INT), Linker.Option.critical(false));
    }

    /** {@code unsigned int rte_lcore_id(void): a thread-local} */
    public static int fg_lcore_id()
    {
        try
        {
            return (int)fg_lcore_id$.HANDLE.invokeExact();
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class fg_rte_errno$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("fg_rte_errno", FunctionDescriptor.of(JAVA_INT), Linker.Option.critical(false));
    }

    /** {@code int rte_errno: a thread-local, so read on the thread of the failed call} */
    public static int fg_rte_errno()
    {
        try
        {
            return (int)fg_rte_errno$.HANDLE.invokeExact();
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class fg_rdtsc$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("fg_rdtsc", FunctionDescriptor.of(JAVA_LONG), Linker.Option.critical(false));
    }

    /** {@code uint64_t rte_rdtsc(void)} */
    public static long fg_rdtsc()
    {
        try
        {
            return (long)fg_rdtsc$.HANDLE.invokeExact();
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

}
