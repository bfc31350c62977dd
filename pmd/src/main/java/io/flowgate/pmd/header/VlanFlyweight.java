package io.flowgate.pmd.header;

import io.flowgate.nativebindings.Memory;

/**
 * An IEEE 802.1Q (or 802.1ad) VLAN tag, viewed in place. The tag's TPID (0x8100 or 0x88A8) is the
 * EtherType field before it; this view starts after the TPID, at the Tag Control Information, as DPDK's
 * {@code rte_vlan_hdr} does: wrap it at {@code frame + EthernetFlyweight.HEADER_LENGTH} for the first tag.
 * <pre>
 *       0                   1                   2                   3
 *       0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    0 | PCP |D|          VID          |        Inner EtherType        |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *       \------------ TCI ------------/
 *  PCP: priority code point (802.1p), D: drop eligible indicator (DEI), VID: VLAN identifier
 * </pre>
 */
public final class VlanFlyweight
{
    public static final int TCI_OFFSET = 0;
    public static final int ETHER_TYPE_OFFSET = 2;
    public static final int HEADER_LENGTH = 4;

    public static final int PCP_SHIFT = 13;
    public static final int DEI_MASK = 0x1000;
    public static final int VID_MASK = 0x0FFF;

    private long address;

    public VlanFlyweight wrap(final long address)
    {
        this.address = address;
        return this;
    }

    public long address()
    {
        return address;
    }

    public int tci()
    {
        return Memory.getShortBE(address + TCI_OFFSET);
    }

    public VlanFlyweight tci(final int tci)
    {
        Memory.putShortBE(address + TCI_OFFSET, tci);
        return this;
    }

    /** Priority code point, 0..7. */
    public int pcp()
    {
        return tci() >>> PCP_SHIFT;
    }

    public VlanFlyweight pcp(final int pcp)
    {
        return tci((tci() & ~(0x7 << PCP_SHIFT)) | ((pcp & 0x7) << PCP_SHIFT));
    }

    /** Drop eligible indicator (formerly CFI). */
    public boolean dei()
    {
        return (tci() & DEI_MASK) != 0;
    }

    public VlanFlyweight dei(final boolean dei)
    {
        return tci(dei ? tci() | DEI_MASK : tci() & ~DEI_MASK);
    }

    /** VLAN identifier, 0..4095 (0: priority tag only; 4095 reserved). */
    public int vid()
    {
        return tci() & VID_MASK;
    }

    public VlanFlyweight vid(final int vid)
    {
        return tci((tci() & ~VID_MASK) | (vid & VID_MASK));
    }

    /** EtherType of the header the tag precedes: another TPID for QinQ. */
    public int etherType()
    {
        return Memory.getShortBE(address + ETHER_TYPE_OFFSET);
    }

    public VlanFlyweight etherType(final int etherType)
    {
        Memory.putShortBE(address + ETHER_TYPE_OFFSET, etherType);
        return this;
    }

    public long payloadAddress()
    {
        return address + HEADER_LENGTH;
    }

    // ------------------------------------------------------------------------------------------------------

    public static int getTci(final long tagAddress)
    {
        return Memory.getShortBE(tagAddress + TCI_OFFSET);
    }

    public static int getVid(final long tagAddress)
    {
        return Memory.getShortBE(tagAddress + TCI_OFFSET) & VID_MASK;
    }

    public static int getEtherType(final long tagAddress)
    {
        return Memory.getShortBE(tagAddress + ETHER_TYPE_OFFSET);
    }
}
