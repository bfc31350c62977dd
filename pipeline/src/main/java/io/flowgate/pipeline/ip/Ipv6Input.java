package io.flowgate.pipeline.ip;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Counters;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv6Flyweight;

/**
 * The IPv6 input stage: validates every IPv6 packet of a burst as Linux's {@code ip6_rcv_core}
 * ({@code net/ipv6/ip6_input.c}) does before PREROUTING, and trims Ethernet padding.
 * <p>
 * Checks, in Linux's order, each with the SNMP counter and drop reason Linux gives it:
 * <pre>
 *   fewer than 40 bytes                                  Ip6InHdrErrors      IP_INHDR
 *   version != 6                                         Ip6InHdrErrors      UNHANDLED_PROTO
 *   source or destination ::1 (RFC 4291 2.5.3)           Ip6InHdrErrors      IP_INHDR
 *   destination multicast of interface-local scope 1
 *     (RFC 4291 errata 3480)                             Ip6InHdrErrors      IP_INHDR
 *   destination multicast of reserved scope 0 (2.7)      Ip6InHdrErrors      IP_INHDR
 *   source multicast (RFC 4291 2.7)                      Ip6InHdrErrors      IP_INHDR
 *   payload length beyond the frame                      Ip6InTruncatedPkts  PKT_TOO_SMALL
 * </pre>
 * Unlike IPv4, the source address checks are Linux's input checks, not routing's: they live here. The
 * loopback checks apply because a worker never receives on a loopback device. A frame longer than
 * 40 + payload length carries padding: accepted, and {@code burst.length[i]} is trimmed to end where the
 * packet ends.
 * <p>
 * Differences from Linux: a payload length of 0 with a Hop-by-Hop header announces a jumbogram (RFC 2675),
 * whose payload exceeds 65535 bytes and so cannot fit any frame received here; Linux would reject it while
 * parsing the Jumbo Payload option, this stage drops it at once (InHdrErrors). The Hop-by-Hop options
 * themselves ({@code ipv6_parse_hopopts}) are left to the extension-header stage. The
 * {@code drop_unicast_in_l2_multicast} check is off by default in Linux and not implemented.
 * <p>
 * Thread-safety: one instance per worker; counters readable from any thread.
 */
public final class Ipv6Input
{
    /** SNMP Ip6InReceives, IPv6 packets that reached this stage. */
    public static final int IN_RECEIVES = 0;
    /** SNMP Ip6InHdrErrors. */
    public static final int IN_HDR_ERRORS = 1;
    /** SNMP Ip6InTruncatedPkts. */
    public static final int IN_TRUNCATED_PKTS = 2;
    public static final int COUNTERS = 3;

    private static final int MULTICAST_PREFIX = 0xFF;
    private static final int SCOPE_RESERVED = 0;
    private static final int SCOPE_INTERFACE_LOCAL = 1;

    private final Counters counters = new Counters(COUNTERS);

    /** Any thread: one of the counters named by the constants of this class. */
    public long counter(final int counter)
    {
        return counters.get(counter);
    }

    /**
     * Worker only: validates the IPv6 packets of {@code burst} whose verdict is ACCEPT; drops the invalid
     * ones (verdict DROP, {@code burst.reason} from {@link IpDropReason}) and trims the padding of the rest.
     *
     * @return the IPv6 packets accepted.
     */
    public int process(final PacketBurst burst)
    {
        final int count = burst.count();
        final int[] verdict = burst.verdict;
        final int[] etherType = burst.etherType;
        final int[] length = burst.length;
        final long[] frame = burst.frame;
        final long[] l3 = burst.l3;
        final int[] reason = burst.reason;
        final Counters counters = this.counters;

        int received = 0;
        int accepted = 0;
        for (int i = 0; i < count; i++)
        {
            if (verdict[i] != Verdict.ACCEPT || etherType[i] != EthernetFlyweight.ETHER_TYPE_IPV6)
            {
                continue;
            }
            received++;
            final long header = l3[i];
            final int offset = (int)(header - frame[i]);
            final int available = header == 0 ? 0 : length[i] - offset;
            final int drop = check(header, available);
            if (drop == IpDropReason.NONE)
            {
                length[i] = offset + Ipv6Flyweight.HEADER_LENGTH + Ipv6Flyweight.getPayloadLength(header);
                accepted++;
                continue;
            }
            verdict[i] = Verdict.DROP;
            reason[i] = drop;
            counters.increment(drop == IpDropReason.PKT_TOO_SMALL ? IN_TRUNCATED_PKTS : IN_HDR_ERRORS);
        }
        counters.add(IN_RECEIVES, received);
        return accepted;
    }

    /**
     * Whether the IPv6 packet at {@code address} with {@code available} bytes from there on to the end of
     * the frame passes {@code ip6_rcv_core}.
     *
     * @return {@link IpDropReason#NONE}, or the reason to drop it.
     */
    public static int check(final long address, final int available)
    {
        if (available < Ipv6Flyweight.HEADER_LENGTH)
        {
            return IpDropReason.IP_INHDR;
        }
        if ((Memory.getUnsignedByte(address + Ipv6Flyweight.VERSION_CLASS_FLOW_OFFSET) >>> 4) != Ipv6Flyweight.VERSION)
        {
            return IpDropReason.UNHANDLED_PROTO;
        }
        final long srcHi = Ipv6Flyweight.getSrcAddressHi(address);
        final long srcLo = Ipv6Flyweight.getSrcAddressLo(address);
        final long dstHi = Ipv6Flyweight.getDstAddressHi(address);
        final long dstLo = Ipv6Flyweight.getDstAddressLo(address);
        if (isLoopback(srcHi, srcLo) || isLoopback(dstHi, dstLo))
        {
            return IpDropReason.IP_INHDR;
        }
        if (isMulticast(dstHi))
        {
            final int scope = multicastScope(dstHi);
            if (scope == SCOPE_INTERFACE_LOCAL || scope == SCOPE_RESERVED)
            {
                return IpDropReason.IP_INHDR;
            }
        }
        if (isMulticast(srcHi))
        {
            return IpDropReason.IP_INHDR;
        }
        final int payloadLength = Ipv6Flyweight.getPayloadLength(address);
        if (payloadLength == 0 && Ipv6Flyweight.getNextHeader(address) == IpProtocol.HOPOPT)
        {
            return IpDropReason.IP_INHDR;
        }
        if (Ipv6Flyweight.HEADER_LENGTH + payloadLength > available)
        {
            return IpDropReason.PKT_TOO_SMALL;
        }
        return IpDropReason.NONE;
    }

    /** ff00::/8, Linux {@code ipv6_addr_is_multicast}, from the high half of an address. */
    public static boolean isMulticast(final long hi)
    {
        return (int)(hi >>> 56) == MULTICAST_PREFIX;
    }

    /** The 4-bit scope of a multicast address (RFC 4291 2.7), Linux {@code IPV6_ADDR_MC_SCOPE}. */
    public static int multicastScope(final long hi)
    {
        return (int)(hi >>> 48) & 0x0F;
    }

    /** ::1, Linux {@code ipv6_addr_loopback}. */
    public static boolean isLoopback(final long hi, final long lo)
    {
        return hi == 0 && lo == 1;
    }
}
