package io.flowgate.pmd.port;

import io.flowgate.nativebindings.dpdk.EthDev;

/**
 * A network port that receives and transmits bursts of mbufs.
 * <p>
 * Usage: a worker calls {@link #receive} on its queue into a pointer array it owns, processes the burst
 * in place, calls {@link #transmit} and frees whatever the port did not accept. Every mbuf received is
 * transmitted or freed exactly once.
 * <p>
 * Thread-safety: one thread per receive queue and one per transmit queue at a time; control methods
 * ({@link #stats}, {@link #link}) may run on another thread. {@link #close()} after the data path has
 * stopped.
 * <p>
 * Shutdown: {@link #close()} stops the port, drains and frees what its receive queues still hold, and
 * releases the device.
 */
public interface Port extends AutoCloseable
{
    int id();

    String name();

    int rxQueues();

    int txQueues();

    /**
     * Receives up to {@code max} packets from {@code queue} into the pointer array at {@code mbufArray}.
     * Returns how many arrived (0 when none).
     */
    int receive(int queue, long mbufArray, int max);

    /**
     * Offers {@code count} packets at {@code mbufArray} to {@code queue}; returns how many the port took.
     * The caller still owns (and must free or retry) the rest.
     */
    int transmit(int queue, long mbufArray, int count);

    /** MAC address in the low 48 bits. */
    long macAddress();

    EthDev.Link link();

    EthDev.Stats stats();

    @Override
    void close();
}
