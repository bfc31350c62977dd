package io.flowgate.pipeline.neigh;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.IcmpFlyweight;
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv6Flyweight;

/**
 * IPv6 neighbour discovery on the slow path: Neighbor Solicitation and Advertisement (RFC 4861 7), as Linux's
 * {@code ndisc_recv_ns}/{@code ndisc_recv_na} in {@code net/ipv6/ndisc.c}. Validates a received message (7.1.1,
 * 7.1.2), answers a solicitation for one of the port's addresses by turning the frame into the advertisement
 * in place, and tells the {@link NeighbourResolver} what it learned, on the same table and state machine as
 * ARP. Also writes solicitations and unsolicited advertisements.
 * <p>
 * What a message teaches:
 * <pre>
 *   NS with a source link-layer option   create or update the source: STALE, override
 *   NA solicited                          update an existing entry only: REACHABLE (confirms)
 *   NA unsolicited                        update an existing entry only: STALE
 *   NA without the override flag          a different address only makes a connected entry STALE
 * </pre>
 * An NA never revives a FAILED entry, and never creates one (Linux's {@code accept_untracked_na=0}).
 * Messages with extension headers before the ICMPv6 header are dropped, not parsed.
 * <p>
 * Answers set Solicited (except to duplicate address detection, which goes to all nodes), Override
 * (RFC 7.2.4: we answer only for our own addresses, never as a proxy), Router when built as a router, and
 * always carry the Target Link-Layer Address option. Linux leaves Override and the option out when the
 * solicitation was unicast; the RFC allows both.
 * <p>
 * Thread-safety: the slow-path thread only. Nothing allocates.
 */
public final class NdProcessor
{
    /** {@link #process}: nothing to send back; the caller frees the frame. */
    public static final int CONSUMED = 0;

    /** Length of an NS or NA with one link-layer option written by this class, Ethernet header included. */
    public static final int FRAME_LENGTH = EthernetFlyweight.HEADER_LENGTH + Ipv6Flyweight.HEADER_LENGTH +
        NdFlyweight.MESSAGE_LENGTH + NdFlyweight.LINK_LAYER_OPTION_LENGTH;

    public static final int DROP_TRUNCATED = 1;
    public static final int DROP_NOT_IPV6 = 2;
    /** Not ICMPv6 right after the fixed IPv6 header (or an extension header before it). */
    public static final int DROP_NOT_ICMPV6 = 3;
    public static final int DROP_NOT_NS_OR_NA = 4;
    public static final int DROP_BAD_HOP_LIMIT = 5;
    public static final int DROP_BAD_CODE = 6;
    public static final int DROP_BAD_CHECKSUM = 7;
    public static final int DROP_MULTICAST_TARGET = 8;
    /** An option of length 0, running past the message, or a link-layer option of the wrong size. */
    public static final int DROP_BAD_OPTION = 9;
    /** Unicast to another host's MAC (Linux's {@code PACKET_OTHERHOST}). */
    public static final int DROP_OTHER_HOST = 10;
    /** DAD solicitation not to a solicited-node address, or carrying a source link-layer option. */
    public static final int DROP_BAD_DAD = 11;
    /** A solicited advertisement sent to a multicast address. */
    public static final int DROP_SOLICITED_MULTICAST = 12;
    /** A solicitation for an address that is not ours (we are nobody's proxy). */
    public static final int DROP_NOT_OUR_TARGET = 13;
    /** Someone else advertises one of our addresses. */
    public static final int DROP_ADDRESS_CONFLICT = 14;
    /** The frame has no room for the answer. */
    public static final int DROP_NO_ROOM = 15;
    /** A solicitation from a source the table has no room for: Linux does not answer either. */
    public static final int DROP_TABLE_FULL = 16;
    public static final int DROP_REASONS = 17;

    private static final int IPV6_VERSION_CLASS_FLOW = Ipv6Flyweight.VERSION << 28;
    private static final long NO_OPTION = -2L;

    private final NeighbourResolver resolver;
    private final boolean router;
    private final long[] drops = new long[DROP_REASONS];
    private long advertisementsSent;
    private long updates;

    /** @param router whether answers set the Router flag: true for a box that forwards. */
    public NdProcessor(final NeighbourResolver resolver, final boolean router)
    {
        this.resolver = resolver;
        this.router = router;
    }

    /**
     * Processes the frame of {@code length} bytes at {@code frame}, received on {@code port}, which may be
     * rewritten up to {@code capacity} bytes.
     *
     * @return {@link #CONSUMED}, or the length of the advertisement now in the frame, to transmit on the same
     *         port.
     */
    public int process(final PortAddresses port, final long frame, final int length, final int capacity, final long nowNs)
    {
        if (length < EthernetFlyweight.HEADER_LENGTH + Ipv6Flyweight.HEADER_LENGTH + NdFlyweight.MESSAGE_LENGTH)
        {
            return drop(DROP_TRUNCATED);
        }
        final int offset = EthernetFlyweight.payloadOffset(frame);
        if (Memory.getShortBE(frame + offset - 2) != EthernetFlyweight.ETHER_TYPE_IPV6)
        {
            return drop(DROP_NOT_IPV6);
        }
        final long ip = frame + offset;
        if (!Ipv6Flyweight.isWellFormed(ip, length - offset))
        {
            return drop(DROP_TRUNCATED);
        }
        if (Ipv6Flyweight.getNextHeader(ip) != IpProtocol.ICMPV6)
        {
            return drop(DROP_NOT_ICMPV6);
        }
        final long icmp = ip + Ipv6Flyweight.HEADER_LENGTH;
        final int icmpLength = Ipv6Flyweight.getPayloadLength(ip);
        final int type = IcmpFlyweight.getType(icmp);
        if (type != IcmpFlyweight.V6_NEIGHBOR_SOLICITATION && type != IcmpFlyweight.V6_NEIGHBOR_ADVERTISEMENT)
        {
            return drop(DROP_NOT_NS_OR_NA);
        }
        if (icmpLength < NdFlyweight.MESSAGE_LENGTH)
        {
            return drop(DROP_TRUNCATED);
        }
        if (Ipv6Flyweight.getHopLimit(ip) != NdFlyweight.HOP_LIMIT)
        {
            return drop(DROP_BAD_HOP_LIMIT);
        }
        if (IcmpFlyweight.getCode(icmp) != 0)
        {
            return drop(DROP_BAD_CODE);
        }
        if (!Checksum.isIcmpv6Valid(ip, icmp))
        {
            return drop(DROP_BAD_CHECKSUM);
        }
        final long targetHi = NdFlyweight.getTargetHi(icmp);
        final long targetLo = NdFlyweight.getTargetLo(icmp);
        if (NdFlyweight.isMulticast(targetHi))
        {
            return drop(DROP_MULTICAST_TARGET);
        }
        final long ourMac = port.mac();
        final long frameDst = EthernetFlyweight.getDstMac(frame);
        if (frameDst != ourMac && (frameDst & 0x0100_0000_0000L) == 0)
        {
            return drop(DROP_OTHER_HOST);
        }
        final int wantedOption = type == IcmpFlyweight.V6_NEIGHBOR_SOLICITATION ?
            NdFlyweight.OPTION_SOURCE_LINK_LAYER : NdFlyweight.OPTION_TARGET_LINK_LAYER;
        final long linkLayer = linkLayerOption(icmp, icmpLength, wantedOption);
        if (linkLayer == NO_OPTION)
        {
            return drop(DROP_BAD_OPTION);
        }
        final long srcHi = Ipv6Flyweight.getSrcAddressHi(ip);
        final long srcLo = Ipv6Flyweight.getSrcAddressLo(ip);
        final long dstHi = Ipv6Flyweight.getDstAddressHi(ip);
        final long dstLo = Ipv6Flyweight.getDstAddressLo(ip);

        if (type == IcmpFlyweight.V6_NEIGHBOR_ADVERTISEMENT)
        {
            return advertisement(port, icmp, targetHi, targetLo, dstHi, linkLayer, nowNs);
        }

        final boolean dad = NdFlyweight.isUnspecified(srcHi, srcLo);
        if (dad && (!NdFlyweight.isSolicitedNode(dstHi, dstLo) || linkLayer != NeighbourTable.NO_MAC))
        {
            return drop(DROP_BAD_DAD);
        }
        if (!port.hasIpv6(targetHi, targetLo))
        {
            return drop(DROP_NOT_OUR_TARGET);
        }
        if (capacity < offset + Ipv6Flyweight.HEADER_LENGTH + NdFlyweight.MESSAGE_LENGTH + NdFlyweight.LINK_LAYER_OPTION_LENGTH)
        {
            return drop(DROP_NO_ROOM);
        }
        final int flags = NdFlyweight.FLAG_OVERRIDE | (router ? NdFlyweight.FLAG_ROUTER : 0);
        if (dad)
        {
            // RFC 4861 7.2.4: defend the address to all nodes, not solicited.
            EthernetFlyweight.putDstMac(frame, NdFlyweight.multicastMac(NdFlyweight.ALL_NODES_LO));
            advertisementsSent++;
            return writeAdvertisement(frame, offset, ourMac, targetHi, targetLo,
                NdFlyweight.ALL_NODES_HI, NdFlyweight.ALL_NODES_LO, flags);
        }
        if (linkLayer != NeighbourTable.NO_MAC)
        {
            final int slot = resolver.lookup6(port.port(), srcHi, srcLo, true, nowNs);
            if (slot == NeighbourTable.NO_SLOT)
            {
                return drop(DROP_TABLE_FULL);
            }
            resolver.update(slot, linkLayer, NeighbourState.STALE,
                NeighbourResolver.F_OVERRIDE | NeighbourResolver.F_WEAK_OVERRIDE, nowNs);
            updates++;
        }
        // Without a source link-layer option (allowed in a unicast NS) the answer goes to the frame's sender.
        EthernetFlyweight.putDstMac(frame, linkLayer != NeighbourTable.NO_MAC ? linkLayer : EthernetFlyweight.getSrcMac(frame));
        advertisementsSent++;
        return writeAdvertisement(frame, offset, ourMac, targetHi, targetLo, srcHi, srcLo, flags | NdFlyweight.FLAG_SOLICITED);
    }

    /** Frames dropped for {@code reason} ({@code DROP_*}). */
    public long drops(final int reason)
    {
        return drops[reason];
    }

    public long advertisementsSent()
    {
        return advertisementsSent;
    }

    /** Messages whose link-layer address was handed to the resolver (which may still refuse the update). */
    public long updates()
    {
        return updates;
    }

    // ------------------------------------------------------------------------------------------------------
    // Writing solicitations and announcements
    // ------------------------------------------------------------------------------------------------------

    /**
     * Writes a Neighbor Solicitation for {@code targetHi:targetLo} from {@code srcHi:srcLo} at {@code srcMac},
     * with a source link-layer option, into the {@link #FRAME_LENGTH} bytes at {@code address}: to the
     * target's solicited-node multicast group (ff02::1:ffXX:XXXX at 33:33:ff:XX:XX:XX) when {@code dstMac} is
     * {@link NeighbourHandler#MULTICAST}, else unicast to the target at {@code dstMac} (a probe in PROBE).
     *
     * @return {@link #FRAME_LENGTH}.
     */
    public static int writeSolicitation(
        final long address, final long dstMac, final long srcMac, final long srcHi, final long srcLo,
        final long targetHi, final long targetLo)
    {
        final boolean multicast = dstMac == NeighbourHandler.MULTICAST;
        final long dstLo = multicast ? NdFlyweight.solicitedNodeLo(targetLo) : targetLo;
        EthernetFlyweight.putDstMac(address, multicast ? NdFlyweight.multicastMac(dstLo) : dstMac);
        EthernetFlyweight.putSrcMac(address, srcMac);
        Memory.putShortBE(address + EthernetFlyweight.ETHER_TYPE_OFFSET, EthernetFlyweight.ETHER_TYPE_IPV6);
        final long ip = address + EthernetFlyweight.HEADER_LENGTH;
        writeIpv6Header(ip, srcHi, srcLo, multicast ? NdFlyweight.SOLICITED_NODE_HI : targetHi, dstLo);
        final long icmp = ip + Ipv6Flyweight.HEADER_LENGTH;
        Memory.putByte(icmp + IcmpFlyweight.TYPE_OFFSET, (byte)IcmpFlyweight.V6_NEIGHBOR_SOLICITATION);
        Memory.putByte(icmp + IcmpFlyweight.CODE_OFFSET, (byte)0);
        NdFlyweight.putFlags(icmp, 0);
        NdFlyweight.putTarget(icmp, targetHi, targetLo);
        NdFlyweight.putLinkLayerOption(icmp + NdFlyweight.OPTIONS_OFFSET, NdFlyweight.OPTION_SOURCE_LINK_LAYER, srcMac);
        Memory.putShortBE(icmp + IcmpFlyweight.CHECKSUM_OFFSET, Checksum.icmpv6(ip, icmp));
        return FRAME_LENGTH;
    }

    /**
     * Writes an unsolicited Neighbor Advertisement of {@code hi:lo} at {@code srcMac} to all nodes, Override
     * set (RFC 4861 7.2.6), the IPv6 counterpart of a gratuitous ARP, into the {@link #FRAME_LENGTH} bytes at
     * {@code address}.
     *
     * @return {@link #FRAME_LENGTH}.
     */
    public static int writeUnsolicitedAdvertisement(
        final long address, final long srcMac, final long hi, final long lo, final boolean router)
    {
        EthernetFlyweight.putDstMac(address, NdFlyweight.multicastMac(NdFlyweight.ALL_NODES_LO));
        Memory.putShortBE(address + EthernetFlyweight.ETHER_TYPE_OFFSET, EthernetFlyweight.ETHER_TYPE_IPV6);
        return writeAdvertisement(address, EthernetFlyweight.HEADER_LENGTH, srcMac, hi, lo,
            NdFlyweight.ALL_NODES_HI, NdFlyweight.ALL_NODES_LO, NdFlyweight.FLAG_OVERRIDE | (router ? NdFlyweight.FLAG_ROUTER : 0));
    }

    // ------------------------------------------------------------------------------------------------------

    private int advertisement(
        final PortAddresses port, final long icmp, final long targetHi, final long targetLo, final long dstHi,
        final long linkLayer, final long nowNs)
    {
        final int flags = NdFlyweight.getFlags(icmp);
        final boolean solicited = (flags & NdFlyweight.FLAG_SOLICITED) != 0;
        if (solicited && NdFlyweight.isMulticast(dstHi))
        {
            return drop(DROP_SOLICITED_MULTICAST);
        }
        if (port.hasIpv6(targetHi, targetLo))
        {
            return drop(DROP_ADDRESS_CONFLICT);
        }
        final int slot = resolver.lookup6(port.port(), targetHi, targetLo, false, nowNs);
        if (slot == NeighbourTable.NO_SLOT || resolver.table().state(slot) == NeighbourState.FAILED)
        {
            return CONSUMED;
        }
        final int updateFlags = NeighbourResolver.F_WEAK_OVERRIDE |
            ((flags & NdFlyweight.FLAG_OVERRIDE) != 0 ? NeighbourResolver.F_OVERRIDE : 0);
        resolver.update(slot, linkLayer, solicited ? NeighbourState.REACHABLE : NeighbourState.STALE, updateFlags, nowNs);
        updates++;
        return CONSUMED;
    }

    /**
     * The MAC address in the first link-layer option of {@code wantedType}, {@link NeighbourTable#NO_MAC} when
     * there is none, or {@link #NO_OPTION} when the options are malformed (RFC 4861 7.1.1: every option longer
     * than zero and inside the message; Linux's {@code ndisc_opt_addr_data}: a link-layer option of exactly 8
     * bytes on Ethernet).
     */
    private static long linkLayerOption(final long icmp, final int icmpLength, final int wantedType)
    {
        long mac = NeighbourTable.NO_MAC;
        int at = NdFlyweight.OPTIONS_OFFSET;
        while (at < icmpLength)
        {
            if (icmpLength - at < 2)
            {
                return NO_OPTION;
            }
            final int optionType = Memory.getUnsignedByte(icmp + at);
            final int optionLength = Memory.getUnsignedByte(icmp + at + 1) * NdFlyweight.OPTION_UNIT;
            if (optionLength == 0 || optionLength > icmpLength - at)
            {
                return NO_OPTION;
            }
            if (optionType == wantedType && mac == NeighbourTable.NO_MAC)
            {
                if (optionLength != NdFlyweight.LINK_LAYER_OPTION_LENGTH)
                {
                    return NO_OPTION;
                }
                mac = EthernetFlyweight.getMac(icmp + at + 2);
            }
            at += optionLength;
        }
        return mac;
    }

    /** Writes from the IPv6 header on; the Ethernet destination, type and any VLAN tags are the caller's. */
    private static int writeAdvertisement(
        final long frame, final int ipOffset, final long srcMac, final long targetHi, final long targetLo,
        final long dstHi, final long dstLo, final int flags)
    {
        EthernetFlyweight.putSrcMac(frame, srcMac);
        final long ip = frame + ipOffset;
        writeIpv6Header(ip, targetHi, targetLo, dstHi, dstLo);
        final long icmp = ip + Ipv6Flyweight.HEADER_LENGTH;
        Memory.putByte(icmp + IcmpFlyweight.TYPE_OFFSET, (byte)IcmpFlyweight.V6_NEIGHBOR_ADVERTISEMENT);
        Memory.putByte(icmp + IcmpFlyweight.CODE_OFFSET, (byte)0);
        NdFlyweight.putFlags(icmp, flags);
        NdFlyweight.putTarget(icmp, targetHi, targetLo);
        NdFlyweight.putLinkLayerOption(icmp + NdFlyweight.OPTIONS_OFFSET, NdFlyweight.OPTION_TARGET_LINK_LAYER, srcMac);
        Memory.putShortBE(icmp + IcmpFlyweight.CHECKSUM_OFFSET, Checksum.icmpv6(ip, icmp));
        return ipOffset + Ipv6Flyweight.HEADER_LENGTH + NdFlyweight.MESSAGE_LENGTH + NdFlyweight.LINK_LAYER_OPTION_LENGTH;
    }

    /** Version 6, traffic class and flow label 0 (as {@code ip6_nd_hdr}), ICMPv6, hop limit 255. */
    private static void writeIpv6Header(final long ip, final long srcHi, final long srcLo, final long dstHi, final long dstLo)
    {
        Memory.putIntBE(ip + Ipv6Flyweight.VERSION_CLASS_FLOW_OFFSET, IPV6_VERSION_CLASS_FLOW);
        Memory.putShortBE(ip + Ipv6Flyweight.PAYLOAD_LENGTH_OFFSET, NdFlyweight.MESSAGE_LENGTH + NdFlyweight.LINK_LAYER_OPTION_LENGTH);
        Memory.putByte(ip + Ipv6Flyweight.NEXT_HEADER_OFFSET, (byte)IpProtocol.ICMPV6);
        Memory.putByte(ip + Ipv6Flyweight.HOP_LIMIT_OFFSET, (byte)NdFlyweight.HOP_LIMIT);
        Memory.putLongBE(ip + Ipv6Flyweight.SRC_ADDRESS_OFFSET, srcHi);
        Memory.putLongBE(ip + Ipv6Flyweight.SRC_ADDRESS_OFFSET + 8, srcLo);
        Memory.putLongBE(ip + Ipv6Flyweight.DST_ADDRESS_OFFSET, dstHi);
        Memory.putLongBE(ip + Ipv6Flyweight.DST_ADDRESS_OFFSET + 8, dstLo);
    }

    private int drop(final int reason)
    {
        drops[reason]++;
        return CONSUMED;
    }
}
