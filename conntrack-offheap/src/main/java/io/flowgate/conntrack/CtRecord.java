package io.flowgate.conntrack;

/**
 * One connection: a fixed 128-byte record in a worker's record slab (two cache lines, 64-byte aligned; the
 * lookup, refresh and counting of an established packet touch only the first line and the counters).
 * <pre>
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +---------------------------------------------------------------+
 *  0|                 seq (seqlock: odd while the owner writes)      |
 *   +---------------------------------------------------------------+
 *  4|                 status (CtStatus bits, Linux's numbering)      |
 *   +---------------------------------------------------------------+
 *  8|                 expires (table clock, ms; wrapping compare)    |
 *   +---------------------------------------------------------------+
 * 12|                 mark                                           |
 *   +---------------+---------------+-------------------------------+
 * 16|  family (4|6) |   protocol    |             zone              |
 *   +---------------+---------------+-------------------------------+
 * 20|                 start (unix seconds, unsigned)                 |
 *   +---------------------------------------------------------------+
 * 24|  original src address (IPv4) | IPv6: index of the address block|
 * 28|  original dst address (IPv4) | IPv6: 0                         |
 * 32|  original src port / ICMP id |  original dst port / type<<8|code|
 *   +---------------------------------------------------------------+
 * 36|  reply src address (IPv4)                                      |
 * 40|  reply dst address (IPv4)                                      |
 * 44|  reply src port / ICMP id    |  reply dst port / type<<8|code   |
 *   +---------------------------------------------------------------+
 * 48|  original packets (64)                                         |
 * 56|  original bytes (64)                                           |
 * 64|  reply packets (64)                                            |
 * 72|  reply bytes (64)                                              |
 *   +---------------------------------------------------------------+
 * 80|  protocol area, 48 bytes: TCP window tracking (tcp.TcpRecord)  |
 *   |  ICMP/UDP/generic: unused                                      |
 *   +---------------------------------------------------------------+
 * </pre>
 * Addresses and ports are stored as numbers (192.0.2.1 is {@code 0xC0000201}; port 80 is 80), in native
 * byte order. IPv6 records keep their four addresses (original src, dst, reply src, dst; 16 bytes each,
 * high long first) in a 64-byte block of the table's IPv6 address slab, whose index sits at
 * {@link #ORIG_SRC_OFFSET}.
 * <p>
 * Thread-safety: written only by the owning worker, always inside a {@link #beginWrite}/{@link #endWrite}
 * pair when a reader may see the record; readers copy under the seqlock and retry (see ConntrackTable).
 */
public final class CtRecord
{
    public static final int SIZE = 128;
    public static final int SHIFT = 7;

    public static final int SEQ_OFFSET = 0;
    public static final int STATUS_OFFSET = 4;
    public static final int EXPIRES_OFFSET = 8;
    public static final int MARK_OFFSET = 12;
    public static final int FAMILY_OFFSET = 16;
    public static final int PROTOCOL_OFFSET = 17;
    public static final int ZONE_OFFSET = 18;
    public static final int START_OFFSET = 20;
    /** Tuple of direction d starts at TUPLE_OFFSET + d * TUPLE_SIZE. */
    public static final int TUPLE_OFFSET = 24;
    public static final int TUPLE_SIZE = 12;
    public static final int ORIG_SRC_OFFSET = 24;
    public static final int ORIG_DST_OFFSET = 28;
    public static final int ORIG_SRC_PORT_OFFSET = 32;
    public static final int ORIG_DST_PORT_OFFSET = 34;
    public static final int REPLY_SRC_OFFSET = 36;
    public static final int REPLY_DST_OFFSET = 40;
    public static final int REPLY_SRC_PORT_OFFSET = 44;
    public static final int REPLY_DST_PORT_OFFSET = 46;
    /** Counters of direction d: packets at COUNTERS_OFFSET + d * 16, bytes 8 later. */
    public static final int COUNTERS_OFFSET = 48;
    public static final int PROTO_OFFSET = 80;
    public static final int PROTO_SIZE = 48;
    /** TCP only: the {@link io.flowgate.conntrack.tcp.TcpState} byte, first of the protocol area (listing reads it here). */
    public static final int TCP_STATE_OFFSET = 80;

    public static final int FAMILY_IPV4 = 4;
    public static final int FAMILY_IPV6 = 6;

    /** Size of one IPv6 address block: four 16-byte addresses. */
    public static final int V6_BLOCK_SIZE = 64;

    private CtRecord()
    {
    }

    /** Opens a write the readers must not see half done: seq becomes odd. */
    public static void beginWrite(final long record)
    {
        final int seq = OffHeap.getInt(record + SEQ_OFFSET);
        OffHeap.putIntRelease(record + SEQ_OFFSET, seq + 1);
        // NOTE: the release store orders earlier accesses only; the StoreStore between the odd seq and the
        // field writes that follow is the fence below (pairs with the reader's acquire re-read of seq).
        java.lang.invoke.VarHandle.storeStoreFence();
    }

    /** Closes a write: seq becomes even again and publishes the fields (release). */
    public static void endWrite(final long record)
    {
        final int seq = OffHeap.getInt(record + SEQ_OFFSET);
        OffHeap.putIntRelease(record + SEQ_OFFSET, seq + 1);
    }

    public static int status(final long record)
    {
        return OffHeap.getInt(record + STATUS_OFFSET);
    }

    public static void status(final long record, final int status)
    {
        OffHeap.putInt(record + STATUS_OFFSET, status);
    }

    public static int expires(final long record)
    {
        return OffHeap.getInt(record + EXPIRES_OFFSET);
    }

    public static void expires(final long record, final int expiresMs)
    {
        OffHeap.putInt(record + EXPIRES_OFFSET, expiresMs);
    }

    /** Whether the record's deadline has passed at {@code nowMs} (wrapping compare, as Linux's jiffies). */
    public static boolean isExpired(final long record, final int nowMs)
    {
        return OffHeap.getInt(record + EXPIRES_OFFSET) - nowMs <= 0;
    }

    public static int mark(final long record)
    {
        return OffHeap.getInt(record + MARK_OFFSET);
    }

    public static void mark(final long record, final int mark)
    {
        OffHeap.putInt(record + MARK_OFFSET, mark);
    }

    public static int family(final long record)
    {
        return OffHeap.getUnsignedByte(record + FAMILY_OFFSET);
    }

    public static int protocol(final long record)
    {
        return OffHeap.getUnsignedByte(record + PROTOCOL_OFFSET);
    }

    public static int zone(final long record)
    {
        return OffHeap.getUnsignedShort(record + ZONE_OFFSET);
    }

    public static long startSeconds(final long record)
    {
        return OffHeap.getInt(record + START_OFFSET) & 0xFFFF_FFFFL;
    }

    /** Adds one packet of {@code bytes} to direction {@code dir}'s counters. */
    public static void count(final long record, final int dir, final int bytes)
    {
        final long counters = record + COUNTERS_OFFSET + ((long)dir << 4);
        OffHeap.putLong(counters, OffHeap.getLong(counters) + 1);
        OffHeap.putLong(counters + 8, OffHeap.getLong(counters + 8) + bytes);
    }

    /** Adds {@code packets} packets of {@code bytes} bytes in all to direction {@code dir} (folds of counts made elsewhere: the XDP fast path). */
    public static void add(final long record, final int dir, final long packets, final long bytes)
    {
        final long counters = record + COUNTERS_OFFSET + ((long)dir << 4);
        OffHeap.putLong(counters, OffHeap.getLong(counters) + packets);
        OffHeap.putLong(counters + 8, OffHeap.getLong(counters + 8) + bytes);
    }

    public static long packets(final long record, final int dir)
    {
        return OffHeap.getLong(record + COUNTERS_OFFSET + ((long)dir << 4));
    }

    public static long bytes(final long record, final int dir)
    {
        return OffHeap.getLong(record + COUNTERS_OFFSET + ((long)dir << 4) + 8);
    }

    /** Address of direction {@code dir}'s tuple (src, dst, sport, dport: 12 bytes). */
    public static long tuple(final long record, final int dir)
    {
        return record + TUPLE_OFFSET + (long)dir * TUPLE_SIZE;
    }

    /**
     * Decodes a record (already copied or quiescent) into {@code out}: {@code v6Block} is the address of its
     * IPv6 address block (0 for IPv4), {@code nowMs} the table clock for the remaining timeout. Control plane only.
     */
    public static void decode(final long record, final long v6Block, final int nowMs, final CtEntry out)
    {
        out.family = family(record);
        out.protocol = protocol(record);
        out.zone = zone(record);
        out.status = status(record);
        out.mark = mark(record);
        final int remainingMs = expires(record) - nowMs;
        out.timeoutSeconds = remainingMs > 0 ? remainingMs / 1000 : 0;
        out.tcpState = out.protocol == 6 ? OffHeap.getUnsignedByte(record + TCP_STATE_OFFSET) : -1;
        out.startSeconds = startSeconds(record);
        for (int d = 0; d < 2; d++)
        {
            final long tuple = tuple(record, d);
            if (out.family == FAMILY_IPV6 && v6Block != 0)
            {
                final long addresses = v6Block + d * 32L;
                out.srcHi[d] = OffHeap.getLong(addresses);
                out.srcLo[d] = OffHeap.getLong(addresses + 8);
                out.dstHi[d] = OffHeap.getLong(addresses + 16);
                out.dstLo[d] = OffHeap.getLong(addresses + 24);
            }
            else
            {
                out.srcHi[d] = 0;
                out.srcLo[d] = OffHeap.getInt(tuple) & 0xFFFF_FFFFL;
                out.dstHi[d] = 0;
                out.dstLo[d] = OffHeap.getInt(tuple + 4) & 0xFFFF_FFFFL;
            }
            out.srcPort[d] = OffHeap.getUnsignedShort(tuple + 8);
            out.dstPort[d] = OffHeap.getUnsignedShort(tuple + 10);
            out.packets[d] = packets(record, d);
            out.bytes[d] = bytes(record, d);
        }
    }
}
