package io.flowgate.nativebindings.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flowgate.nativebindings.os.Sockets;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The libxdp/AF_XDP struct layouts and constants the Java side uses, compared with what the C compiler says for the
 * installed {@code xdp/xsk.h} and {@code linux/if_xdp.h}: a C probe is generated from the Java layouts and run.
 */
class XdpStructLayoutProbeTest
{
    @Test
    void shouldMatchTheInstalledHeaders(@TempDir final Path dir) throws Exception
    {
        final Map<String, Long> expected = new LinkedHashMap<>();
        final Map<StructLayout, String> structs = new LinkedHashMap<>();
        structs.put(LibXdp.RING, "struct xsk_ring_prod");
        structs.put(LibXdp.UMEM_CONFIG, "struct xsk_umem_config");
        structs.put(LibXdp.SOCKET_CONFIG, "struct xsk_socket_config");
        structs.put(Sockets.XDP_STATISTICS_LAYOUT, "struct xdp_statistics");
        for (final Map.Entry<StructLayout, String> e : structs.entrySet())
        {
            final String c = e.getValue();
            expected.put("sizeof(" + c + ")", e.getKey().byteSize());
            for (final MemoryLayout member : e.getKey().memberLayouts())
            {
                if (!(member instanceof PaddingLayout))
                {
                    final String field = member.name().orElseThrow();
                    expected.put("offsetof(" + c + ", " + field + ")",
                        e.getKey().byteOffset(MemoryLayout.PathElement.groupElement(field)));
                }
            }
        }
        expected.put("offsetof(struct xsk_ring_cons, producer)", LibXdp.RING_PRODUCER);
        expected.put("offsetof(struct xsk_ring_prod, mask)", LibXdp.RING_MASK);
        expected.put("offsetof(struct xsk_ring_prod, size)", LibXdp.RING_SIZE);
        expected.put("offsetof(struct xsk_ring_prod, producer)", LibXdp.RING_PRODUCER);
        expected.put("offsetof(struct xsk_ring_prod, consumer)", LibXdp.RING_CONSUMER);
        expected.put("offsetof(struct xsk_ring_prod, ring)", LibXdp.RING_RING);
        expected.put("offsetof(struct xsk_ring_prod, flags)", LibXdp.RING_FLAGS);
        expected.put("sizeof(struct xdp_desc)", (long)LibXdp.DESC_SIZE);
        expected.put("XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD", (long)LibXdp.LIBXDP_FLAGS_INHIBIT_PROG_LOAD);
        expected.put("XDP_UMEM_UNALIGNED_CHUNK_FLAG", (long)LibXdp.UMEM_UNALIGNED_CHUNK_FLAG);
        expected.put("XSK_UNALIGNED_BUF_OFFSET_SHIFT", (long)LibXdp.UNALIGNED_BUF_OFFSET_SHIFT);
        expected.put("XSK_UNALIGNED_BUF_ADDR_MASK", LibXdp.UNALIGNED_BUF_ADDR_MASK);
        expected.put("XDP_PACKET_HEADROOM", (long)LibXdp.XDP_PACKET_HEADROOM);
        expected.put("XDP_SHARED_UMEM", (long)LibXdp.XDP_SHARED_UMEM);
        expected.put("XDP_COPY", (long)LibXdp.XDP_COPY);
        expected.put("XDP_ZEROCOPY", (long)LibXdp.XDP_ZEROCOPY);
        expected.put("XDP_USE_NEED_WAKEUP", (long)LibXdp.XDP_USE_NEED_WAKEUP);
        expected.put("XDP_RING_NEED_WAKEUP", (long)LibXdp.XDP_RING_NEED_WAKEUP);
        expected.put("XDP_FLAGS_SKB_MODE", (long)LibXdp.XDP_FLAGS_SKB_MODE);
        expected.put("XDP_FLAGS_DRV_MODE", (long)LibXdp.XDP_FLAGS_DRV_MODE);
        expected.put("XDP_FLAGS_UPDATE_IF_NOEXIST", (long)LibXdp.XDP_FLAGS_UPDATE_IF_NOEXIST);
        expected.put("SOL_XDP", (long)Sockets.SOL_XDP);
        expected.put("SOL_SOCKET", (long)Sockets.SOL_SOCKET);
        expected.put("XDP_STATISTICS", (long)Sockets.XDP_STATISTICS);
        expected.put("XDP_OPTIONS", (long)Sockets.XDP_OPTIONS);
        expected.put("XDP_OPTIONS_ZEROCOPY", (long)Sockets.XDP_OPTIONS_ZEROCOPY);
        expected.put("SO_BUSY_POLL", (long)Sockets.SO_BUSY_POLL);
        expected.put("SO_PREFER_BUSY_POLL", (long)Sockets.SO_PREFER_BUSY_POLL);
        expected.put("SO_BUSY_POLL_BUDGET", (long)Sockets.SO_BUSY_POLL_BUDGET);
        expected.put("MSG_DONTWAIT", (long)Sockets.MSG_DONTWAIT);
        expected.put("POLLIN", (long)Sockets.POLLIN);
        expected.put("POLLOUT", (long)Sockets.POLLOUT);

        final StringBuilder src = new StringBuilder("#include <stddef.h>\n#include <stdio.h>\n#include <poll.h>\n#include <sys/socket.h>\n"
            + "#include <linux/if_link.h>\n#include <xdp/xsk.h>\n#ifndef SOL_XDP\n#define SOL_XDP 283\n#endif\nint main(void) {\n");
        for (final String expr : expected.keySet())
        {
            src.append("  printf(\"%s %lld\\n\", \"").append(expr).append("\", (long long)(").append(expr).append("));\n");
        }
        src.append("  return 0;\n}\n");
        Files.writeString(dir.resolve("probe.c"), src);
        final Process cc = new ProcessBuilder("sh", "-c", "cc -Wall -o probe probe.c && ./probe").directory(dir.toFile())
            .redirectErrorStream(true).start();
        final String out = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, cc.waitFor(), out);
        final Map<String, Long> measured = new LinkedHashMap<>();
        for (final String line : out.split("\n"))
        {
            final int space = line.lastIndexOf(' ');
            measured.put(line.substring(0, space), Long.parseLong(line.substring(space + 1)));
        }
        for (final String expr : List.copyOf(expected.keySet()))
        {
            assertEquals(expected.get(expr), measured.get(expr), expr);
        }
    }
}
