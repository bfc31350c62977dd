package io.flowgate.pipeline.conntrack.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.CtStatus;
import io.flowgate.pipeline.conntrack.diff.Outcome.Direction;
import io.flowgate.pipeline.conntrack.diff.Outcome.State;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs the whole corpus through Linux alone and checks, for cases whose outcome Linux is known for, that the
 * harness sees it: proof that packets, classification, listing and statistics work before any comparison.
 * Writes every case's Linux run to {@code target/conntrack-diff/linux-corpus.txt}.
 */
class LinuxConntrackSubjectTest
{
    private static LinuxConntrackSubject linux;
    private static final Map<String, ConntrackDiff.Run> RUNS = new LinkedHashMap<>();

    @BeforeAll
    static void runCorpus() throws Exception
    {
        if (System.getenv("CI") != null)
        {
            // In CI the Linux side is required (ci/lib/prereqs.sh installs it): a silent skip would hide the harness.
            assertTrue(LinuxConntrackSubject.available(), "needs root, ip, nft, conntrack and /usr/bin/python3");
        }
        Assumptions.assumeTrue(LinuxConntrackSubject.available(), "needs root, ip, nft, conntrack and /usr/bin/python3");
        linux = LinuxConntrackSubject.start();
        final StringBuilder report = new StringBuilder();
        for (final CtCorpus.Case c : CtCorpus.all())
        {
            final ConntrackDiff.Run run = ConntrackDiff.run(linux, c);
            RUNS.put(c.name(), run);
            report.append("case ").append(c.name()).append(": ").append(c.description()).append('\n');
            for (int i = 0; i < c.packets().size(); i++)
            {
                report.append(String.format("  %-2d %-22s %s%n", i + 1, run.outcomes().get(i), c.packets().get(i).describe()));
            }
            for (final CtRow row : run.entries())
            {
                report.append("  entry ").append(row).append('\n');
            }
            report.append("  stats ").append(run.stats()).append('\n');
        }
        final Path dir = Path.of("target", "conntrack-diff");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("linux-corpus.txt"), report);
    }

    @AfterAll
    static void stop() throws Exception
    {
        if (linux != null)
        {
            linux.close();
        }
    }

    private static ConntrackDiff.Run run(final String name)
    {
        final ConntrackDiff.Run run = RUNS.get(name);
        assertNotNull(run, name);
        return run;
    }

    private static CtRow only(final String name)
    {
        final List<CtRow> entries = run(name).entries();
        assertEquals(1, entries.size(), () -> name + ": " + entries);
        return entries.get(0);
    }

    private static void assertOutcomes(final String name, final Outcome... expected)
    {
        assertEquals(List.of(expected), run(name).outcomes(), name);
    }

    private static Outcome o(final State state, final Direction direction)
    {
        return Outcome.of(state, direction);
    }

    @Test
    void shouldClassifyEveryPacketOfTheCorpus()
    {
        for (final Map.Entry<String, ConntrackDiff.Run> e : RUNS.entrySet())
        {
            assertFalse(e.getValue().outcomes().contains(Outcome.NOT_SEEN), e.getKey() + ": " + e.getValue().outcomes());
        }
        assertEquals(CtCorpus.all().size(), RUNS.size());
    }

    @Test
    void shouldEstablishAndAssureAHandshake()
    {
        assertOutcomes("tcp-handshake", o(State.NEW, Direction.ORIGINAL), o(State.ESTABLISHED, Direction.REPLY),
            o(State.ESTABLISHED, Direction.ORIGINAL));
        final CtRow row = only("tcp-handshake");
        assertEquals("tcp", row.l4());
        assertEquals(6, row.l4Number());
        assertEquals("ESTABLISHED", row.tcpState());
        assertTrue(row.flags().contains("ASSURED"), row.toString());
        assertFalse(row.flags().contains("UNREPLIED"), row.toString());
        assertEquals(432000, row.timeoutSeconds(), ConntrackDiff.TIMEOUT_TOLERANCE_S);
        assertEquals(CtStatus.SEEN_REPLY | CtStatus.ASSURED | CtStatus.CONFIRMED, row.status(), CtStatus.names(row.status()));
        assertEquals(CtCorpus.CLIENT, row.original().src());
        assertEquals(CtCorpus.SERVER, row.original().dst());
        assertEquals(80, row.original().dport());
        assertEquals(row.original().sport(), row.reply().dport());
        assertEquals(2, row.origPackets());
        assertEquals(1, row.replyPackets());
        // SYN and SYN/ACK carry 12 bytes of options (MSS, SACK permitted, window scale): 52 bytes; the ACK 40.
        assertEquals(52 + 40, row.origBytes());
        assertEquals(52, row.replyBytes());
    }

    @Test
    void shouldLeaveAnUnansweredSynInSynSent()
    {
        final CtRow row = only("tcp-syn-only");
        assertEquals("SYN_SENT", row.tcpState());
        assertTrue(row.flags().contains("UNREPLIED"));
        assertEquals(120, row.timeoutSeconds(), ConntrackDiff.TIMEOUT_TOLERANCE_S);
        assertEquals(CtStatus.CONFIRMED, row.status(), CtStatus.names(row.status()));
    }

    @Test
    void shouldEndAFourWayCloseInTimeWait()
    {
        final CtRow row = only("tcp-close-client-first");
        assertEquals("TIME_WAIT", row.tcpState());
        assertEquals(120, row.timeoutSeconds(), ConntrackDiff.TIMEOUT_TOLERANCE_S);
    }

    @Test
    void shouldTrackOneWayUdpAsUnreplied()
    {
        assertOutcomes("udp-one-way", o(State.NEW, Direction.ORIGINAL));
        final CtRow row = only("udp-one-way");
        assertEquals("udp", row.l4());
        assertTrue(row.flags().contains("UNREPLIED"));
        assertFalse(row.flags().contains("ASSURED"));
        assertEquals(30, row.timeoutSeconds(), ConntrackDiff.TIMEOUT_TOLERANCE_S);
        assertEquals(20 + 8 + 30, row.origBytes());
    }

    @Test
    void shouldAssureAUdpStreamAfterTwoSeconds()
    {
        final CtRow row = only("udp-stream");
        assertTrue(row.flags().contains("ASSURED"), row.toString());
        assertEquals(120, row.timeoutSeconds(), ConntrackDiff.TIMEOUT_TOLERANCE_S);
    }

    @Test
    void shouldTrackAnEchoByItsId()
    {
        assertOutcomes("icmp-echo", o(State.NEW, Direction.ORIGINAL), o(State.ESTABLISHED, Direction.REPLY),
            o(State.ESTABLISHED, Direction.ORIGINAL), o(State.ESTABLISHED, Direction.REPLY));
        final CtRow row = only("icmp-echo");
        assertEquals("icmp", row.l4());
        assertEquals(8, row.original().type());
        assertEquals(0, row.reply().type());
        assertEquals(row.original().id(), row.reply().id());
        assertTrue(row.original().id() > 0);
    }

    @Test
    void shouldRelateIcmpErrorsToTheirFlows()
    {
        assertOutcomes("icmp-error-udp", o(State.NEW, Direction.ORIGINAL), o(State.RELATED, Direction.REPLY));
        assertEquals(o(State.RELATED, Direction.REPLY), run("icmp-error-tcp").outcomes().get(4));
        assertEquals(1, run("icmp-error-udp").entries().size());
    }

    @Test
    void shouldFindImpossibleFlagsInvalid()
    {
        assertOutcomes("tcp-syn-fin", Outcome.INVALID);
        assertTrue(run("tcp-syn-fin").entries().isEmpty());
        assertEquals(1L, run("tcp-syn-fin").stats().get("invalid"));
        assertOutcomes("tcp-truncated-header", Outcome.INVALID);
        assertOutcomes("tcp-bad-checksum", Outcome.INVALID);
    }

    @Test
    void shouldKeepAnOutOfWindowResetFromClosing()
    {
        final List<Outcome> outcomes = run("tcp-rst-out-of-window").outcomes();
        assertEquals(Outcome.INVALID, outcomes.get(outcomes.size() - 2));
        assertEquals("ESTABLISHED", only("tcp-rst-out-of-window").tcpState());
        assertEquals("CLOSE", only("tcp-rst-client-in-window").tcpState());
    }

    @Test
    void shouldTrackUnknownProtocolsGenerically()
    {
        final CtRow row = only("unknown-proto-one-way");
        assertEquals(253, row.l4Number());
        assertEquals("unknown", row.l4());
        assertTrue(row.flags().contains("UNREPLIED"));
        assertEquals(600, row.timeoutSeconds(), ConntrackDiff.TIMEOUT_TOLERANCE_S);
        assertEquals(2, row.origPackets());
    }
    @Test
    void shouldTrackIpv6FlowsWithCompressedAddresses()
    {
        final CtRow row = only("tcp6-handshake-data-close");
        assertEquals("ipv6", row.l3());
        assertEquals(10, row.l3Number());
        assertEquals("TIME_WAIT", row.tcpState());
        assertEquals(CtCorpus.CLIENT6, row.original().src());
        assertEquals(CtCorpus.SERVER6, row.reply().src());
        // bytes count the 40-byte IPv6 header: SYN 40 + 32, ACK 40 + 20
        assertEquals(40 + 32 + 3 * (40 + 20) + (40 + 20 + 100) + (40 + 20), row.origBytes());
        final CtRow echo = only("icmp6-echo");
        assertEquals("icmpv6", echo.l4());
        assertEquals(128, echo.original().type());
        assertEquals(129, echo.reply().type());
        final CtRow generic = only("unknown-nexthdr6");
        assertEquals(253, generic.l4Number());
        assertEquals(600, generic.timeoutSeconds(), ConntrackDiff.TIMEOUT_TOLERANCE_S);
    }

    @Test
    void shouldRelateIcmpv6ErrorsToTheirFlows()
    {
        assertOutcomes("icmp6-error-udp", o(State.NEW, Direction.ORIGINAL), o(State.RELATED, Direction.REPLY));
        assertEquals(o(State.RELATED, Direction.REPLY), run("icmp6-error-tcp").outcomes().get(4));
        assertEquals(o(State.RELATED, Direction.REPLY), run("icmp6-error-tcp-syn").outcomes().get(1));
        assertEquals(o(State.RELATED, Direction.REPLY), run("icmp6-error-for-echo").outcomes().get(1));
        assertOutcomes("icmp6-error-no-flow", Outcome.INVALID);
        assertEquals(1L, run("icmp6-error-no-flow").stats().get("error"));
    }

    @Test
    void shouldLeaveNeighbourDiscoveryAndMldUntracked()
    {
        for (final String name : List.of("icmp6-nd-solicitation", "icmp6-nd-advertisement", "icmp6-mld-report"))
        {
            assertOutcomes(name, Outcome.UNTRACKED);
            assertTrue(run(name).entries().isEmpty(), name);
            assertEquals(0L, run(name).stats().get("invalid"), name);
        }
    }

    @Test
    void shouldSkipIpv6ExtensionHeadersAndAcceptAZeroUdpChecksum()
    {
        final CtRow row = only("udp6-destination-options");
        assertEquals(17, row.l4Number());
        assertEquals(53, row.original().dport());
        assertOutcomes("udp6-zero-checksum", o(State.NEW, Direction.ORIGINAL));
        assertOutcomes("udp6-bad-checksum", Outcome.INVALID);
        assertOutcomes("icmp6-unknown-type", Outcome.INVALID);
        assertOutcomes("icmp6-echo-reply-alone", Outcome.INVALID);
    }
}
