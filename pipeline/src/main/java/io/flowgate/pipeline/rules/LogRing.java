package io.flowgate.pipeline.rules;

import java.nio.ByteBuffer;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import io.flowgate.nativebindings.Memory;

/**
 * One worker's {@code log} statements: fixed-size records on a single-producer single-consumer ring (Agrona's
 * {@link OneToOneRingBuffer}) drained by the {@link RuleLogger} thread. A full ring drops the record and counts
 * it; the worker never waits.
 * <pre>
 *   0      4      8     12     16     20     24     28            28 + 14         RECORD
 *   +------+------+------+------+------+------+------+-------------+---------------+
 *   | log  | hook | iif  | oif  | fam  | mac? | len  | MAC header  | L3 bytes ...  |
 *   +------+------+------+------+------+------+------+-------------+---------------+
 * </pre>
 * {@code log}: index of the statement's prefix in the ruleset that wrote it ({@code version} precedes the record
 * as a long at offset -8, i.e. the record starts with it); {@code len}: L3 bytes copied (at most {@link #L3_BYTES}).
 * <p>
 * Thread-safety: {@link #offer} by the owning worker only, {@link #drain} by the logger only.
 */
final class LogRing
{
    static final int VERSION = 0;
    static final int LOG = 8;
    static final int HOOK = 12;
    static final int IIF = 16;
    static final int OIF = 20;
    static final int FAMILY = 24;
    static final int HAS_MAC = 28;
    static final int LENGTH = 32;
    static final int MAC = 36;
    static final int L3 = MAC + 14;
    /** The IP header with options and the transport header's first bytes: what nf_log prints. */
    static final int L3_BYTES = 96;
    static final int RECORD = L3 + L3_BYTES;

    final OneToOneRingBuffer ring;
    private final UnsafeBuffer scratch = new UnsafeBuffer(ByteBuffer.allocateDirect(RECORD));
    private long dropped;

    LogRing(final int records)
    {
        final int bytes = Integer.highestOneBit(Math.max(1, records) * (RECORD + 8) * 2 - 1);
        ring = new OneToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(bytes + RingBufferDescriptor.TRAILER_LENGTH)));
    }

    /** Worker: copies what the log line needs of the packet; false (counted) when the ring is full. */
    boolean offer(final long version, final int log, final int hook, final int iif, final int oif, final int family,
                  final long frame, final long l3, final int l3Length)
    {
        final UnsafeBuffer b = scratch;
        b.putLong(VERSION, version);
        b.putInt(LOG, log);
        b.putInt(HOOK, hook);
        b.putInt(IIF, iif);
        b.putInt(OIF, oif);
        b.putInt(FAMILY, family);
        final boolean mac = frame != 0 && l3 - frame >= 14;
        b.putInt(HAS_MAC, mac ? 1 : 0);
        final int length = Math.max(0, Math.min(L3_BYTES, l3Length));
        b.putInt(LENGTH, length);
        final long base = b.addressOffset();
        if (mac)
        {
            Memory.copy(l3 - 14, base + MAC, 14);   // NOTE: the untagged header right before L3 (a VLAN tag is not printed)
        }
        Memory.copy(l3, base + L3, length);
        if (!ring.write(1, b, 0, RECORD))
        {
            dropped++;
            return false;
        }
        return true;
    }

    /** Any thread (a little stale): records the ring had no room for. */
    long dropped()
    {
        return dropped;
    }
}
