package io.flowgate.conntrack;

import java.lang.foreign.Arena;

/** Test memory: zeroed, 64-byte aligned blocks from one shared arena; frees are counted, memory goes with {@link #close}. */
final class TestMemory implements ConntrackTable.Memory, AutoCloseable
{
    private final Arena arena = Arena.ofShared();
    long allocated;
    long freed;

    @Override
    public long allocate(final long bytes)
    {
        allocated += bytes;
        return arena.allocate(bytes, 64).address();
    }

    @Override
    public void free(final long address, final long bytes)
    {
        freed += bytes;
    }

    @Override
    public void close()
    {
        arena.close();
    }
}
