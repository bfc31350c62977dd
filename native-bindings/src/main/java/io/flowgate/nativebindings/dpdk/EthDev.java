package io.flowgate.nativebindings.dpdk;

import static io.flowgate.nativebindings.dpdk.Dpdk.check;

import io.flowgate.nativebindings.DpdkException;
import io.flowgate.nativebindings.gen.dpdk_h;
import io.flowgate.nativebindings.gen.rte_eth_conf;
import io.flowgate.nativebindings.gen.rte_eth_dev_info;
import io.flowgate.nativebindings.gen.rte_eth_link;
import io.flowgate.nativebindings.gen.rte_eth_rss_conf;
import io.flowgate.nativebindings.gen.rte_eth_stats;
import io.flowgate.nativebindings.gen.rte_eth_xstat;
import io.flowgate.nativebindings.gen.rte_eth_xstat_name;
import io.flowgate.nativebindings.gen.rte_ether_addr;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DPDK's ethdev control calls: discovery, configuration, start/stop, addresses, link, statistics, RSS.
 * Every failure is a {@link DpdkException} naming the call, the port and DPDK's reason. Control path only:
 * each call may allocate; the data path uses {@code flowgate_shim_h} bursts directly.
 * <p>
 * Thread-safety: DPDK's control calls on one port are not thread-safe; one control thread per port.
 */
public final class EthDev
{
    public static final int MAX_ETHPORTS = 32;
    public static final int NAME_MAX_LEN = 64;
    public static final int QUEUE_STAT_COUNTERS = 16;

    /** {@code RTE_ETH_MQ_RX_NONE} / {@code RTE_ETH_MQ_RX_RSS}. */
    public static final int MQ_RX_NONE = 0;
    public static final int MQ_RX_RSS = 1;

    /** RSS hash functions ({@code RTE_ETH_RSS_*}, DPDK 22.11). */
    public static final long RSS_IP = 0xa38cL;
    public static final long RSS_UDP = 0x20820L;
    public static final long RSS_TCP = 0x10410L;

    private EthDev()
    {
    }

    /** Device facts as the driver reports them. */
    public record Info(
        int portId,
        String driverName,
        int maxRxQueues,
        int maxTxQueues,
        int minMtu,
        int maxMtu,
        int maxRxPktLen,
        int minRxBufSize,
        long rxOffloadCapa,
        long txOffloadCapa,
        int retaSize,
        int hashKeySize,
        long flowTypeRssOffloads,
        int rxDescMax,
        int rxDescMin,
        int txDescMax,
        int txDescMin,
        int speedCapa)
    {
    }

    public record Link(boolean up, int speedMbps, boolean fullDuplex, boolean autoneg)
    {
    }

    /** Basic counters ({@code struct rte_eth_stats}), per queue for the first 16 queues. */
    public record Stats(long ipackets, long opackets, long ibytes, long obytes, long imissed, long ierrors, long oerrors,
                        long rxNoMbuf, long[] queueIpackets, long[] queueOpackets)
    {
    }

    public static int countAvailable()
    {
        return dpdk_h.rte_eth_dev_count_avail() & 0xFFFF;
    }

    public static boolean isValidPort(final int portId)
    {
        return dpdk_h.rte_eth_dev_is_valid_port((short)portId) != 0;
    }

    /** Port ids of every attached device, in id order. */
    public static List<Integer> ports()
    {
        final List<Integer> ports = new ArrayList<>();
        for (int p = 0; p < MAX_ETHPORTS; p++)
        {
            if (isValidPort(p))
            {
                ports.add(p);
            }
        }
        return ports;
    }

    public static int portByName(final String name)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment id = arena.allocate(ValueLayout.JAVA_SHORT);
            final int ret = dpdk_h.rte_eth_dev_get_port_by_name(arena.allocateFrom(name), id);
            if (ret < 0)
            {
                throw new DpdkException("no DPDK port named '" + name + "': " + Dpdk.strerror(-ret), -ret);
            }
            return id.get(ValueLayout.JAVA_SHORT, 0) & 0xFFFF;
        }
    }

    public static String name(final int portId)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment buf = arena.allocate(NAME_MAX_LEN);
            check(dpdk_h.rte_eth_dev_get_name_by_port((short)portId, buf), "rte_eth_dev_get_name_by_port", portId);
            return buf.getString(0);
        }
    }

    /** NUMA socket of the device, or -1 when unknown (virtual devices). */
    public static int socketId(final int portId)
    {
        return dpdk_h.rte_eth_dev_socket_id((short)portId);
    }

    public static Info info(final int portId)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment s = arena.allocate(rte_eth_dev_info.LAYOUT);
            check(dpdk_h.rte_eth_dev_info_get((short)portId, s), "rte_eth_dev_info_get", portId);
            final MemorySegment driver = s.get(ValueLayout.ADDRESS, rte_eth_dev_info.driver_name$OFFSET);
            return new Info(
                portId,
                driver.equals(MemorySegment.NULL) ? "?" : driver.reinterpret(256).getString(0),
                u16(s, rte_eth_dev_info.max_rx_queues$OFFSET),
                u16(s, rte_eth_dev_info.max_tx_queues$OFFSET),
                u16(s, rte_eth_dev_info.min_mtu$OFFSET),
                u16(s, rte_eth_dev_info.max_mtu$OFFSET),
                s.get(ValueLayout.JAVA_INT, rte_eth_dev_info.max_rx_pktlen$OFFSET),
                s.get(ValueLayout.JAVA_INT, rte_eth_dev_info.min_rx_bufsize$OFFSET),
                s.get(ValueLayout.JAVA_LONG, rte_eth_dev_info.rx_offload_capa$OFFSET),
                s.get(ValueLayout.JAVA_LONG, rte_eth_dev_info.tx_offload_capa$OFFSET),
                u16(s, rte_eth_dev_info.reta_size$OFFSET),
                s.get(ValueLayout.JAVA_BYTE, rte_eth_dev_info.hash_key_size$OFFSET) & 0xFF,
                s.get(ValueLayout.JAVA_LONG, rte_eth_dev_info.flow_type_rss_offloads$OFFSET),
                u16(s, rte_eth_dev_info.rx_desc_lim_nb_max$OFFSET),
                u16(s, rte_eth_dev_info.rx_desc_lim_nb_min$OFFSET),
                u16(s, rte_eth_dev_info.tx_desc_lim_nb_max$OFFSET),
                u16(s, rte_eth_dev_info.tx_desc_lim_nb_min$OFFSET),
                s.get(ValueLayout.JAVA_INT, rte_eth_dev_info.speed_capa$OFFSET));
        }
    }

    /**
     * {@code rte_eth_dev_configure}: queue counts, and RSS over {@code rssHf} (masked by what the device
     * supports) when more than one receive queue is asked for. {@code mtu} 0 keeps the driver's default.
     */
    public static void configure(final int portId, final int rxQueues, final int txQueues, final long rssHf, final int mtu)
    {
        final Info info = info(portId);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment conf = arena.allocate(rte_eth_conf.LAYOUT);
            final long hf = rssHf & info.flowTypeRssOffloads();
            if (rxQueues > 1 && hf != 0)
            {
                conf.set(ValueLayout.JAVA_INT, rte_eth_conf.rxmode_mq_mode$OFFSET, MQ_RX_RSS);
                conf.set(ValueLayout.JAVA_LONG, rte_eth_conf.rx_adv_conf_rss_conf_rss_hf$OFFSET, hf);
                if (info.hashKeySize() > 0)
                {
                    // Both directions of a flow must reach the same worker (its connection table): the Toeplitz
                    // key of repeated 0x6d5a hashes (a, b) and (b, a) alike (Woo and Park, "Scalable TCP Session
                    // Monitoring with Symmetric Receive-side Scaling", 2012).
                    final byte[] key = new byte[info.hashKeySize()];
                    for (int i = 0; i < key.length; i++)
                    {
                        key[i] = (byte)((i & 1) == 0 ? 0x6d : 0x5a);
                    }
                    conf.set(ValueLayout.ADDRESS, rte_eth_conf.rx_adv_conf_rss_conf_rss_key$OFFSET, arena.allocateFrom(ValueLayout.JAVA_BYTE, key));
                    conf.set(ValueLayout.JAVA_BYTE, rte_eth_conf.rx_adv_conf_rss_conf_rss_key_len$OFFSET, (byte)key.length);
                }
            }
            if (mtu > 0)
            {
                conf.set(ValueLayout.JAVA_INT, rte_eth_conf.rxmode_mtu$OFFSET, mtu);
            }
            check(dpdk_h.rte_eth_dev_configure((short)portId, (short)rxQueues, (short)txQueues, conf), "rte_eth_dev_configure", portId);
        }
    }

    /** Rounds descriptor counts to what the device accepts; returns {rx, tx}. */
    public static int[] adjustDescriptors(final int portId, final int rxDesc, final int txDesc)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment rx = arena.allocateFrom(ValueLayout.JAVA_SHORT, (short)rxDesc);
            final MemorySegment tx = arena.allocateFrom(ValueLayout.JAVA_SHORT, (short)txDesc);
            check(dpdk_h.rte_eth_dev_adjust_nb_rx_tx_desc((short)portId, rx, tx), "rte_eth_dev_adjust_nb_rx_tx_desc", portId);
            return new int[] {rx.get(ValueLayout.JAVA_SHORT, 0) & 0xFFFF, tx.get(ValueLayout.JAVA_SHORT, 0) & 0xFFFF};
        }
    }

    /** Receive queue with the driver's default configuration, filled from {@code pool}. */
    public static void rxQueueSetup(final int portId, final int queue, final int descriptors, final int socketId, final Mempool pool)
    {
        check(dpdk_h.rte_eth_rx_queue_setup((short)portId, (short)queue, (short)descriptors, socketId, MemorySegment.NULL,
            MemorySegment.ofAddress(pool.address())), "rte_eth_rx_queue_setup(queue " + queue + ")", portId);
    }

    public static void txQueueSetup(final int portId, final int queue, final int descriptors, final int socketId)
    {
        check(dpdk_h.rte_eth_tx_queue_setup((short)portId, (short)queue, (short)descriptors, socketId, MemorySegment.NULL),
            "rte_eth_tx_queue_setup(queue " + queue + ")", portId);
    }

    public static void start(final int portId)
    {
        check(dpdk_h.rte_eth_dev_start((short)portId), "rte_eth_dev_start", portId);
    }

    public static void stop(final int portId)
    {
        check(dpdk_h.rte_eth_dev_stop((short)portId), "rte_eth_dev_stop", portId);
    }

    public static void close(final int portId)
    {
        check(dpdk_h.rte_eth_dev_close((short)portId), "rte_eth_dev_close", portId);
    }

    /** Enables promiscuous mode; returns false when the driver does not support it (virtual devices often). */
    public static boolean promiscuousEnable(final int portId)
    {
        final int ret = dpdk_h.rte_eth_promiscuous_enable((short)portId);
        if (ret == -95)
        {
            return false; // -ENOTSUP
        }
        check(ret, "rte_eth_promiscuous_enable", portId);
        return true;
    }

    public static boolean promiscuous(final int portId)
    {
        return dpdk_h.rte_eth_promiscuous_get((short)portId) == 1;
    }

    /** The port's MAC address in the low 48 bits, first octet most significant. */
    public static long macAddress(final int portId)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment mac = arena.allocate(rte_ether_addr.LAYOUT);
            check(dpdk_h.rte_eth_macaddr_get((short)portId, mac), "rte_eth_macaddr_get", portId);
            long value = 0;
            for (int i = 0; i < 6; i++)
            {
                value = (value << 8) | (mac.get(ValueLayout.JAVA_BYTE, rte_ether_addr.addr_bytes$OFFSET + i) & 0xFF);
            }
            return value;
        }
    }

    public static Link link(final int portId)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment s = arena.allocate(rte_eth_link.LAYOUT);
            check(dpdk_h.rte_eth_link_get_nowait((short)portId, s), "rte_eth_link_get_nowait", portId);
            final int bits = s.get(ValueLayout.JAVA_SHORT, rte_eth_link.BITFIELDS$OFFSET) & 0xFFFF;
            return new Link((bits & rte_eth_link.LINK_STATUS$MASK) != 0, s.get(ValueLayout.JAVA_INT, rte_eth_link.link_speed$OFFSET),
                (bits & rte_eth_link.LINK_DUPLEX$MASK) != 0, (bits & rte_eth_link.LINK_AUTONEG$MASK) != 0);
        }
    }

    public static Stats stats(final int portId)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment s = arena.allocate(rte_eth_stats.LAYOUT);
            check(dpdk_h.rte_eth_stats_get((short)portId, s), "rte_eth_stats_get", portId);
            final long[] qIn = new long[QUEUE_STAT_COUNTERS];
            final long[] qOut = new long[QUEUE_STAT_COUNTERS];
            for (int q = 0; q < QUEUE_STAT_COUNTERS; q++)
            {
                qIn[q] = s.get(ValueLayout.JAVA_LONG, rte_eth_stats.q_ipackets$OFFSET + 8L * q);
                qOut[q] = s.get(ValueLayout.JAVA_LONG, rte_eth_stats.q_opackets$OFFSET + 8L * q);
            }
            return new Stats(
                s.get(ValueLayout.JAVA_LONG, rte_eth_stats.ipackets$OFFSET),
                s.get(ValueLayout.JAVA_LONG, rte_eth_stats.opackets$OFFSET),
                s.get(ValueLayout.JAVA_LONG, rte_eth_stats.ibytes$OFFSET),
                s.get(ValueLayout.JAVA_LONG, rte_eth_stats.obytes$OFFSET),
                s.get(ValueLayout.JAVA_LONG, rte_eth_stats.imissed$OFFSET),
                s.get(ValueLayout.JAVA_LONG, rte_eth_stats.ierrors$OFFSET),
                s.get(ValueLayout.JAVA_LONG, rte_eth_stats.oerrors$OFFSET),
                s.get(ValueLayout.JAVA_LONG, rte_eth_stats.rx_nombuf$OFFSET),
                qIn,
                qOut);
        }
    }

    public static void statsReset(final int portId)
    {
        check(dpdk_h.rte_eth_stats_reset((short)portId), "rte_eth_stats_reset", portId);
    }

    /** Extended statistics by name, in the driver's order. */
    public static Map<String, Long> xstats(final int portId)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final int n = check(dpdk_h.rte_eth_xstats_get_names((short)portId, MemorySegment.NULL, 0), "rte_eth_xstats_get_names", portId);
            final MemorySegment names = arena.allocate(rte_eth_xstat_name.LAYOUT, Math.max(n, 1));
            final MemorySegment values = arena.allocate(rte_eth_xstat.LAYOUT, Math.max(n, 1));
            final int gotNames = check(dpdk_h.rte_eth_xstats_get_names((short)portId, names, n), "rte_eth_xstats_get_names", portId);
            final int gotValues = check(dpdk_h.rte_eth_xstats_get((short)portId, values, n), "rte_eth_xstats_get", portId);
            final Map<String, Long> result = new LinkedHashMap<>();
            for (int i = 0; i < Math.min(gotNames, gotValues); i++)
            {
                final long id = values.get(ValueLayout.JAVA_LONG, i * rte_eth_xstat.LAYOUT.byteSize() + rte_eth_xstat.id$OFFSET);
                final long value = values.get(ValueLayout.JAVA_LONG, i * rte_eth_xstat.LAYOUT.byteSize() + rte_eth_xstat.value$OFFSET);
                result.put(names.getString(id * rte_eth_xstat_name.LAYOUT.byteSize()), value);
            }
            return result;
        }
    }

    /** The RSS hash functions currently enabled on the port. */
    public static long rssHashFunctions(final int portId)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment conf = arena.allocate(rte_eth_rss_conf.LAYOUT);
            check(dpdk_h.rte_eth_dev_rss_hash_conf_get((short)portId, conf), "rte_eth_dev_rss_hash_conf_get", portId);
            return conf.get(ValueLayout.JAVA_LONG, rte_eth_rss_conf.rss_hf$OFFSET);
        }
    }

    /** Changes the RSS hash functions (and the key, when {@code key} is not null). */
    public static void rssHashUpdate(final int portId, final long rssHf, final byte[] key)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment conf = arena.allocate(rte_eth_rss_conf.LAYOUT);
            conf.set(ValueLayout.JAVA_LONG, rte_eth_rss_conf.rss_hf$OFFSET, rssHf);
            if (key != null)
            {
                conf.set(ValueLayout.ADDRESS, rte_eth_rss_conf.rss_key$OFFSET, arena.allocateFrom(ValueLayout.JAVA_BYTE, key));
                conf.set(ValueLayout.JAVA_BYTE, rte_eth_rss_conf.rss_key_len$OFFSET, (byte)key.length);
            }
            check(dpdk_h.rte_eth_dev_rss_hash_update((short)portId, conf), "rte_eth_dev_rss_hash_update", portId);
        }
    }

    private static int u16(final MemorySegment s, final long offset)
    {
        return s.get(ValueLayout.JAVA_SHORT, offset) & 0xFFFF;
    }
}
