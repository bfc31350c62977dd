package io.flowgate.nativebindings.dpdk;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.gen.dpdk_h;
import io.flowgate.nativebindings.gen.flowgate_shim_h;
import io.flowgate.nativebindings.gen.rte_mbuf;

/**
 * Static accessors for {@code struct rte_mbuf} fields over an mbuf's raw address: no object per packet.
 * <pre>
 *  0                   8                   16      18      20      22      24
 *  +-------------------+-------------------+-------+-------+-------+-------+
 *  | buf_addr          | buf_iova          |data_off|refcnt|nb_segs| port  |
 *  +-------------------+---------+---------+-------+-------+-------+-------+
 *  24                  32        36        40      42      44      48
 *  | ol_flags          |pkt_type | pkt_len |dat_len|vlan   | hash.rss ...  |
 *  +-------------------+---------+---------+-------+-------+---------------+
 *  ... 52 vlan_tci_outer, 54 buf_len, 56 pool, 64 next (second cache line), 72 tx_offload
 * </pre>
 * Offsets come from {@link rte_mbuf}, probed against the installed headers.
 */
public final class Mbuf
{
    private static final long BUF_ADDR = rte_mbuf.buf_addr$OFFSET;
    private static final long DATA_OFF = rte_mbuf.data_off$OFFSET;
    private static final long NB_SEGS = rte_mbuf.nb_segs$OFFSET;
    private static final long PORT = rte_mbuf.port$OFFSET;
    private static final long OL_FLAGS = rte_mbuf.ol_flags$OFFSET;
    private static final long PACKET_TYPE = rte_mbuf.packet_type$OFFSET;
    private static final long PKT_LEN = rte_mbuf.pkt_len$OFFSET;
    private static final long DATA_LEN = rte_mbuf.data_len$OFFSET;
    private static final long RSS = rte_mbuf.hash_rss$OFFSET;
    private static final long BUF_LEN = rte_mbuf.buf_len$OFFSET;
    private static final long POOL = rte_mbuf.pool$OFFSET;
    private static final long NEXT = rte_mbuf.next$OFFSET;

    /** {@code RTE_MBUF_F_RX_RSS_HASH}: {@code hash.rss} is valid. */
    public static final long F_RX_RSS_HASH = 1L << 1;

    private Mbuf()
    {
    }

    /** Address of the first byte of packet data ({@code rte_pktmbuf_mtod}). */
    public static long data(final long mbuf)
    {
        return Memory.getLong(mbuf + BUF_ADDR) + (Memory.getShort(mbuf + DATA_OFF) & 0xFFFF);
    }

    public static int dataOffset(final long mbuf)
    {
        return Memory.getShort(mbuf + DATA_OFF) & 0xFFFF;
    }

    public static void dataOffset(final long mbuf, final int offset)
    {
        Memory.putShort(mbuf + DATA_OFF, (short)offset);
    }

    /** Bytes of data in this segment. */
    public static int dataLength(final long mbuf)
    {
        return Memory.getShort(mbuf + DATA_LEN) & 0xFFFF;
    }

    public static void dataLength(final long mbuf, final int length)
    {
        Memory.putShort(mbuf + DATA_LEN, (short)length);
    }

    /** Bytes of the whole packet over all segments. */
    public static int packetLength(final long mbuf)
    {
        return Memory.getInt(mbuf + PKT_LEN);
    }

    public static void packetLength(final long mbuf, final int length)
    {
        Memory.putInt(mbuf + PKT_LEN, length);
    }

    /** Sets data and packet length of a single-segment packet. */
    public static void length(final long mbuf, final int length)
    {
        Memory.putShort(mbuf + DATA_LEN, (short)length);
        Memory.putInt(mbuf + PKT_LEN, length);
    }

    public static int segments(final long mbuf)
    {
        return Memory.getShort(mbuf + NB_SEGS) & 0xFFFF;
    }

    public static long next(final long mbuf)
    {
        return Memory.getLong(mbuf + NEXT);
    }

    /**
     * Links {@code next} after the segment {@code mbuf} ({@code m->next}); 0 ends the chain. The head's
     * {@link #segments(long, int)} and {@link #packetLength(long, int)} describe the whole chain.
     */
    public static void next(final long mbuf, final long next)
    {
        Memory.putLong(mbuf + NEXT, next);
    }

    /** Sets the head segment's count of segments ({@code nb_segs}). */
    public static void segments(final long mbuf, final int segments)
    {
        Memory.putShort(mbuf + NB_SEGS, (short)segments);
    }

    /** Input port of a received packet. */
    public static int port(final long mbuf)
    {
        return Memory.getShort(mbuf + PORT) & 0xFFFF;
    }

    /**
     * Sets the input port: of a packet built in software (e.g. a reassembled datagram), or by a dispatcher for
     * PMDs such as net_ring that leave it unset.
     */
    public static void port(final long mbuf, final int port)
    {
        Memory.putShort(mbuf + PORT, (short)port);
    }

    public static long offloadFlags(final long mbuf)
    {
        return Memory.getLong(mbuf + OL_FLAGS);
    }

    public static void offloadFlags(final long mbuf, final long flags)
    {
        Memory.putLong(mbuf + OL_FLAGS, flags);
    }

    /** {@code RTE_PTYPE_*} bits the driver classified, 0 when it did not. */
    public static int packetType(final long mbuf)
    {
        return Memory.getInt(mbuf + PACKET_TYPE);
    }

    /** The NIC's RSS hash; valid when {@link #offloadFlags} has {@link #F_RX_RSS_HASH}. */
    public static int rssHash(final long mbuf)
    {
        return Memory.getInt(mbuf + RSS);
    }

    public static int bufferLength(final long mbuf)
    {
        return Memory.getShort(mbuf + BUF_LEN) & 0xFFFF;
    }

    /** Room after the data in this segment. */
    public static int tailroom(final long mbuf)
    {
        return bufferLength(mbuf) - dataOffset(mbuf) - dataLength(mbuf);
    }

    /** The pool the mbuf returns to, as a raw {@code struct rte_mempool *}. */
    public static long pool(final long mbuf)
    {
        return Memory.getLong(mbuf + POOL);
    }

    /** Frees a packet (every segment) back to its pool. */
    public static void free(final long mbuf)
    {
        flowgate_shim_h.fg_pktmbuf_free(mbuf);
    }

    /** Frees {@code count} packets whose pointers start at {@code mbufArray}; null entries are skipped. */
    public static void freeBulk(final long mbufArray, final int count)
    {
        dpdk_h.rte_pktmbuf_free_bulk(mbufArray, count);
    }

    /** Resets fields to a fresh packet's (length 0, default headroom). */
    public static void reset(final long mbuf)
    {
        flowgate_shim_h.fg_pktmbuf_reset(mbuf);
    }
}
