package io.flowgate.nativebindings.gen;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * Layout of {@code struct rte_eth_xstat_name} (DPDK 22.11), the fields flowgate reads or writes, at their C offsets.
 * Checked against the installed headers by {@code StructLayoutProbeTest}.
 */
public final class rte_eth_xstat_name
{
    public static final StructLayout LAYOUT = StructBuilder.struct("rte_eth_xstat_name")
        .field(0, MemoryLayout.sequenceLayout(64, ValueLayout.JAVA_BYTE), "name")
        .size(64, 1);

    public static final long name$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("name"));

    private rte_eth_xstat_name()
    {
    }
}
