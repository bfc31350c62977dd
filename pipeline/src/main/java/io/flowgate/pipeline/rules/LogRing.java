package io.flowgate.pipeline.rules;

import java.lang.foreign.Arena;

import io.flowgate.conntrack.SpscSlotRing;
import io.flowgate.nativebindings.Memory;

/**
 * One worker's {@code log} statements: fixed-size records on a single-producer single-consumer ring in native
 * memory, drained by the {@link RuleLogger} thread. A full ring drops the record and counts it; the worker never
 * waits.
 * <pre>
 *   0          8      12     16     20     24     28     32     36            50             RECORD
 *   +----------+------+------+------+------+------+------+------+-------------+--------------+
 *   | version  | log  | hook | iif  | oif  | fam  | mac? | len  | MAC header  | L3 bytes ... |
 *   +----------+------+------+------+------+------+------+------+-------------+--------------+
 * </pre>
 * {@code version}: the ruleset whose statement {@code log} wrote the record (its prefix); {@code len}: L3 bytes
 * copied (at most {@link #L3_BYTES}).
 * <p>
 * Thread-safety: {@link #offer} by the owning worker only, {@link #poll} by the logger only (a {@link SpscSlotRing};
 * its memory lives until the ring is unreachable: a worker may log until it stops).
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
    static final int L3_BYTES = 94;
    static final int RECORD = L3 + L3_BYTES;   // 144: a multiple of 8, every record's version stays aligned

    private final SpscSlotRing ring;
    private long dropped;

    LogRing(final int records)
    {
        ring = new SpscSlotRing(Arena.ofAuto(), Integer.highestOneBit(Math.max(2, records) * 2 - 1), RECORD);
    }

    /** Worker: copies what the log line needs of the packet; false (counted) when the ring is full. */
    boolean offer(final long version, final int log, final int hook, final int iif, final int oif, final int family,
                  final long frame, final long l3, final int l3Length)
    {
        final long r = ring.claim();
        if (r == 0)
        {
            dropped++;
            return false;
        }
        Memory.putLong(r + VERSION, version);
        Memory.putInt(r + LOG, log);
        Memory.putInt(r + HOOK, hook);
        Memory.putInt(r + IIF, iif);
        Memory.putInt(r + OIF, oif);
        Memory.putInt(r + FAMILY, family);
        final boolean mac = frame != 0 && l3 - frame >= 14;
        Memory.putInt(r + HAS_MAC, mac ? 1 : 0);
        final int length = Math.max(0, Math.min(L3_BYTES, l3Length));
        Memory.putInt(r + LENGTH, length);
        if (mac)
        {
            Memory.copy(l3 - 14, r + MAC, 14);   // NOTE: the 14 bytes before L3 (with a VLAN tag, its last ones)
        }
        Memory.copy(l3, r + L3, length);
        ring.commit();
        return true;
    }

    /** Logger: the address of the oldest record, 0 when none; {@link #release} it once read. */
    long poll()
    {
        return ring.peek();
    }

    void release()
    {
        ring.release();
    }

    /** Any thread (a little stale): records the ring had no room for. */
    long dropped()
    {
        return dropped;
    }
}
