package io.flowgate.pmd.header;

import io.flowgate.nativebindings.Memory;

/**
 * A TCP header (RFC 9293 3.1), viewed in place; options, when Data Offset is above 5, follow at
 * {@link #OPTIONS_OFFSET}.
 * <pre>
 *       0                   1                   2                   3
 *       0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    0 |          Source Port          |       Destination Port        |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    4 |                        Sequence Number                        |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    8 |                    Acknowledgment Number                      |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   12 |  Data |       |C|E|U|A|P|R|S|F|                               |
 *      | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *      |       |       |R|E|G|K|H|T|N|N|                               |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   16 |           Checksum            |         Urgent Pointer        |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   20 |           Options (Data Offset * 4 - 20 bytes)                |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * Sequence and acknowledgment numbers are {@code int}s: compare them with modular arithmetic
 * ({@code (a - b) < 0}), as {@code before()}/{@code after()} in Linux.
 */
public final class TcpFlyweight
{
    public static final int SRC_PORT_OFFSET = 0;
    public static final int DST_PORT_OFFSET = 2;
    public static final int SEQUENCE_OFFSET = 4;
    public static final int ACKNOWLEDGMENT_OFFSET = 8;
    public static final int DATA_OFFSET_OFFSET = 12;
    public static final int FLAGS_OFFSET = 13;
    public static final int WINDOW_OFFSET = 14;
    public static final int CHECKSUM_OFFSET = 16;
    public static final int URGENT_POINTER_OFFSET = 18;
    public static final int OPTIONS_OFFSET = 20;

    public static final int MIN_HEADER_LENGTH = 20;
    public static final int MAX_HEADER_LENGTH = 60;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    /** Option kinds (IANA "TCP Option Kind Numbers"). */
    public static final int OPTION_END = 0;
    public static final int OPTION_NOP = 1;
    public static final int OPTION_MSS = 2;
    public static final int OPTION_WINDOW_SCALE = 3;
    public static final int OPTION_SACK_PERMITTED = 4;
    public static final int OPTION_SACK = 5;
    public static final int OPTION_TIMESTAMP = 8;

    /** {@link #findOption(int)} result when the option is absent or the option list is malformed. */
    public static final int NO_OPTION = -1;

    private long address;

    public TcpFlyweight wrap(final long address)
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

    public TcpFlyweight srcPort(final int port)
    {
        Memory.putShortBE(address + SRC_PORT_OFFSET, port);
        return this;
    }

    public int dstPort()
    {
        return Memory.getShortBE(address + DST_PORT_OFFSET);
    }

    public TcpFlyweight dstPort(final int port)
    {
        Memory.putShortBE(address + DST_PORT_OFFSET, port);
        return this;
    }

    public int sequence()
    {
        return Memory.getIntBE(address + SEQUENCE_OFFSET);
    }

    public TcpFlyweight sequence(final int sequence)
    {
        Memory.putIntBE(address + SEQUENCE_OFFSET, sequence);
        return this;
    }

    public int acknowledgment()
    {
        return Memory.getIntBE(address + ACKNOWLEDGMENT_OFFSET);
    }

    public TcpFlyweight acknowledgment(final int acknowledgment)
    {
        Memory.putIntBE(address + ACKNOWLEDGMENT_OFFSET, acknowledgment);
        return this;
    }

    /** Data Offset: header length in 32-bit words, 5..15 in a valid header. */
    public int dataOffset()
    {
        return Memory.getUnsignedByte(address + DATA_OFFSET_OFFSET) >>> 4;
    }

    /** Sets Data Offset, keeping the reserved bits that share its byte (one of them is AccECN's AE). */
    public TcpFlyweight dataOffset(final int dataOffset)
    {
        final int reserved = Memory.getUnsignedByte(address + DATA_OFFSET_OFFSET) & 0x0F;
        Memory.putByte(address + DATA_OFFSET_OFFSET, (byte)((dataOffset << 4) | reserved));
        return this;
    }

    /** Header length in bytes, options included: Data Offset * 4. */
    public int headerLength()
    {
        return getHeaderLength(address);
    }

    public TcpFlyweight headerLength(final int headerLength)
    {
        return dataOffset(headerLength >>> 2);
    }

    /** Bytes of options, from {@link #OPTIONS_OFFSET} to the end of the header. */
    public int optionsLength()
    {
        return getHeaderLength(address) - MIN_HEADER_LENGTH;
    }

    public long optionsAddress()
    {
        return address + OPTIONS_OFFSET;
    }

    /** The eight flag bits CWR..FIN; test with the constants, {@code (flags() & SYN) != 0}. */
    public int flags()
    {
        return Memory.getUnsignedByte(address + FLAGS_OFFSET);
    }

    public TcpFlyweight flags(final int flags)
    {
        Memory.putByte(address + FLAGS_OFFSET, (byte)flags);
        return this;
    }

    public int window()
    {
        return Memory.getShortBE(address + WINDOW_OFFSET);
    }

    public TcpFlyweight window(final int window)
    {
        Memory.putShortBE(address + WINDOW_OFFSET, window);
        return this;
    }

    public int checksum()
    {
        return Memory.getShortBE(address + CHECKSUM_OFFSET);
    }

    public TcpFlyweight checksum(final int checksum)
    {
        Memory.putShortBE(address + CHECKSUM_OFFSET, checksum);
        return this;
    }

    public int urgentPointer()
    {
        return Memory.getShortBE(address + URGENT_POINTER_OFFSET);
    }

    public TcpFlyweight urgentPointer(final int urgentPointer)
    {
        Memory.putShortBE(address + URGENT_POINTER_OFFSET, urgentPointer);
        return this;
    }

    public long payloadAddress()
    {
        return address + getHeaderLength(address);
    }

    /**
     * Offset from the header start of the first option of {@code kind}, or {@link #NO_OPTION} when absent.
     * Walks the option list as Linux {@code tcp_parse_options} does: End stops, NOP is one byte, any other
     * option carries a length of at least 2 that must fit in the header, else the walk stops.
     */
    public int findOption(final int kind)
    {
        final int end = getHeaderLength(address);
        int offset = OPTIONS_OFFSET;
        while (offset < end)
        {
            final int optionKind = Memory.getUnsignedByte(address + offset);
            if (optionKind == OPTION_END)
            {
                return NO_OPTION;
            }
            if (optionKind == OPTION_NOP)
            {
                offset++;
                continue;
            }
            if (offset + 1 >= end)
            {
                return NO_OPTION;
            }
            final int length = Memory.getUnsignedByte(address + offset + 1);
            if (length < 2 || offset + length > end)
            {
                return NO_OPTION;
            }
            if (optionKind == kind)
            {
                return offset;
            }
            offset += length;
        }
        return NO_OPTION;
    }

    // ------------------------------------------------------------------------------------------------------

    /**
     * Whether a well-formed TCP header starts at {@code address} with {@code available} bytes of segment
     * there: Data Offset at least 5 and the header within {@code available}.
     */
    public static boolean isWellFormed(final long address, final int available)
    {
        if (available < MIN_HEADER_LENGTH)
        {
            return false;
        }
        final int headerLength = getHeaderLength(address);
        return headerLength >= MIN_HEADER_LENGTH && headerLength <= available;
    }

    public static int getHeaderLength(final long address)
    {
        return (Memory.getUnsignedByte(address + DATA_OFFSET_OFFSET) >>> 4) << 2;
    }

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

    public static int getFlags(final long address)
    {
        return Memory.getUnsignedByte(address + FLAGS_OFFSET);
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
