package io.flowgate.conntrack;

import java.util.concurrent.locks.LockSupport;

/**
 * Control-plane changes to one worker's table (delete, flush, set mark) as messages the owner executes in
 * its poll, so the table keeps a single writer. One request at a time: control threads take turns on this
 * object's monitor (never a worker); the worker serves a request in bounded chunks per poll and answers
 * through a sequence number.
 * <p>
 * Ordering: the control thread writes the request fields, then {@code requestSeq} with release (W1); the
 * worker reads {@code requestSeq} with acquire (R1, pairs with W1) before the fields, writes the result,
 * then {@code responseSeq} with release (W2); the control thread reads {@code responseSeq} with acquire
 * (R2, pairs with W2) before the result.
 */
public final class CtMailbox
{
    public static final int DELETE = 1;
    public static final int MARK = 2;
    public static final int FLUSH = 3;

    /** Entries a worker handles per poll: bounds the pause a large flush adds to one poll. */
    private static final int CHUNK = 4096;

    private static final java.lang.invoke.VarHandle REQUEST_SEQ;
    private static final java.lang.invoke.VarHandle RESPONSE_SEQ;

    static
    {
        try
        {
            final java.lang.invoke.MethodHandles.Lookup lookup = java.lang.invoke.MethodHandles.lookup();
            REQUEST_SEQ = lookup.findVarHandle(CtMailbox.class, "requestSeq", long.class);
            RESPONSE_SEQ = lookup.findVarHandle(CtMailbox.class, "responseSeq", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private long requestSeq;
    private long responseSeq;
    // The request, published by requestSeq (W1/R1).
    private int op;
    private CtEntry[] entries;
    private int mark;
    // The worker's progress and the result, published by responseSeq (W2/R2).
    private int cursor;
    private int result;

    /**
     * Runs one request on the owning worker and waits for its result: the number of entries deleted or
     * marked. Returns -1 when the worker did not answer within {@code timeoutNs} (it is stopped or stuck).
     */
    public synchronized int call(final int op, final CtEntry[] entries, final int mark, final long timeoutNs)
    {
        this.op = op;
        this.entries = entries;
        this.mark = mark;
        this.cursor = 0;
        this.result = 0;
        final long seq = (long)REQUEST_SEQ.get(this) + 1;
        REQUEST_SEQ.setRelease(this, seq); // W1
        final long deadline = System.nanoTime() + timeoutNs;
        while ((long)RESPONSE_SEQ.getAcquire(this) != seq) // R2
        {
            if (System.nanoTime() - deadline > 0)
            {
                return -1;
            }
            LockSupport.parkNanos(20_000);
        }
        this.entries = null;
        return result;
    }

    /** The worker's side, once per poll: serves a chunk of the waiting request, if any. Returns work done. */
    public int serve(final Conntrack conntrack, final int nowMs)
    {
        final long seq = (long)REQUEST_SEQ.getAcquire(this); // R1
        if (seq == (long)RESPONSE_SEQ.get(this))
        {
            return 0;
        }
        final ConntrackTable table = conntrack.table();
        int work = 0;
        boolean done;
        if (op == FLUSH)
        {
            final int end = Math.min(table.capacity(), cursor + CHUNK);
            for (int idx = cursor; idx < end; idx++)
            {
                if (isLive(table.record(idx)))
                {
                    conntrack.kill(idx);
                    result++;
                }
            }
            work = end - cursor;
            cursor = end;
            done = end >= table.capacity();
        }
        else
        {
            final CtEntry[] list = entries;
            final int end = Math.min(list.length, cursor + CHUNK);
            for (int k = cursor; k < end; k++)
            {
                final CtEntry e = list[k];
                if (e.index < 0 || e.index >= table.capacity())
                {
                    continue;
                }
                final long record = table.record(e.index);
                if (!isLive(record) || table.generation(e.index) != e.generation)
                {
                    continue; // gone or reused since the control plane listed it
                }
                if (op == DELETE)
                {
                    conntrack.kill(e.index);
                }
                else
                {
                    CtRecord.beginWrite(record);
                    CtRecord.mark(record, mark);
                    CtRecord.endWrite(record);
                }
                result++;
            }
            work = end - cursor;
            cursor = end;
            done = end >= list.length;
        }
        if (done)
        {
            RESPONSE_SEQ.setRelease(this, seq); // W2
        }
        return work;
    }

    private static boolean isLive(final long record)
    {
        return (CtRecord.status(record) & (CtStatus.CONFIRMED | CtStatus.DYING)) == CtStatus.CONFIRMED;
    }
}
