package io.flowgate.pmd.header;

import io.flowgate.nativebindings.Memory;

/**
 * A UDP header (RFC 768), viewed in place.
 * <pre>
 *       0                   1                   2                   3
 *       0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    0 |          Source Port          |       Destination Port        |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    4 |            Length             |           Checksum            |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  Length counts this header and the data. Checksum 0: none computed (IPv4 only).
 * </pre>
 */
public final class UdpFlyweight
{
    public static final int SRC_PORT_OFFSET = 0;
    public static final int DST_PORT_OFFSET = 2;
    public static final int LENGTH_OFFSET = 4;
    public static final int CHECKSUM_OFFSET = 6;
    public static final int HEADER_LENGTH = 8;

    private long address;

    public UdpFlyweight wrap(final long address)
    {
        this.address = address;
        return this;
    }

    public long address()
    {
        return address;
    }

    public int srcPort()
    {
        return Memory.getShortBE(address + SRC_PORT_OFFSET);
    }

    public UdpFlyweight srcPort(final int port)
    {
        Memory.putShortBE(address + SRC_PORT_OFFSET, port);
        return this;
    }

    public int dstPort()
    {
        return Memory.getShortBE(address + DST_PORT_OFFSET);
    }

    public UdpFlyweight dstPort(final int port)
    {
        Memory.putShortBE(address + DST_PORT_OFFSET, port);
        return this;
    }

    /** Length of header and data, at least {@link #HEADER_LENGTH} in a valid datagram. */
    public int length()
    {
        return Memory.getShortBE(address + LENGTH_OFFSET);
    }

    public UdpFlyweight length(final int length)
    {
        Memory.putShortBE(address + LENGTH_OFFSET, length);
        return this;
    }

    public int checksum()
    {
        return Memory.getShortBE(address + CHECKSUM_OFFSET);
    }

    public UdpFlyweight checksum(final int checksum)
    {
        Memory.putShortBE(address + CHECKSUM_OFFSET, checksum);
        return this;
    }

    public long payloadAddress()
    {
        return address + HEADER_LENGTH;
    }

    public int payloadLength()
    {
        return length() - HEADER_LENGTH;
    }

    // ------------------------------------------------------------------------------------------------------

    public static int getSrcPort(final long address)
    {
        return Memory.getShortBE(address + SRC_PORT_OFFSET);
    }

    public static void putSrcPort(final long address, final int port)
    {
        Memory.putShortBE(address + SRC_PORT_OFFSET, port);
    }

    public static int getDstPort(final long address)
    {
        return Memory.getShortBE(address + DST_PORT_OFFSET);
    }

    public static void putDstPort(final long address, final int port)
    {
        Memory.putShortBE(address + DST_PORT_OFFSET, port);
    }

    public static int getLength(final long address)
    {
        return Memory.getShortBE(address + LENGTH_OFFSET);
    }

    public static int getChecksum(final long address)
    {
        return Memory.getShortBE(address + CHECKSUM_OFFSET);
    }

    public static void putChecksum(final long address, final int checksum)
    {
        Memory.putShortBE(address + CHECKSUM_OFFSET, checksum);
    }
}
