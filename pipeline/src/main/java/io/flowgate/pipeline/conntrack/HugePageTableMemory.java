package io.flowgate.pipeline.conntrack;

import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.nativebindings.os.HugePageMemory;
import java.util.HashMap;
import java.util.Map;

/**
 * Conntrack table memory from {@link HugePageMemory}: 2 MiB aligned, advised onto transparent huge pages,
 * zeroed, touched (and so resident) only where the table writes.
 * <p>
 * Thread-safety: allocation and freeing from any one thread at a time (synchronized; never per packet).
 */
public final class HugePageTableMemory implements ConntrackTable.Memory
{
    private final Map<Long, HugePageMemory> blocks = new HashMap<>();

    @Override
    public synchronized long allocate(final long bytes)
    {
        final HugePageMemory block = HugePageMemory.allocate(bytes);
        blocks.put(block.address(), block);
        return block.address();
    }

    @Override
    public synchronized void free(final long address, final long bytes)
    {
        final HugePageMemory block = blocks.remove(address);
        if (block != null)
        {
            block.close();
        }
    }
}
