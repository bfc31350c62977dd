package io.flowgate.pipeline.nat;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.conntrack.expect.ExpectTable;
import io.flowgate.conntrack.nat.NatBinder;
import io.flowgate.conntrack.nat.NatStats;
import io.flowgate.nativebindings.Memory;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.conntrack.ConfirmHook;
import io.flowgate.pipeline.conntrack.ConntrackHook;
import io.flowgate.pipeline.conntrack.CtClock;
import io.flowgate.pipeline.conntrack.HugePageTableMemory;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookHandler;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pipeline.nat.helper.HelperHook;
import io.flowgate.pmd.header.EthernetFlyweight;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * One worker's NAT hooks without ports: conntrack (PREROUTING -200), NAT destination manip (-100), NAT source
 * manip (POSTROUTING 100), with {@link #withHelpers} the helper hook (300), and confirmation, run directly on
 * packets written into off-heap memory, one packet per burst as the worker would for a burst of one. Port 0 is
 * "inside" (10.0.0.1 unless given), port 1 "outside" (198.51.100.1). Routing is the caller's: it names the port a
 * packet leaves by, or {@link #ROUTED} to have the bed's route function pick it from the destination after PREROUTING.
 */
public final class NatBed implements AutoCloseable
{
    public static final int INSIDE = 0;
    public static final int OUTSIDE = 1;
    /** {@link #send}'s out port: decided by the route function from the destination after PREROUTING. */
    public static final int ROUTED = -2;
    /** Tailroom the helpers may grow a packet into (no mbuf here). */
    public static final int ROOM = 512;

    final Arena arena = Arena.ofShared();
    final HugePageTableMemory memory = new HugePageTableMemory();
    public final Conntrack conntrack;
    public final NatBinder binder;
    final NatStats stats = new NatStats();
    /** With helpers: the worker's expectations and the helper hook; else null. */
    public final ExpectTable expect;
    public final HelperHook helpers;
    private final IntUnaryOperator route;
    private final ConntrackHook track;
    private final NatHook dnat;
    private final NatHook snat;
    private final ConfirmHook confirm;
    private final PacketBurst burst;
    private final MemorySegment buffer;
    private final int[] packets = {0};

    NatBed(final NatConfig config)
    {
        this(config, 0, 1);
    }

    NatBed(final NatConfig config, final int worker, final int workers)
    {
        this(config, worker, workers, 0x0A000001, false, null);
    }

    /**
     * The bed with the FTP (port 21) and TFTP (69) helpers, as the router wires them: expectations, follow-master in
     * the NAT hooks, the helper hook at POSTROUTING. {@code insideAddress} is port 0's address.
     */
    public static NatBed withHelpers(final NatConfig config, final int insideAddress, final IntUnaryOperator route)
    {
        return new NatBed(config, 0, 1, insideAddress, true, route);
    }

    private NatBed(final NatConfig config, final int worker, final int workers, final int insideAddress, final boolean withHelpers,
                   final IntUnaryOperator route)
    {
        conntrack = new Conntrack(worker, ConntrackConfig.defaults(4096), memory, null, null, 32, 1, 0x5eed);
        binder = new NatBinder(conntrack, worker, workers, 4096, stats, 42);
        binder.uniqueMappings(config.filtering() == NatConfig.Filtering.ENDPOINT_INDEPENDENT);
        conntrack.binding(binder);
        final NatPolicy policy = new NatPolicy(config.withPortNames(List.of("inside", "outside")), new int[] {INSIDE, OUTSIDE},
            new int[] {insideAddress, 0xC6336401});
        final CtClock clock = new CtClock();
        track = new ConntrackHook(conntrack, true, clock, 0, 32);
        dnat = new NatHook(NatRewriter.MANIP_DST, conntrack, binder, policy);
        snat = new NatHook(NatRewriter.MANIP_SRC, conntrack, binder, policy);
        confirm = new ConfirmHook(conntrack);
        burst = new PacketBurst(arena, 32);
        buffer = arena.allocate(4096, 64);
        this.route = route;
        if (withHelpers)
        {
            expect = new ExpectTable(conntrack.table(), 256, 256);
            conntrack.expectations(expect);
            dnat.expectations(expect);
            snat.expectations(expect);
            helpers = new HelperHook(conntrack, expect, worker, workers, new int[] {21}, new int[] {69}, 7);
            helpers.roomForTests = ROOM;
        }
        else
        {
            expect = null;
            helpers = null;
        }
    }

    /** The packet after the hooks (rewritten in place, its length possibly changed by a helper), or null when a hook dropped it. */
    public byte[] send(final byte[] packet, final int inPort, final int outPort)
    {
        final long address = buffer.address();
        MemorySegment.copy(packet, 0, buffer, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, packet.length);
        burst.count(1);
        burst.frame[0] = address;
        burst.l3[0] = address;
        burst.length[0] = packet.length;
        burst.etherType[0] = EthernetFlyweight.ETHER_TYPE_IPV4;
        burst.inPort[0] = inPort;
        burst.outPort[0] = -1;
        burst.verdict[0] = Verdict.ACCEPT;
        burst.handedIn = false;
        if (!run(track, Hook.PREROUTING) || !run(dnat, Hook.PREROUTING))
        {
            conntrack.endBurst();
            return null;
        }
        burst.outPort[0] = outPort == ROUTED ? route.applyAsInt(Memory.getIntBE(address + 16)) : outPort;
        if (!run(snat, Hook.POSTROUTING) || (helpers != null && !run(helpers, Hook.POSTROUTING)) || !run(confirm, Hook.POSTROUTING))
        {
            conntrack.endBurst();
            return null;
        }
        conntrack.endBurst();
        final byte[] out = new byte[Memory.getShortBE(address + 2)];
        MemorySegment.copy(buffer, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, out, 0, out.length);
        return out;
    }

    /** The ct entry index the last packet got (-1: none). */
    public int lastCt()
    {
        return burst.ct[0];
    }

    public int lastCtinfo()
    {
        return burst.ctinfo[0];
    }

    private boolean run(final HookHandler handler, final Hook hook)
    {
        handler.process(hook, burst, packets, 1, burst.verdict);
        return burst.verdict[0] == Verdict.ACCEPT;
    }

    @Override
    public void close()
    {
        conntrack.table().close();
        arena.close();
    }
}
