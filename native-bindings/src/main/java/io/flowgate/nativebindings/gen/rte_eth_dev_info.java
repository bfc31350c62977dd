package io.flowgate.nativebindings.gen;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * Layout of {@code struct rte_eth_dev_info} (DPDK 22.11), the fields flowgate reads or writes, at their C offsets.
 * Checked against the installed headers by {@code StructLayoutProbeTest}.
 */
public final class rte_eth_dev_info
{
    public static final StructLayout LAYOUT = StructBuilder.struct("rte_eth_dev_info")
        .field(8, ValueLayout.ADDRESS, "driver_name")
        .field(16, ValueLayout.JAVA_INT, "if_index")
        .field(20, ValueLayout.JAVA_SHORT, "min_mtu")
        .field(22, ValueLayout.JAVA_SHORT, "max_mtu")
        .field(32, ValueLayout.JAVA_INT, "min_rx_bufsize")
        .field(36, ValueLayout.JAVA_INT, "max_rx_pktlen")
        .field(44, ValueLayout.JAVA_SHORT, "max_rx_queues")
        .field(46, ValueLayout.JAVA_SHORT, "max_tx_queues")
        .field(48, ValueLayout.JAVA_INT, "max_mac_addrs")
        .field(72, ValueLayout.JAVA_LONG, "rx_offload_capa")
        .field(80, ValueLayout.JAVA_LONG, "tx_offload_capa")
        .field(104, ValueLayout.JAVA_SHORT, "reta_size")
        .field(106, ValueLayout.JAVA_BYTE, "hash_key_size")
        .field(112, ValueLayout.JAVA_LONG, "flow_type_rss_offloads")
        .field(262, ValueLayout.JAVA_SHORT, "rx_desc_lim.nb_max")
        .field(264, ValueLayout.JAVA_SHORT, "rx_desc_lim.nb_min")
        .field(266, ValueLayout.JAVA_SHORT, "rx_desc_lim.nb_align")
        .field(272, ValueLayout.JAVA_SHORT, "tx_desc_lim.nb_max")
        .field(274, ValueLayout.JAVA_SHORT, "tx_desc_lim.nb_min")
        .field(276, ValueLayout.JAVA_SHORT, "tx_desc_lim.nb_align")
        .field(284, ValueLayout.JAVA_INT, "speed_capa")
        .field(288, ValueLayout.JAVA_SHORT, "nb_rx_queues")
        .field(290, ValueLayout.JAVA_SHORT, "nb_tx_queues")
        .field(294, ValueLayout.JAVA_SHORT, "default_rxportconf.burst_size")
        .field(296, ValueLayout.JAVA_SHORT, "default_rxportconf.ring_size")
        .field(302, ValueLayout.JAVA_SHORT, "default_txportconf.ring_size")
        .field(312, ValueLayout.JAVA_LONG, "dev_capa")
        .size(376, 8);

    public static final long driver_name$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("driver_name"));
    public static final long if_index$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("if_index"));
    public static final long min_mtu$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("min_mtu"));
    public static final long max_mtu$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("max_mtu"));
    public static final long min_rx_bufsize$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("min_rx_bufsize"));
    public static final long max_rx_pktlen$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("max_rx_pktlen"));
    public static final long max_rx_queues$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("max_rx_queues"));
    public static final long max_tx_queues$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("max_tx_queues"));
    public static final long max_mac_addrs$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("max_mac_addrs"));
    public static final long rx_offload_capa$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rx_offload_capa"));
    public static final long tx_offload_capa$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("tx_offload_capa"));
    public static final long reta_size$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("reta_size"));
    public static final long hash_key_size$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("hash_key_size"));
    public static final long flow_type_rss_offloads$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("flow_type_rss_offloads"));
    public static final long rx_desc_lim_nb_max$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rx_desc_lim.nb_max"));
    public static final long rx_desc_lim_nb_min$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rx_desc_lim.nb_min"));
    public static final long rx_desc_lim_nb_align$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rx_desc_lim.nb_align"));
    public static final long tx_desc_lim_nb_max$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("tx_desc_lim.nb_max"));
    public static final long tx_desc_lim_nb_min$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("tx_desc_lim.nb_min"));
    public static final long tx_desc_lim_nb_align$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("tx_desc_lim.nb_align"));
    public static final long speed_capa$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("speed_capa"));
    public static final long nb_rx_queues$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("nb_rx_queues"));
    public static final long nb_tx_queues$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("nb_tx_queues"));
    public static final long default_rxportconf_burst_size$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("default_rxportconf.burst_size"));
    public static final long default_rxportconf_ring_size$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("default_rxportconf.ring_size"));
    public static final long default_txportconf_ring_size$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("default_txportconf.ring_size"));
    public static final long dev_capa$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("dev_capa"));

    private rte_eth_dev_info()
    {
    }
}
