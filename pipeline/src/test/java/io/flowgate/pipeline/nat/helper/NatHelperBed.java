package io.flowgate.pipeline.nat.helper;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.expect.ExpectTable;
import io.flowgate.conntrack.expect.NatFollow;
import io.flowgate.conntrack.nat.NatBinder;
import io.flowgate.conntrack.nat.NatRange;
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
import io.flowgate.pipeline.nat.NatConfig;
import io.flowgate.pipeline.nat.NatHook;
import io.flowgate.pipeline.nat.NatPolicy;
import io.flowgate.pipeline.nat.NatRewriter;
import io.flowgate.pmd.header.EthernetFlyweight;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * One worker's hook chain with the NAT engine and the helpers, without ports: conntrack (PREROUTING -200),
 * follow-master for expected connections (-101, what docs/nat-helpers.md asks of NatHook.decide), NAT
 * destination manip (-100), routing by the caller's rule, NAT source manip (POSTROUTING 100), the helper hook
 * (300) and confirmation, on one packet at a time in off-heap memory. Port 0 "inside" (10.77.5.1), port 1
 * "outside" (198.51.100.1).
 */
final class NatHelperBed implements AutoCloseable
{
    static final int INSIDE = 0;
    static final int OUTSIDE = 1;
    static final int ROOM = 512;

    final Arena arena = Arena.ofShared();
    final HugePageTableMemory memory = new HugePageTableMemory();
    final Conntrack conntrack;
    final NatBinder binder;
    final ExpectTable expect;
    final HelperHook helpers;
    private final ConntrackHook track;
    private final HookHandler follow;
    private final NatHook dnat;
    private final NatHook snat;
    private final ConfirmHook confirm;
    private final PacketBurst burst;
    private final MemorySegment buffer;
    private final int[] packets = {0};

    NatHelperBed(final NatConfig config)
    {
        conntrack = new Conntrack(0, ConntrackConfig.defaults(4096), memory, null, null, 32, 1, 0x5eed);
        binder = new NatBinder(conntrack, 0, 1, 4096, new NatStats(), 42);
        conntrack.binding(binder);
        expect = new ExpectTable(conntrack.table(), 256, 256);
        conntrack.expectations(expect);
        final NatPolicy policy = new NatPolicy(config.withPortNames(List.of("inside", "outside")), new int[] {INSIDE, OUTSIDE},
            new int[] {0x0A4D0501, 0xC6336401});
        track = new ConntrackHook(conntrack, true, new CtClock(), 0, 32);
        follow = new FollowMaster();
        dnat = new NatHook(NatRewriter.MANIP_DST, conntrack, binder, policy);
        snat = new NatHook(NatRewriter.MANIP_SRC, conntrack, binder, policy);
        helpers = new HelperHook(conntrack, expect, 0, 1, new int[] {21}, new int[] {69}, 7);
        helpers.roomForTests = ROOM;
        confirm = new ConfirmHook(conntrack);
        burst = new PacketBurst(arena, 32);
        buffer = arena.allocate(4096, 64);
    }

    /** nf_nat_follow_master, decided for both manips on the expected connection's first packet (Linux's expectfn). */
    private final class FollowMaster implements HookHandler
    {
        private final NatFollow follow = new NatFollow();

        @Override
        public void process(final Hook hook, final PacketBurst b, final int[] p, final int count, final int[] verdicts)
        {
            for (int k = 0; k < count; k++)
            {
                final int i = p[k];
                verdicts[i] = Verdict.ACCEPT;
                final int idx = b.ct[i];
                if (idx < 0 || b.ctinfo[i] != CtInfo.RELATED)
                {
                    continue;
                }
                final long record = conntrack.table().record(idx);
                if ((CtRecord.status(record) & CtStatus.EXPECTED) == 0 || NatBinder.initialized(record, NatBinder.MANIP_DST) ||
                    !expect.follow(idx, follow))
                {
                    continue;
                }
                if (!binder.setup(idx, NatBinder.MANIP_SRC, NatRange.MAP_IPS, follow.srcAddress, follow.srcAddress, 0, 0, false) ||
                    !binder.setup(idx, NatBinder.MANIP_DST, NatRange.MAP_IPS | NatRange.PROTO_SPECIFIED, follow.dstAddress,
                        follow.dstAddress, follow.dstPort, follow.dstPort, false))
                {
                    verdicts[i] = Verdict.DROP;
                }
            }
        }
    }

    /** Where a packet leaves, by its destination after PREROUTING. */
    static int route(final long ip)
    {
        return (Memory.getIntBE(ip + 16) & 0xFFFFFF00) == 0x0A4D0500 ? INSIDE : OUTSIDE;
    }

    /** The packet after the hooks (rewritten in place, its length possibly changed), or null when a hook dropped it. */
    byte[] send(final byte[] packet, final int inPort)
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
        if (!run(track, Hook.PREROUTING) || !run(follow, Hook.PREROUTING) || !run(dnat, Hook.PREROUTING))
        {
            conntrack.endBurst();
            return null;
        }
        burst.outPort[0] = route(address);
        if (!run(snat, Hook.POSTROUTING) || !run(helpers, Hook.POSTROUTING) || !run(confirm, Hook.POSTROUTING))
        {
            conntrack.endBurst();
            return null;
        }
        conntrack.endBurst();
        final int length = Memory.getShortBE(address + 2);
        final byte[] out = new byte[length];
        MemorySegment.copy(buffer, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, out, 0, length);
        return out;
    }

    int lastCt()
    {
        return burst.ct[0];
    }

    int lastCtinfo()
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
