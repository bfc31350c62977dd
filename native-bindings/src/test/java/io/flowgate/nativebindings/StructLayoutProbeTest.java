package io.flowgate.nativebindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.nativebindings.dpdk.Dpdk;
import io.flowgate.nativebindings.dpdk.EthDev;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.nativebindings.gen.rte_eth_conf;
import io.flowgate.nativebindings.gen.rte_eth_dev_info;
import io.flowgate.nativebindings.gen.rte_eth_link;
import io.flowgate.nativebindings.gen.rte_eth_rss_conf;
import io.flowgate.nativebindings.gen.rte_eth_stats;
import io.flowgate.nativebindings.gen.rte_eth_xstat;
import io.flowgate.nativebindings.gen.rte_eth_xstat_name;
import io.flowgate.nativebindings.gen.rte_ether_addr;
import io.flowgate.nativebindings.gen.rte_mbuf;
import java.io.IOException;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every struct offset, size and constant the Java side relies on, compared with what the C compiler says
 * for the installed DPDK headers. The C probe is generated from the Java layouts themselves, so a field
 * added to a layout is checked without touching this test; a DPDK upgrade that moves a field fails here.
 */
class StructLayoutProbeTest
{
    static final List<StructLayout> LAYOUTS = List.of(
        rte_mbuf.LAYOUT, rte_eth_dev_info.LAYOUT, rte_eth_conf.LAYOUT, rte_eth_rss_conf.LAYOUT, rte_eth_stats.LAYOUT,
        rte_eth_link.LAYOUT, rte_eth_xstat.LAYOUT, rte_eth_xstat_name.LAYOUT, rte_ether_addr.LAYOUT);

    /** Java constants that mirror C macros: C expression -> the Java value. */
    static final Map<String, Long> CONSTANTS = new LinkedHashMap<>();

    static
    {
        CONSTANTS.put("RTE_ETH_RSS_IP", EthDev.RSS_IP);
        CONSTANTS.put("RTE_ETH_RSS_UDP", EthDev.RSS_UDP);
        CONSTANTS.put("RTE_ETH_RSS_TCP", EthDev.RSS_TCP);
        CONSTANTS.put("RTE_ETH_MQ_RX_RSS", (long)EthDev.MQ_RX_RSS);
        CONSTANTS.put("RTE_ETH_MQ_RX_NONE", (long)EthDev.MQ_RX_NONE);
        CONSTANTS.put("RTE_MAX_ETHPORTS", (long)EthDev.MAX_ETHPORTS);
        CONSTANTS.put("RTE_ETH_NAME_MAX_LEN", (long)EthDev.NAME_MAX_LEN);
        CONSTANTS.put("RTE_ETHDEV_QUEUE_STAT_CNTRS", (long)EthDev.QUEUE_STAT_COUNTERS);
        CONSTANTS.put("RTE_MBUF_DEFAULT_BUF_SIZE", (long)Mempool.DEFAULT_DATA_ROOM);
        CONSTANTS.put("RTE_PKTMBUF_HEADROOM", (long)Mempool.HEADROOM);
        CONSTANTS.put("RTE_MEMPOOL_NAMESIZE - 1", (long)Mempool.NAME_MAX);
        CONSTANTS.put("SOCKET_ID_ANY", (long)Mempool.SOCKET_ID_ANY);
        CONSTANTS.put("RTE_MBUF_F_RX_RSS_HASH", Mbuf.F_RX_RSS_HASH);
        CONSTANTS.put("RTE_VER_YEAR", (long)Dpdk.EXPECTED_YEAR);
        CONSTANTS.put("RTE_VER_MONTH", (long)Dpdk.EXPECTED_MONTH);
        CONSTANTS.put("offsetof(struct rte_eth_link, link_speed) + sizeof(uint32_t)", rte_eth_link.BITFIELDS$OFFSET);
    }

    private static Map<String, Long> measured;

    @BeforeAll
    static void runProbe(@TempDir final Path dir) throws Exception
    {
        measured = compileAndRun(dir, probeSource(LAYOUTS));
    }

    @Test
    void shouldMatchEveryFieldOffsetAndSizeWithTheInstalledHeaders()
    {
        final List<String> mismatches = compare(LAYOUTS, measured);
        assertTrue(mismatches.isEmpty(), "Java layouts disagree with the DPDK headers:\n" + String.join("\n", mismatches));
        assertTrue(measured.size() > 80, "the probe checked " + measured.size() + " values");
    }

    @Test
    void shouldMatchEveryMirroredConstant()
    {
        final List<String> mismatches = new ArrayList<>();
        for (final Map.Entry<String, Long> c : CONSTANTS.entrySet())
        {
            final Long value = measured.get("const " + c.getKey());
            if (value == null || value.longValue() != c.getValue())
            {
                mismatches.add(c.getKey() + ": C " + value + ", Java " + c.getValue());
            }
        }
        assertTrue(mismatches.isEmpty(), String.join("\n", mismatches));
    }

    @Test
    void shouldPlaceLinkBitFieldsWhereTheMasksSay()
    {
        assertEquals(rte_eth_link.LINK_DUPLEX$MASK, measured.get("bit link_duplex"));
        assertEquals(rte_eth_link.LINK_AUTONEG$MASK, measured.get("bit link_autoneg"));
        assertEquals(rte_eth_link.LINK_STATUS$MASK, measured.get("bit link_status"));
    }

    @Test
    void shouldReportAFieldThatMoved()
    {
        // A layout that puts data_len where DPDK does not: what a silent DPDK change would look like.
        final StructLayout moved = MemoryLayout.structLayout(
            MemoryLayout.paddingLayout(44), ValueLayout.JAVA_SHORT.withName("data_len"), MemoryLayout.paddingLayout(82))
            .withName("rte_mbuf");
        final List<String> mismatches = compare(List.of(moved), measured);
        assertEquals(1, mismatches.size(), mismatches.toString());
        assertTrue(mismatches.get(0).contains("rte_mbuf.data_len offset: C 40, Java 44"), mismatches.get(0));
    }

    static List<String> compare(final List<StructLayout> layouts, final Map<String, Long> measured)
    {
        final List<String> mismatches = new ArrayList<>();
        for (final StructLayout layout : layouts)
        {
            final String struct = layout.name().orElseThrow();
            check(mismatches, struct + " sizeof", measured.get(struct + " sizeof"), layout.byteSize());
            long offset = 0;
            for (final MemoryLayout member : layout.memberLayouts())
            {
                if (!(member instanceof PaddingLayout))
                {
                    final String field = struct + "." + member.name().orElseThrow();
                    check(mismatches, field + " offset", measured.get(field + " offset"), offset);
                    check(mismatches, field + " size", measured.get(field + " size"), member.byteSize());
                }
                offset += member.byteSize();
            }
        }
        return mismatches;
    }

    private static void check(final List<String> mismatches, final String what, final Long c, final long java)
    {
        if (c == null || c != java)
        {
            mismatches.add(what + ": C " + c + ", Java " + java);
        }
    }

    static String probeSource(final List<StructLayout> layouts)
    {
        final StringBuilder c = new StringBuilder("""
            #include <stdio.h>
            #include <stddef.h>
            #include <string.h>
            #include <rte_version.h>
            #include <rte_ethdev.h>
            #include <rte_mbuf.h>
            #include <rte_mempool.h>
            #define FIELD(s, f) printf(#s "." #f " offset %zu\\n" #s "." #f " size %zu\\n", offsetof(struct s, f), sizeof(((struct s *)0)->f))
            static void bit(const char *name, struct rte_eth_link *l)
            {
                uint16_t word;
                memcpy(&word, (char *)l + offsetof(struct rte_eth_link, link_speed) + sizeof(uint32_t), sizeof(word));
                printf("bit %s %u\\n", name, word);
                memset(l, 0, sizeof(*l));
            }
            int main(void)
            {
                struct rte_eth_link link;
                memset(&link, 0, sizeof(link));
                link.link_duplex = 1; bit("link_duplex", &link);
                link.link_autoneg = 1; bit("link_autoneg", &link);
                link.link_status = 1; bit("link_status", &link);
            """);
        for (final StructLayout layout : layouts)
        {
            final String struct = layout.name().orElseThrow();
            c.append("    printf(\"").append(struct).append(" sizeof %zu\\n\", sizeof(struct ").append(struct).append("));\n");
            for (final MemoryLayout member : layout.memberLayouts())
            {
                if (!(member instanceof PaddingLayout))
                {
                    c.append("    FIELD(").append(struct).append(", ").append(member.name().orElseThrow()).append(");\n");
                }
            }
        }
        for (final String constant : CONSTANTS.keySet())
        {
            c.append("    printf(\"const %s %lld\\n\", \"").append(constant).append("\", (long long)(").append(constant).append("));\n");
        }
        c.append("    return 0;\n}\n");
        return c.toString();
    }

    static Map<String, Long> compileAndRun(final Path dir, final String source) throws IOException, InterruptedException
    {
        final Path src = dir.resolve("probe.c");
        final Path exe = dir.resolve("probe");
        Files.writeString(src, source);
        run(dir, "gcc -Wall -Werror -o " + exe + " " + src + " $(pkg-config --cflags libdpdk)");
        final Map<String, Long> values = new LinkedHashMap<>();
        for (final String line : run(dir, exe.toString()).split("\n"))
        {
            final int space = line.lastIndexOf(' ');
            values.put(line.substring(0, space), Long.parseLong(line.substring(space + 1)));
        }
        return values;
    }

    private static String run(final Path dir, final String command) throws IOException, InterruptedException
    {
        final Process p = new ProcessBuilder("bash", "-c", command).directory(dir.toFile()).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), command + " timed out");
        assertEquals(0, p.exitValue(), command + " failed:\n" + out);
        return out;
    }
}
