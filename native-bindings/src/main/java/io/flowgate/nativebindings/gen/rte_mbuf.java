package io.flowgate.nativebindings.gen;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * Layout of {@code struct rte_mbuf} (DPDK 22.11), the fields flowgate reads or writes, at their C offsets.
 * Checked against the installed headers by {@code StructLayoutProbeTest}.
 */
public final class rte_mbuf
{
    public static final StructLayout LAYOUT = StructBuilder.struct("rte_mbuf")
        .field(0, ValueLayout.ADDRESS, "buf_addr")
        .field(8, ValueLayout.JAVA_LONG, "buf_iova")
        .field(16, ValueLayout.JAVA_SHORT, "data_off")
        .field(18, ValueLayout.JAVA_SHORT, "refcnt")
        .field(20, ValueLayout.JAVA_SHORT, "nb_segs")
        .field(22, ValueLayout.JAVA_SHORT, "port")
        .field(24, ValueLayout.JAVA_LONG, "ol_flags")
        .field(32, ValueLayout.JAVA_INT, "packet_type")
        .field(36, ValueLayout.JAVA_INT, "pkt_len")
        .field(40, ValueLayout.JAVA_SHORT, "data_len")
        .field(42, ValueLayout.JAVA_SHORT, "vlan_tci")
        .field(44, ValueLayout.JAVA_INT, "hash.rss")
        .field(52, ValueLayout.JAVA_SHORT, "vlan_tci_outer")
        .field(54, ValueLayout.JAVA_SHORT, "buf_len")
        .field(56, ValueLayout.ADDRESS, "pool")
        .field(64, ValueLayout.ADDRESS, "next")
        .field(72, ValueLayout.JAVA_LONG, "tx_offload")
        .size(128, 64);

    public static final long buf_addr$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("buf_addr"));
    public static final long buf_iova$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("buf_iova"));
    public static final long data_off$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("data_off"));
    public static final long refcnt$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("refcnt"));
    public static final long nb_segs$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("nb_segs"));
    public static final long port$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("port"));
    public static final long ol_flags$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("ol_flags"));
    public static final long packet_type$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("packet_type"));
    public static final long pkt_len$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("pkt_len"));
    public static final long data_len$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("data_len"));
    public static final long vlan_tci$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("vlan_tci"));
    public static final long hash_rss$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("hash.rss"));
    public static final long vlan_tci_outer$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("vlan_tci_outer"));
    public static final long buf_len$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("buf_len"));
    public static final long pool$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("pool"));
    public static final long next$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("next"));
    public static final long tx_offload$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("tx_offload"));

    private rte_mbuf()
    {
    }
}
