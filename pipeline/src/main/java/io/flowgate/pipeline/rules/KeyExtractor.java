package io.flowgate.pipeline.rules;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.conntrack.CtAccess;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.rules.classify.RuleKeys;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.Ipv6Flyweight;

/**
 * Fills {@link RuleKeys} for the packets a hook handler is given, in one pass: what every {@code Field} reads of
 * each packet (nft's payload, meta and ct expressions). Fields a packet does not have are {@link RuleKeys#ABSENT}:
 * L4 fields of a non-first fragment or a truncated header, {@code oif} before routing, {@code iif} at OUTPUT.
 * <p>
 * Thread-safety: static; the keys are the calling worker's.
 */
final class KeyExtractor
{
    private static final int IPPROTO_ICMP = 1;
    private static final int IPPROTO_TCP = 6;
    private static final int IPPROTO_UDP = 17;
    private static final int IPPROTO_ICMPV6 = 58;
    private static final int IPV6_HEADER = Ipv6Flyweight.HEADER_LENGTH;

    private KeyExtractor()
    {
    }

    static void fill(final Hook hook, final PacketBurst burst, final int[] packets, final int count, final RuleKeys keys,
                     final CtAccess ct)
    {
        final boolean hasIif = hook != Hook.OUTPUT;
        final boolean hasOif = hook == Hook.FORWARD || hook == Hook.POSTROUTING || hook == Hook.OUTPUT;
        for (int k = 0; k < count; k++)
        {
            final int i = packets[k];
            one(burst, i, keys, ct, hasIif, hasOif);
        }
    }

    static void one(final PacketBurst burst, final int i, final RuleKeys keys, final CtAccess ct, final boolean hasIif,
                    final boolean hasOif)
    {
        final long ip = burst.l3[i];
        final int available = ip == 0 ? 0 : burst.length[i] - (int)(ip - burst.frame[i]);
        keys.iif[i] = hasIif ? burst.inPort[i] : RuleKeys.ABSENT;
        keys.oif[i] = hasOif && burst.outPort[i] >= 0 ? burst.outPort[i] : RuleKeys.ABSENT;
        keys.length[i] = available;
        keys.metaMark[i] = burst.mark[i];
        keys.ctState[i] = burst.ctinfo[i] < 0 ? 1 : CtAccess.stateBit(burst, i); // no conntrack (yet): nft says invalid
        keys.ctStatus[i] = ct == null ? 0 : ct.status(burst, i);
        keys.ctMark[i] = ct == null ? 0 : ct.mark(burst, i);
        keys.sport[i] = RuleKeys.ABSENT;
        keys.dport[i] = RuleKeys.ABSENT;
        keys.tcpFlags[i] = RuleKeys.ABSENT;
        keys.icmpType[i] = RuleKeys.ABSENT;
        keys.l4proto[i] = RuleKeys.ABSENT;
        final int type = burst.etherType[i];
        long l4;
        int proto;
        int remaining;
        if (type == EthernetFlyweight.ETHER_TYPE_IPV4 && available >= 20)
        {
            keys.nfproto[i] = RuleKeys.NFPROTO_IPV4;
            keys.saddr[i] = Memory.getIntBE(ip + 12);
            keys.daddr[i] = Memory.getIntBE(ip + 16);
            proto = Memory.getUnsignedByte(ip + 9);
            keys.l4proto[i] = proto;
            final int ihl = (Memory.getUnsignedByte(ip) & 0x0F) << 2;
            if ((Memory.getShortBE(ip + 6) & 0x1FFF) != 0)
            {
                return; // a non-first fragment: no transport header (nft's payload expression breaks)
            }
            l4 = ip + ihl;
            remaining = available - ihl;
        }
        else if (type == EthernetFlyweight.ETHER_TYPE_IPV6 && available >= IPV6_HEADER)
        {
            keys.nfproto[i] = RuleKeys.NFPROTO_IPV6;
            keys.saddr6Hi[i] = Memory.getLongBE(ip + 8);
            keys.saddr6Lo[i] = Memory.getLongBE(ip + 16);
            keys.daddr6Hi[i] = Memory.getLongBE(ip + 24);
            keys.daddr6Lo[i] = Memory.getLongBE(ip + 32);
            // ipv6_find_hdr: the transport protocol after the extension headers; none for a non-first fragment.
            final long skipped = Ipv6Flyweight.skipExtensionHeaders(ip, available);
            proto = Ipv6Flyweight.upperLayerProtocol(skipped);
            keys.l4proto[i] = proto;
            final int offset = Ipv6Flyweight.upperLayerOffset(skipped);
            if (offset < 0)
            {
                return;
            }
            l4 = ip + offset;
            remaining = available - offset;
        }
        else
        {
            keys.nfproto[i] = RuleKeys.ABSENT;
            return;
        }
        if ((proto == IPPROTO_TCP && remaining >= 20) || (proto == IPPROTO_UDP && remaining >= 8))
        {
            keys.sport[i] = Memory.getShortBE(l4);
            keys.dport[i] = Memory.getShortBE(l4 + 2);
            if (proto == IPPROTO_TCP)
            {
                keys.tcpFlags[i] = Memory.getUnsignedByte(l4 + 13);
            }
        }
        else if ((proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) && remaining >= 4)
        {
            keys.icmpType[i] = Memory.getUnsignedByte(l4);
        }
    }
}
