package io.flowgate.nativebindings.gen;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * Layout of {@code struct rte_eth_xstat} (DPDK 22.11), the fields flowgate reads or writes, at their C offsets.
 * Checked against the installed headers by {@code StructLayoutProbeTest}.
 */
public final class rte_eth_xstat
{
    public static final StructLayout LAYOUT = StructBuilder.struct("rte_eth_xstat")
        .field(0, ValueLayout.JAVA_LONG, "id")
        .field(8, ValueLayout.JAVA_LONG, "value")
        .size(16, 8);

    public static final long id$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("id"));
    public static final long value$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("value"));

    private rte_eth_xstat()
    {
    }
}
