package io.flowgate.pipeline.conntrack.diff;

import java.util.List;
import java.util.Map;

/**
 * A connection tracker under differential test: Linux in a namespace ({@link LinuxConntrackSubject}) or
 * flowgate ({@link FlowgateSubjects#create()}). The harness ({@link ConntrackDiff}) calls, per corpus case:
 * {@link #reset()}, then {@link #send} for each packet in order, then {@link #entries()} and {@link #stats()}.
 * Addresses: client 10.77.1.2 behind side A, server 10.77.2.2 behind side B, router 10.77.1.1 / 10.77.2.1.
 */
public interface ConntrackSubject extends AutoCloseable
{
    /** Short name for reports ({@code linux}, {@code flowgate}). */
    String name();

    /** Removes every entry; statistics read afterwards are deltas from this point (or zeroed). */
    void reset() throws Exception;

    /**
     * Lets {@link CorpusPacket#pauseMillis()} pass (in real or simulated time), then passes the packet through
     * conntrack as a packet forwarded from its side to the other, and says how it was classified at FORWARD.
     */
    Outcome send(CorpusPacket packet) throws Exception;

    /** The table now, normalized; order does not matter. */
    List<CtRow> entries() throws Exception;

    /** {@code conntrack -S} counters (found, invalid, insert, insert_failed, drop, early_drop, error, ...) since {@link #reset()}, summed over CPUs or workers. */
    Map<String, Long> stats() throws Exception;

    @Override
    void close() throws Exception;
}
