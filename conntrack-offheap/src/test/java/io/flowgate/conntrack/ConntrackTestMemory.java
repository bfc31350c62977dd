package io.flowgate.conntrack;

import java.lang.foreign.Arena;
import java.util.HashMap;
import java.util.Map;

/** Table memory for tests: zeroed, 64-byte aligned blocks from a shared arena per block. */
final class ConntrackTestMemory implements ConntrackTable.Memory, AutoCloseable
{
    private final Map<Long, Arena> arenas = new HashMap<>();

    @Override
    public synchronized long allocate(final long bytes)
    {
        final Arena arena = Arena.ofShared();
        final long address = arena.allocate(bytes, 64).address();
        arenas.put(address, arena);
        return address;
    }

    @Override
    public synchronized void free(final long address, final long bytes)
    {
        final Arena arena = arenas.remove(address);
        if (arena != null)
        {
            arena.close();
        }
    }

    @Override
    public synchronized void close()
    {
        for (final Arena arena : arenas.values())
        {
            arena.close();
        }
        arenas.clear();
    }
}
