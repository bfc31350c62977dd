package io.flowgate.xdp.bpf;

/**
 * The BPF hash map of offloaded flows (contract skeleton; see docs/xdp-fastpath.md). Control plane only:
 * every call is a bpf(2) system call. Thread-safety: one control thread.
 */
public final class FlowTable
{
    /** Visits one entry read by {@link #forEach}. */
    @FunctionalInterface
    public interface Visitor
    {
        void entry(FlowRecord flow);
    }

    /** The map's bound (max_entries). */
    public int capacity()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Inserts a new entry (BPF_NOEXIST) with zero counters; false when the map is full or the key exists. */
    public boolean insert(final FlowRecord flow)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Reads the entry of {@code flow}'s key into {@code flow}'s action and counters; false when absent. */
    public boolean lookup(final FlowRecord flow)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Deletes the entry of {@code flow}'s key, first reading its final counters into {@code flow}; false when absent. */
    public boolean remove(final FlowRecord flow)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Reads every entry (batched lookups) into one reused holder; returns how many were visited. */
    public int forEach(final Visitor visitor)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Deletes every entry. */
    public void clear()
    {
        throw new UnsupportedOperationException("contract");
    }
}
