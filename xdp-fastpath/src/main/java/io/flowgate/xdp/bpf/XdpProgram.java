package io.flowgate.xdp.bpf;

import io.flowgate.nativebindings.bpf.BpfException;
import io.flowgate.nativebindings.bpf.LibBpf;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * flowgate's XDP object (flowgate_xdp.c, built by clang with the module into the class-path resource
 * {@value #RESOURCE}) loaded from memory through libbpf (see docs/xdp-fastpath.md). It holds two programs
 * over the same maps: {@code fg_fastpath} (offloaded flows forwarded in the driver, everything else to the
 * queue's AF_XDP socket) and {@code fg_xsk} (everything to the AF_XDP socket).
 * <p>
 * Slots: flowgate port {@code p} (attached on ifindex {@code i}) is devmap key {@code p}, and its queue
 * {@code q}'s socket is xskmap key {@code p * FG_MAX_QUEUES + q} ({@code fg_xsk_base[i] = p * FG_MAX_QUEUES}).
 * <p>
 * Usage: {@code load(maxFlows)}; {@code attach(portId, ifindex, AUTO)} per port; {@code registerSocket} per
 * queue's AF_XDP socket; flows through {@link #flows()}; {@code fastPath(false/true)} to switch offload.
 * Needs CAP_BPF + CAP_NET_ADMIN (root).
 * <p>
 * Thread-safety: control plane, one thread. Attach/detach use netlink in the calling thread's network namespace.
 * <p>
 * Shutdown: {@link #close()} detaches (only where our program is still attached) and frees the object; the
 * kernel frees the maps when the last fd (ours, or an AF_XDP socket's reference) is gone.
 */
public final class XdpProgram implements AutoCloseable
{
    public static final String RESOURCE = "/bpf/flowgate_xdp.o";
    /** FG_MAX_PORTS and FG_MAX_QUEUES of flowgate_xdp.h. */
    public static final int MAX_PORTS = 64;
    public static final int MAX_QUEUES = 64;
    /** enum fg_stat of flowgate_xdp.h. */
    public static final int STAT_RX = 0;
    public static final int STAT_FAST = 1;
    public static final int STAT_MISS = 2;
    public static final int STAT_TCP_FLAGS = 3;
    public static final int STAT_FRAGMENT = 4;
    public static final int STAT_TTL = 5;
    public static final int STAT_MTU = 6;
    public static final int STAT_OTHER = 7;
    public static final int STAT_REDIRECT_FAILED = 8;
    public static final int STAT_XSK_MISSING = 9;
    public static final int STAT_COUNT = 10;

    private final Arena arena;
    private final MemorySegment object;
    private final int fastFd;
    private final int xskFd;
    private final int txPortsFd;
    private final int xsksFd;
    private final int xskBaseFd;
    private final int statsFd;
    private final FlowTable flows;
    private final MemorySegment u32Key;
    private final MemorySegment u32Value;
    private final MemorySegment perCpu;
    private final int cpus;
    /** ifindex -> the XDP_FLAGS_* mode it was attached with; ifindex -> flowgate port id. */
    private final Map<Integer, Integer> attachedModes = new LinkedHashMap<>();
    private final Map<Integer, Integer> attachedPorts = new LinkedHashMap<>();
    private boolean fastPath = true;
    private boolean closed;

    private XdpProgram(final Arena arena, final MemorySegment object, final int maxFlows)
    {
        this.arena = arena;
        this.object = object;
        this.fastFd = LibBpf.programFd(program(object, "fg_fastpath"));
        this.xskFd = LibBpf.programFd(program(object, "fg_xsk"));
        this.txPortsFd = LibBpf.mapFd(map(object, "fg_tx_ports"));
        this.xsksFd = LibBpf.mapFd(map(object, "fg_xsks"));
        this.xskBaseFd = LibBpf.mapFd(map(object, "fg_xsk_base"));
        this.statsFd = LibBpf.mapFd(map(object, "fg_stats"));
        this.flows = new FlowTable(LibBpf.mapFd(map(object, "fg_flows")), maxFlows, arena);
        this.u32Key = arena.allocate(ValueLayout.JAVA_INT);
        this.u32Value = arena.allocate(ValueLayout.JAVA_INT);
        this.cpus = LibBpf.possibleCpus();
        this.perCpu = arena.allocate(8L * Math.max(1, cpus), 8);
    }

    /** Loads the object with a flow map of {@code maxFlows} entries; nothing is attached yet. */
    public static XdpProgram load(final int maxFlows)
    {
        if (maxFlows <= 0)
        {
            throw new IllegalArgumentException("maxFlows " + maxFlows);
        }
        final byte[] image = readResource();
        final Arena arena = Arena.ofShared();
        MemorySegment object = MemorySegment.NULL;
        try
        {
            final MemorySegment buffer = arena.allocate(image.length, 8);
            MemorySegment.copy(image, 0, buffer, ValueLayout.JAVA_BYTE, 0, image.length);
            object = LibBpf.openMem(buffer);
            final int rc = LibBpf.mapSetMaxEntries(map(object, "fg_flows"), maxFlows);
            if (rc != 0)
            {
                throw new BpfException("bpf_map__set_max_entries(fg_flows)", rc);
            }
            final int loaded = LibBpf.objectLoad(object);
            if (loaded != 0)
            {
                throw new BpfException("bpf_object__load(" + RESOURCE + ") failed: errno " + -loaded
                    + " (needs root/CAP_BPF; -Dflowgate.bpf.verbose=true prints libbpf's log with the verifier's)");
            }
            return new XdpProgram(arena, object, maxFlows);
        }
        catch (final RuntimeException ex)
        {
            if (object.address() != 0)
            {
                LibBpf.objectClose(object);
            }
            arena.close();
            throw ex;
        }
    }

    /**
     * Attaches the current program ({@link #fastPath()}) to {@code ifindex}, which flowgate port {@code portId}
     * is, and makes the port a redirect target (devmap). Returns the mode it got (AUTO tries native first).
     */
    public XdpMode attach(final int portId, final int ifindex, final XdpMode mode)
    {
        checkOpen();
        if (portId < 0 || portId >= MAX_PORTS)
        {
            throw new IllegalArgumentException("port id " + portId + " outside 0.." + (MAX_PORTS - 1));
        }
        if (attachedModes.containsKey(ifindex))
        {
            throw new IllegalStateException("already attached to ifindex " + ifindex);
        }
        putU32(txPortsFd, portId, ifindex, "fg_tx_ports");
        putU32(xskBaseFd, ifindex, portId * MAX_QUEUES, "fg_xsk_base");
        final int fd = currentFd();
        final XdpMode got;
        int flags;
        if (mode == XdpMode.GENERIC)
        {
            flags = LibBpf.XDP_FLAGS_SKB_MODE;
            check(LibBpf.xdpAttach(ifindex, fd, flags | LibBpf.XDP_FLAGS_UPDATE_IF_NOEXIST, -1), "bpf_xdp_attach(generic)", ifindex);
            got = XdpMode.GENERIC;
        }
        else
        {
            flags = LibBpf.XDP_FLAGS_DRV_MODE;
            final int rc = LibBpf.xdpAttach(ifindex, fd, flags | LibBpf.XDP_FLAGS_UPDATE_IF_NOEXIST, -1);
            if (rc == 0)
            {
                got = XdpMode.NATIVE;
            }
            // AUTO: the driver refused native XDP; another program already attached (EBUSY/EEXIST) is not a reason to fall back
            else if (mode == XdpMode.AUTO && rc != -LibBpf.EEXIST && rc != -LibBpf.EBUSY)
            {
                flags = LibBpf.XDP_FLAGS_SKB_MODE;
                check(LibBpf.xdpAttach(ifindex, fd, flags | LibBpf.XDP_FLAGS_UPDATE_IF_NOEXIST, -1), "bpf_xdp_attach(generic)", ifindex);
                got = XdpMode.GENERIC;
            }
            else
            {
                check(rc, "bpf_xdp_attach(native)", ifindex);
                got = XdpMode.NATIVE;
            }
        }
        attachedModes.put(ifindex, flags);
        attachedPorts.put(ifindex, portId);
        return got;
    }

    /** Detaches from {@code ifindex} (only if our program is the one attached). */
    public void detach(final int ifindex)
    {
        checkOpen();
        final Integer flags = attachedModes.remove(ifindex);
        final Integer portId = attachedPorts.remove(ifindex);
        if (flags == null || portId == null)
        {
            return;
        }
        // XDP_FLAGS_REPLACE with our fd: the kernel detaches only if our program is still the one attached.
        final int rc = LibBpf.xdpDetach(ifindex, flags | LibBpf.XDP_FLAGS_REPLACE, currentFd());
        deleteU32(xskBaseFd, ifindex);
        deleteU32(txPortsFd, portId);
        for (int q = 0; q < MAX_QUEUES; q++)
        {
            deleteU32(xsksFd, portId * MAX_QUEUES + q);
        }
        if (rc != 0 && rc != -LibBpf.EEXIST && rc != -LibBpf.ENODEV /* the interface is gone */)
        {
            throw new BpfException("bpf_xdp_detach(ifindex " + ifindex + ")", rc);
        }
    }

    /** Makes flowgate port {@code portId} a redirect target (devmap) without attaching to it (egress-only; tests). */
    void redirectTarget(final int portId, final int ifindex)
    {
        checkOpen();
        putU32(txPortsFd, portId, ifindex, "fg_tx_ports");
    }

    /** Puts AF_XDP socket {@code xskFd} in the xskmap for {@code ifindex}'s receive queue {@code queue}. */
    public void registerSocket(final int ifindex, final int queue, final int xskFd)
    {
        checkOpen();
        final Integer portId = attachedPorts.get(ifindex);
        if (portId == null)
        {
            throw new IllegalStateException("ifindex " + ifindex + " is not attached: attach before registering its sockets");
        }
        if (queue < 0 || queue >= MAX_QUEUES)
        {
            throw new IllegalArgumentException("queue " + queue + " outside 0.." + (MAX_QUEUES - 1));
        }
        putU32(xsksFd, portId * MAX_QUEUES + queue, xskFd, "fg_xsks");
    }

    /** Replaces the program on every attached interface: the fast path, or AF_XDP only (offload off). */
    public void fastPath(final boolean on)
    {
        checkOpen();
        if (on == fastPath)
        {
            return;
        }
        final int oldFd = currentFd();
        final int newFd = on ? fastFd : xskFd;
        for (final Map.Entry<Integer, Integer> e : attachedModes.entrySet())
        {
            // XDP_FLAGS_REPLACE + old fd: one atomic swap per interface, no window without a program.
            check(LibBpf.xdpAttach(e.getKey(), newFd, e.getValue() | LibBpf.XDP_FLAGS_REPLACE, oldFd), "bpf_xdp_attach(replace)", e.getKey());
        }
        fastPath = on;
    }

    public boolean fastPath()
    {
        return fastPath;
    }

    public FlowTable flows()
    {
        return flows;
    }

    /** The kernel id of the program currently attached by {@link #attach} (fg_fastpath or fg_xsk). */
    public long programId()
    {
        return LibBpf.programId(currentFd());
    }

    /** The kernel id of {@code fg_fastpath} ({@code true}) or {@code fg_xsk}. */
    public long programId(final boolean fastPathProgram)
    {
        return LibBpf.programId(fastPathProgram ? fastFd : xskFd);
    }

    /** The file descriptor of {@code fg_fastpath} ({@code true}) or {@code fg_xsk}, e.g. for BPF_PROG_TEST_RUN. */
    public int programFd(final boolean fastPathProgram)
    {
        return fastPathProgram ? fastFd : xskFd;
    }

    /** The program's counters summed over CPUs, indexed by {@code enum fg_stat}. */
    public long[] stats()
    {
        final long[] sums = new long[STAT_COUNT];
        for (int i = 0; i < STAT_COUNT; i++)
        {
            u32Key.set(ValueLayout.JAVA_INT, 0, i);
            final int rc = LibBpf.mapLookup(statsFd, u32Key, perCpu);
            if (rc != 0)
            {
                throw new BpfException("bpf_map_lookup_elem(fg_stats)", rc);
            }
            long sum = 0;
            for (int c = 0; c < cpus; c++)
            {
                sum += perCpu.get(ValueLayout.JAVA_LONG, 8L * c);
            }
            sums[i] = sum;
        }
        return sums;
    }

    /** Detaches from every interface and closes the maps and programs. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        RuntimeException failure = null;
        for (final Integer ifindex : attachedModes.keySet().toArray(new Integer[0]))
        {
            try
            {
                detach(ifindex);
            }
            catch (final RuntimeException ex)
            {
                failure = ex;
            }
        }
        closed = true;
        LibBpf.objectClose(object);
        arena.close();
        if (failure != null)
        {
            throw failure;
        }
    }

    @Override
    public String toString()
    {
        return "XdpProgram[fastPath=" + fastPath + ", attached=" + attachedModes.keySet() + ", stats=" + Arrays.toString(stats()) + "]";
    }

    private int currentFd()
    {
        return fastPath ? fastFd : xskFd;
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("closed");
        }
    }

    private void putU32(final int fd, final int k, final int v, final String name)
    {
        u32Key.set(ValueLayout.JAVA_INT, 0, k);
        u32Value.set(ValueLayout.JAVA_INT, 0, v);
        final int rc = LibBpf.mapUpdate(fd, u32Key, u32Value, LibBpf.BPF_ANY);
        if (rc != 0)
        {
            throw new BpfException("bpf_map_update_elem(" + name + ", " + k + " -> " + v + ")", rc);
        }
    }

    private void deleteU32(final int fd, final int k)
    {
        u32Key.set(ValueLayout.JAVA_INT, 0, k);
        LibBpf.mapDelete(fd, u32Key);   // absent is fine
    }

    private static void check(final int rc, final String call, final int ifindex)
    {
        if (rc != 0)
        {
            throw new BpfException(call + " on ifindex " + ifindex, rc);
        }
    }

    private static MemorySegment program(final MemorySegment object, final String name)
    {
        final MemorySegment p = LibBpf.findProgram(object, name);
        if (p.address() == 0)
        {
            throw new BpfException("program " + name + " not in " + RESOURCE);
        }
        return p;
    }

    private static MemorySegment map(final MemorySegment object, final String name)
    {
        final MemorySegment m = LibBpf.findMap(object, name);
        if (m.address() == 0)
        {
            throw new BpfException("map " + name + " not in " + RESOURCE);
        }
        return m;
    }

    private static byte[] readResource()
    {
        try (InputStream in = XdpProgram.class.getResourceAsStream(RESOURCE))
        {
            if (in == null)
            {
                throw new IllegalStateException(RESOURCE + " is not on the class path: build xdp-fastpath (it needs clang and libbpf-dev)");
            }
            return in.readAllBytes();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot read " + RESOURCE, ex);
        }
    }
}
