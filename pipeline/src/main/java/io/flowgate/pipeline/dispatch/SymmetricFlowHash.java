package io.flowgate.pipeline.dispatch;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.header.Ipv6Flyweight;

/**
 * A flow hash that is the same for both directions of a flow, so that software dispatch sends a
 * connection's original and reply packets to the same worker (the owner of its conntrack entry).
 * <p>
 * Addresses and ports are combined order-independently (the smaller of each pair first), then mixed with
 * a 64-bit finaliser (splitmix64's). TCP, UDP, SCTP and UDP-Lite hash their ports; other protocols hash
 * addresses and protocol only; IPv4 fragments with a non-zero offset carry no ports, so every fragment of
 * a datagram hashes on addresses and protocol alone (a first fragment does too, so all fragments meet).
 * <p>
 * NOTE: with NAT the two directions of a translated flow carry different tuples; the pipeline hands such
 * packets to their owner after conntrack lookup (NAT issue). This hash only has to agree for untranslated
 * tuples.
 */
public final class SymmetricFlowHash
{
    private SymmetricFlowHash()
    {
    }

    /** Computes {@code burst.flowHash} for every IPv4/IPv6 packet still ACCEPTed; others hash to 0. */
    public static void run(final PacketBurst burst)
    {
        final int n = burst.count();
        for (int i = 0; i < n; i++)
        {
            final long l3 = burst.l3[i];
            if (l3 == 0)
            {
                burst.flowHash[i] = 0;
            }
            else if (burst.etherType[i] == EthernetFlyweight.ETHER_TYPE_IPV4)
            {
                burst.flowHash[i] = ipv4(l3, (int)(burst.frame[i] + burst.length[i] - l3));
            }
            else if (burst.etherType[i] == EthernetFlyweight.ETHER_TYPE_IPV6)
            {
                burst.flowHash[i] = ipv6(l3, (int)(burst.frame[i] + burst.length[i] - l3));
            }
            else
            {
                burst.flowHash[i] = 0;
            }
        }
    }

    /** Hash of the IPv4 packet at {@code ip} with {@code available} bytes from there on. */
    public static int ipv4(final long ip, final int available)
    {
        if (available < Ipv4Flyweight.MIN_HEADER_LENGTH)
        {
            return 0;
        }
        final int src = Memory.getIntBE(ip + Ipv4Flyweight.SRC_ADDRESS_OFFSET);
        final int dst = Memory.getIntBE(ip + Ipv4Flyweight.DST_ADDRESS_OFFSET);
        final int protocol = Memory.getUnsignedByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET);
        final int headerLength = (Memory.getUnsignedByte(ip) & 0x0F) << 2;
        final boolean fragment = (Memory.getShortBE(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET)
            & (Ipv4Flyweight.FLAG_MORE_FRAGMENTS | Ipv4Flyweight.FRAGMENT_OFFSET_MASK)) != 0;
        final long lo = Integer.toUnsignedLong(Math.min(src ^ Integer.MIN_VALUE, dst ^ Integer.MIN_VALUE) ^ Integer.MIN_VALUE);
        final long hi = Integer.toUnsignedLong(Math.max(src ^ Integer.MIN_VALUE, dst ^ Integer.MIN_VALUE) ^ Integer.MIN_VALUE);
        final int ports = fragment ? 0 : ports(ip + headerLength, available - headerLength, protocol);
        return mix((lo << 32 | hi) ^ mixLong(((long)protocol << 32) | Integer.toUnsignedLong(ports)));
    }

    /** Hash of the IPv6 packet at {@code ip}: addresses, next header and, for TCP/UDP directly after the fixed header, ports. */
    public static int ipv6(final long ip, final int available)
    {
        if (available < Ipv6Flyweight.HEADER_LENGTH)
        {
            return 0;
        }
        final long srcHi = Memory.getLongBE(ip + Ipv6Flyweight.SRC_ADDRESS_OFFSET);
        final long srcLo = Memory.getLongBE(ip + Ipv6Flyweight.SRC_ADDRESS_OFFSET + 8);
        final long dstHi = Memory.getLongBE(ip + Ipv6Flyweight.SRC_ADDRESS_OFFSET + 16);
        final long dstLo = Memory.getLongBE(ip + Ipv6Flyweight.SRC_ADDRESS_OFFSET + 24);
        final int nextHeader = Memory.getUnsignedByte(ip + Ipv6Flyweight.NEXT_HEADER_OFFSET);
        final long a = mixLong(srcHi) ^ srcLo * 0x9E3779B97F4A7C15L;
        final long b = mixLong(dstHi) ^ dstLo * 0x9E3779B97F4A7C15L;
        final int ports = ports(ip + Ipv6Flyweight.HEADER_LENGTH, available - Ipv6Flyweight.HEADER_LENGTH, nextHeader);
        // a + b and a ^ b are both order-independent; using both keeps a == b from cancelling out.
        return mix((a + b) ^ Long.rotateLeft(a ^ b, 17) ^ mixLong(((long)nextHeader << 32) | Integer.toUnsignedLong(ports)));
    }

    /** The two ports, smaller in the high half, for protocols that have them; 0 otherwise. */
    private static int ports(final long l4, final int available, final int protocol)
    {
        if (available < 4 || (protocol != IpProtocol.TCP && protocol != IpProtocol.UDP && protocol != IpProtocol.SCTP
            && protocol != IpProtocol.UDPLITE))
        {
            return 0;
        }
        final int sport = Memory.getShortBE(l4);
        final int dport = Memory.getShortBE(l4 + 2);
        return Math.min(sport, dport) << 16 | Math.max(sport, dport);
    }

    private static long mixLong(final long value)
    {
        long z = value + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static int mix(final long value)
    {
        final long z = mixLong(value);
        return (int)(z ^ (z >>> 32));
    }
}
