package io.flowgate.nativebindings.gen;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * Layout of {@code struct rte_ether_addr} (DPDK 22.11), the fields flowgate reads or writes, at their C offsets.
 * Checked against the installed headers by {@code StructLayoutProbeTest}.
 */
public final class rte_ether_addr
{
    public static final StructLayout LAYOUT = StructBuilder.struct("rte_ether_addr")
        .field(0, MemoryLayout.sequenceLayout(6, ValueLayout.JAVA_BYTE), "addr_bytes")
        .size(6, 2);

    public static final long addr_bytes$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("addr_bytes"));

    private rte_ether_addr()
    {
    }
}
