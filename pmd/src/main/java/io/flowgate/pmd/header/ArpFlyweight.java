package io.flowgate.pmd.header;

import io.flowgate.nativebindings.Memory;

/**
 * An ARP packet (RFC 826) for IPv4 over Ethernet, viewed in place. The offsets of the address fields hold
 * only for hardware length 6 and protocol length 4: check {@link #isEthernetIpv4()} before reading them.
 * <pre>
 *       0                   1                   2                   3
 *       0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    0 |         Hardware Type         |         Protocol Type         |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    4 |  HW Addr Len  | Proto Addr Len|           Operation           |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    8 |              Sender Hardware Address (bytes 8..13)            |
 *      +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   12 |                               | Sender Protocol Address 14..17|
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   16 |  (Sender Protocol Address)    | Target Hardware Address 18..23|
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *   20 |                                                               |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   24 |              Target Protocol Address (bytes 24..27)           |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * MAC addresses are {@code long}s as in {@link EthernetFlyweight}; IPv4 addresses are {@code int}s.
 */
public final class ArpFlyweight
{
    public static final int HARDWARE_TYPE_OFFSET = 0;
    public static final int PROTOCOL_TYPE_OFFSET = 2;
    public static final int HARDWARE_LENGTH_OFFSET = 4;
    public static final int PROTOCOL_LENGTH_OFFSET = 5;
    public static final int OPERATION_OFFSET = 6;
    public static final int SENDER_MAC_OFFSET = 8;
    public static final int SENDER_IP_OFFSET = 14;
    public static final int TARGET_MAC_OFFSET = 18;
    public static final int TARGET_IP_OFFSET = 24;
    /** Length of an Ethernet/IPv4 ARP packet. */
    public static final int HEADER_LENGTH = 28;

    public static final int HARDWARE_TYPE_ETHERNET = 1;
    public static final int PROTOCOL_TYPE_IPV4 = EthernetFlyweight.ETHER_TYPE_IPV4;
    public static final int HARDWARE_LENGTH_ETHERNET = 6;
    public static final int PROTOCOL_LENGTH_IPV4 = 4;

    public static final int OPERATION_REQUEST = 1;
    public static final int OPERATION_REPLY = 2;

    private long address;

    public ArpFlyweight wrap(final long address)
    {
        this.address = address;
        return this;
    }

    public long address()
    {
        return address;
    }

    public int hardwareType()
    {
        return Memory.getShortBE(address + HARDWARE_TYPE_OFFSET);
    }

    public ArpFlyweight hardwareType(final int hardwareType)
    {
        Memory.putShortBE(address + HARDWARE_TYPE_OFFSET, hardwareType);
        return this;
    }

    public int protocolType()
    {
        return Memory.getShortBE(address + PROTOCOL_TYPE_OFFSET);
    }

    public ArpFlyweight protocolType(final int protocolType)
    {
        Memory.putShortBE(address + PROTOCOL_TYPE_OFFSET, protocolType);
        return this;
    }

    public int hardwareLength()
    {
        return Memory.getUnsignedByte(address + HARDWARE_LENGTH_OFFSET);
    }

    public ArpFlyweight hardwareLength(final int hardwareLength)
    {
        Memory.putByte(address + HARDWARE_LENGTH_OFFSET, (byte)hardwareLength);
        return this;
    }

    public int protocolLength()
    {
        return Memory.getUnsignedByte(address + PROTOCOL_LENGTH_OFFSET);
    }

    public ArpFlyweight protocolLength(final int protocolLength)
    {
        Memory.putByte(address + PROTOCOL_LENGTH_OFFSET, (byte)protocolLength);
        return this;
    }

    public int operation()
    {
        return Memory.getShortBE(address + OPERATION_OFFSET);
    }

    public ArpFlyweight operation(final int operation)
    {
        Memory.putShortBE(address + OPERATION_OFFSET, operation);
        return this;
    }

    /** Whether the four type and length fields say Ethernet hardware and IPv4 protocol addresses. */
    public boolean isEthernetIpv4()
    {
        return Memory.getIntBE(address + HARDWARE_TYPE_OFFSET) == (HARDWARE_TYPE_ETHERNET << 16 | PROTOCOL_TYPE_IPV4) &&
            Memory.getShortBE(address + HARDWARE_LENGTH_OFFSET) == (HARDWARE_LENGTH_ETHERNET << 8 | PROTOCOL_LENGTH_IPV4);
    }

    /** Writes the four type and length fields for Ethernet and IPv4. */
    public ArpFlyweight ethernetIpv4()
    {
        return hardwareType(HARDWARE_TYPE_ETHERNET)
            .protocolType(PROTOCOL_TYPE_IPV4)
            .hardwareLength(HARDWARE_LENGTH_ETHERNET)
            .protocolLength(PROTOCOL_LENGTH_IPV4);
    }

    public long senderMac()
    {
        return EthernetFlyweight.getMac(address + SENDER_MAC_OFFSET);
    }

    public ArpFlyweight senderMac(final long mac)
    {
        EthernetFlyweight.putMac(address + SENDER_MAC_OFFSET, mac);
        return this;
    }

    public int senderIp()
    {
        return Memory.getIntBE(address + SENDER_IP_OFFSET);
    }

    public ArpFlyweight senderIp(final int ip)
    {
        Memory.putIntBE(address + SENDER_IP_OFFSET, ip);
        return this;
    }

    public long targetMac()
    {
        return EthernetFlyweight.getMac(address + TARGET_MAC_OFFSET);
    }

    public ArpFlyweight targetMac(final long mac)
    {
        EthernetFlyweight.putMac(address + TARGET_MAC_OFFSET, mac);
        return this;
    }

    public int targetIp()
    {
        return Memory.getIntBE(address + TARGET_IP_OFFSET);
    }

    public ArpFlyweight targetIp(final int ip)
    {
        Memory.putIntBE(address + TARGET_IP_OFFSET, ip);
        return this;
    }
}
