package io.flowgate.nativebindings.xdp;

import io.flowgate.nativebindings.NativeLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * libxdp's AF_XDP socket API ({@code /usr/include/xdp/xsk.h}, libxdp.so.1): creating a UMEM and its sockets
 * (which mmaps the rings), the socket fd and deletion. Only control-path calls: the rings themselves are driven
 * from Java over the addresses in {@code struct xsk_ring_prod/cons} (see {@code XskPort}).
 * <p>
 * The struct layouts are checked against the installed header by {@code XdpStructLayoutProbeTest}.
 * <p>
 * Thread-safety: the functions are called from the control thread that opens and closes a port.
 */
public final class LibXdp
{
    /** {@code struct xsk_ring_prod} and {@code struct xsk_ring_cons} (same layout, {@code DEFINE_XSK_RING}). */
    public static final StructLayout RING = MemoryLayout.structLayout(
        ValueLayout.JAVA_INT.withName("cached_prod"),
        ValueLayout.JAVA_INT.withName("cached_cons"),
        ValueLayout.JAVA_INT.withName("mask"),
        ValueLayout.JAVA_INT.withName("size"),
        ValueLayout.ADDRESS.withName("producer"),
        ValueLayout.ADDRESS.withName("consumer"),
        ValueLayout.ADDRESS.withName("ring"),
        ValueLayout.ADDRESS.withName("flags")).withName("xsk_ring_prod");
    public static final long RING_MASK = 8;
    public static final long RING_SIZE = 12;
    public static final long RING_PRODUCER = 16;
    public static final long RING_CONSUMER = 24;
    public static final long RING_RING = 32;
    public static final long RING_FLAGS = 40;

    /** {@code struct xsk_umem_config}. */
    public static final StructLayout UMEM_CONFIG = MemoryLayout.structLayout(
        ValueLayout.JAVA_INT.withName("fill_size"),
        ValueLayout.JAVA_INT.withName("comp_size"),
        ValueLayout.JAVA_INT.withName("frame_size"),
        ValueLayout.JAVA_INT.withName("frame_headroom"),
        ValueLayout.JAVA_INT.withName("flags")).withName("xsk_umem_config");

    /** {@code struct xsk_socket_config} (the union {@code libbpf_flags/libxdp_flags} as {@code libxdp_flags}). */
    public static final StructLayout SOCKET_CONFIG = MemoryLayout.structLayout(
        ValueLayout.JAVA_INT.withName("rx_size"),
        ValueLayout.JAVA_INT.withName("tx_size"),
        ValueLayout.JAVA_INT.withName("libxdp_flags"),
        ValueLayout.JAVA_INT.withName("xdp_flags"),
        ValueLayout.JAVA_SHORT.withName("bind_flags"),
        MemoryLayout.paddingLayout(2)).withName("xsk_socket_config");

    /** {@code struct xdp_desc} in the rx/tx rings: addr (u64), len (u32), options (u32). */
    public static final int DESC_SIZE = 16;

    /** {@code XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD}. */
    public static final int LIBXDP_FLAGS_INHIBIT_PROG_LOAD = 1;
    /** {@code XDP_UMEM_UNALIGNED_CHUNK_FLAG} (linux/if_xdp.h). */
    public static final int UMEM_UNALIGNED_CHUNK_FLAG = 1;
    /** {@code XSK_UNALIGNED_BUF_OFFSET_SHIFT}: in unaligned mode a descriptor address carries the data offset in its top 16 bits. */
    public static final int UNALIGNED_BUF_OFFSET_SHIFT = 48;
    public static final long UNALIGNED_BUF_ADDR_MASK = (1L << UNALIGNED_BUF_OFFSET_SHIFT) - 1;
    /** {@code XDP_PACKET_HEADROOM}: the kernel keeps this much in front of received data. */
    public static final int XDP_PACKET_HEADROOM = 256;
    /** Bind flags (linux/if_xdp.h). */
    public static final int XDP_SHARED_UMEM = 1;
    public static final int XDP_COPY = 2;
    public static final int XDP_ZEROCOPY = 4;
    public static final int XDP_USE_NEED_WAKEUP = 8;
    /** {@code XDP_RING_NEED_WAKEUP} in a ring's flags word. */
    public static final int XDP_RING_NEED_WAKEUP = 1;
    /** {@code XDP_FLAGS_*} (linux/if_link.h) for the default program's attach. */
    public static final int XDP_FLAGS_UPDATE_IF_NOEXIST = 1;
    public static final int XDP_FLAGS_SKB_MODE = 2;
    public static final int XDP_FLAGS_DRV_MODE = 4;

    private static final SymbolLookup LIB = NativeLibrary.system("libxdp.so.1", "libxdp1");

    private static final MethodHandle UMEM_CREATE = NativeLibrary.downcall(LIB, "xsk_umem__create", FunctionDescriptor.of(
        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
        ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    private static final MethodHandle SOCKET_CREATE_SHARED = NativeLibrary.downcall(LIB, "xsk_socket__create_shared",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    private static final MethodHandle SOCKET_FD = NativeLibrary.downcall(LIB, "xsk_socket__fd",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    private static final MethodHandle SOCKET_DELETE = NativeLibrary.downcall(LIB, "xsk_socket__delete",
        FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG));
    private static final MethodHandle UMEM_DELETE = NativeLibrary.downcall(LIB, "xsk_umem__delete",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));

    private LibXdp()
    {
    }

    /**
     * {@code xsk_umem__create}: registers {@code size} bytes at {@code area} (page aligned) as a UMEM and sets up
     * its fill and completion rings into the ring structs at {@code fill} and {@code comp}. Returns the
     * {@code struct xsk_umem *}; throws with the negative errno libxdp returns.
     */
    public static long umemCreate(final long area, final long size, final long fill, final long comp, final int fillSize,
                                  final int compSize, final int frameSize, final int frameHeadroom, final int flags)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            final MemorySegment config = arena.allocate(UMEM_CONFIG);
            config.set(ValueLayout.JAVA_INT, 0, fillSize);
            config.set(ValueLayout.JAVA_INT, 4, compSize);
            config.set(ValueLayout.JAVA_INT, 8, frameSize);
            config.set(ValueLayout.JAVA_INT, 12, frameHeadroom);
            config.set(ValueLayout.JAVA_INT, 16, flags);
            final int rc = (int)UMEM_CREATE.invokeExact(out, area, size, fill, comp, config);
            check(rc, "xsk_umem__create");
            return out.get(ValueLayout.ADDRESS, 0).address();
        }
        catch (final XdpException ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    /**
     * {@code xsk_socket__create_shared}: an AF_XDP socket on {@code ifname} queue {@code queue} over {@code umem}, with
     * its rx/tx rings and (for the UMEM's first socket, the rings given to {@link #umemCreate}; else new ones)
     * fill/completion rings. Returns the {@code struct xsk_socket *}.
     */
    public static long socketCreateShared(final String ifname, final int queue, final long umem, final long rx, final long tx,
                                          final long fill, final long comp, final int rxSize, final int txSize,
                                          final int libxdpFlags, final int xdpFlags, final int bindFlags)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            final MemorySegment config = arena.allocate(SOCKET_CONFIG);
            config.set(ValueLayout.JAVA_INT, 0, rxSize);
            config.set(ValueLayout.JAVA_INT, 4, txSize);
            config.set(ValueLayout.JAVA_INT, 8, libxdpFlags);
            config.set(ValueLayout.JAVA_INT, 12, xdpFlags);
            config.set(ValueLayout.JAVA_SHORT, 16, (short)bindFlags);
            final int rc = (int)SOCKET_CREATE_SHARED.invokeExact(out, arena.allocateFrom(ifname), queue, umem, rx, tx, fill, comp, config);
            check(rc, "xsk_socket__create_shared(" + ifname + ", queue " + queue + ")");
            return out.get(ValueLayout.ADDRESS, 0).address();
        }
        catch (final XdpException ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    public static int socketFd(final long xsk)
    {
        try
        {
            return (int)SOCKET_FD.invokeExact(xsk);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    /** Closes the socket (and, for the last socket of a libxdp-loaded program, detaches that program). */
    public static void socketDelete(final long xsk)
    {
        try
        {
            SOCKET_DELETE.invokeExact(xsk);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    /** Returns 0, or {@code -EBUSY} while a socket still uses the UMEM. */
    public static int umemDelete(final long umem)
    {
        try
        {
            return (int)UMEM_DELETE.invokeExact(umem);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    private static void check(final int rc, final String what)
    {
        if (rc < 0)
        {
            throw new XdpException(what + " failed: errno " + -rc, -rc);
        }
    }

    /** A failed libxdp call with its errno. */
    public static final class XdpException extends RuntimeException
    {
        private static final long serialVersionUID = 1L;
        private final int errno;

        public XdpException(final String message, final int errno)
        {
            super(message);
            this.errno = errno;
        }

        public int errno()
        {
            return errno;
        }
    }
}
