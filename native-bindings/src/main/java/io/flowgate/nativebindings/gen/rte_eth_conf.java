package io.flowgate.nativebindings.gen;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * Layout of {@code struct rte_eth_conf} (DPDK 22.11), the fields flowgate reads or writes, at their C offsets.
 * Checked against the installed headers by {@code StructLayoutProbeTest}.
 */
public final class rte_eth_conf
{
    public static final StructLayout LAYOUT = StructBuilder.struct("rte_eth_conf")
        .field(0, ValueLayout.JAVA_INT, "link_speeds")
        .field(8, ValueLayout.JAVA_INT, "rxmode.mq_mode")
        .field(12, ValueLayout.JAVA_INT, "rxmode.mtu")
        .field(24, ValueLayout.JAVA_LONG, "rxmode.offloads")
        .field(64, ValueLayout.JAVA_INT, "txmode.mq_mode")
        .field(72, ValueLayout.JAVA_LONG, "txmode.offloads")
        .field(120, ValueLayout.JAVA_INT, "lpbk_mode")
        .field(128, ValueLayout.ADDRESS, "rx_adv_conf.rss_conf.rss_key")
        .field(136, ValueLayout.JAVA_BYTE, "rx_adv_conf.rss_conf.rss_key_len")
        .field(144, ValueLayout.JAVA_LONG, "rx_adv_conf.rss_conf.rss_hf")
        .size(2272, 8);

    public static final long link_speeds$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("link_speeds"));
    public static final long rxmode_mq_mode$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rxmode.mq_mode"));
    public static final long rxmode_mtu$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rxmode.mtu"));
    public static final long rxmode_offloads$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rxmode.offloads"));
    public static final long txmode_mq_mode$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("txmode.mq_mode"));
    public static final long txmode_offloads$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("txmode.offloads"));
    public static final long lpbk_mode$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("lpbk_mode"));
    public static final long rx_adv_conf_rss_conf_rss_key$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rx_adv_conf.rss_conf.rss_key"));
    public static final long rx_adv_conf_rss_conf_rss_key_len$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rx_adv_conf.rss_conf.rss_key_len"));
    public static final long rx_adv_conf_rss_conf_rss_hf$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rx_adv_conf.rss_conf.rss_hf"));

    private rte_eth_conf()
    {
    }
}
