package io.flowgate.xdp.xsk;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.EthDev;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.nativebindings.os.Sockets;
import io.flowgate.nativebindings.xdp.LibXdp;
import io.flowgate.pmd.port.Port;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A {@link Port} over AF_XDP sockets (see docs/xdp-fastpath.md, "AF_XDP port"). Packets are DPDK mbufs whose buffers
 * are UMEM frames, so the pipeline handles them as any port's.
 * <p>
 * Memory: one mapping (2 MiB huge pages when {@code MAP_HUGETLB} works, else 4 KiB pages advised to THP) holds a
 * pktmbuf pool of {@code frames} mbufs, back to back; the same mapping is the UMEM, registered with
 * {@code XDP_UMEM_UNALIGNED_CHUNK_FLAG}, so a frame handle is "object header address - UMEM base" and the kernel
 * reports the data offset in the top 16 bits of a descriptor (as DPDK 22.11's net_af_xdp does). The UMEM headroom
 * covers the object header, the {@code struct rte_mbuf} and DPDK's 128-byte headroom, so the kernel never writes
 * over the mbuf; received data starts {@code 128 + XDP_PACKET_HEADROOM} bytes into the mbuf's buffer.
 * <p>
 * Rings: libxdp creates and mmaps them; this class reads {@code struct xsk_ring_prod/cons} once and drives the
 * indices itself (see {@link Queue}). Ownership of every frame is tracked (kernel or not) so {@link #close()} can
 * return the frames the kernel still held: after close {@link #mbufsLeftInUse()} is 0 unless the application kept
 * received mbufs.
 * <p>
 * Thread-safety: {@link #receive}/{@link #transmit} of one queue from one thread at a time (different queues from
 * different threads); {@link #stats()} from any thread (counters may be a burst behind); open/close on the control
 * thread.
 */
public final class XskPort implements Port
{
    private static final int EBUSY = 16;
    private static final int DATA_ROOM = XskPool.DATA_ROOM;
    /** Fill-ring refills happen in batches of at least this many frames (or whatever the ring lacks when it is empty). */
    private static final int REFILL_BATCH = 32;

    /** Acquire/release on the kernel-shared ring indices (u32 at raw addresses). */
    private static final VarHandle U32 = ValueLayout.JAVA_INT.varHandle();

    private final int id;
    private final String name;
    private final XskConfig config;
    private final int ifindex;
    private final long mac;
    private final Arena arena;
    private final long area;
    private final XskPool memory;
    private final boolean ownsMemory;
    private final Mempool pool;
    private final long poolAddress;
    private final int headerSize;
    private final int objectSize;
    private final long umem;
    private final Queue[] queues;
    private final boolean zeroCopy;
    private final boolean busyPoll;
    /** 1 while the kernel owns the frame (posted to fill or tx, not yet back through rx or completion). */
    private final byte[] kernelOwned;
    private int leftInUse = -1;
    private boolean closed;

    private XskPort(final int id, final String name, final XskConfig config, final int ifindex, final long mac, final Arena arena,
                    final XskPool memory, final boolean ownsMemory, final long umem, final Queue[] queues, final boolean zeroCopy)
    {
        this.id = id;
        this.name = name;
        this.config = config;
        this.ifindex = ifindex;
        this.mac = mac;
        this.arena = arena;
        this.area = memory.area();
        this.memory = memory;
        this.ownsMemory = ownsMemory;
        this.pool = memory.mempool();
        this.poolAddress = pool.address();
        this.headerSize = memory.headerSize();
        this.objectSize = memory.objectSize();
        this.umem = umem;
        this.queues = queues;
        this.zeroCopy = zeroCopy;
        this.busyPoll = config.busyPollUs() > 0;
        this.kernelOwned = new byte[memory.frames()];
    }

    /** Opens the sockets of {@code config}; {@code id} is the port id the pipeline uses (not a DPDK port id). */
    public static XskPort open(final int id, final String name, final XskConfig config)
    {
        final XskPool memory = XskPool.create(null, config.frames());
        try
        {
            return open(id, name, config, memory, true);
        }
        catch (final RuntimeException ex)
        {
            memory.close();
            throw ex;
        }
    }

    /**
     * Opens the sockets of {@code config} over {@code memory}, shared with other ports (each registers it as its own
     * UMEM), so mbufs move between those ports without a copy; {@code config.frames()} is ignored. Close the ports
     * before the pool.
     */
    public static XskPort open(final int id, final String name, final XskConfig config, final XskPool memory)
    {
        return open(id, name, config, memory, false);
    }

    private static XskPort open(final int id, final String name, final XskConfig config, final XskPool memory, final boolean owns)
    {
        final int ring = config.ringSize();
        if (ring <= 0 || (ring & (ring - 1)) != 0)
        {
            throw new IllegalArgumentException("ringSize must be a power of two: " + ring);
        }
        if (config.queues() < 1 || memory.frames() < config.queues() * ring + REFILL_BATCH)
        {
            throw new IllegalArgumentException("need at least one queue and frames >= queues * ringSize + " + REFILL_BATCH);
        }
        final int ifindex = Sockets.ifNameToIndex(config.iface());
        final long mac = readMac(config.iface());
        final Arena arena = Arena.ofShared();
        long umem = 0;
        final Queue[] queues = new Queue[config.queues()];
        try
        {
            // The kernel writes received data after this headroom (+ XDP_PACKET_HEADROOM): object header, mbuf, DPDK headroom.
            final int headroom = memory.headerSize() + Mempool.MBUF_SIZE + Mempool.HEADROOM;
            final long fill0 = arena.allocate(LibXdp.RING).address();
            final long comp0 = arena.allocate(LibXdp.RING).address();
            umem = LibXdp.umemCreate(memory.area(), memory.length(), fill0, comp0, ring, ring, memory.frameSize(), headroom,
                LibXdp.UMEM_UNALIGNED_CHUNK_FLAG);
            final int libxdpFlags = config.program() == XskConfig.Program.EXTERNAL ? LibXdp.LIBXDP_FLAGS_INHIBIT_PROG_LOAD : 0;
            final int xdpFlags = switch (config.xdpMode())
            {
                case NATIVE -> LibXdp.XDP_FLAGS_DRV_MODE;
                case GENERIC -> LibXdp.XDP_FLAGS_SKB_MODE;
                case AUTO -> 0;
            };
            final int bindFlags = LibXdp.XDP_USE_NEED_WAKEUP | switch (config.bind())
            {
                case ZERO_COPY -> LibXdp.XDP_ZEROCOPY;
                case COPY -> LibXdp.XDP_COPY;
                case AUTO -> 0;
            };
            for (int q = 0; q < queues.length; q++)
            {
                final long rx = arena.allocate(LibXdp.RING).address();
                final long tx = arena.allocate(LibXdp.RING).address();
                final long fill = q == 0 ? fill0 : arena.allocate(LibXdp.RING).address();
                final long comp = q == 0 ? comp0 : arena.allocate(LibXdp.RING).address();
                final long xsk = createSocket(config, q, umem, rx, tx, fill, comp, libxdpFlags, xdpFlags, bindFlags);
                final int fd = LibXdp.socketFd(xsk);
                queues[q] = new Queue(xsk, fd, rx, tx, fill, comp, arena.allocate(8L * ring, 64).address(), ring);
                if (config.busyPollUs() > 0)
                {
                    Sockets.setsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_PREFER_BUSY_POLL, 1);
                    Sockets.setsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_BUSY_POLL, config.busyPollUs());
                    Sockets.setsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_BUSY_POLL_BUDGET, config.busyPollBudget());
                }
            }
            final MemorySegment options = arena.allocate(4, 4);
            Sockets.getsockopt(queues[0].fd, Sockets.SOL_XDP, Sockets.XDP_OPTIONS, options);
            final boolean zc = (options.get(ValueLayout.JAVA_INT, 0) & Sockets.XDP_OPTIONS_ZEROCOPY) != 0;
            final XskPort port = new XskPort(id, name, config, ifindex, mac, arena, memory, owns, umem, queues, zc);
            for (final Queue queue : queues)
            {
                port.refill(queue);
            }
            return port;
        }
        catch (final RuntimeException ex)
        {
            for (final Queue queue : queues)
            {
                if (queue != null)
                {
                    LibXdp.socketDelete(queue.xsk);
                }
            }
            if (umem != 0)
            {
                LibXdp.umemDelete(umem);
            }
            arena.close();
            throw ex;
        }
    }

    /**
     * Creates the socket of port queue {@code q}, retrying for up to a second on {@code EBUSY}: a socket just closed on
     * the same queue releases its buffer pool from a kernel work queue, so the queue stays taken for a moment.
     */
    private static long createSocket(final XskConfig config, final int q, final long umem, final long rx, final long tx, final long fill,
                                     final long comp, final int libxdpFlags, final int xdpFlags, final int bindFlags)
    {
        final long deadline = System.nanoTime() + 1_000_000_000L;
        while (true)
        {
            try
            {
                return LibXdp.socketCreateShared(config.iface(), config.firstQueue() + q, umem, rx, tx, fill, comp, config.ringSize(),
                    config.ringSize(), libxdpFlags, xdpFlags, bindFlags);
            }
            catch (final LibXdp.XdpException ex)
            {
                if (ex.errno() != EBUSY || System.nanoTime() > deadline)
                {
                    throw ex;
                }
                try
                {
                    Thread.sleep(10);
                }
                catch (final InterruptedException ie)
                {
                    Thread.currentThread().interrupt();
                    throw ex;
                }
            }
        }
    }

    /** Copy mode, the default program in native mode, 2048-descriptor rings, 8192 frames, no busy poll. */
    public static XskConfig defaults(final String iface)
    {
        return new XskConfig(iface, 1, 0, XskConfig.Bind.AUTO, 2048, 8192, 0, 0, XskConfig.Program.LIBXDP_DEFAULT,
            io.flowgate.xdp.bpf.XdpMode.AUTO);
    }

    private static long readMac(final String iface)
    {
        try
        {
            final String text = Files.readString(Path.of("/sys/class/net", iface, "address")).trim();
            return Long.parseLong(text.replace(":", ""), 16);
        }
        catch (final IOException | NumberFormatException ex)
        {
            return 0;
        }
    }

    /**
     * How many receive queues {@code iface} has ({@code /sys/class/net/IFACE/queues/rx-*}); 0 when unknown. Packets the
     * interface steers to a queue without a socket of ours reach the kernel's stack, not this port.
     */
    public static int interfaceRxQueues(final String iface)
    {
        try (var entries = Files.newDirectoryStream(Path.of("/sys/class/net", iface, "queues"), "rx-*"))
        {
            int n = 0;
            for (final Path ignored : entries)
            {
                n++;
            }
            return n;
        }
        catch (final IOException ex)
        {
            return 0;
        }
    }

    /** The interface's ifindex. */
    public int ifindex()
    {
        return ifindex;
    }

    /** The AF_XDP socket of {@code queue} (port-relative), for an external program's xskmap. */
    public int socketFd(final int queue)
    {
        return queues[queue].fd;
    }

    /** The interface queue behind port queue {@code queue}. */
    public int interfaceQueue(final int queue)
    {
        return config.firstQueue() + queue;
    }

    /** True when the sockets are bound in zero-copy mode. */
    public boolean zeroCopy()
    {
        return zeroCopy;
    }

    /** True when the UMEM sits on 2 MiB huge pages. */
    public boolean hugePages()
    {
        return memory.hugePages();
    }

    /** The pool of UMEM mbufs the port receives into. */
    public Mempool pool()
    {
        return pool;
    }

    /**
     * After {@link #close()}: the UMEM mbufs still in use once the port took back what the kernel held (0 unless the
     * application kept received mbufs); -1 while open. With a shared {@link XskPool} always 0: check the pool's
     * {@code inUse()} once every port over it is closed.
     */
    public int mbufsLeftInUse()
    {
        return leftInUse;
    }

    @Override
    public int id()
    {
        return id;
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public int rxQueues()
    {
        return queues.length;
    }

    @Override
    public int txQueues()
    {
        return queues.length;
    }

    @Override
    public int receive(final int queue, final long mbufArray, final int max)
    {
        final Queue q = queues[queue];
        refill(q);
        // Acquire: pairs with the kernel's release store of the rx producer (xskq_prod_submit) so the descriptors
        // (and the packet bytes the kernel copied before them) are visible before we read them.
        final int produced = (int)U32.getAcquire(Memory.ALL, q.rxProducer);
        int n = produced - q.rxConsumed;
        if (n == 0)
        {
            // Nothing arrived: one recvfrom when busy polling (it runs the device's NAPI on this core) or when the kernel
            // flagged the fill ring NEED_WAKEUP (its rx stopped for lack of frames). The flags word is a plain read.
            if (busyPoll || (Memory.getInt(q.fillFlags) & LibXdp.XDP_RING_NEED_WAKEUP) != 0)
            {
                Sockets.wakeupReceive(q.fd);
            }
            return 0;
        }
        if (n > max)
        {
            n = max;
        }
        final long base = area;
        final int header = headerSize;
        final int dataOffsetBase = header + Mempool.MBUF_SIZE;
        final int port = id;
        int cons = q.rxConsumed;
        long bytes = 0;
        for (int i = 0; i < n; i++, cons++)
        {
            final long desc = q.rxRing + ((long)(cons & q.mask) << 4);
            final long handle = Memory.getLong(desc);
            final int len = Memory.getInt(desc + 8);
            final long frame = handle & LibXdp.UNALIGNED_BUF_ADDR_MASK;
            final long mbuf = base + frame + header;
            kernelOwned[(int)(frame / objectSize)] = 0;
            Mbuf.dataOffset(mbuf, (int)(handle >>> LibXdp.UNALIGNED_BUF_OFFSET_SHIFT) - dataOffsetBase);
            Mbuf.length(mbuf, len);
            Mbuf.port(mbuf, port);
            Memory.putLong(mbufArray + 8L * i, mbuf);
            bytes += len;
        }
        // Release: our reads of the descriptors happen before the kernel may overwrite them (pairs with its acquire
        // load of the rx consumer in xskq_prod_reserve).
        U32.setRelease(Memory.ALL, q.rxConsumer, cons);
        q.rxConsumed = cons;
        q.rxPackets += n;
        q.rxBytes += bytes;
        return n;
    }

    /** Posts free UMEM mbufs to the queue's fill ring when at least a batch of slots is free. */
    private void refill(final Queue q)
    {
        // Acquire: pairs with the kernel's release of the fill consumer (xskq_cons_release via __xskq_cons_release), so
        // the slots it freed are really free before we overwrite them.
        final int consumed = (int)U32.getAcquire(Memory.ALL, q.fillConsumer);
        final int free = q.size - (q.fillProduced - consumed);
        if (free >= REFILL_BATCH || (free > 0 && free == q.size))
        {
            int n = free;
            if (!pool.allocBulk(q.scratch, n))
            {
                n = REFILL_BATCH < n ? REFILL_BATCH : n;
                if (!pool.allocBulk(q.scratch, n))
                {
                    q.rxNoMbuf++;
                    return;
                }
            }
            int prod = q.fillProduced;
            for (int i = 0; i < n; i++, prod++)
            {
                final long frame = Memory.getLong(q.scratch + 8L * i) - headerSize - area;
                kernelOwned[(int)(frame / objectSize)] = 1;
                Memory.putLong(q.fillRing + ((long)(prod & q.mask) << 3), frame);
            }
            // Release: the frame addresses are written before the kernel sees the new producer (its acquire in xskq_cons_peek).
            U32.setRelease(Memory.ALL, q.fillProducer, prod);
            q.fillProduced = prod;
        }
    }

    /** Frees the mbufs whose transmission the kernel completed. */
    private void drainCompletions(final Queue q)
    {
        // Acquire: pairs with the kernel's release store of the completion producer (xskq_prod_submit_n).
        final int produced = (int)U32.getAcquire(Memory.ALL, q.compProducer);
        int n = produced - q.compConsumed;
        if (n == 0)
        {
            return;
        }
        if (n > q.size)
        {
            n = q.size;
        }
        int cons = q.compConsumed;
        for (int i = 0; i < n; i++, cons++)
        {
            final long frame = Memory.getLong(q.compRing + ((long)(cons & q.mask) << 3)) & LibXdp.UNALIGNED_BUF_ADDR_MASK;
            kernelOwned[(int)(frame / objectSize)] = 0;
            Memory.putLong(q.scratch + 8L * i, area + frame + headerSize);
        }
        // Release: the addresses are read before the kernel may reuse the slots.
        U32.setRelease(Memory.ALL, q.compConsumer, cons);
        q.compConsumed = cons;
        q.txInFlight -= n;
        Mbuf.freeBulk(q.scratch, n);
    }

    @Override
    public int transmit(final int queue, final long mbufArray, final int count)
    {
        final Queue q = queues[queue];
        drainCompletions(q);
        // Acquire: pairs with the kernel's release of the tx consumer, so freed descriptor slots may be rewritten.
        final int consumed = (int)U32.getAcquire(Memory.ALL, q.txConsumer);
        final int free = q.size - (q.txProduced - consumed);
        final int n = count < free ? count : free;
        int prod = q.txProduced;
        int taken = 0;
        int posted = 0;
        long bytes = 0;
        for (; taken < n; taken++)
        {
            long mbuf = Memory.getLong(mbufArray + 8L * taken);
            final int len = Mbuf.packetLength(mbuf);
            if (Mbuf.pool(mbuf) != poolAddress || Mbuf.segments(mbuf) != 1)
            {
                // Not a UMEM frame (or chained): copy into one, then free the original.
                if (len > DATA_ROOM - Mempool.HEADROOM)
                {
                    Mbuf.free(mbuf);
                    q.txDropped++;
                    continue;
                }
                final long copy = pool.alloc();
                if (copy == 0)
                {
                    break;
                }
                long dst = Mbuf.data(copy);
                for (long seg = mbuf; seg != 0; seg = Mbuf.next(seg))
                {
                    final int segLen = Mbuf.dataLength(seg);
                    Memory.copy(Mbuf.data(seg), dst, segLen);
                    dst += segLen;
                }
                Mbuf.length(copy, len);
                Mbuf.free(mbuf);
                mbuf = copy;
            }
            final long frame = mbuf - headerSize - area;
            final long offset = Mbuf.data(mbuf) - mbuf + headerSize;
            final long desc = q.txRing + ((long)(prod & q.mask) << 4);
            Memory.putLong(desc, frame | (offset << LibXdp.UNALIGNED_BUF_OFFSET_SHIFT));
            Memory.putInt(desc + 8, len);
            Memory.putInt(desc + 12, 0);
            kernelOwned[(int)(frame / objectSize)] = 1;
            prod++;
            posted++;
            bytes += len;
        }
        if (posted > 0)
        {
            // Release: descriptors written before the kernel sees the producer (its acquire in xskq_cons_peek_desc).
            U32.setRelease(Memory.ALL, q.txProducer, prod);
            q.txProduced = prod;
            q.txInFlight += posted;
            q.txPackets += posted;
            q.txBytes += bytes;
        }
        // Copy mode transmits only from sendto(); the kernel asks for it through NEED_WAKEUP on the tx ring. One sendto
        // takes at most 32 descriptors (TX_BATCH_SIZE in net/xdp/xsk.c) and fails with EAGAIN while more remain, so kick
        // again until it succeeds, reaping completions in between, as net_af_xdp's kick_tx does; bounded, so a device
        // that keeps failing cannot hold the worker. Only when the kernel has descriptors it has not taken yet (acquire:
        // pairs with its release of the tx consumer): completions alone need no system call.
        if ((Memory.getInt(q.txFlags) & LibXdp.XDP_RING_NEED_WAKEUP) != 0
            && (int)U32.getAcquire(Memory.ALL, q.txConsumer) != q.txProduced)
        {
            for (int k = q.maxKicks; Sockets.kick(q.fd) < 0 && k > 0; k--)
            {
                drainCompletions(q);
            }
        }
        return taken;
    }

    @Override
    public long macAddress()
    {
        return mac;
    }

    @Override
    public EthDev.Link link()
    {
        final Path dir = Path.of("/sys/class/net", config.iface());
        try
        {
            final boolean up = "up".equals(Files.readString(dir.resolve("operstate")).trim());
            int speed = 0;
            try
            {
                speed = Integer.parseInt(Files.readString(dir.resolve("speed")).trim());
            }
            catch (final IOException | NumberFormatException ex)
            {
                speed = 0;
            }
            return new EthDev.Link(up, Math.max(speed, 0), true, false);
        }
        catch (final IOException ex)
        {
            return new EthDev.Link(false, 0, false, false);
        }
    }

    /**
     * Java counters per queue plus the kernel's {@code XDP_STATISTICS}: imissed = rx_dropped + rx_ring_full, ierrors =
     * rx_invalid_descs, oerrors = tx_invalid_descs + packets this port dropped on transmit (too long to copy), rxNoMbuf =
     * failed refills + rx_fill_ring_empty_descs.
     */
    @Override
    public EthDev.Stats stats()
    {
        final int shown = Math.min(queues.length, EthDev.QUEUE_STAT_COUNTERS);
        final long[] qi = new long[EthDev.QUEUE_STAT_COUNTERS];
        final long[] qo = new long[EthDev.QUEUE_STAT_COUNTERS];
        long ipackets = 0;
        long opackets = 0;
        long ibytes = 0;
        long obytes = 0;
        long imissed = 0;
        long ierrors = 0;
        long oerrors = 0;
        long noMbuf = 0;
        try (Arena scratch = Arena.ofConfined())
        {
            final MemorySegment xs = scratch.allocate(Sockets.XDP_STATISTICS_LAYOUT);
            for (int i = 0; i < queues.length; i++)
            {
                final Queue q = queues[i];
                ipackets += q.rxPackets;
                ibytes += q.rxBytes;
                opackets += q.txPackets;
                obytes += q.txBytes;
                oerrors += q.txDropped;
                noMbuf += q.rxNoMbuf;
                if (i < shown)
                {
                    qi[i] = q.rxPackets;
                    qo[i] = q.txPackets;
                }
                if (!closed)
                {
                    xs.fill((byte)0);
                    Sockets.getsockopt(q.fd, Sockets.SOL_XDP, Sockets.XDP_STATISTICS, xs);
                    imissed += xs.get(ValueLayout.JAVA_LONG, 0) + xs.get(ValueLayout.JAVA_LONG, 24);
                    ierrors += xs.get(ValueLayout.JAVA_LONG, 8);
                    oerrors += xs.get(ValueLayout.JAVA_LONG, 16);
                    noMbuf += xs.get(ValueLayout.JAVA_LONG, 32);
                }
            }
        }
        return new EthDev.Stats(ipackets, opackets, ibytes, obytes, imissed, ierrors, oerrors, noMbuf, qi, qo);
    }

    /**
     * Waits (up to 100 ms) for transmissions to complete, deletes the sockets and the UMEM, returns every frame the
     * kernel still held to the pool, records {@link #mbufsLeftInUse()}, then frees the pool and the memory.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        final long deadline = System.nanoTime() + 100_000_000L;
        for (final Queue q : queues)
        {
            while (q.txInFlight > 0 && System.nanoTime() < deadline)
            {
                Sockets.kick(q.fd);
                drainCompletions(q);
            }
        }
        closed = true;
        for (final Queue q : queues)
        {
            LibXdp.socketDelete(q.xsk);
        }
        LibXdp.umemDelete(umem);
        // The sockets are gone: no kernel access to the UMEM any more. Frames it held go back to the pool.
        for (int f = 0; f < kernelOwned.length; f++)
        {
            if (kernelOwned[f] != 0)
            {
                kernelOwned[f] = 0;
                Mbuf.free(area + (long)f * objectSize + headerSize);
            }
        }
        arena.close();
        if (ownsMemory)
        {
            leftInUse = pool.inUse();
            memory.close();
        }
        else
        {
            leftInUse = 0;
        }
    }

    /**
     * One AF_XDP socket and its four rings. The kernel-shared words are the producer/consumer indices and flags at
     * the addresses libxdp stored in the ring structs; the {@code *Produced/*Consumed} fields are our private copies
     * of our own index (only we write it), so only the kernel's index needs an acquire load.
     */
    private static final class Queue
    {
        final long xsk;
        final int fd;
        final int size;
        final int mask;
        /** Kicks per transmit at most: a full ring at 32 descriptors per sendto, and one more. */
        final int maxKicks;
        final long scratch;
        final long rxProducer;
        final long rxConsumer;
        final long rxRing;
        final long txProducer;
        final long txConsumer;
        final long txRing;
        final long txFlags;
        final long fillProducer;
        final long fillConsumer;
        final long fillRing;
        final long fillFlags;
        final long compProducer;
        final long compConsumer;
        final long compRing;
        int rxConsumed;
        int txProduced;
        int fillProduced;
        int compConsumed;
        int txInFlight;
        long rxPackets;
        long rxBytes;
        long txPackets;
        long txBytes;
        long txDropped;
        long rxNoMbuf;

        Queue(final long xsk, final int fd, final long rx, final long tx, final long fill, final long comp, final long scratch,
              final int size)
        {
            this.xsk = xsk;
            this.fd = fd;
            this.size = size;
            this.mask = size - 1;
            this.maxKicks = size / 32 + 1;
            this.scratch = scratch;
            rxProducer = Memory.getLong(rx + LibXdp.RING_PRODUCER);
            rxConsumer = Memory.getLong(rx + LibXdp.RING_CONSUMER);
            rxRing = Memory.getLong(rx + LibXdp.RING_RING);
            txProducer = Memory.getLong(tx + LibXdp.RING_PRODUCER);
            txConsumer = Memory.getLong(tx + LibXdp.RING_CONSUMER);
            txRing = Memory.getLong(tx + LibXdp.RING_RING);
            txFlags = Memory.getLong(tx + LibXdp.RING_FLAGS);
            fillProducer = Memory.getLong(fill + LibXdp.RING_PRODUCER);
            fillConsumer = Memory.getLong(fill + LibXdp.RING_CONSUMER);
            fillRing = Memory.getLong(fill + LibXdp.RING_RING);
            fillFlags = Memory.getLong(fill + LibXdp.RING_FLAGS);
            compProducer = Memory.getLong(comp + LibXdp.RING_PRODUCER);
            compConsumer = Memory.getLong(comp + LibXdp.RING_CONSUMER);
            compRing = Memory.getLong(comp + LibXdp.RING_RING);
            // Start from the indices as the kernel initialised them (0 for fresh rings).
            rxConsumed = Memory.getInt(rxConsumer);
            txProduced = Memory.getInt(txProducer);
            fillProduced = Memory.getInt(fillProducer);
            compConsumed = Memory.getInt(compConsumer);
        }
    }
}
