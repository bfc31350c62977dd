package io.flowgate.pipeline.conntrack.diff;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.conntrack.CtEntry;
import io.flowgate.conntrack.CtPacket;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStats;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.pipeline.conntrack.CtPacketParser;
import io.flowgate.pipeline.conntrack.HugePageTableMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * flowgate's side of the differential test: the real tracker ({@link Conntrack} on its off-heap table) and
 * the real packet parser, driven exactly as the router's hooks drive them for a forwarded packet with no
 * rules: PREROUTING {@code in}, then (if the packet has an entry and is not dropped) POSTROUTING confirm,
 * then the end of the burst. Time is simulated: a corpus pause advances the tracker's clock instead of
 * sleeping, so timeouts read as Linux's would right after the same pause.
 */
final class FlowgateConntrackSubject implements ConntrackSubject
{
    private final Arena arena = Arena.ofShared();
    private final MemorySegment packet = arena.allocate(65_536, 64);
    private final CtPacketParser parser = new CtPacketParser(true);
    private final CtPacket facts = new CtPacket();
    private final HugePageTableMemory memory = new HugePageTableMemory();
    private Conntrack conntrack;
    private ConntrackTable.Reader reader;
    private int nowMs;

    FlowgateConntrackSubject()
    {
        open();
    }

    private void open()
    {
        conntrack = new Conntrack(0, ConntrackConfig.defaults(4096), memory, null, null, 32, 1, 0x5eed);
        reader = conntrack.table().reader();
        nowMs = 1_000;
    }

    @Override
    public String name()
    {
        return "flowgate";
    }

    @Override
    public void reset()
    {
        reader.close();
        conntrack.table().close();
        open();
    }

    @Override
    public Outcome send(final CorpusPacket p)
    {
        nowMs += (int)p.pauseMillis();
        final byte[] bytes = p.bytes();
        MemorySegment.copy(bytes, 0, packet, ValueLayout.JAVA_BYTE, 0, bytes.length);
        final long ip = packet.address();
        final int version = (bytes[0] >>> 4) & 0xF;
        if (version == 4)
        {
            parser.ipv4(ip, bytes.length, 0, facts);
        }
        else
        {
            parser.ipv6(ip, bytes.length, 0, facts);
        }
        final int ctinfo = conntrack.in(facts, nowMs);
        final int index = conntrack.index();
        if (conntrack.drop())
        {
            conntrack.endBurst();
            return Outcome.NOT_SEEN;
        }
        if (index >= 0)
        {
            conntrack.confirm(index, nowMs);
        }
        conntrack.endBurst();
        conntrack.poll(nowMs);
        return Outcome.ofCtInfo(ctinfo);
    }

    @Override
    public List<CtRow> entries()
    {
        final List<CtRow> rows = new ArrayList<>();
        final CtEntry e = new CtEntry();
        reader.enter();
        try
        {
            for (int i = 0; i < reader.limit(); i++)
            {
                if (reader.snapshot(i, nowMs, e) && (e.status & CtStatus.DYING) == 0 && !CtRecord.isExpired(conntrack.table().record(i), nowMs))
                {
                    rows.add(CtRow.of(e));
                }
            }
        }
        finally
        {
            reader.exit();
        }
        return rows;
    }

    @Override
    public Map<String, Long> stats()
    {
        final CtStats s = conntrack.stats();
        final Map<String, Long> out = new LinkedHashMap<>();
        out.put("found", s.found);
        out.put("invalid", s.invalid);
        out.put("insert", s.insert);
        out.put("insert_failed", s.insertFailed);
        out.put("drop", s.drop);
        out.put("early_drop", s.earlyDrop);
        out.put("error", s.error);
        out.put("search_restart", s.searchRestart);
        out.put("clash_resolve", s.clashResolve);
        return out;
    }

    @Override
    public void close()
    {
        reader.close();
        conntrack.table().close();
        arena.close();
    }
}
