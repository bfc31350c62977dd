package io.flowgate.nativebindings.os;

import io.flowgate.nativebindings.gen.libc_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * CPU affinity of the calling thread through {@code sched_setaffinity(0, ...)}. DPDK's EAL pins the thread
 * that initialises it and every thread that thread creates; workers pin themselves explicitly here.
 * <p>
 * Thread-safety: affects the calling thread only.
 */
public final class Affinity
{
    /** {@code cpu_set_t} is 1024 bits in glibc. */
    private static final int CPU_SET_BYTES = 128;

    private Affinity()
    {
    }

    /** Pins the calling thread to {@code cpu}. Throws with the errno text when the kernel refuses. */
    public static void pinCurrentThread(final int cpu)
    {
        if (cpu < 0 || cpu >= CPU_SET_BYTES * 8)
        {
            throw new IllegalArgumentException("cpu " + cpu + " out of range");
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment mask = arena.allocate(CPU_SET_BYTES, 8);
            mask.set(ValueLayout.JAVA_BYTE, cpu / 8, (byte)(1 << (cpu % 8)));
            final MemorySegment state = arena.allocate(libc_h.CALL_STATE);
            if (libc_h.sched_setaffinity(state, 0, CPU_SET_BYTES, mask) != 0)
            {
                final int errno = state.get(ValueLayout.JAVA_INT, libc_h.ERRNO$OFFSET);
                throw new IllegalStateException("sched_setaffinity(cpu " + cpu + ") failed: "
                    + libc_h.strerror(errno).reinterpret(256).getString(0) + " (does the machine have that core?)");
            }
        }
    }

    /** The CPUs the calling thread may run on, in ascending order. */
    public static int[] currentThreadCpus()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment mask = arena.allocate(CPU_SET_BYTES, 8);
            final MemorySegment state = arena.allocate(libc_h.CALL_STATE);
            if (libc_h.sched_getaffinity(state, 0, CPU_SET_BYTES, mask) != 0)
            {
                throw new IllegalStateException("sched_getaffinity failed, errno " + state.get(ValueLayout.JAVA_INT, libc_h.ERRNO$OFFSET));
            }
            int count = 0;
            for (int cpu = 0; cpu < CPU_SET_BYTES * 8; cpu++)
            {
                if ((mask.get(ValueLayout.JAVA_BYTE, cpu / 8) & (1 << (cpu % 8))) != 0)
                {
                    count++;
                }
            }
            final int[] cpus = new int[count];
            int i = 0;
            for (int cpu = 0; cpu < CPU_SET_BYTES * 8; cpu++)
            {
                if ((mask.get(ValueLayout.JAVA_BYTE, cpu / 8) & (1 << (cpu % 8))) != 0)
                {
                    cpus[i++] = cpu;
                }
            }
            return cpus;
        }
    }

    /** The kernel's id of the calling thread. */
    public static int currentThreadId()
    {
        return libc_h.gettid();
    }
}
