package io.flowgate.xdp.bpf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** FlowTable's offsets and XdpProgram's constants against flowgate_xdp.h, as the C compiler lays it out. */
class FlowLayoutProbeTest
{
    @Test
    void shouldMirrorFlowgateXdpH(@TempDir final Path dir) throws Exception
    {
        final Map<String, Long> expected = new LinkedHashMap<>();
        expected.put("offsetof(struct fg_flow_key, ifindex)", (long)FlowTable.KEY_IFINDEX);
        expected.put("offsetof(struct fg_flow_key, family)", (long)FlowTable.KEY_FAMILY);
        expected.put("offsetof(struct fg_flow_key, protocol)", (long)FlowTable.KEY_PROTOCOL);
        expected.put("offsetof(struct fg_flow_key, pad)", (long)FlowTable.KEY_PAD);
        expected.put("offsetof(struct fg_flow_key, src_port)", (long)FlowTable.KEY_SRC_PORT);
        expected.put("offsetof(struct fg_flow_key, dst_port)", (long)FlowTable.KEY_DST_PORT);
        expected.put("offsetof(struct fg_flow_key, src)", (long)FlowTable.KEY_SRC);
        expected.put("offsetof(struct fg_flow_key, dst)", (long)FlowTable.KEY_DST);
        expected.put("sizeof(struct fg_flow_key)", (long)FlowTable.KEY_SIZE);
        expected.put("offsetof(struct fg_flow_action, cookie)", (long)FlowTable.ACT_COOKIE);
        expected.put("offsetof(struct fg_flow_action, egress)", (long)FlowTable.ACT_EGRESS);
        expected.put("offsetof(struct fg_flow_action, mtu)", (long)FlowTable.ACT_MTU);
        expected.put("offsetof(struct fg_flow_action, flags)", (long)FlowTable.ACT_FLAGS);
        expected.put("offsetof(struct fg_flow_action, pad)", (long)FlowTable.ACT_PAD);
        expected.put("offsetof(struct fg_flow_action, dst_mac)", (long)FlowTable.ACT_DST_MAC);
        expected.put("offsetof(struct fg_flow_action, src_mac)", (long)FlowTable.ACT_SRC_MAC);
        expected.put("offsetof(struct fg_flow_action, new_src_port)", (long)FlowTable.ACT_NEW_SRC_PORT);
        expected.put("offsetof(struct fg_flow_action, new_dst_port)", (long)FlowTable.ACT_NEW_DST_PORT);
        expected.put("offsetof(struct fg_flow_action, new_src)", (long)FlowTable.ACT_NEW_SRC);
        expected.put("offsetof(struct fg_flow_action, new_dst)", (long)FlowTable.ACT_NEW_DST);
        expected.put("offsetof(struct fg_flow_action, packets)", (long)FlowTable.ACT_PACKETS);
        expected.put("offsetof(struct fg_flow_action, bytes)", (long)FlowTable.ACT_BYTES);
        expected.put("offsetof(struct fg_flow_action, last_seen_ns)", (long)FlowTable.ACT_LAST_SEEN);
        expected.put("sizeof(struct fg_flow_action)", (long)FlowTable.ACT_SIZE);
        expected.put("FG_MAX_PORTS", (long)XdpProgram.MAX_PORTS);
        expected.put("FG_MAX_QUEUES", (long)XdpProgram.MAX_QUEUES);
        expected.put("FG_FLOW_SNAT", (long)FlowRecord.SNAT);
        expected.put("FG_FLOW_DNAT", (long)FlowRecord.DNAT);
        expected.put("FG_STAT_RX", (long)XdpProgram.STAT_RX);
        expected.put("FG_STAT_FAST", (long)XdpProgram.STAT_FAST);
        expected.put("FG_STAT_MISS", (long)XdpProgram.STAT_MISS);
        expected.put("FG_STAT_TCP_FLAGS", (long)XdpProgram.STAT_TCP_FLAGS);
        expected.put("FG_STAT_FRAGMENT", (long)XdpProgram.STAT_FRAGMENT);
        expected.put("FG_STAT_TTL", (long)XdpProgram.STAT_TTL);
        expected.put("FG_STAT_MTU", (long)XdpProgram.STAT_MTU);
        expected.put("FG_STAT_OTHER", (long)XdpProgram.STAT_OTHER);
        expected.put("FG_STAT_REDIRECT_FAILED", (long)XdpProgram.STAT_REDIRECT_FAILED);
        expected.put("FG_STAT_XSK_MISSING", (long)XdpProgram.STAT_XSK_MISSING);
        expected.put("FG_STAT_COUNT", (long)XdpProgram.STAT_COUNT);
        final StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include \"flowgate_xdp.h\"\nint main(void) {\n");
        int i = 0;
        for (final String expr : expected.keySet())
        {
            c.append("printf(\"").append(i++).append(" %lld\\n\", (long long)(").append(expr).append("));\n");
        }
        c.append("return 0; }\n");
        final Path src = dir.resolve("probe.c");
        Files.writeString(src, c.toString());
        final Path header = Path.of("src/main/c").toAbsolutePath();
        run(dir, "gcc", "-I" + header, "-o", dir.resolve("probe").toString(), src.toString());
        final String[] lines = run(dir, dir.resolve("probe").toString()).split("\n");
        final Map<Integer, Long> measured = new HashMap<>();
        for (final String line : lines)
        {
            final String[] kv = line.split(" ");
            measured.put(Integer.parseInt(kv[0]), Long.parseLong(kv[1]));
        }
        final List<String> mismatches = new ArrayList<>();
        i = 0;
        for (final Map.Entry<String, Long> e : expected.entrySet())
        {
            final Long got = measured.get(i++);
            if (!e.getValue().equals(got))
            {
                mismatches.add(e.getKey() + ": C " + got + ", Java " + e.getValue());
            }
        }
        assertTrue(mismatches.isEmpty(), String.join("\n", mismatches));
    }

    static String run(final Path dir, final String... command) throws Exception
    {
        final Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
        return out;
    }
}
