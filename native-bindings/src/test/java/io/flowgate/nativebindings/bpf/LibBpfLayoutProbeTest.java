package io.flowgate.nativebindings.bpf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The libbpf option structs and constants LibBpf lays out by hand, compared with the installed headers
 * (libbpf-dev): a C probe prints offsetof/sizeof of every named field and the constants' values.
 */
class LibBpfLayoutProbeTest
{
    @Test
    void shouldMatchTheInstalledLibbpfHeaders(@TempDir final Path dir) throws Exception
    {
        final StringBuilder c = new StringBuilder(
            "#include <stdio.h>\n#include <stddef.h>\n#include <bpf/libbpf.h>\n#include <bpf/bpf.h>\n#include <linux/if_link.h>\n"
                + "int main(void) {\n");
        final Map<String, Long> expected = new HashMap<>();
        for (final StructLayout layout : List.of(LibBpf.TEST_RUN_OPTS, LibBpf.XDP_ATTACH_OPTS, LibBpf.BATCH_OPTS))
        {
            final String struct = layout.name().orElseThrow();
            c.append("printf(\"sizeof ").append(struct).append(" %zu\\n\", sizeof(struct ").append(struct).append("));\n");
            expected.put("sizeof " + struct, layout.byteSize());
            for (final MemoryLayout member : layout.memberLayouts())
            {
                if (member.name().isEmpty())
                {
                    continue;
                }
                final String field = member.name().get();
                c.append("printf(\"").append(struct).append('.').append(field).append(" %zu\\n\", offsetof(struct ").append(struct)
                    .append(", ").append(field).append("));\n");
                expected.put(struct + "." + field, layout.byteOffset(MemoryLayout.PathElement.groupElement(field)));
            }
        }
        final Map<String, Long> constants = Map.of("XDP_FLAGS_UPDATE_IF_NOEXIST", (long)LibBpf.XDP_FLAGS_UPDATE_IF_NOEXIST,
            "XDP_FLAGS_SKB_MODE", (long)LibBpf.XDP_FLAGS_SKB_MODE, "XDP_FLAGS_DRV_MODE", (long)LibBpf.XDP_FLAGS_DRV_MODE,
            "XDP_FLAGS_REPLACE", (long)LibBpf.XDP_FLAGS_REPLACE, "BPF_NOEXIST", LibBpf.BPF_NOEXIST, "BPF_EXIST", LibBpf.BPF_EXIST,
            "XDP_REDIRECT", (long)LibBpf.XDP_REDIRECT, "XDP_PASS", (long)LibBpf.XDP_PASS);
        for (final Map.Entry<String, Long> e : constants.entrySet())
        {
            c.append("printf(\"const ").append(e.getKey()).append(" %lld\\n\", (long long)").append(e.getKey()).append(");\n");
            expected.put("const " + e.getKey(), e.getValue());
        }
        c.append("return 0; }\n");
        final Map<String, Long> measured = compileAndRun(dir, c.toString());
        final List<String> mismatches = new ArrayList<>();
        for (final Map.Entry<String, Long> e : expected.entrySet())
        {
            if (!e.getValue().equals(measured.get(e.getKey())))
            {
                mismatches.add(e.getKey() + ": C " + measured.get(e.getKey()) + ", Java " + e.getValue());
            }
        }
        assertTrue(mismatches.isEmpty(), String.join("\n", mismatches));
        assertEquals(expected.size(), measured.size());
    }

    static Map<String, Long> compileAndRun(final Path dir, final String source) throws Exception
    {
        final Path src = dir.resolve("probe.c");
        final Path exe = dir.resolve("probe");
        Files.writeString(src, source);
        run(dir, "gcc", "-o", exe.toString(), src.toString());
        final String out = run(dir, exe.toString());
        final Map<String, Long> values = new HashMap<>();
        for (final String line : out.split("\n"))
        {
            final int space = line.lastIndexOf(' ');
            values.put(line.substring(0, space), Long.parseLong(line.substring(space + 1)));
        }
        return values;
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
