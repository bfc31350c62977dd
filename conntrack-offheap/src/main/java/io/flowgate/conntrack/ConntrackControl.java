package io.flowgate.conntrack;

import java.util.List;
import java.util.function.Consumer;

/**
 * What the control plane (the management socket, {@code flowgate ct ...}) can ask of the running
 * connection tracker, across every worker's table. Reads are lock-free snapshots (epoch readers); changes
 * (delete, flush, mark) travel as messages to the owning worker and this call waits for its answer.
 * <p>
 * Thread-safety: any control thread; never called by a worker.
 */
public interface ConntrackControl
{
    /** Calls {@code visitor} once per confirmed, live entry of every worker; the entry object may be reused between calls. */
    void forEach(Consumer<CtEntry> visitor);

    /** The entry with tuple {@code key} in either direction, or null. */
    CtEntry get(CtKey key);

    /** Deletes the entries (by worker, index and generation); returns how many were still there and are now gone. */
    int delete(List<CtEntry> entries);

    /** Deletes every entry; returns how many. */
    int flush();

    /** Sets the mark of the entries (by worker, index and generation); returns how many were updated. */
    int mark(List<CtEntry> entries, int mark);

    /** Confirmed entries over all workers. */
    long count();

    /** Table capacity over all workers (Linux's nf_conntrack_max). */
    long capacity();

    /** One statistics copy per worker, in worker order (conntrack -S prints one line per cpu). */
    List<CtStats> stats();

    /**
     * Subscribes to events ({@link CtEvent#NEW}, {@link CtEvent#UPDATE}, {@link CtEvent#DESTROY} bits in
     * {@code mask}); {@code listener} is called on a control thread, never on a worker. Close the result to stop.
     */
    AutoCloseable events(int mask, Consumer<CtEvent> listener);
}
