package io.flowgate.conntrack;

/**
 * The layout and the byte tricks of the table's index: open addressing over groups of eight slots, each
 * slot a one-byte tag and a four-byte entry (SwissTable/F14 style; choice and numbers in
 * docs/conntrack-table.md).
 * <pre>
 *   group g at base + 40 * g
 *   +0   tags: one byte per slot, slot s in byte s (little end first)
 *          0x00 empty, 0x01 tombstone, 0x80 | h7 full (h7: low 7 bits of the tuple hash)
 *   +8   entries: int per slot, record index << 1 | direction
 * </pre>
 * Five bytes per slot; at most 7 of 8 slots used (empties plus tombstones trigger a rehash), so about
 * 5.7 bytes per index entry and two entries per connection. The group of a hash is {@code (h >>> 32) * groups >>> 32}
 * (no power-of-two rounding, so no memory is lost to it); probing walks the groups linearly and stops at the
 * first group holding an empty slot.
 * <p>
 * Byte matching over the tag word is SWAR: {@link #zeroBytes} is exact (no false positives), so a match
 * mask names exactly the slots whose tag equals the wanted byte.
 */
final class CtIndex
{
    static final int GROUP_SIZE = 40;
    static final int SLOTS = 8;
    static final int ENTRIES_OFFSET = 8;
    /** Usable slots per group before a rehash (7/8). */
    static final int MAX_USED_PER_GROUP = 7;

    static final int EMPTY = 0x00;
    static final int TOMBSTONE = 0x01;

    static final long LOW_BITS = 0x0101_0101_0101_0101L;
    static final long LOW7 = 0x7F7F_7F7F_7F7F_7F7FL;
    static final long HIGH_BITS = 0x8080_8080_8080_8080L;

    private CtIndex()
    {
    }

    static long groups(final int connections)
    {
        final long entries = 2L * Math.max(connections, 1);
        return Math.max(2, (entries + MAX_USED_PER_GROUP - 1) / MAX_USED_PER_GROUP);
    }

    static long bytes(final long groups)
    {
        return (groups * GROUP_SIZE + 63) & ~63L;
    }

    static int tag(final long hash)
    {
        return 0x80 | (int)(hash & 0x7F);
    }

    static int group(final long hash, final int groups)
    {
        return (int)(((hash >>> 32) * groups) >>> 32);
    }

    /** High bit of every byte of {@code word} that is zero, and of no other. */
    static long zeroBytes(final long word)
    {
        return ~(((word & LOW7) + LOW7) | word | LOW7);
    }

    /** Slots whose tag is {@code tag}. */
    static long matches(final long tags, final int tag)
    {
        return zeroBytes(tags ^ (LOW_BITS * tag));
    }

    /** Empty slots. */
    static long empties(final long tags)
    {
        return zeroBytes(tags);
    }

    /** Empty or tombstone slots (high bit clear). */
    static long free(final long tags)
    {
        return ~tags & HIGH_BITS;
    }

    /** Full slots (high bit set). */
    static long full(final long tags)
    {
        return tags & HIGH_BITS;
    }

    /** Slot of the lowest bit of a mask from the methods above. */
    static int slot(final long mask)
    {
        return Long.numberOfTrailingZeros(mask) >>> 3;
    }

    static long withTag(final long tags, final int slot, final int tag)
    {
        final int shift = slot << 3;
        return (tags & ~(0xFFL << shift)) | ((long)tag << shift);
    }

    // ---- tuple hash: seeded, over family, protocol, zone, addresses and ports ----

    private static final long M1 = 0x9E37_79B9_7F4A_7C15L;
    private static final long M2 = 0xC2B2_AE3D_27D4_EB4FL;

    /** {@code fpz}: family | protocol << 8 | zone << 16; {@code ports}: src | dst << 16; {@code a}: src | dst << 32. */
    static long hash4(final long seed, final int fpz, final int ports, final long a)
    {
        long h = (seed ^ ((long)fpz << 32 | (ports & 0xFFFF_FFFFL))) * M1;
        h = (Long.rotateLeft(h, 29) ^ a) * M2;
        return fmix(h);
    }

    static long hash6(final long seed, final int fpz, final int ports, final long sh, final long sl, final long dh, final long dl)
    {
        long h = (seed ^ ((long)fpz << 32 | (ports & 0xFFFF_FFFFL))) * M1;
        h = (Long.rotateLeft(h, 29) ^ sh) * M2;
        h = (Long.rotateLeft(h, 29) ^ sl) * M1;
        h = (Long.rotateLeft(h, 29) ^ dh) * M2;
        h = (Long.rotateLeft(h, 29) ^ dl) * M1;
        return fmix(h);
    }

    /** MurmurHash3's 64-bit finaliser. */
    private static long fmix(long h)
    {
        h ^= h >>> 33;
        h *= 0xFF51_AFD7_ED55_8CCDL;
        h ^= h >>> 33;
        h *= 0xC4CE_B9FE_1A85_EC53L;
        h ^= h >>> 33;
        return h;
    }

    /**
     * Whether direction {@code dir}'s tuple of {@code record} is the key (IPv4: {@code a}; IPv6: the four
     * longs, read from the record's address block). Any thread: reads only, never beyond the slabs.
     */
    static boolean matchesRecord(final long record, final int dir, final long v6Slab, final int capacity6,
                                 final int fpz, final int ports, final long a,
                                 final long sh, final long sl, final long dh, final long dl)
    {
        if (OffHeap.getInt(record + CtRecord.FAMILY_OFFSET) != fpz)
        {
            return false;
        }
        final long tuple = record + CtRecord.TUPLE_OFFSET + (long)dir * CtRecord.TUPLE_SIZE;
        if (OffHeap.getInt(tuple + 8) != ports)
        {
            return false;
        }
        if ((fpz & 0xFF) == CtRecord.FAMILY_IPV4)
        {
            return OffHeap.getLong(tuple) == a;
        }
        final int block = OffHeap.getInt(record + CtRecord.ORIG_SRC_OFFSET);
        if (block < 0 || block >= capacity6)
        {
            return false;
        }
        final long addresses = v6Slab + ((long)block << 6) + ((long)dir << 5);
        return OffHeap.getLong(addresses) == sh && OffHeap.getLong(addresses + 8) == sl &&
            OffHeap.getLong(addresses + 16) == dh && OffHeap.getLong(addresses + 24) == dl;
    }

    static int fpz(final int family, final int protocol, final int zone)
    {
        return (family & 0xFF) | (protocol & 0xFF) << 8 | (zone & 0xFFFF) << 16;
    }

    static int ports(final int srcPort, final int dstPort)
    {
        return (srcPort & 0xFFFF) | (dstPort & 0xFFFF) << 16;
    }

    static long addresses4(final long src, final long dst)
    {
        return (src & 0xFFFF_FFFFL) | (dst << 32);
    }
}
