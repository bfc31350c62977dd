package io.flowgate.nativebindings.gen;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * Layout of {@code struct rte_eth_rss_conf} (DPDK 22.11), the fields flowgate reads or writes, at their C offsets.
 * Checked against the installed headers by {@code StructLayoutProbeTest}.
 */
public final class rte_eth_rss_conf
{
    public static final StructLayout LAYOUT = StructBuilder.struct("rte_eth_rss_conf")
        .field(0, ValueLayout.ADDRESS, "rss_key")
        .field(8, ValueLayout.JAVA_BYTE, "rss_key_len")
        .field(16, ValueLayout.JAVA_LONG, "rss_hf")
        .size(24, 8);

    public static final long rss_key$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rss_key"));
    public static final long rss_key_len$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rss_key_len"));
    public static final long rss_hf$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rss_hf"));

    private rte_eth_rss_conf()
    {
    }
}
