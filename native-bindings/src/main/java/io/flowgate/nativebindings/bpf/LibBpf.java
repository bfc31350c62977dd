package io.flowgate.nativebindings.bpf;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.flowgate.nativebindings.NativeLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * FFM bindings to libbpf 1.x ({@code libbpf.so.1}, Debian's {@code libbpf1}): objects opened from memory,
 * programs and maps by name, XDP attach/detach/query, map operations and {@code BPF_PROG_TEST_RUN}.
 * Control plane only. libbpf 1.x returns {@code -errno} from int functions; functions returning a pointer
 * return NULL and set errno, which {@link #openMem} captures. libbpf's own printing is silenced unless the
 * system property {@code flowgate.bpf.verbose} is true (then libbpf prints to stderr as it does by default).
 * <p>
 * The option structs are laid out here ({@link #TEST_RUN_OPTS}, {@link #XDP_ATTACH_OPTS},
 * {@link #BATCH_OPTS}); LibBpfLayoutProbeTest compares them with the installed headers.
 * Thread-safety: the handles are immutable; the calls are libbpf's (one control thread per object).
 */
public final class LibBpf
{
    public static final int XDP_FLAGS_UPDATE_IF_NOEXIST = 1;
    public static final int XDP_FLAGS_SKB_MODE = 2;
    public static final int XDP_FLAGS_DRV_MODE = 4;
    public static final int XDP_FLAGS_REPLACE = 16;

    public static final long BPF_ANY = 0;
    public static final long BPF_NOEXIST = 1;
    public static final long BPF_EXIST = 2;

    public static final int XDP_ABORTED = 0;
    public static final int XDP_DROP = 1;
    public static final int XDP_PASS = 2;
    public static final int XDP_TX = 3;
    public static final int XDP_REDIRECT = 4;

    public static final int ENOENT = 2;
    public static final int E2BIG = 7;
    public static final int ENOMEM = 12;
    public static final int EBUSY = 16;
    public static final int ENODEV = 19;
    public static final int EEXIST = 17;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int EOPNOTSUPP = 95;

    /** {@code struct bpf_test_run_opts} (libbpf 1.1). */
    public static final StructLayout TEST_RUN_OPTS = MemoryLayout.structLayout(
        JAVA_LONG.withName("sz"), ADDRESS.withName("data_in"), ADDRESS.withName("data_out"),
        JAVA_INT.withName("data_size_in"), JAVA_INT.withName("data_size_out"), ADDRESS.withName("ctx_in"), ADDRESS.withName("ctx_out"),
        JAVA_INT.withName("ctx_size_in"), JAVA_INT.withName("ctx_size_out"), JAVA_INT.withName("retval"), JAVA_INT.withName("repeat"),
        JAVA_INT.withName("duration"), JAVA_INT.withName("flags"), JAVA_INT.withName("cpu"), JAVA_INT.withName("batch_size"))
        .withName("bpf_test_run_opts");
    /** {@code struct bpf_xdp_attach_opts}. */
    public static final StructLayout XDP_ATTACH_OPTS = MemoryLayout.structLayout(
        JAVA_LONG.withName("sz"), JAVA_INT.withName("old_prog_fd"), MemoryLayout.paddingLayout(4)).withName("bpf_xdp_attach_opts");
    /** {@code struct bpf_map_batch_opts}. */
    public static final StructLayout BATCH_OPTS = MemoryLayout.structLayout(
        JAVA_LONG.withName("sz"), JAVA_LONG.withName("elem_flags"), JAVA_LONG.withName("flags")).withName("bpf_map_batch_opts");

    private static final SymbolLookup LIB = NativeLibrary.system("libbpf.so.1", "libbpf1");
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN_MEM = NativeLibrary.downcall(LIB, "bpf_object__open_mem",
        FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), CAPTURE_ERRNO);
    private static final MethodHandle OBJECT_LOAD = NativeLibrary.downcall(LIB, "bpf_object__load", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle OBJECT_CLOSE = NativeLibrary.downcall(LIB, "bpf_object__close", FunctionDescriptor.ofVoid(ADDRESS));
    private static final MethodHandle FIND_PROGRAM = NativeLibrary.downcall(LIB, "bpf_object__find_program_by_name",
        FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle PROGRAM_FD = NativeLibrary.downcall(LIB, "bpf_program__fd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle FIND_MAP = NativeLibrary.downcall(LIB, "bpf_object__find_map_by_name",
        FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle MAP_FD = NativeLibrary.downcall(LIB, "bpf_map__fd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle MAP_SET_MAX_ENTRIES = NativeLibrary.downcall(LIB, "bpf_map__set_max_entries",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle MAP_MAX_ENTRIES = NativeLibrary.downcall(LIB, "bpf_map__max_entries",
        FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle XDP_ATTACH = NativeLibrary.downcall(LIB, "bpf_xdp_attach",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle XDP_DETACH = NativeLibrary.downcall(LIB, "bpf_xdp_detach",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle XDP_QUERY_ID = NativeLibrary.downcall(LIB, "bpf_xdp_query_id",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle PROG_ID = NativeLibrary.downcall(LIB, "bpf_obj_get_info_by_fd",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle MAP_UPDATE = NativeLibrary.downcall(LIB, "bpf_map_update_elem",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle MAP_LOOKUP = NativeLibrary.downcall(LIB, "bpf_map_lookup_elem",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle MAP_LOOKUP_AND_DELETE = NativeLibrary.downcall(LIB, "bpf_map_lookup_and_delete_elem",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle MAP_DELETE = NativeLibrary.downcall(LIB, "bpf_map_delete_elem",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle MAP_GET_NEXT_KEY = NativeLibrary.downcall(LIB, "bpf_map_get_next_key",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle MAP_LOOKUP_BATCH = NativeLibrary.downcall(LIB, "bpf_map_lookup_batch",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle TEST_RUN = NativeLibrary.downcall(LIB, "bpf_prog_test_run_opts",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle SET_PRINT = NativeLibrary.downcall(LIB, "libbpf_set_print", FunctionDescriptor.of(ADDRESS, ADDRESS));
    private static final MethodHandle NUM_POSSIBLE_CPUS = NativeLibrary.downcall(LIB, "libbpf_num_possible_cpus",
        FunctionDescriptor.of(JAVA_INT));

    static
    {
        if (!Boolean.getBoolean("flowgate.bpf.verbose"))
        {
            try
            {
                final MemorySegment previous = (MemorySegment)SET_PRINT.invokeExact(MemorySegment.NULL);
                assert previous != null;
            }
            catch (final Throwable t)
            {
                throw rethrow(t);
            }
        }
    }

    private LibBpf()
    {
    }

    /** Opens an ELF object held in {@code image} (no file); throws BpfException with errno on failure. */
    public static MemorySegment openMem(final MemorySegment image)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CALL_STATE);
            final MemorySegment obj = (MemorySegment)OPEN_MEM.invokeExact(state, image, image.byteSize(), MemorySegment.NULL);
            if (obj.address() == 0)
            {
                throw new BpfException("bpf_object__open_mem", -(int)ERRNO.get(state, 0L));
            }
            return obj;
        }
        catch (final BpfException ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int objectLoad(final MemorySegment obj)
    {
        try
        {
            return (int)OBJECT_LOAD.invokeExact(obj);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static void objectClose(final MemorySegment obj)
    {
        try
        {
            OBJECT_CLOSE.invokeExact(obj);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** The program named {@code name}; NULL when there is none. */
    public static MemorySegment findProgram(final MemorySegment obj, final String name)
    {
        try (Arena arena = Arena.ofConfined())
        {
            return (MemorySegment)FIND_PROGRAM.invokeExact(obj, arena.allocateFrom(name));
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int programFd(final MemorySegment prog)
    {
        try
        {
            return (int)PROGRAM_FD.invokeExact(prog);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** The map named {@code name}; NULL when there is none. */
    public static MemorySegment findMap(final MemorySegment obj, final String name)
    {
        try (Arena arena = Arena.ofConfined())
        {
            return (MemorySegment)FIND_MAP.invokeExact(obj, arena.allocateFrom(name));
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int mapFd(final MemorySegment map)
    {
        try
        {
            return (int)MAP_FD.invokeExact(map);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** Before {@link #objectLoad}: the map's max_entries. */
    public static int mapSetMaxEntries(final MemorySegment map, final int maxEntries)
    {
        try
        {
            return (int)MAP_SET_MAX_ENTRIES.invokeExact(map, maxEntries);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int mapMaxEntries(final MemorySegment map)
    {
        try
        {
            return (int)MAP_MAX_ENTRIES.invokeExact(map);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** bpf_xdp_attach; {@code oldProgFd} >= 0 with XDP_FLAGS_REPLACE swaps atomically only if that program is attached. */
    public static int xdpAttach(final int ifindex, final int progFd, final int flags, final int oldProgFd)
    {
        try (Arena arena = Arena.ofConfined())
        {
            return (int)XDP_ATTACH.invokeExact(ifindex, progFd, flags, attachOpts(arena, oldProgFd));
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int xdpDetach(final int ifindex, final int flags, final int oldProgFd)
    {
        try (Arena arena = Arena.ofConfined())
        {
            return (int)XDP_DETACH.invokeExact(ifindex, flags, attachOpts(arena, oldProgFd));
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** The id of the XDP program attached to {@code ifindex} in the mode {@code flags} selects (0: none), or -errno. */
    public static long xdpQueryId(final int ifindex, final int flags)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment id = arena.allocate(JAVA_INT);
            final int rc = (int)XDP_QUERY_ID.invokeExact(ifindex, flags, id);
            return rc < 0 ? rc : Integer.toUnsignedLong(id.get(JAVA_INT, 0));
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** The kernel's id of the program behind {@code progFd} (struct bpf_prog_info.id, its second field), or -errno. */
    public static long programId(final int progFd)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment info = arena.allocate(256, 8);
            final MemorySegment len = arena.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, 256);
            final int rc = (int)PROG_ID.invokeExact(progFd, info, len);
            return rc < 0 ? rc : Integer.toUnsignedLong(info.get(JAVA_INT, 4));
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int mapUpdate(final int fd, final MemorySegment key, final MemorySegment value, final long flags)
    {
        try
        {
            return (int)MAP_UPDATE.invokeExact(fd, key, value, flags);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int mapLookup(final int fd, final MemorySegment key, final MemorySegment value)
    {
        try
        {
            return (int)MAP_LOOKUP.invokeExact(fd, key, value);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** Reads and deletes in one system call (hash maps, kernel 5.14+). */
    public static int mapLookupAndDelete(final int fd, final MemorySegment key, final MemorySegment value)
    {
        try
        {
            return (int)MAP_LOOKUP_AND_DELETE.invokeExact(fd, key, value);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    public static int mapDelete(final int fd, final MemorySegment key)
    {
        try
        {
            return (int)MAP_DELETE.invokeExact(fd, key);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** The key after {@code key} (NULL: the first); -ENOENT after the last. */
    public static int mapGetNextKey(final int fd, final MemorySegment key, final MemorySegment next)
    {
        try
        {
            return (int)MAP_GET_NEXT_KEY.invokeExact(fd, key, next);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * bpf_map_lookup_batch: {@code inBatch} NULL starts; {@code count} holds the capacity in and the number read out.
     * Returns 0, or -ENOENT when the last entries were read (count may still be positive), or -errno.
     */
    public static int mapLookupBatch(final int fd, final MemorySegment inBatch, final MemorySegment outBatch, final MemorySegment keys,
                                     final MemorySegment values, final MemorySegment count, final MemorySegment opts)
    {
        try
        {
            return (int)MAP_LOOKUP_BATCH.invokeExact(fd, inBatch, outBatch, keys, values, count, opts);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** A zeroed {@code struct bpf_map_batch_opts} with its size set. */
    public static MemorySegment batchOpts(final Arena arena)
    {
        final MemorySegment opts = arena.allocate(BATCH_OPTS);
        opts.set(JAVA_LONG, 0, BATCH_OPTS.byteSize());
        return opts;
    }

    /**
     * Runs program {@code progFd} once over {@code data} (BPF_PROG_TEST_RUN); the output packet replaces
     * {@code out}'s first bytes. Returns the program's return value; {@code outLength[0]} gets the output length.
     */
    public static int testRun(final int progFd, final MemorySegment data, final MemorySegment out, final int[] outLength)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment opts = arena.allocate(TEST_RUN_OPTS);
            opts.set(JAVA_LONG, 0, TEST_RUN_OPTS.byteSize());
            opts.set(ADDRESS, offset("data_in"), data);
            opts.set(ADDRESS, offset("data_out"), out);
            opts.set(JAVA_INT, offset("data_size_in"), (int)data.byteSize());
            opts.set(JAVA_INT, offset("data_size_out"), (int)out.byteSize());
            opts.set(JAVA_INT, offset("repeat"), 1);
            final int rc = (int)TEST_RUN.invokeExact(progFd, opts);
            if (rc < 0)
            {
                throw new BpfException("bpf_prog_test_run_opts", rc);
            }
            outLength[0] = opts.get(JAVA_INT, offset("data_size_out"));
            return opts.get(JAVA_INT, offset("retval"));
        }
        catch (final BpfException ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** The number of possible CPUs: the value count of a per-CPU map. */
    public static int possibleCpus()
    {
        try
        {
            return (int)NUM_POSSIBLE_CPUS.invokeExact();
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    private static long offset(final String field)
    {
        return TEST_RUN_OPTS.byteOffset(MemoryLayout.PathElement.groupElement(field));
    }

    private static MemorySegment attachOpts(final Arena arena, final int oldProgFd)
    {
        if (oldProgFd < 0)
        {
            return MemorySegment.NULL;
        }
        final MemorySegment opts = arena.allocate(XDP_ATTACH_OPTS);
        opts.set(JAVA_LONG, 0, XDP_ATTACH_OPTS.byteSize());
        opts.set(JAVA_INT, 8, oldProgFd);
        return opts;
    }

    private static RuntimeException rethrow(final Throwable t)
    {
        if (t instanceof RuntimeException r)
        {
            return r;
        }
        if (t instanceof Error e)
        {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
