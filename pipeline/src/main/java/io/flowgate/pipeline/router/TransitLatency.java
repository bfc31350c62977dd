package io.flowgate.pipeline.router;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * A worker's transit time: for every packet it transmits, the nanoseconds from the receive burst that brought
 * the packet to the transmit burst that sent it. All packets of one receive burst share its timestamp (one
 * clock read per burst, not per packet), and a packet counts once it is handed to the transmit queue. Packets
 * that went through the slow path are not counted: their time is the slow path's, not the data path's.
 * <p>
 * Thread-safety: the worker records ({@link #received}, {@link #staged}, {@link #transmitted}); any one other
 * thread takes interval histograms ({@link #interval}) through HdrHistogram's {@link SingleWriterRecorder},
 * wait-free for the worker.
 * <p>
 * Hot path: no allocation; two clock reads per receive burst and per transmit.
 */
public final class TransitLatency
{
    /** Highest value tracked, 10 s; 3 significant digits (0.1% resolution). */
    private static final long HIGHEST_NS = 10_000_000_000L;

    private final SingleWriterRecorder recorder = new SingleWriterRecorder(1, HIGHEST_NS, 3);
    private final long[] receivedNs;
    private final int[] packets;
    private int bursts;
    private Histogram recycled;

    /** @param maxBursts receive bursts a worker can take before it transmits (its number of receive queues). */
    public TransitLatency(final int maxBursts)
    {
        this.receivedNs = new long[maxBursts];
        this.packets = new int[maxBursts];
    }

    /** Worker: a receive burst arrived now; returns its timestamp. */
    long received()
    {
        return System.nanoTime();
    }

    /** Worker: {@code count} packets of the burst received at {@code receivedNs} wait in transmit stages. */
    void staged(final long receivedNs, final int count)
    {
        if (count > 0 && bursts < packets.length)
        {
            this.receivedNs[bursts] = receivedNs;
            packets[bursts] = count;
            bursts++;
        }
    }

    /** Worker: the transmit stages were sent. */
    void transmitted()
    {
        final int n = bursts;
        if (n == 0)
        {
            return;
        }
        final long nowNs = System.nanoTime();
        for (int i = 0; i < n; i++)
        {
            recorder.recordValueWithCount(Math.max(1, Math.min(HIGHEST_NS, nowNs - receivedNs[i])), packets[i]);
        }
        bursts = 0;
    }

    /**
     * Control thread: what was recorded since the previous call (the first call: since the start). The
     * returned histogram is reused by the next call: copy it to keep it.
     */
    public Histogram interval()
    {
        final Histogram h = recorder.getIntervalHistogram(recycled);
        recycled = h;
        return h;
    }
}
