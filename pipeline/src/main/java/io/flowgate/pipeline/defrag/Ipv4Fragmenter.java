package io.flowgate.pipeline.defrag;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pipeline.hook.Counters;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.Ipv4Flyweight;

/**
 * IPv4 fragmentation for an outgoing MTU, as Linux's {@code ip_fragment}/{@code ip_do_fragment}
 * ({@code net/ipv4/ip_output.c}) does it on its slow path: fragments are written into buffers the caller
 * provides, each able to hold {@code mtu} bytes; the datagram itself is not modified.
 * <p>
 * Each fragment carries a copy of the datagram's header with its own total length, fragment offset (in
 * 8-byte units), MF flag and header checksum; every fragment's payload but the last is a multiple of 8
 * bytes. Fragmenting a fragment keeps its offset and, on its last piece, its MF flag. The first fragment
 * keeps all options; the later ones keep only the options whose copy flag is set (RFC 791 3.1): as Linux's
 * {@code ip_options_fragment} does, the others are overwritten with NOP options, so that every fragment has
 * the same header length (RFC 791 would omit them; both are valid, and Linux's bytes are the reference).
 * <p>
 * With DF set, {@link #fragment} returns {@link #FRAGMENTATION_NEEDED}: the caller drops the datagram and
 * has the slow path answer ICMP Destination Unreachable, Fragmentation Needed, with the MTU as next-hop MTU
 * (RFC 1191). {@link #refragment} is for datagrams this box reassembled, as {@code nf_defrag_ipv4} marks
 * them {@code ignore_df}: they go out in fragments no larger than the largest the sender sent, keeping DF
 * when it had it.
 * <p>
 * Thread-safety: one instance per worker; counters readable from any thread. Nothing allocates.
 */
public final class Ipv4Fragmenter
{
    /** The smallest MTU every IPv4 link has (RFC 791). */
    public static final int MIN_MTU = 68;

    /** DF is set and the datagram does not fit: answer ICMP Fragmentation Needed with the MTU. */
    public static final int FRAGMENTATION_NEEDED = -1;
    /** The MTU leaves fewer than 8 payload bytes per fragment after the header, or is below 68. */
    public static final int MTU_TOO_SMALL = -2;
    /** The datagram needs more fragments than buffers were given. */
    public static final int TOO_FEW_BUFFERS = -3;

    /** SNMP Ip: FragOKs, datagrams fragmented. */
    public static final int FRAG_OKS = 0;
    /** SNMP Ip: FragFails, datagrams that needed fragmenting and could not be. */
    public static final int FRAG_FAILS = 1;
    /** SNMP Ip: FragCreates, fragments written. */
    public static final int FRAG_CREATES = 2;
    public static final int COUNTERS = 3;

    private static final int OPTION_END = 0;
    private static final int OPTION_NOP = 1;
    private static final int OPTION_COPIED = 0x80;

    private final Counters counters = new Counters(COUNTERS);

    /** Any thread: one of the counters named by the constants of this class. */
    public long counter(final int counter)
    {
        return counters.get(counter);
    }

    /** Whether the datagram at {@code datagram} is larger than {@code mtu}. */
    public static boolean needsFragmentation(final long datagram, final int mtu)
    {
        return Ipv4Flyweight.getTotalLength(datagram) > mtu;
    }

    /** How many fragments of at most {@code mtu} bytes the datagram needs, or {@link #MTU_TOO_SMALL}. */
    public static int fragmentCount(final long datagram, final int mtu)
    {
        final int headerLength = Ipv4Flyweight.getHeaderLength(datagram);
        final int payload = Ipv4Flyweight.getTotalLength(datagram) - headerLength;
        final int payloadMtu = mtu - headerLength;
        if (payload <= payloadMtu)
        {
            return 1;
        }
        final int perFragment = payloadMtu & ~7;
        if (mtu < MIN_MTU || perFragment < 8)
        {
            return MTU_TOO_SMALL;
        }
        // every fragment but the last carries perFragment bytes; the last up to payloadMtu
        return 1 + (payload - payloadMtu + perFragment - 1) / perFragment;
    }

    /**
     * Splits the datagram at {@code datagram} into fragments of at most {@code mtu} bytes, written into
     * {@code buffers[0..n)} with their lengths in {@code lengths[0..n)}. A datagram that fits is copied
     * whole into {@code buffers[0]}.
     *
     * @return n, the fragments written, or {@link #FRAGMENTATION_NEEDED}, {@link #MTU_TOO_SMALL} or
     * {@link #TOO_FEW_BUFFERS}.
     */
    public int fragment(
        final long datagram, final int mtu, final long[] buffers, final int[] lengths, final int bufferCount)
    {
        final int totalLength = Ipv4Flyweight.getTotalLength(datagram);
        if (totalLength <= mtu)
        {
            return copyWhole(datagram, totalLength, buffers, lengths, bufferCount);
        }
        if ((Memory.getShortBE(datagram + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET) &
            Ipv4Flyweight.FLAG_DONT_FRAGMENT) != 0)
        {
            counters.increment(FRAG_FAILS);
            return FRAGMENTATION_NEEDED;
        }
        return split(datagram, mtu, false, buffers, lengths, bufferCount);
    }

    /**
     * Splits a datagram this box reassembled back into fragments no larger than the MTU and than
     * {@code maxFragmentSize}, the largest fragment it was reassembled from ({@code Ipv4Reassembler
     * .maxFragmentSize}, Linux {@code frag_max_size}): always, even when the whole datagram would fit, as
     * Linux's {@code __ip_finish_output} does for a defragmented packet. When the datagram has DF (its largest
     * fragment had it), every fragment keeps DF, and a largest fragment above the MTU means
     * {@link #FRAGMENTATION_NEEDED}, as in {@code ip_fragment}.
     *
     * @return the fragments written, or {@link #FRAGMENTATION_NEEDED}, {@link #MTU_TOO_SMALL} or
     * {@link #TOO_FEW_BUFFERS}.
     */
    public int refragment(
        final long datagram,
        final int mtu,
        final int maxFragmentSize,
        final long[] buffers,
        final int[] lengths,
        final int bufferCount)
    {
        final boolean dontFragment = (Memory.getShortBE(datagram + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET) &
            Ipv4Flyweight.FLAG_DONT_FRAGMENT) != 0;
        if (dontFragment && maxFragmentSize > mtu)
        {
            counters.increment(FRAG_FAILS);
            return FRAGMENTATION_NEEDED;
        }
        final int fragmentMtu = maxFragmentSize > 0 && maxFragmentSize < mtu ? maxFragmentSize : mtu;
        final int totalLength = Ipv4Flyweight.getTotalLength(datagram);
        if (totalLength <= fragmentMtu)
        {
            return copyWhole(datagram, totalLength, buffers, lengths, bufferCount);
        }
        return split(datagram, fragmentMtu, dontFragment, buffers, lengths, bufferCount);
    }

    // ------------------------------------------------------------------------------------------------------

    private int copyWhole(
        final long datagram, final int totalLength, final long[] buffers, final int[] lengths, final int bufferCount)
    {
        if (bufferCount < 1)
        {
            return TOO_FEW_BUFFERS;
        }
        Memory.copy(datagram, buffers[0], totalLength);
        lengths[0] = totalLength;
        return 1;
    }

    /** ip_do_fragment's slow path, with ip_frag_next for each piece. */
    private int split(
        final long datagram,
        final int mtu,
        final boolean keepDontFragment,
        final long[] buffers,
        final int[] lengths,
        final int bufferCount)
    {
        final int count = fragmentCount(datagram, mtu);
        if (count < 0 || count > bufferCount)
        {
            counters.increment(FRAG_FAILS);
            return count < 0 ? count : TOO_FEW_BUFFERS;
        }

        final int headerLength = Ipv4Flyweight.getHeaderLength(datagram);
        final int flagsOffset = Memory.getShortBE(datagram + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET);
        final boolean firstFragment = (flagsOffset & Ipv4Flyweight.FRAGMENT_OFFSET_MASK) == 0;
        final boolean notLast = (flagsOffset & Ipv4Flyweight.FLAG_MORE_FRAGMENTS) != 0;
        final int payloadMtu = mtu - headerLength;

        int left = Ipv4Flyweight.getTotalLength(datagram) - headerLength;
        int offset = (flagsOffset & Ipv4Flyweight.FRAGMENT_OFFSET_MASK) << 3;
        long from = datagram + headerLength;
        int n = 0;
        while (left > 0)
        {
            int payload = Math.min(left, payloadMtu);
            if (payload < left)
            {
                payload &= ~7;
            }
            left -= payload;

            final long fragment = buffers[n];
            Memory.copy(datagram, fragment, headerLength);
            if (n > 0 && firstFragment)
            {
                clearUncopiedOptions(fragment, headerLength);
            }
            Memory.copy(from, fragment + headerLength, payload);

            int word = offset >>> 3;
            if (keepDontFragment)
            {
                word |= Ipv4Flyweight.FLAG_DONT_FRAGMENT;
            }
            if (left > 0 || notLast)
            {
                word |= Ipv4Flyweight.FLAG_MORE_FRAGMENTS;
            }
            Memory.putShortBE(fragment + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET, word);
            Memory.putShortBE(fragment + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, headerLength + payload);
            Ipv4Flyweight.putChecksum(
                fragment, Checksum.checksumSkipping(fragment, headerLength, Ipv4Flyweight.CHECKSUM_OFFSET, 0));
            lengths[n] = headerLength + payload;

            from += payload;
            offset += payload;
            n++;
        }

        final Counters counters = this.counters;
        counters.increment(FRAG_OKS);
        counters.add(FRAG_CREATES, n);
        return n;
    }

    /**
     * Overwrites the options without the copy flag with NOPs, as Linux's {@code ip_options_fragment}
     * ({@code net/ipv4/ip_options.c}); stops at End of Option List or at a malformed length.
     * <pre>
     *   type byte:  +-+-+-+-+-+-+-+-+
     *               |C| cls |  num  |   C: copy into every fragment
     *               +-+-+-+-+-+-+-+-+
     * </pre>
     */
    static void clearUncopiedOptions(final long header, final int headerLength)
    {
        long option = header + Ipv4Flyweight.OPTIONS_OFFSET;
        int left = headerLength - Ipv4Flyweight.OPTIONS_OFFSET;
        while (left > 0)
        {
            final int type = Memory.getUnsignedByte(option);
            if (type == OPTION_END)
            {
                return;
            }
            if (type == OPTION_NOP)
            {
                option++;
                left--;
                continue;
            }
            if (left < 2)
            {
                return;
            }
            final int optionLength = Memory.getUnsignedByte(option + 1);
            if (optionLength < 2 || optionLength > left)
            {
                return;
            }
            if ((type & OPTION_COPIED) == 0)
            {
                Memory.fill(option, optionLength, (byte)OPTION_NOP);
            }
            option += optionLength;
            left -= optionLength;
        }
    }
}
