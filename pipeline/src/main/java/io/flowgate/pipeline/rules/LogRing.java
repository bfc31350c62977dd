package io.flowgate.pipeline.rules;

import java.lang.foreign.Arena;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

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
 * Thread-safety: {@link #offer} by the owning worker only, {@link #poll} by the logger only. The producer's and the
 * consumer's positions sit on cache lines of their own, and each side keeps a cached copy of the other's.
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
    static final int RECORD = L3 + L3_BYTES;

    private static final VarHandle POSITIONS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int TAIL = 8;    // producer's position, own cache line
    private static final int HEAD = 24;   // consumer's position, own cache line

    private final long base;
    private final int capacity;
    private final long[] positions = new long[40];
    /** Producer's cached view of the consumer's position. */
    private long headCache;
    private long dropped;

    LogRing(final int records)
    {
        capacity = Integer.highestOneBit(Math.max(2, records) * 2 - 1);
        base = Arena.ofAuto().allocate((long)capacity * RECORD, 64).address();
    }

    /** Worker: copies what the log line needs of the packet; false (counted) when the ring is full. */
    boolean offer(final long version, final int log, final int hook, final int iif, final int oif, final int family,
                  final long frame, final long l3, final int l3Length)
    {
        final long tail = positions[TAIL];
        if (tail - headCache >= capacity)
        {
            headCache = (long)POSITIONS.getAcquire(positions, HEAD);   // A3: pairs with R4 in poll
            if (tail - headCache >= capacity)
            {
                dropped++;
                return false;
            }
        }
        final long r = base + (tail & (capacity - 1)) * RECORD;
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
        POSITIONS.setRelease(positions, TAIL, tail + 1);   // R3: pairs with A4 in poll
        return true;
    }

    /** Logger: the address of the oldest record, 0 when none; {@link #release} it once read. */
    long poll()
    {
        final long head = positions[HEAD];
        final long tail = (long)POSITIONS.getAcquire(positions, TAIL);   // A4: pairs with R3 in offer
        return head == tail ? 0 : base + (head & (capacity - 1)) * RECORD;
    }

    void release()
    {
        POSITIONS.setRelease(positions, HEAD, positions[HEAD] + 1);   // R4: pairs with A3 in offer
    }

    /** Any thread (a little stale): records the ring had no room for. */
    long dropped()
    {
        return dropped;
    }
}
