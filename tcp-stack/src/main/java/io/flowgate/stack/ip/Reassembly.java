package io.flowgate.stack.ip;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.checksum.Checksum;
import java.lang.foreign.Arena;

/**
 * Reassembly of IPv4 and IPv6 fragments addressed to the box (RFC 791, RFC 8200), as Linux's
 * {@code ip_defrag}/{@code ipv6_frag_rcv}: a datagram is keyed by family, addresses, identification and (IPv4)
 * protocol; overlapping fragments drop the whole datagram (RFC 5722; Linux does so for IPv4 too), an exact
 * duplicate only itself; fragments are refused while the bytes held would pass the memory limit
 * ({@code ipfrag_high_thresh}); a datagram is dropped when its time runs out ({@code ipfrag_time}), counted
 * from its first fragment.
 * <p>
 * Preallocated: a fixed number of off-heap slots of 64 KiB each (a datagram's largest payload) plus room for
 * its IP header in front, and per-slot arrays of received ranges. Nothing is allocated per fragment. A
 * completed datagram is contiguous: its IP header (rewritten: IPv4 unfragmented, IPv6 without the Fragment
 * header) right before its payload, at {@link #packet}. Stack thread only.
 */
public final class Reassembly implements AutoCloseable
{
    /** {@link #add}: the fragment is held, the datagram not yet complete. */
    public static final int HELD = -1;
    /** {@link #add}: the fragment was dropped (memory limit, no free slot, duplicate, malformed); ReasmFails. */
    public static final int DROPPED = -2;
    /** {@link #add}: the fragment made the datagram invalid (overlap, inconsistent length): all of it dropped. */
    public static final int FAILED = -3;

    /** Fragments a datagram may have (Linux has no such limit, but 64 KiB in 8-byte pieces is absurd). */
    public static final int MAX_FRAGMENTS = 64;
    private static final int HEADROOM = 64;
    private static final int PAYLOAD_MAX = 65536;
    private static final int SLOT_BYTES = HEADROOM + PAYLOAD_MAX;

    private final Arena arena;
    private final long base;
    private final int slots;
    private final long memoryLimit;
    private final long timeoutNs;
    private long held;
    private int pending;
    private boolean closed;

    private final boolean[] used;
    private final boolean[] v6;
    private final long[] srcHi;
    private final long[] srcLo;
    private final long[] dstHi;
    private final long[] dstLo;
    private final int[] id;
    private final int[] protocol;
    private final long[] deadline;
    private final int[] total;
    private final int[] received;
    private final int[] headerLength;
    private final boolean[] haveFirst;
    private final int[] port;
    private final int[] fragments;
    private final int[] rangeStart;
    private final int[] rangeEnd;

    public Reassembly(final long memoryLimit, final long timeoutNs, final int slots)
    {
        this.slots = slots;
        this.memoryLimit = memoryLimit;
        this.timeoutNs = timeoutNs;
        this.arena = Arena.ofShared();
        this.base = arena.allocate((long)SLOT_BYTES * slots, 64).address();
        used = new boolean[slots];
        v6 = new boolean[slots];
        srcHi = new long[slots];
        srcLo = new long[slots];
        dstHi = new long[slots];
        dstLo = new long[slots];
        id = new int[slots];
        protocol = new int[slots];
        deadline = new long[slots];
        total = new int[slots];
        received = new int[slots];
        headerLength = new int[slots];
        haveFirst = new boolean[slots];
        port = new int[slots];
        fragments = new int[slots];
        rangeStart = new int[slots * MAX_FRAGMENTS];
        rangeEnd = new int[slots * MAX_FRAGMENTS];
    }

    /** Slots for a memory limit: one per 64 KiB of it, at least 4, at most 256. */
    public static int slotsFor(final long memoryLimit)
    {
        return (int)Math.max(4, Math.min(256, memoryLimit / PAYLOAD_MAX));
    }

    /** Bytes of fragment payload held now. */
    public long held()
    {
        return held;
    }

    /** Datagrams being reassembled now. */
    public int pending()
    {
        return pending;
    }

    /**
     * Adds one fragment. {@code header} is the fragment's IP header ({@code ipHeaderLength} bytes: IPv4 with
     * options, or the 40-byte IPv6 header), kept from the first fragment; {@code proto} the IPv4 protocol or
     * the Fragment header's next header; {@code offset} in bytes. Returns the slot of the completed datagram
     * (then {@link #packet}, and {@link #release} when done with it), or {@link #HELD}, {@link #DROPPED},
     * {@link #FAILED}.
     */
    public int add(final boolean isV6, final long sHi, final long sLo, final long dHi, final long dLo, final int ident,
                   final int proto, final long header, final int ipHeaderLength, final int offset, final long payload,
                   final int length, final boolean more, final int inPort, final long nowNs)
    {
        if (closed)
        {
            return DROPPED;
        }
        final int end = offset + length;
        final int limit = isV6 ? PAYLOAD_MAX - 1 : PAYLOAD_MAX - 1 - ipHeaderLength;
        if (end > limit || (more && (length & 7) != 0) || length <= 0 && more)
        {
            return DROPPED;
        }
        int slot = find(isV6, sHi, sLo, dHi, dLo, ident, proto);
        if (slot < 0)
        {
            if (held + length > memoryLimit)
            {
                return DROPPED;
            }
            slot = free();
            if (slot < 0)
            {
                return DROPPED;
            }
            used[slot] = true;
            pending++;
            v6[slot] = isV6;
            srcHi[slot] = sHi;
            srcLo[slot] = sLo;
            dstHi[slot] = dHi;
            dstLo[slot] = dLo;
            id[slot] = ident;
            protocol[slot] = proto;
            deadline[slot] = nowNs + timeoutNs;
            total[slot] = -1;
            received[slot] = 0;
            haveFirst[slot] = false;
            fragments[slot] = 0;
            port[slot] = inPort;
        }
        else if (held + length > memoryLimit)
        {
            return DROPPED;
        }
        // Consistency of the end (ip_frag_queue): a last fragment fixes it; nothing may pass it.
        if (!more)
        {
            if (end < maxEnd(slot) || total[slot] >= 0 && total[slot] != end)
            {
                release(slot);
                return FAILED;
            }
        }
        else if (total[slot] >= 0 && end > total[slot])
        {
            release(slot);
            return FAILED;
        }
        final int first = slot * MAX_FRAGMENTS;
        final int n = fragments[slot];
        for (int i = first; i < first + n; i++)
        {
            if (offset < rangeEnd[i] && rangeStart[i] < end)
            {
                if (offset == rangeStart[i] && end == rangeEnd[i])
                {
                    return DROPPED; // an exact duplicate (a retransmitted fragment): only itself
                }
                release(slot);
                return FAILED; // RFC 5722
            }
        }
        if (n == MAX_FRAGMENTS)
        {
            release(slot);
            return FAILED;
        }
        rangeStart[first + n] = offset;
        rangeEnd[first + n] = end;
        fragments[slot] = n + 1;
        if (!more)
        {
            total[slot] = end;
        }
        final long data = base + (long)slot * SLOT_BYTES + HEADROOM;
        Memory.copy(payload, data + offset, length);
        received[slot] += length;
        held += length;
        if (offset == 0)
        {
            haveFirst[slot] = true;
            headerLength[slot] = ipHeaderLength;
            Memory.copy(header, data - ipHeaderLength, ipHeaderLength);
        }
        if (total[slot] < 0 || received[slot] != total[slot])
        {
            return HELD;
        }
        final long ip = data - headerLength[slot];
        if (isV6)
        {
            Memory.putShortBE(ip + 4, total[slot]);
            Memory.putByte(ip + 6, (byte)proto);
        }
        else
        {
            final int hl = headerLength[slot];
            Memory.putShortBE(ip + 2, hl + total[slot]);
            Memory.putShortBE(ip + 6, Memory.getShortBE(ip + 6) & 0x4000);
            Memory.putShortBE(ip + 10, 0);
            Memory.putShortBE(ip + 10, Checksum.checksum(ip, hl));
        }
        return slot;
    }

    /** The IP header of a completed datagram (or of the first fragment of an expired one). */
    public long packet(final int slot)
    {
        return base + (long)slot * SLOT_BYTES + HEADROOM - headerLength[slot];
    }

    public int headerLength(final int slot)
    {
        return headerLength[slot];
    }

    /** The IP packet's length of a completed datagram: header plus payload. */
    public int packetLength(final int slot)
    {
        return headerLength[slot] + total[slot];
    }

    public int payloadLength(final int slot)
    {
        return total[slot];
    }

    public int protocol(final int slot)
    {
        return protocol[slot];
    }

    public int port(final int slot)
    {
        return port[slot];
    }

    /** True when the fragment at offset 0 arrived (its header is at {@link #packet}, 8 payload bytes after it). */
    public boolean haveFirst(final int slot)
    {
        return haveFirst[slot];
    }

    /** Bytes of payload starting at offset 0 that arrived (for quoting the first fragment). */
    public int firstFragmentLength(final int slot)
    {
        final int first = slot * MAX_FRAGMENTS;
        for (int i = first; i < first + fragments[slot]; i++)
        {
            if (rangeStart[i] == 0)
            {
                return rangeEnd[i];
            }
        }
        return 0;
    }

    /** The datagram's identification (IPv4: 16 bits; IPv6: the Fragment header's 32). */
    public int ident(final int slot)
    {
        return id[slot];
    }

    public boolean isV6(final int slot)
    {
        return v6[slot];
    }

    /** A slot whose time ran out at {@code nowNs}, or -1; the caller sends its ICMP error and {@link #release}s it. */
    public int nextExpired(final long nowNs)
    {
        if (pending == 0)
        {
            return -1;
        }
        for (int i = 0; i < slots; i++)
        {
            if (used[i] && deadline[i] - nowNs <= 0)
            {
                return i;
            }
        }
        return -1;
    }

    public void release(final int slot)
    {
        if (used[slot])
        {
            used[slot] = false;
            pending--;
            held -= received[slot];
            received[slot] = 0;
        }
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            for (int i = 0; i < slots; i++)
            {
                release(i);
            }
            arena.close();
        }
    }

    private int find(final boolean isV6, final long sHi, final long sLo, final long dHi, final long dLo, final int ident,
                     final int proto)
    {
        for (int i = 0; i < slots; i++)
        {
            if (used[i] && v6[i] == isV6 && id[i] == ident && srcLo[i] == sLo && dstLo[i] == dLo && srcHi[i] == sHi
                && dstHi[i] == dHi && (isV6 || protocol[i] == proto))
            {
                return i;
            }
        }
        return -1;
    }

    private int free()
    {
        for (int i = 0; i < slots; i++)
        {
            if (!used[i])
            {
                return i;
            }
        }
        return -1;
    }

    private int maxEnd(final int slot)
    {
        int max = 0;
        final int first = slot * MAX_FRAGMENTS;
        for (int i = first; i < first + fragments[slot]; i++)
        {
            max = Math.max(max, rangeEnd[i]);
        }
        return max;
    }
}
