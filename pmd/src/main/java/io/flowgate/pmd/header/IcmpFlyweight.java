package io.flowgate.pmd.header;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.checksum.Checksum;

/**
 * An ICMP (RFC 792) or ICMPv6 (RFC 4443) message header, viewed in place. Both share the first 4 bytes;
 * the next 4 depend on the type: identifier and sequence number for echo messages, unused (or the next-hop
 * MTU, RFC 1191 / 4443 3.2) for errors, which then carry as much of the offending packet as fits.
 * <pre>
 *       0                   1                   2                   3
 *       0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    0 |     Type      |     Code      |           Checksum            |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    4 |          Identifier           |        Sequence Number        |  echo
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    8 |     data, or for errors the IP header and start of the packet |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * The ICMP checksum covers the message only; the ICMPv6 checksum adds the IPv6 pseudo-header, so it lives
 * in {@link Checksum#icmpv6(long, long)}.
 */
public final class IcmpFlyweight
{
    public static final int TYPE_OFFSET = 0;
    public static final int CODE_OFFSET = 1;
    public static final int CHECKSUM_OFFSET = 2;
    public static final int REST_OF_HEADER_OFFSET = 4;
    public static final int IDENTIFIER_OFFSET = 4;
    public static final int SEQUENCE_OFFSET = 6;
    public static final int HEADER_LENGTH = 8;

    // ICMP for IPv4 (RFC 792, RFC 1812 for codes 9..15)
    public static final int ECHO_REPLY = 0;
    public static final int DEST_UNREACHABLE = 3;
    public static final int SOURCE_QUENCH = 4;
    public static final int REDIRECT = 5;
    public static final int ECHO_REQUEST = 8;
    public static final int TIME_EXCEEDED = 11;
    public static final int PARAMETER_PROBLEM = 12;
    public static final int TIMESTAMP_REQUEST = 13;
    public static final int TIMESTAMP_REPLY = 14;

    public static final int CODE_NET_UNREACHABLE = 0;
    public static final int CODE_HOST_UNREACHABLE = 1;
    public static final int CODE_PROTOCOL_UNREACHABLE = 2;
    public static final int CODE_PORT_UNREACHABLE = 3;
    public static final int CODE_FRAGMENTATION_NEEDED = 4;
    public static final int CODE_ADMIN_PROHIBITED = 13;
    public static final int CODE_TTL_EXCEEDED = 0;
    public static final int CODE_REASSEMBLY_TIME_EXCEEDED = 1;

    // ICMPv6 (RFC 4443, RFC 4861 for neighbour discovery)
    public static final int V6_DEST_UNREACHABLE = 1;
    public static final int V6_PACKET_TOO_BIG = 2;
    public static final int V6_TIME_EXCEEDED = 3;
    public static final int V6_PARAMETER_PROBLEM = 4;
    public static final int V6_ECHO_REQUEST = 128;
    public static final int V6_ECHO_REPLY = 129;
    public static final int V6_ROUTER_SOLICITATION = 133;
    public static final int V6_ROUTER_ADVERTISEMENT = 134;
    public static final int V6_NEIGHBOR_SOLICITATION = 135;
    public static final int V6_NEIGHBOR_ADVERTISEMENT = 136;
    public static final int V6_REDIRECT = 137;

    public static final int V6_CODE_NO_ROUTE = 0;
    public static final int V6_CODE_ADMIN_PROHIBITED = 1;
    public static final int V6_CODE_ADDRESS_UNREACHABLE = 3;
    public static final int V6_CODE_PORT_UNREACHABLE = 4;
    public static final int V6_CODE_HOP_LIMIT_EXCEEDED = 0;

    private long address;

    public IcmpFlyweight wrap(final long address)
    {
        this.address = address;
        return this;
    }

    public long address()
    {
        return address;
    }

    public int type()
    {
        return Memory.getUnsignedByte(address + TYPE_OFFSET);
    }

    public IcmpFlyweight type(final int type)
    {
        Memory.putByte(address + TYPE_OFFSET, (byte)type);
        return this;
    }

    public int code()
    {
        return Memory.getUnsignedByte(address + CODE_OFFSET);
    }

    public IcmpFlyweight code(final int code)
    {
        Memory.putByte(address + CODE_OFFSET, (byte)code);
        return this;
    }

    public int checksum()
    {
        return Memory.getShortBE(address + CHECKSUM_OFFSET);
    }

    public IcmpFlyweight checksum(final int checksum)
    {
        Memory.putShortBE(address + CHECKSUM_OFFSET, checksum);
        return this;
    }

    /** Identifier of an echo request or reply. */
    public int identifier()
    {
        return Memory.getShortBE(address + IDENTIFIER_OFFSET);
    }

    public IcmpFlyweight identifier(final int identifier)
    {
        Memory.putShortBE(address + IDENTIFIER_OFFSET, identifier);
        return this;
    }

    /** Sequence number of an echo request or reply. */
    public int sequence()
    {
        return Memory.getShortBE(address + SEQUENCE_OFFSET);
    }

    public IcmpFlyweight sequence(final int sequence)
    {
        Memory.putShortBE(address + SEQUENCE_OFFSET, sequence);
        return this;
    }

    /** The 32-bit word after the checksum, whatever the type makes of it. */
    public int restOfHeader()
    {
        return Memory.getIntBE(address + REST_OF_HEADER_OFFSET);
    }

    public IcmpFlyweight restOfHeader(final int value)
    {
        Memory.putIntBE(address + REST_OF_HEADER_OFFSET, value);
        return this;
    }

    /** Address of the data after the 8-byte header: echo data, or the embedded packet of an error. */
    public long payloadAddress()
    {
        return address + HEADER_LENGTH;
    }

    /** ICMP for IPv4: the checksum of a message of {@code length} bytes; the stored one is ignored. */
    public int computeChecksum(final int length)
    {
        return Checksum.checksumSkipping(address, length, CHECKSUM_OFFSET, 0);
    }

    /** ICMP for IPv4: computes and stores the checksum of a message of {@code length} bytes. */
    public IcmpFlyweight updateChecksum(final int length)
    {
        return checksum(computeChecksum(length));
    }

    /** ICMP for IPv4: whether a message of {@code length} bytes carries a correct checksum. */
    public boolean isChecksumValid(final int length)
    {
        return Checksum.sum(address, length) == Checksum.VALID_SUM;
    }

    // ------------------------------------------------------------------------------------------------------

    public static int getType(final long address)
    {
        return Memory.getUnsignedByte(address + TYPE_OFFSET);
    }

    public static int getCode(final long address)
    {
        return Memory.getUnsignedByte(address + CODE_OFFSET);
    }

    public static int getIdentifier(final long address)
    {
        return Memory.getShortBE(address + IDENTIFIER_OFFSET);
    }

    /**
     * Whether an ICMP for IPv4 type is an error that carries the offending packet, which conntrack relates
     * to its connection (Linux {@code icmp_is_err}): destination unreachable, source quench,
     * redirect, time exceeded, parameter problem.
     */
    public static boolean isError(final int type)
    {
        return type == DEST_UNREACHABLE || type == SOURCE_QUENCH || type == REDIRECT ||
            type == TIME_EXCEEDED || type == PARAMETER_PROBLEM;
    }

    /** Whether an ICMPv6 type is an error message: types 0..127 (RFC 4443 2.1). */
    public static boolean isV6Error(final int type)
    {
        return type < 128;
    }
}
