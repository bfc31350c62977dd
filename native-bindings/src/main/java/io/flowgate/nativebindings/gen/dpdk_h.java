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
 * DPDK 22.11's exported functions that flowgate calls, shaped as jextract would generate them (one
 * static method per C function, C names and types); jextract is not obtainable on these machines, so this
 * file is written to its pattern and a regenerated one drops in. Symbols resolve through the shim's
 * dependencies ({@link NativeLibrary}).
 * <p>
 * Fast-path functions take their array arguments as raw {@code long} addresses and are linked
 * {@code critical}: no thread-state transition, no {@code MemorySegment} per call.
 */
@SuppressWarnings("unused")
public final class dpdk_h
{
    private dpdk_h()
    {
    }

    private static final class rte_eal_init$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eal_init", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    }

    /** {@code int rte_eal_init(int argc, char **argv)} */
    public static int rte_eal_init(int argc, MemorySegment argv)
    {
        try
        {
            return (int)rte_eal_init$.HANDLE.invokeExact(argc, argv);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eal_cleanup$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eal_cleanup", FunctionDescriptor.of(JAVA_INT));
    }

    /** {@code int rte_eal_cleanup(void)} */
    public static int rte_eal_cleanup()
    {
        try
        {
            return (int)rte_eal_cleanup$.HANDLE.invokeExact();
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_thread_register$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_thread_register", FunctionDescriptor.of(JAVA_INT));
    }

    /** {@code int rte_thread_register(void)} */
    public static int rte_thread_register()
    {
        try
        {
            return (int)rte_thread_register$.HANDLE.invokeExact();
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_thread_unregister$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_thread_unregister", FunctionDescriptor.ofVoid());
    }

    /** {@code void rte_thread_unregister(void)} */
    public static void rte_thread_unregister()
    {
        try
        {
            rte_thread_unregister$.HANDLE.invokeExact();
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_strerror$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    /** {@code const char *rte_strerror(int errnum)} */
    public static MemorySegment rte_strerror(int errnum)
    {
        try
        {
            return (MemorySegment)rte_strerror$.HANDLE.invokeExact(errnum);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_version$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_version", FunctionDescriptor.of(ADDRESS));
    }

    /** {@code const char *rte_version(void)} */
    public static MemorySegment rte_version()
    {
        try
        {
            return (MemorySegment)rte_version$.HANDLE.invokeExact();
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_get_tsc_hz$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_get_tsc_hz", FunctionDescriptor.of(JAVA_LONG));
    }

    /** {@code uint64_t rte_get_tsc_hz(void)} */
    public static long rte_get_tsc_hz()
    {
        try
        {
            return (long)rte_get_tsc_hz$.HANDLE.invokeExact();
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_socket_id$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_socket_id", FunctionDescriptor.of(JAVA_INT));
    }

    /** {@code unsigned int rte_socket_id(void)} */
    public static int rte_socket_id()
    {
        try
        {
            return (int)rte_socket_id$.HANDLE.invokeExact();
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_lcore_count$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_lcore_count", FunctionDescriptor.of(JAVA_INT));
    }

    /** {@code unsigned int rte_lcore_count(void)} */
    public static int rte_lcore_count()
    {
        try
        {
            return (int)rte_lcore_count$.HANDLE.invokeExact();
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_dev_probe$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_dev_probe", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    /** {@code int rte_dev_probe(const char *devargs)} */
    public static int rte_dev_probe(MemorySegment devargs)
    {
        try
        {
            return (int)rte_dev_probe$.HANDLE.invokeExact(devargs);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_dev_count_avail$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_dev_count_avail", FunctionDescriptor.of(JAVA_SHORT));
    }

    /** {@code uint16_t rte_eth_dev_count_avail(void)} */
    public static short rte_eth_dev_count_avail()
    {
        try
        {
            return (short)rte_eth_dev_count_avail$.HANDLE.invokeExact();
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_dev_is_valid_port$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_dev_is_valid_port", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    }

    /** {@code int rte_eth_dev_is_valid_port(uint16_t port_id)} */
    public static int rte_eth_dev_is_valid_port(short port_id)
    {
        try
        {
            return (int)rte_eth_dev_is_valid_port$.HANDLE.invokeExact(port_id);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_dev_get_port_by_name$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_dev_get_port_by_name", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }

    /** {@code int rte_eth_dev_get_port_by_name(const char *name, uint16_t *port_id)} */
    public static int rte_eth_dev_get_port_by_name(MemorySegment name, MemorySegment port_id)
    {
        try
        {
            return (int)rte_eth_dev_get_port_by_name$.HANDLE.invokeExact(name, port_id);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_dev_get_name_by_port$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_dev_get_name_by_port", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
    }

    /** {@code int rte_eth_dev_get_name_by_port(uint16_t port_id, char *name)} */
    public static int rte_eth_dev_get_name_by_port(short port_id, MemorySegment name)
    {
        try
        {
            return (int)rte_eth_dev_get_name_by_port$.HANDLE.invokeExact(port_id, name);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_dev_socket_id$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_dev_socket_id", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    }

    /** {@code int rte_eth_dev_socket_id(uint16_t port_id)} */
    public static int rte_eth_dev_socket_id(short port_id)
    {
        try
        {
            return (int)rte_eth_dev_socket_id$.HANDLE.invokeExact(port_id);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_dev_info_get$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_dev_info_get", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
    }

    /** {@code int rte_eth_dev_info_get(uint16_t port_id, struct rte_eth_dev_info *dev_info)} */
    public static int rte_eth_dev_info_get(short port_id, MemorySegment dev_info)
    {
        try
        {
            return (int)rte_eth_dev_info_get$.HANDLE.invokeExact(port_id, dev_info);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_dev_configure$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_dev_configure", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, ADDRESS));
    }

    /** {@code int rte_eth_dev_configure(uint16_t port_id, uint16_t nb_rx_queue, uint16_t nb_tx_queue, const struct rte_eth_conf *eth_conf)} */
    public static int rte_eth_dev_configure(short port_id, short nb_rx_queue, short nb_tx_queue, MemorySegment eth_conf)
    {
        try
        {
            return (int)rte_eth_dev_configure$.HANDLE.invokeExact(port_id, nb_rx_queue, nb_tx_queue, eth_conf);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_dev_adjust_nb_rx_tx_desc$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_dev_adjust_nb_rx_tx_desc", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS, ADDRESS));
    }

    /** {@code int rte_eth_dev_adjust_nb_rx_tx_desc(uint16_t port_id, uint16_t *nb_rx_desc, uint16_t *nb_tx_desc)} */
    public static int rte_eth_dev_adjust_nb_rx_tx_desc(short port_id, MemorySegment nb_rx_desc, MemorySegment nb_tx_desc)
    {
        try
        {
            return (int)rte_eth_dev_adjust_nb_rx_tx_desc$.HANDLE.invokeExact(port_id, nb_rx_desc, nb_tx_desc);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_rx_queue_setup$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_rx_queue_setup", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, JAVA_INT, ADDRESS, ADDRESS));
    }

    /** {@code int rte_eth_rx_queue_setup(uint16_t port_id, uint16_t rx_queue_id, uint16_t nb_rx_desc, unsigned int socket_id, const struct rte_eth_rxconf *rx_conf, struct rte_mempool *mb_pool)} */
    public static int rte_eth_rx_queue_setup(short port_id, short rx_queue_id, short nb_rx_desc, int socket_id, MemorySegment rx_conf, MemorySegment mb_pool)
    {
        try
        {
            return (int)rte_eth_rx_queue_setup$.HANDLE.invokeExact(port_id, rx_queue_id, nb_rx_desc, socket_id, rx_conf, mb_pool);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_tx_queue_setup$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_tx_queue_setup", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, JAVA_INT, ADDRESS));
    }

    /** {@code int rte_eth_tx_queue_setup(uint16_t port_id, uint16_t tx_queue_id, uint16_t nb_tx_desc, unsigned int socket_id, const struct rte_eth_txconf *tx_conf)} */
    public static int rte_eth_tx_queue_setup(short port_id, short tx_queue_id, short nb_tx_desc, int socket_id, MemorySegment tx_conf)
    {
        try
        {
            return (int)rte_eth_tx_queue_setup$.HANDLE.invokeExact(port_id, tx_queue_id, nb_tx_desc, socket_id, tx_conf);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_dev_start$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_dev_start", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    }

    /** {@code int rte_eth_dev_start(uint16_t port_id)} */
    public static int rte_eth_dev_start(short port_id)
    {
        try
        {
            return (int)rte_eth_dev_start$.HANDLE.invokeExact(port_id);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_dev_stop$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_dev_stop", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    }

    /** {@code int rte_eth_dev_stop(uint16_t port_id)} */
    public static int rte_eth_dev_stop(short port_id)
    {
        try
        {
            return (int)rte_eth_dev_stop$.HANDLE.invokeExact(port_id);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_dev_close$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_dev_close", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    }

    /** {@code int rte_eth_dev_close(uint16_t port_id)} */
    public static int rte_eth_dev_close(short port_id)
    {
        try
        {
            return (int)rte_eth_dev_close$.HANDLE.invokeExact(port_id);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_promiscuous_enable$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_promiscuous_enable", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    }

    /** {@code int rte_eth_promiscuous_enable(uint16_t port_id)} */
    public static int rte_eth_promiscuous_enable(short port_id)
    {
        try
        {
            return (int)rte_eth_promiscuous_enable$.HANDLE.invokeExact(port_id);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_promiscuous_disable$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_promiscuous_disable", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    }

    /** {@code int rte_eth_promiscuous_disable(uint16_t port_id)} */
    public static int rte_eth_promiscuous_disable(short port_id)
    {
        try
        {
            return (int)rte_eth_promiscuous_disable$.HANDLE.invokeExact(port_id);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_promiscuous_get$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_promiscuous_get", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    }

    /** {@code int rte_eth_promiscuous_get(uint16_t port_id)} */
    public static int rte_eth_promiscuous_get(short port_id)
    {
        try
        {
            return (int)rte_eth_promiscuous_get$.HANDLE.invokeExact(port_id);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_macaddr_get$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_macaddr_get", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
    }

    /** {@code int rte_eth_macaddr_get(uint16_t port_id, struct rte_ether_addr *mac_addr)} */
    public static int rte_eth_macaddr_get(short port_id, MemorySegment mac_addr)
    {
        try
        {
            return (int)rte_eth_macaddr_get$.HANDLE.invokeExact(port_id, mac_addr);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_link_get_nowait$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_link_get_nowait", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
    }

    /** {@code int rte_eth_link_get_nowait(uint16_t port_id, struct rte_eth_link *link)} */
    public static int rte_eth_link_get_nowait(short port_id, MemorySegment link)
    {
        try
        {
            return (int)rte_eth_link_get_nowait$.HANDLE.invokeExact(port_id, link);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_stats_get$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_stats_get", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
    }

    /** {@code int rte_eth_stats_get(uint16_t port_id, struct rte_eth_stats *stats)} */
    public static int rte_eth_stats_get(short port_id, MemorySegment stats)
    {
        try
        {
            return (int)rte_eth_stats_get$.HANDLE.invokeExact(port_id, stats);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_stats_reset$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_stats_reset", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    }

    /** {@code int rte_eth_stats_reset(uint16_t port_id)} */
    public static int rte_eth_stats_reset(short port_id)
    {
        try
        {
            return (int)rte_eth_stats_reset$.HANDLE.invokeExact(port_id);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_xstats_get_names$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_xstats_get_names", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS, JAVA_INT));
    }

    /** {@code int rte_eth_xstats_get_names(uint16_t port_id, struct rte_eth_xstat_name *xstats_names, unsigned int size)} */
    public static int rte_eth_xstats_get_names(short port_id, MemorySegment xstats_names, int size)
    {
        try
        {
            return (int)rte_eth_xstats_get_names$.HANDLE.invokeExact(port_id, xstats_names, size);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_xstats_get$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_xstats_get", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS, JAVA_INT));
    }

    /** {@code int rte_eth_xstats_get(uint16_t port_id, struct rte_eth_xstat *xstats, unsigned int n)} */
    public static int rte_eth_xstats_get(short port_id, MemorySegment xstats, int n)
    {
        try
        {
            return (int)rte_eth_xstats_get$.HANDLE.invokeExact(port_id, xstats, n);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_dev_rss_hash_update$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_dev_rss_hash_update", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
    }

    /** {@code int rte_eth_dev_rss_hash_update(uint16_t port_id, struct rte_eth_rss_conf *rss_conf)} */
    public static int rte_eth_dev_rss_hash_update(short port_id, MemorySegment rss_conf)
    {
        try
        {
            return (int)rte_eth_dev_rss_hash_update$.HANDLE.invokeExact(port_id, rss_conf);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_eth_dev_rss_hash_conf_get$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_eth_dev_rss_hash_conf_get", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
    }

    /** {@code int rte_eth_dev_rss_hash_conf_get(uint16_t port_id, struct rte_eth_rss_conf *rss_conf)} */
    public static int rte_eth_dev_rss_hash_conf_get(short port_id, MemorySegment rss_conf)
    {
        try
        {
            return (int)rte_eth_dev_rss_hash_conf_get$.HANDLE.invokeExact(port_id, rss_conf);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_pktmbuf_pool_create$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_pktmbuf_pool_create", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_SHORT, JAVA_SHORT, JAVA_INT));
    }

    /** {@code struct rte_mempool *rte_pktmbuf_pool_create(const char *name, unsigned int n, unsigned int cache_size, uint16_t priv_size, uint16_t data_room_size, int socket_id)} */
    public static MemorySegment rte_pktmbuf_pool_create(MemorySegment name, int n, int cache_size, short priv_size, short data_room_size, int socket_id)
    {
        try
        {
            return (MemorySegment)rte_pktmbuf_pool_create$.HANDLE.invokeExact(name, n, cache_size, priv_size, data_room_size, socket_id);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_mempool_free$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_mempool_free", FunctionDescriptor.ofVoid(ADDRESS));
    }

    /** {@code void rte_mempool_free(struct rte_mempool *mp)} */
    public static void rte_mempool_free(MemorySegment mp)
    {
        try
        {
            rte_mempool_free$.HANDLE.invokeExact(mp);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_mempool_avail_count$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_mempool_avail_count", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    /** {@code unsigned int rte_mempool_avail_count(const struct rte_mempool *mp)} */
    public static int rte_mempool_avail_count(MemorySegment mp)
    {
        try
        {
            return (int)rte_mempool_avail_count$.HANDLE.invokeExact(mp);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_mempool_in_use_count$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_mempool_in_use_count", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    /** {@code unsigned int rte_mempool_in_use_count(const struct rte_mempool *mp)} */
    public static int rte_mempool_in_use_count(MemorySegment mp)
    {
        try
        {
            return (int)rte_mempool_in_use_count$.HANDLE.invokeExact(mp);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_pktmbuf_free_bulk$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_pktmbuf_free_bulk", FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_INT), Linker.Option.critical(false));
    }

    /** {@code void rte_pktmbuf_free_bulk(struct rte_mbuf **mbufs, unsigned int count); mbufs passed as a raw address} */
    public static void rte_pktmbuf_free_bulk(long mbufs, int count)
    {
        try
        {
            rte_pktmbuf_free_bulk$.HANDLE.invokeExact(mbufs, count);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_ring_create$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_ring_create", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
    }

    /** {@code struct rte_ring *rte_ring_create(const char *name, unsigned int count, int socket_id, unsigned int flags)} */
    public static MemorySegment rte_ring_create(MemorySegment name, int count, int socket_id, int flags)
    {
        try
        {
            return (MemorySegment)rte_ring_create$.HANDLE.invokeExact(name, count, socket_id, flags);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class rte_ring_free$
    {
        static final MethodHandle HANDLE = NativeLibrary.downcall("rte_ring_free", FunctionDescriptor.ofVoid(ADDRESS));
    }

    /** {@code void rte_ring_free(struct rte_ring *r)} */
    public static void rte_ring_free(MemorySegment r)
    {
        try
        {
            rte_ring_free$.HANDLE.invokeExact(r);
        }
        catch (final Throwable ex)
        {
            throw new AssertionError("should not reach here", ex);
        }
    }

}
