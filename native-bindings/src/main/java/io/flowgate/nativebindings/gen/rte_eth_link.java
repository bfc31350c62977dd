package io.flowgate.nativebindings.gen;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * Layout of {@code struct rte_eth_link} (DPDK 22.11), the fields flowgate reads or writes, at their C offsets.
 * Checked against the installed headers by {@code StructLayoutProbeTest}.
 */
public final class rte_eth_link
{
    public static final StructLayout LAYOUT = StructBuilder.struct("rte_eth_link")
        .field(0, ValueLayout.JAVA_INT, "link_speed")
        .size(8, 8);

    public static final long link_speed$OFFSET = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("link_speed"));

    /*
     * The rest of the struct is three bit fields in one uint16_t after link_speed:
     *
     *   0               1               2               3
     *  +---------------+---------------+---------------+---------------+
     *  |                        link_speed (Mbps)                      |
     *  +-+-+-+---------+---------------+---------------+---------------+
     *  |D|A|S| unused  |    unused     |        (padding to 8)         |
     *  +-+-+-+---------+---------------+---------------+---------------+
     *   D link_duplex  A link_autoneg  S link_status   (GCC, x86-64: first bit field in the lowest bit)
     *
     * offsetof cannot name a bit field; the probe test sets each one in C and checks these masks.
     */
    public static final long BITFIELDS$OFFSET = 4;
    public static final int LINK_DUPLEX$MASK = 1;
    public static final int LINK_AUTONEG$MASK = 1 << 1;
    public static final int LINK_STATUS$MASK = 1 << 2;

    private rte_eth_link()
    {
    }
}
