package io.flowgate.pipeline.neigh;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.header.ArpFlyweight;
import io.flowgate.pmd.header.EthernetFlyweight;

import static io.flowgate.pmd.header.ArpFlyweight.OPERATION_OFFSET;
import static io.flowgate.pmd.header.ArpFlyweight.OPERATION_REPLY;
import static io.flowgate.pmd.header.ArpFlyweight.OPERATION_REQUEST;
import static io.flowgate.pmd.header.ArpFlyweight.SENDER_IP_OFFSET;
import static io.flowgate.pmd.header.ArpFlyweight.SENDER_MAC_OFFSET;
import static io.flowgate.pmd.header.ArpFlyweight.TARGET_IP_OFFSET;
import static io.flowgate.pmd.header.ArpFlyweight.TARGET_MAC_OFFSET;

/**
 * ARP on the slow path (RFC 826, as Linux's {@code arp_rcv}/{@code arp_process} in {@code net/ipv4/arp.c} with
 * {@code arp_accept=0}, {@code arp_ignore=1}, no proxy ARP): validates a received frame, answers requests for
 * the port's own addresses by turning the frame into the reply in place, and tells the
 * {@link NeighbourResolver} what the sender said. Also writes requests and gratuitous announcements.
 * <p>
 * What the sender teaches:
 * <pre>
 *   request for one of our addresses    create or update the sender: STALE, override (neigh_event_ns)
 *   reply unicast to us                 update an existing entry only: REACHABLE (confirms)
 *   other request, broadcast reply      update an existing entry only: STALE (does not confirm)
 *   gratuitous (sender ip == target ip) update an existing entry only, overriding the lock time
 * </pre>
 * A different address replaces a valid one only when the entry last changed more than {@code locktime} ago
 * or the ARP is gratuitous: "if several different ARP replies follow back-to-back, use the first".
 * <p>
 * Thread-safety: the slow-path thread only. Nothing allocates.
 */
public final class ArpProcessor
{
    /** {@link #process}: nothing to send back; the caller frees the frame. */
    public static final int CONSUMED = 0;

    /** Length of the frames written here: an ARP packet padded to the Ethernet minimum, since not every PMD pads. */
    public static final int FRAME_LENGTH = 60;

    public static final int DROP_TRUNCATED = 1;
    public static final int DROP_NOT_ARP = 2;
    public static final int DROP_BAD_HARDWARE_TYPE = 3;
    public static final int DROP_BAD_PROTOCOL_TYPE = 4;
    public static final int DROP_BAD_ADDRESS_LENGTH = 5;
    public static final int DROP_BAD_OPERATION = 6;
    /** Unicast to another host's MAC (Linux's {@code PACKET_OTHERHOST}). */
    public static final int DROP_OTHER_HOST = 7;
    /** Target is a multicast or loopback address. */
    public static final int DROP_BAD_TARGET = 8;
    /** Sender hardware address is multicast, or sender protocol address multicast or broadcast. */
    public static final int DROP_BAD_SENDER = 9;
    /** The sender claims one of our addresses with another MAC. */
    public static final int DROP_ADDRESS_CONFLICT = 10;
    /** A request to us from a sender the table has no room for: Linux does not answer either. */
    public static final int DROP_TABLE_FULL = 11;
    public static final int DROP_REASONS = 12;

    private static final int IPV4_LOOPBACK_NET = 127;

    private final NeighbourResolver resolver;
    private final long[] drops = new long[DROP_REASONS];
    private long repliesSent;
    private long updates;

    public ArpProcessor(final NeighbourResolver resolver)
    {
        this.resolver = resolver;
    }

    /**
     * Processes the ARP frame of {@code length} bytes at {@code frame}, received on {@code port}.
     *
     * @return {@link #CONSUMED}, or the length of the reply now in the frame, to transmit on the same port.
     */
    public int process(final PortAddresses port, final long frame, final int length, final long nowNs)
    {
        if (length < EthernetFlyweight.HEADER_LENGTH + ArpFlyweight.HEADER_LENGTH)
        {
            return drop(DROP_TRUNCATED);
        }
        final int offset = EthernetFlyweight.payloadOffset(frame);
        if (length < offset + ArpFlyweight.HEADER_LENGTH)
        {
            return drop(DROP_TRUNCATED);
        }
        if (Memory.getShortBE(frame + offset - 2) != EthernetFlyweight.ETHER_TYPE_ARP)
        {
            return drop(DROP_NOT_ARP);
        }
        final long arp = frame + offset;
        if (Memory.getShortBE(arp + ArpFlyweight.HARDWARE_TYPE_OFFSET) != ArpFlyweight.HARDWARE_TYPE_ETHERNET)
        {
            return drop(DROP_BAD_HARDWARE_TYPE);
        }
        if (Memory.getShortBE(arp + ArpFlyweight.PROTOCOL_TYPE_OFFSET) != ArpFlyweight.PROTOCOL_TYPE_IPV4)
        {
            return drop(DROP_BAD_PROTOCOL_TYPE);
        }
        if (Memory.getUnsignedByte(arp + ArpFlyweight.HARDWARE_LENGTH_OFFSET) != ArpFlyweight.HARDWARE_LENGTH_ETHERNET ||
            Memory.getUnsignedByte(arp + ArpFlyweight.PROTOCOL_LENGTH_OFFSET) != ArpFlyweight.PROTOCOL_LENGTH_IPV4)
        {
            return drop(DROP_BAD_ADDRESS_LENGTH);
        }
        final int operation = Memory.getShortBE(arp + OPERATION_OFFSET);
        if (operation != OPERATION_REQUEST && operation != OPERATION_REPLY)
        {
            return drop(DROP_BAD_OPERATION);
        }
        final long ourMac = port.mac();
        final long frameDst = EthernetFlyweight.getDstMac(frame);
        final boolean toUs = frameDst == ourMac;
        if (!toUs && !isGroup(frameDst))
        {
            return drop(DROP_OTHER_HOST);
        }
        final long senderMac = EthernetFlyweight.getMac(arp + SENDER_MAC_OFFSET);
        final int senderIp = Memory.getIntBE(arp + SENDER_IP_OFFSET);
        final long targetMac = EthernetFlyweight.getMac(arp + TARGET_MAC_OFFSET);
        final int targetIp = Memory.getIntBE(arp + TARGET_IP_OFFSET);
        if (isMulticast(targetIp) || targetIp >>> 24 == IPV4_LOOPBACK_NET)
        {
            return drop(DROP_BAD_TARGET);
        }
        if (isGroup(senderMac) || isMulticast(senderIp) || senderIp == -1)
        {
            return drop(DROP_BAD_SENDER);
        }
        if (senderIp != 0 && port.hasIpv4(senderIp))
        {
            return senderMac == ourMac ? CONSUMED : drop(DROP_ADDRESS_CONFLICT);
        }

        final int portId = port.port();
        if (operation == OPERATION_REQUEST && port.hasIpv4(targetIp))
        {
            // Sender 0.0.0.0 is a duplicate address probe (RFC 5227): answer, learn nothing.
            if (senderIp != 0)
            {
                final int slot = resolver.lookup(portId, senderIp, true, nowNs);
                if (slot == NeighbourTable.NO_SLOT)
                {
                    return drop(DROP_TABLE_FULL);
                }
                resolver.update(slot, senderMac, NeighbourState.STALE, NeighbourResolver.F_OVERRIDE, nowNs);
                updates++;
            }
            EthernetFlyweight.putDstMac(frame, senderMac);
            EthernetFlyweight.putSrcMac(frame, ourMac);
            Memory.putShortBE(arp + OPERATION_OFFSET, OPERATION_REPLY);
            EthernetFlyweight.putMac(arp + SENDER_MAC_OFFSET, ourMac);
            Memory.putIntBE(arp + SENDER_IP_OFFSET, targetIp);
            EthernetFlyweight.putMac(arp + TARGET_MAC_OFFSET, senderMac);
            Memory.putIntBE(arp + TARGET_IP_OFFSET, senderIp);
            repliesSent++;
            return length;
        }

        final int slot = senderIp == 0 ? NeighbourTable.NO_SLOT : resolver.lookup(portId, senderIp, false, nowNs);
        if (slot != NeighbourTable.NO_SLOT)
        {
            // arp_is_garp: a gratuitous reply must also name the sender as target hardware address.
            final boolean gratuitous = senderIp == targetIp && (operation == OPERATION_REQUEST || targetMac == senderMac);
            final boolean override = nowNs - resolver.updatedNs(slot) > resolver.locktimeNs() || gratuitous;
            final int state = operation == OPERATION_REPLY && toUs ? NeighbourState.REACHABLE : NeighbourState.STALE;
            resolver.update(slot, senderMac, state, override ? NeighbourResolver.F_OVERRIDE : 0, nowNs);
            updates++;
        }
        return CONSUMED;
    }

    /** Frames dropped for {@code reason} ({@code DROP_*}). */
    public long drops(final int reason)
    {
        return drops[reason];
    }

    public long repliesSent()
    {
        return repliesSent;
    }

    /** ARP packets whose sender was handed to the resolver (which may still refuse the update). */
    public long updates()
    {
        return updates;
    }

    // ------------------------------------------------------------------------------------------------------
    // Writing requests
    // ------------------------------------------------------------------------------------------------------

    /**
     * Writes a broadcast ARP request "who has {@code targetIp}? tell {@code srcIp}" into the
     * {@link #FRAME_LENGTH} bytes at {@code address}, as {@code arp_create} does.
     *
     * @return {@link #FRAME_LENGTH}.
     */
    public static int writeRequest(final long address, final long srcMac, final int srcIp, final int targetIp)
    {
        return writeRequest(address, EthernetFlyweight.BROADCAST_MAC, srcMac, srcIp, targetIp);
    }

    /**
     * {@link #writeRequest(long, long, int, int)} sent to {@code dstMac}: a unicast probe of a cached address
     * (state PROBE); the target hardware address stays zero, as Linux sends it.
     */
    public static int writeRequest(final long address, final long dstMac, final long srcMac, final int srcIp, final int targetIp)
    {
        return write(address, dstMac, srcMac, OPERATION_REQUEST, srcIp, 0L, targetIp);
    }

    /**
     * Writes a gratuitous ARP announcing that {@code ip} is at {@code srcMac}: a broadcast request with sender
     * and target address both {@code ip}, as Linux's {@code arp_send(ARPOP_REQUEST, ..., ip, dev, ip, NULL,
     * dev_addr, NULL)} when an address comes up.
     *
     * @return {@link #FRAME_LENGTH}.
     */
    public static int writeGratuitous(final long address, final long srcMac, final int ip)
    {
        return write(address, EthernetFlyweight.BROADCAST_MAC, srcMac, OPERATION_REQUEST, ip, 0L, ip);
    }

    private static int write(
        final long address, final long dstMac, final long srcMac, final int operation,
        final int senderIp, final long targetMac, final int targetIp)
    {
        EthernetFlyweight.putDstMac(address, dstMac);
        EthernetFlyweight.putSrcMac(address, srcMac);
        Memory.putShortBE(address + EthernetFlyweight.ETHER_TYPE_OFFSET, EthernetFlyweight.ETHER_TYPE_ARP);
        final long arp = address + EthernetFlyweight.HEADER_LENGTH;
        Memory.putShortBE(arp + ArpFlyweight.HARDWARE_TYPE_OFFSET, ArpFlyweight.HARDWARE_TYPE_ETHERNET);
        Memory.putShortBE(arp + ArpFlyweight.PROTOCOL_TYPE_OFFSET, ArpFlyweight.PROTOCOL_TYPE_IPV4);
        Memory.putByte(arp + ArpFlyweight.HARDWARE_LENGTH_OFFSET, (byte)ArpFlyweight.HARDWARE_LENGTH_ETHERNET);
        Memory.putByte(arp + ArpFlyweight.PROTOCOL_LENGTH_OFFSET, (byte)ArpFlyweight.PROTOCOL_LENGTH_IPV4);
        Memory.putShortBE(arp + OPERATION_OFFSET, operation);
        EthernetFlyweight.putMac(arp + SENDER_MAC_OFFSET, srcMac);
        Memory.putIntBE(arp + SENDER_IP_OFFSET, senderIp);
        EthernetFlyweight.putMac(arp + TARGET_MAC_OFFSET, targetMac);
        Memory.putIntBE(arp + TARGET_IP_OFFSET, targetIp);
        final long padding = address + EthernetFlyweight.HEADER_LENGTH + ArpFlyweight.HEADER_LENGTH;
        Memory.putLong(padding, 0L);
        Memory.putLong(padding + 8, 0L);
        Memory.putShort(padding + 16, (short)0);
        return FRAME_LENGTH;
    }

    private int drop(final int reason)
    {
        drops[reason]++;
        return CONSUMED;
    }

    private static boolean isGroup(final long mac)
    {
        return (mac & 0x0100_0000_0000L) != 0;
    }

    private static boolean isMulticast(final int ipv4)
    {
        return (ipv4 & 0xF000_0000) == 0xE000_0000;
    }
}
