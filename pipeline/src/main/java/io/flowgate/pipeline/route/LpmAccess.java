package io.flowgate.pipeline.route;

import io.flowgate.nativebindings.Memory;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Loads and stores of 4-byte LPM table entries at raw native addresses, named for their ordering as in JCTools:
 * {@code lv} load-acquire, {@code lp} plain load, {@code so} store-release, {@code sp} plain store.
 * <p>
 * The handle is an aligned {@code JAVA_INT} one over {@link Memory#ALL}: no segment per access, and the
 * alignment check folds because every entry address is a multiple of 4. On x86 an acquire load and a release
 * store compile to plain moves; they only stop the compiler from reordering around them.
 */
final class LpmAccess
{
    private static final VarHandle ENTRY = ValueLayout.JAVA_INT.varHandle();

    private LpmAccess()
    {
    }

    static int lvEntry(final long address)
    {
        return (int)ENTRY.getAcquire(Memory.ALL, address);
    }

    static int lpEntry(final long address)
    {
        return (int)ENTRY.get(Memory.ALL, address);
    }

    static void soEntry(final long address, final int entry)
    {
        ENTRY.setRelease(Memory.ALL, address, entry);
    }

    static void spEntry(final long address, final int entry)
    {
        ENTRY.set(Memory.ALL, address, entry);
    }
}
