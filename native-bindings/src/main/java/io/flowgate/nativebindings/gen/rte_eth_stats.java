package io.flowgate.nativebindings.gen;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * Layout of {@code struct rte_eth_stats} (DPDK 22.11), the fields flowgate reads or writes, at their C offsets.
 * Checked against the installed headers by {@code StructLayoutProbeTest}.
 */
public final class rte_eth_stats
{
    public static final StructLayout LAYOUT = StructBuilder.struct("rte_eth_stats")
        .field(0, ValueLayout.JAVA_LONG, "ipackets")
        .field(8, ValueLayout.JAVA_LONG, "opackets")
        .field(16, ValueLayout.JAVA_LONG, "ibytes")
        .field(24, ValueLayout.JAVA_LONG, "obytes")
        .field(32, ValueLayout.JAVA_LONG, "imissed")
        .field(40, ValueLayout.JAVA_LONG, "ierrors")
        .field(48, ValueLayout.JAVA_LONG, "oerrors")
        .field(56, ValueLayout.JAVA_LONG, "rx_nombuf")
        .field(64, MemoryLayout.sequenceLayout(16, ValueLayout.JAVA_LONG), "q_ipackets")
        .field(192, MemoryLayout.sequenceLayout(16, ValueLayout.JAVA_LONG), "q_opackets")
        .field(320, MemoryLayout.sequenceLayout(16, ValueLayout.JAVA_LONG), "q_ibytes")
        .field(448, MemoryLayout.sequenceLayout(16, ValueLayout.JAVA_LONG), "q_obytes")
        .field(576, MemoryLayout.sequenceLayout(16, ValueLayout.JAVA_LONG), "q_errors")
        .size(704, 8);

    public static final long ipackets$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("ipackets"));
    public static final long opackets$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("opackets"));
    public static final long ibytes$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("ibytes"));
    public static final long obytes$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("obytes"));
    public static final long imissed$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("imissed"));
    public static final long ierrors$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("ierrors"));
    public static final long oerrors$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("oerrors"));
    public static final long rx_nombuf$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("rx_nombuf"));
    public static final long q_ipackets$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("q_ipackets"));
    public static final long q_opackets$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("q_opackets"));
    public static final long q_ibytes$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("q_ibytes"));
    public static final long q_obytes$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("q_obytes"));
    public static final long q_errors$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("q_errors"));

    private rte_eth_stats()
    {
    }
}
