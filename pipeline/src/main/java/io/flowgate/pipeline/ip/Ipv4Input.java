package io.flowgate.pipeline.ip;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Counters;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv4Flyweight;
import java.nio.ByteOrder;

/**
 * The IPv4 input stage: validates every IPv4 packet of a burst as Linux's {@code ip_rcv_core}
 * ({@code net/ipv4/ip_input.c}) does before PREROUTING, and trims Ethernet padding.
 * <p>
 * Checks, in Linux's order, each with the SNMP counter and drop reason Linux gives it:
 * <pre>
 *   fewer than 20 bytes                      InHdrErrors                  IP_INHDR
 *   version != 4 or IHL < 5                  InHdrErrors                  IP_INHDR
 *   IHL * 4 beyond the frame                 InHdrErrors                  IP_INHDR
 *   header checksum wrong                    InCsumErrors + InHdrErrors   IP_CSUM
 *   total length beyond the frame            InTruncatedPkts              PKT_TOO_SMALL
 *   total length below IHL * 4               InHdrErrors                  IP_INHDR
 * </pre>
 * The checksum is checked before the lengths, as Linux does, so a truncated packet with a bad checksum
 * counts as a checksum error. A frame longer than the total length carries link-layer padding (Ethernet
 * pads to 60 bytes): it is accepted and {@code burst.length[i]} is trimmed to end where the datagram ends,
 * as {@code pskb_trim_rcsum} trims the skb; the mbuf's own lengths are left to the worker's tail.
 * <p>
 * Not done here, because Linux does not do it here either: the PACKET_OTHERHOST check (frames for another
 * MAC, which belongs to the L2 parse stage); IP options ({@code ip_rcv_options}, in ip_rcv_finish after
 * routing); source and destination address sanity, which Linux applies in routing
 * ({@code ip_route_input_slow}, {@code net/ipv4/route.c}) and counts in {@code /proc/net/stat/rt_cache}
 * rather than SNMP: that is {@link #dropMartians}, a separate stage for the routing step to call.
 * TTL is not checked at input; it matters only when forwarding ({@link IpForward}).
 * <p>
 * Thread-safety: one instance per worker; counters readable from any thread.
 */
public final class Ipv4Input
{
    /** SNMP Ip: InReceives, IPv4 packets that reached this stage. */
    public static final int IN_RECEIVES = 0;
    /** SNMP Ip: InHdrErrors (checksum errors included, as Linux counts them). */
    public static final int IN_HDR_ERRORS = 1;
    /** SNMP Ip: InTruncatedPkts. */
    public static final int IN_TRUNCATED_PKTS = 2;
    /** SNMP Ip: InCsumErrors. */
    public static final int IN_CSUM_ERRORS = 3;
    /** {@code /proc/net/stat/rt_cache} in_martian_src. */
    public static final int IN_MARTIAN_SRC = 4;
    /** {@code /proc/net/stat/rt_cache} in_martian_dst. */
    public static final int IN_MARTIAN_DST = 5;
    public static final int COUNTERS = 6;

    /** Flag in a {@link #martian} result: the destination address was the martian one. */
    public static final int MARTIAN_DESTINATION = 0x100;
    public static final int REASON_MASK = 0xFF;

    private final Counters counters = new Counters(COUNTERS);

    /** Any thread: one of the counters named by the constants of this class. */
    public long counter(final int counter)
    {
        return counters.get(counter);
    }

    /**
     * Worker only: validates the IPv4 packets of {@code burst} whose verdict is ACCEPT; drops the invalid
     * ones (verdict DROP, {@code burst.reason} from {@link IpDropReason}) and trims the padding of the rest.
     *
     * @return the IPv4 packets accepted.
     */
    public int process(final PacketBurst burst)
    {
        final int count = burst.count();
        final int[] verdict = burst.verdict;
        final int[] etherType = burst.etherType;
        int received = 0;
        int accepted = 0;
        for (int i = 0; i < count; i++)
        {
            if (verdict[i] != Verdict.ACCEPT || etherType[i] != EthernetFlyweight.ETHER_TYPE_IPV4)
            {
                continue;
            }
            received++;
            if (validate(burst, i))
            {
                accepted++;
            }
        }
        countReceived(received);
        return accepted;
    }

    /**
     * Worker only: {@link #process} for packet {@code i} alone (an IPv4 packet whose verdict is ACCEPT), for
     * callers that fuse stages into one pass; they report how many they passed here with
     * {@link #countReceived}.
     *
     * @return whether it stays ACCEPT.
     */
    public boolean validate(final PacketBurst burst, final int i)
    {
        final long header = burst.l3[i];
        final int offset = (int)(header - burst.frame[i]);
        final int available = header == 0 ? 0 : burst.length[i] - offset;
        final int drop = check(header, available);
        if (drop == IpDropReason.NONE)
        {
            burst.length[i] = offset + Ipv4Flyweight.getTotalLength(header);
            return true;
        }
        burst.verdict[i] = Verdict.DROP;
        burst.reason[i] = drop;
        switch (drop)
        {
            case IpDropReason.PKT_TOO_SMALL -> counters.increment(IN_TRUNCATED_PKTS);
            case IpDropReason.IP_CSUM ->
            {
                counters.increment(IN_CSUM_ERRORS);
                counters.increment(IN_HDR_ERRORS);
            }
            default -> counters.increment(IN_HDR_ERRORS);
        }
        return false;
    }

    /** Worker only: adds {@code received} packets to InReceives (see {@link #validate}). */
    public void countReceived(final int received)
    {
        counters.add(IN_RECEIVES, received);
    }

    /**
     * Whether the IPv4 packet at {@code address} with {@code available} bytes from there on to the end of
     * the frame passes {@code ip_rcv_core}.
     *
     * @return {@link IpDropReason#NONE}, or the reason to drop it.
     */
    public static int check(final long address, final int available)
    {
        if (available < Ipv4Flyweight.MIN_HEADER_LENGTH)
        {
            return IpDropReason.IP_INHDR;
        }
        final int versionIhl = Memory.getUnsignedByte(address + Ipv4Flyweight.VERSION_IHL_OFFSET);
        final int headerLength = (versionIhl & 0x0F) << 2;
        if ((versionIhl >>> 4) != Ipv4Flyweight.VERSION || headerLength < Ipv4Flyweight.MIN_HEADER_LENGTH)
        {
            return IpDropReason.IP_INHDR;
        }
        if (headerLength > available)
        {
            return IpDropReason.IP_INHDR;
        }
        if (headerLength == Ipv4Flyweight.MIN_HEADER_LENGTH ? !optionlessHeaderValid(address)
            : Checksum.sum(address, headerLength) != Checksum.VALID_SUM)
        {
            return IpDropReason.IP_CSUM;
        }
        final int totalLength = Ipv4Flyweight.getTotalLength(address);
        if (totalLength > available)
        {
            return IpDropReason.PKT_TOO_SMALL;
        }
        if (totalLength < headerLength)
        {
            return IpDropReason.IP_INHDR;
        }
        return IpDropReason.NONE;
    }

    /** {@link #acceptOptionless}'s answer when the fast path does not accept the packet. */
    public static final long NOT_ACCEPTED = -1L;
    /** In an {@link #acceptOptionless} answer: the packet is a fragment (MF set or a fragment offset). */
    public static final long FRAGMENT = 1L << 48;
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    /**
     * The common case of {@link #validate} from one read of the header: a 20-byte header (version 4, IHL 5)
     * whose checksum holds and whose total length fits {@code available} and covers the header. Everything
     * else (options, any error) answers {@link #NOT_ACCEPTED} and goes through {@link #validate}, which counts
     * the reason; nothing is counted or written here.
     * <p>
     * Measured 2026-11-23 (perf/profile-router): reading the version, the checksum words, the total length,
     * the fragment field and the destination separately cost five bounds-checked loads and three byte swaps
     * per packet; they are all in the 20 bytes the checksum reads anyway.
     *
     * @return {@link #NOT_ACCEPTED}, or the destination address (bits 0-31, host order), the total length
     *         (bits 32-47) and {@link #FRAGMENT}.
     */
    public static long acceptOptionless(final long header, final int available)
    {
        if (!LITTLE_ENDIAN || available < Ipv4Flyweight.MIN_HEADER_LENGTH)
        {
            return NOT_ACCEPTED;
        }
        final long a = Memory.getLong(header);          // version/IHL, TOS, total length, id, flags/fragment offset
        if ((a & 0xFF) != 0x45)
        {
            return NOT_ACCEPTED;
        }
        final long b = Memory.getLong(header + 8);      // TTL, protocol, checksum, source
        final int c = Memory.getInt(header + 16);       // destination
        if (!sumsToAllOnes(a, b, c))
        {
            return NOT_ACCEPTED;
        }
        final int totalLength = Short.reverseBytes((short)(a >>> 16)) & 0xFFFF;
        if (totalLength > available || totalLength < Ipv4Flyweight.MIN_HEADER_LENGTH)
        {
            return NOT_ACCEPTED;
        }
        final long fragment = (Short.reverseBytes((short)(a >>> 48)) & Ipv4Flyweight.FRAGMENT_BITS) != 0
            ? FRAGMENT : 0;
        return fragment | ((long)totalLength << 32) | (Integer.reverseBytes(c) & 0xFFFF_FFFFL);
    }

    /**
     * Whether a 20-byte header (no options, the common case) sums to all ones, in three loads and no fold. The
     * one's complement sum of 16-bit words is their ordinary sum modulo 0xFFFF (with 0xFFFF standing for 0), and
     * 2^16 = 1 modulo 0xFFFF, so 32-bit pieces may be added as they are: the header is valid when that sum is a
     * non-zero multiple of 0xFFFF. Loads are in host byte order, which RFC 1071 (section 2.B) allows: a byte
     * swap of every word multiplies the sum by 2^8 modulo 0xFFFF, which keeps it a multiple or not.
     * <p>
     * Measured 2026-11-23 (perf, {@code flowgate run} routing net_pcap -> net_null): the generic
     * {@link Checksum#sum} with its big-endian loads, loop and four-step fold made this stage 15-22% of the
     * worker's time.
     */
    static boolean optionlessHeaderValid(final long address)
    {
        return sumsToAllOnes(Memory.getLong(address), Memory.getLong(address + 8), Memory.getInt(address + 16));
    }

    /** Whether the 20 header bytes loaded as {@code a} (0-7), {@code b} (8-15) and {@code c} (16-19) sum to all ones. */
    private static boolean sumsToAllOnes(final long a, final long b, final int c)
    {
        final long sum = (a >>> 32) + (a & 0xFFFF_FFFFL) + (b >>> 32) + (b & 0xFFFF_FFFFL) + (c & 0xFFFF_FFFFL);
        // sum % 0xFFFF == 0 without a division (C2 emitted one: 12% of the worker's time, perf on 2026-11-23):
        // for an odd divisor d, x is a multiple of d exactly when x * d^-1 (mod 2^64) <= (2^64 - 1) / d.
        return sum != 0 && Long.compareUnsigned(sum * INVERSE_OF_FFFF, MAX_QUOTIENT_OF_FFFF) <= 0;
    }

    /** 0xFFFF^-1 modulo 2^64. */
    private static final long INVERSE_OF_FFFF = 0xFFFE_FFFE_FFFE_FFFFL;
    /** (2^64 - 1) / 0xFFFF. */
    private static final long MAX_QUOTIENT_OF_FFFF = 0x0001_0001_0001_0001L;

    // ------------------------------------------------------------------------------------------------------
    // Martian addresses: routing's checks, not ip_rcv_core's
    // ------------------------------------------------------------------------------------------------------

    /**
     * Worker only, routing step: drops the IPv4 packets of {@code burst} (verdict ACCEPT, already through
     * {@link #process}) whose addresses Linux's routing input rejects as martians, counting
     * {@link #IN_MARTIAN_SRC} or {@link #IN_MARTIAN_DST}.
     *
     * @param routeLocalnet the {@code route_localnet} sysctl of the receiving device: when set, 127/8 is
     *                      routable (Linux default: off).
     * @return the packets dropped.
     */
    public int dropMartians(final PacketBurst burst, final boolean routeLocalnet)
    {
        final int count = burst.count();
        final int[] verdict = burst.verdict;
        final int[] etherType = burst.etherType;
        final long[] l3 = burst.l3;
        final int[] reason = burst.reason;

        int dropped = 0;
        for (int i = 0; i < count; i++)
        {
            if (verdict[i] != Verdict.ACCEPT || etherType[i] != EthernetFlyweight.ETHER_TYPE_IPV4)
            {
                continue;
            }
            final long header = l3[i];
            final int result = martian(
                Ipv4Flyweight.getSrcAddress(header),
                Ipv4Flyweight.getDstAddress(header),
                Ipv4Flyweight.getProtocol(header),
                routeLocalnet);
            if (result != IpDropReason.NONE)
            {
                verdict[i] = Verdict.DROP;
                reason[i] = result & REASON_MASK;
                counters.increment((result & MARTIAN_DESTINATION) != 0 ? IN_MARTIAN_DST : IN_MARTIAN_SRC);
                dropped++;
            }
        }
        return dropped;
    }

    /**
     * The address checks Linux's routing input makes before any route lookup: for a multicast destination
     * those of {@code ip_mc_validate_source}, otherwise those of {@code ip_route_input_slow} in its order:
     * <pre>
     *   source multicast or 255.255.255.255             martian source       IP_INVALID_SOURCE
     *   destination 255.255.255.255, or both 0.0.0.0    accepted (broadcast input, e.g. DHCP discover)
     *   source 0.0.0.0/8                                martian source       IP_INVALID_SOURCE
     *   destination 0.0.0.0/8                           martian destination  IP_INVALID_DEST
     *   destination 127/8 without route_localnet        martian destination  IP_LOCALNET
     *   source 127/8 without route_localnet             martian source       IP_LOCALNET
     * </pre>
     * A multicast destination's source may not be multicast, 255.255.255.255 or (without route_localnet)
     * loopback, and may be 0.0.0.0/8 only towards 224.0.0.0/24 or for IGMP. Whether this box is a member of
     * the group, or forwards multicast, is the routing table's question, not answered here.
     *
     * @return {@link IpDropReason#NONE}, or a reason, with {@link #MARTIAN_DESTINATION} set when the
     * destination is the martian address.
     */
    public static int martian(final int src, final int dst, final int protocol, final boolean routeLocalnet)
    {
        if (isMulticast(dst))
        {
            if (isMulticast(src) || isLimitedBroadcast(src))
            {
                return IpDropReason.IP_INVALID_SOURCE;
            }
            if (isLoopback(src) && !routeLocalnet)
            {
                return IpDropReason.IP_LOCALNET;
            }
            if (isZeroNet(src) && !isLocalMulticast(dst) && protocol != IpProtocol.IGMP)
            {
                return IpDropReason.IP_INVALID_SOURCE;
            }
            return IpDropReason.NONE;
        }
        if (isMulticast(src) || isLimitedBroadcast(src))
        {
            return IpDropReason.IP_INVALID_SOURCE;
        }
        if (isLimitedBroadcast(dst) || (src == 0 && dst == 0))
        {
            return IpDropReason.NONE;
        }
        if (isZeroNet(src))
        {
            return IpDropReason.IP_INVALID_SOURCE;
        }
        if (isZeroNet(dst))
        {
            return IpDropReason.IP_INVALID_DEST | MARTIAN_DESTINATION;
        }
        if (isLoopback(dst))
        {
            return routeLocalnet ? IpDropReason.NONE : IpDropReason.IP_LOCALNET | MARTIAN_DESTINATION;
        }
        if (isLoopback(src) && !routeLocalnet)
        {
            return IpDropReason.IP_LOCALNET;
        }
        return IpDropReason.NONE;
    }

    /** 224.0.0.0/4, Linux {@code ipv4_is_multicast}. */
    public static boolean isMulticast(final int address)
    {
        return (address & 0xF000_0000) == 0xE000_0000;
    }

    /** 224.0.0.0/24, link-local multicast, Linux {@code ipv4_is_local_multicast}. */
    public static boolean isLocalMulticast(final int address)
    {
        return (address & 0xFFFF_FF00) == 0xE000_0000;
    }

    /** 255.255.255.255, Linux {@code ipv4_is_lbcast}. */
    public static boolean isLimitedBroadcast(final int address)
    {
        return address == 0xFFFF_FFFF;
    }

    /** 0.0.0.0/8, Linux {@code ipv4_is_zeronet}. */
    public static boolean isZeroNet(final int address)
    {
        return (address & 0xFF00_0000) == 0;
    }

    /** 127.0.0.0/8, Linux {@code ipv4_is_loopback}. */
    public static boolean isLoopback(final int address)
    {
        return (address & 0xFF00_0000) == 0x7F00_0000;
    }
}
