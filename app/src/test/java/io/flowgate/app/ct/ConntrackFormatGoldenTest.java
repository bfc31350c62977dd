package io.flowgate.app.ct;

import static io.flowgate.app.ct.InMemoryConntrackControl.ipv4;
import static io.flowgate.app.ct.InMemoryConntrackControl.v4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.CtEntry;
import io.flowgate.conntrack.CtEvent;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStats;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.tcp.TcpState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link ConntrackFormat} against the real conntrack-tools: entries are inserted by hand ({@code conntrack -I},
 * explicit tuples, state, status, timeout, mark, zone) into the kernel's table of a private network namespace
 * {@code ctc<pid>} with accounting on, listed with {@code conntrack -L}, and compared line for line with what
 * the formatter prints for the equivalent {@link CtEntry}. Only the timeout is normalised (the kernel's count
 * may be a second lower by the time it is listed). Needs root, {@code ip} and {@code conntrack}.
 */
class ConntrackFormatGoldenTest
{
    private static final String NS = "ctc" + ProcessHandle.current().pid();
    private static final Pattern TIMEOUT = Pattern.compile("^((?: *\\[[A-Z]+\\] )?(?:ipv[46] +\\d+ )?\\S+ +\\d+ )(\\d+) ");

    @BeforeAll
    static void createNamespace() throws Exception
    {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root for a network namespace");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/conntrack")), "needs conntrack-tools");
        run("ip", "netns", "add", NS);
        ns("sysctl", "-qw", "net.netfilter.nf_conntrack_acct=1");
        insert("-p", "tcp", "-s", "10.0.0.1", "-d", "10.0.0.2", "--sport", "1234", "--dport", "80", "--state", "ESTABLISHED",
            "-t", "100", "-u", "ASSURED,SEEN_REPLY", "-m", "5");
        insert("-p", "tcp", "-s", "10.0.0.3", "-d", "10.0.0.2", "--sport", "1235", "--dport", "80", "--state", "SYN_SENT",
            "-t", "100", "-w", "7");
        insert("-p", "udp", "-s", "10.0.0.1", "-d", "10.0.0.2", "--sport", "53", "--dport", "53", "-t", "30", "-r", "10.0.0.9",
            "-q", "10.0.0.1", "--reply-port-src", "5353", "--reply-port-dst", "53");
        insert("-p", "icmp", "-s", "10.0.0.1", "-d", "10.0.0.2", "--icmp-type", "8", "--icmp-code", "0", "--icmp-id", "77",
            "-t", "30");
        insert("-p", "tcp", "-s", "2001:db8::1", "-d", "2001:db8:0:0:1::2", "--sport", "22", "--dport", "2222", "--state",
            "ESTABLISHED", "-t", "100", "-u", "SEEN_REPLY", "-m", "4294967295");
        insert("-p", "tcp", "-s", "::ffff:1.2.3.4", "-d", "::1.2.3.5", "--sport", "1", "--dport", "2", "--state", "SYN_RECV",
            "-t", "50");
        insert("-p", "icmpv6", "-s", "fe80::1:2", "-d", "::1", "--icmpv6-type", "128", "--icmpv6-code", "0", "--icmpv6-id", "5",
            "-t", "30");
        insert("-p", "50", "-s", "10.0.0.1", "-d", "10.0.0.2", "-t", "30");
    }

    @AfterAll
    static void removeNamespace() throws Exception
    {
        if ("root".equals(System.getProperty("user.name")))
        {
            new ProcessBuilder("ip", "netns", "del", NS).redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** The entries inserted above, as flowgate's table would report them. */
    private static List<CtEntry> entries()
    {
        final List<CtEntry> entries = new ArrayList<>();
        CtEntry e = ipv4(6, "10.0.0.1", "10.0.0.2", 1234, 80);
        e.tcpState = TcpState.ESTABLISHED;
        e.status = CtStatus.ASSURED | CtStatus.SEEN_REPLY | CtStatus.CONFIRMED;
        e.mark = 5;
        e.timeoutSeconds = 99;
        entries.add(e);
        e = ipv4(6, "10.0.0.3", "10.0.0.2", 1235, 80);
        e.tcpState = TcpState.SYN_SENT;
        e.zone = 7;
        e.timeoutSeconds = 99;
        entries.add(e);
        e = ipv4(17, "10.0.0.1", "10.0.0.2", 53, 53);
        e.srcLo[1] = v4("10.0.0.9");
        e.srcPort[1] = 5353;
        e.timeoutSeconds = 29;
        entries.add(e);
        e = ipv4(1, "10.0.0.1", "10.0.0.2", 77, 8 << 8);
        e.srcPort[1] = 77;
        e.dstPort[1] = 0;
        e.timeoutSeconds = 29;
        entries.add(e);
        e = ipv6(6, 0x2001_0db8_0000_0000L, 1, 0x2001_0db8_0000_0000L, 0x0001_0000_0000_0002L, 22, 2222);
        e.tcpState = TcpState.ESTABLISHED;
        e.status = CtStatus.SEEN_REPLY;
        e.mark = -1;
        e.timeoutSeconds = 99;
        entries.add(e);
        e = ipv6(6, 0, 0x0000_ffff_0102_0304L, 0, 0x0000_0000_0102_0305L, 1, 2);
        e.tcpState = TcpState.SYN_RECV;
        e.timeoutSeconds = 49;
        entries.add(e);
        e = ipv6(58, 0xfe80_0000_0000_0000L, 0x0000_0000_0001_0002L, 0, 1, 5, 128 << 8);
        e.srcPort[1] = 5;
        e.dstPort[1] = 129 << 8;
        e.timeoutSeconds = 29;
        entries.add(e);
        e = ipv4(50, "10.0.0.1", "10.0.0.2", 0, 0);
        e.timeoutSeconds = 29;
        entries.add(e);
        return entries;
    }

    private static CtEntry ipv6(final int protocol, final long srcHi, final long srcLo, final long dstHi, final long dstLo,
                                final int sport, final int dport)
    {
        final CtEntry entry = new CtEntry();
        entry.family = CtRecord.FAMILY_IPV6;
        entry.protocol = protocol;
        entry.srcHi[0] = srcHi;
        entry.srcLo[0] = srcLo;
        entry.dstHi[0] = dstHi;
        entry.dstLo[0] = dstLo;
        entry.srcHi[1] = dstHi;
        entry.srcLo[1] = dstLo;
        entry.dstHi[1] = srcHi;
        entry.dstLo[1] = srcLo;
        entry.srcPort[0] = sport;
        entry.dstPort[0] = dport;
        entry.srcPort[1] = dport;
        entry.dstPort[1] = sport;
        return entry;
    }

    @Test
    void shouldPrintListLinesAsConntrackDoes() throws Exception
    {
        compare(ns("conntrack", "-L"), 0);
    }

    @Test
    void shouldPrintExtendedListLinesAsConntrackDoes() throws Exception
    {
        compare(ns("conntrack", "-L", "-o", "extended"), ConntrackFormat.EXTENDED);
    }

    /** Each filter selects, from the same entries, what {@code conntrack -L} with the same options selects. */
    @Test
    void shouldSelectTheEntriesConntrackSelects() throws Exception
    {
        final String[] filters = {
            "-p tcp", "-p udp", "-p 50", "-f ipv6", "-f ipv4", "-u UNREPLIED", "-u ASSURED", "-u SEEN_REPLY", "-w 7", "-w 0",
            "-m 5", "-m 4/4", "-m 0", "-s 10.0.0.1", "-d 10.0.0.2 -p tcp", "-r 10.0.0.9", "-q 10.0.0.1", "-p udp --sport 53",
            "-p udp --reply-port-src 5353", "-p tcp --state ESTABLISHED", "-p icmp --icmp-type 8", "-s 10.0.0.0/24",
            "-s 2001:db8::/32", "-p tcp --dport 80", "-s 2001:db8::1", "-p icmpv6 --icmpv6-id 5", "-d ::1",
            "--orig-src 10.0.0.1 --orig-dst 10.0.0.2 -p tcp --orig-port-src 1234 --orig-port-dst 80"};
        for (final String filter : filters)
        {
            final List<String> args = new ArrayList<>(List.of("conntrack", "-L"));
            args.addAll(List.of(filter.split(" ")));
            final List<String> real = ns(args.toArray(String[]::new));
            final CtFilter ours = CtRequest.parse(args.subList(1, args.size())).filter;
            final List<CtEntry> selected = new ArrayList<>();
            for (final CtEntry entry : entries())
            {
                if (ours.matches(entry))
                {
                    selected.add(entry);
                }
            }
            compare(real, selected, 0, filter);
        }
    }

    @Test
    void shouldPrintAGetAsConntrackDoes() throws Exception
    {
        final List<String> real = ns("conntrack", "-G", "-p", "tcp", "-s", "10.0.0.1", "-d", "10.0.0.2", "--sport", "1234", "--dport", "80");
        assertEquals(1, real.size());
        final String ours = ConntrackFormat.entry(entries().get(0), 0, 2);
        assertEquals(ours, normalise(real.get(0), List.of(ours)));
    }

    /**
     * Event lines against a live {@code conntrack -E}: entries created, re-marked and deleted by hand, each
     * event compared with what the formatter prints for the same entry. The kernel marks these events as
     * caused from user space ({@code [USERSPACE] portid=N progname=conntrack}, which flowgate's events never
     * carry: stripped), and
     * shows the mark of a user-space creation even when 0, so the entries here carry a mark.
     */
    @Test
    void shouldPrintEventLinesAsConntrackEDoes() throws Exception
    {
        final Process events = new ProcessBuilder("ip", "netns", "exec", NS, "conntrack", "-E")
            .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final java.util.concurrent.BlockingQueue<String> lines = new java.util.concurrent.LinkedBlockingQueue<>();
        final Thread pump = new Thread(() ->
        {
            try (java.io.BufferedReader reader = events.inputReader(StandardCharsets.UTF_8))
            {
                for (String line = reader.readLine(); line != null; line = reader.readLine())
                {
                    lines.add(line.replaceFirst(" \\[USERSPACE\\] portid=\\d+( progname=\\S+)?$", ""));
                }
            }
            catch (final IOException ignored)
            {
                // The process ended.
            }
        });
        pump.setDaemon(true);
        pump.start();
        try
        {
            // conntrack -E has subscribed once it reports a probe entry created after it started.
            String first = null;
            for (int attempt = 0; attempt < 100 && first == null; attempt++)
            {
                insert("-p", "udp", "-s", "10.9.9.9", "-d", "10.9.9.8", "--sport", "1", "--dport", "2", "-t", "30");
                first = lines.poll(100, TimeUnit.MILLISECONDS);
                ns("conntrack", "-D", "-s", "10.9.9.9");
            }
            assertTrue(first != null, "conntrack -E reported nothing");
            Thread.sleep(200);
            lines.clear();

            final CtEntry tcp = ipv4(6, "10.9.0.1", "10.9.0.2", 4000, 443);
            tcp.tcpState = TcpState.ESTABLISHED;
            tcp.status = CtStatus.SEEN_REPLY | CtStatus.ASSURED | CtStatus.CONFIRMED;
            tcp.mark = 3;
            final CtEntry udp = ipv4(17, "10.9.0.1", "10.9.0.3", 5000, 53);
            udp.mark = 3;
            insert("-p", "tcp", "-s", "10.9.0.1", "-d", "10.9.0.2", "--sport", "4000", "--dport", "443", "--state", "ESTABLISHED",
                "-u", "ASSURED,SEEN_REPLY", "-t", "300", "-m", "3");
            insert("-p", "udp", "-s", "10.9.0.1", "-d", "10.9.0.3", "--sport", "5000", "--dport", "53", "-t", "300", "-m", "3");
            ns("conntrack", "-U", "-s", "10.9.0.1", "-m", "9");
            ns("conntrack", "-D", "-s", "10.9.0.1");
            final List<String> real = new ArrayList<>();
            for (int i = 0; i < 6; i++)
            {
                final String line = lines.poll(5, TimeUnit.SECONDS);
                assertTrue(line != null, "events so far:\n" + String.join("\n", real));
                real.add(line);
            }
            final List<String> ours = new ArrayList<>();
            for (final CtEntry entry : List.of(tcp, udp))
            {
                entry.timeoutSeconds = 300;
                ours.add(ConntrackFormat.event(event(CtEvent.NEW, entry), 0));
                entry.timeoutSeconds = 299;
                entry.mark = 9;
                ours.add(ConntrackFormat.event(event(CtEvent.UPDATE, entry), 0));
                ours.add(ConntrackFormat.event(event(CtEvent.DESTROY, entry), 0));
            }
            final List<String> normalised = new ArrayList<>();
            for (final String line : real)
            {
                normalised.add(normalise(line, ours));
            }
            ours.sort(null);
            normalised.sort(null);
            assertEquals(String.join("\n", ours), String.join("\n", normalised));
        }
        finally
        {
            events.destroy();
            events.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static CtEvent event(final int type, final CtEntry entry)
    {
        final CtEvent event = new CtEvent();
        event.type = type;
        event.entry.copyFrom(entry);
        return event;
    }

    @Test
    void shouldPrintTheSummaryLineConntrackPrintsOnStderr() throws Exception
    {
        final Process process = new ProcessBuilder("ip", "netns", "exec", NS, "conntrack", "-L", "-p", "udp")
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        final String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor(10, TimeUnit.SECONDS);
        assertEquals(ConntrackFormat.summary(1, "shown") + "\n", stderr);
    }

    @Test
    void shouldPrintStatsLinesAsConntrackDoes() throws Exception
    {
        final List<String> real = ns("conntrack", "-S");
        assertTrue(!real.isEmpty());
        final Pattern field = Pattern.compile("(\\w+)=(\\d+)");
        for (final String line : real)
        {
            final CtStats stats = new CtStats();
            final Matcher m = field.matcher(line.substring(line.indexOf('\t')));
            while (m.find())
            {
                final long value = Long.parseLong(m.group(2));
                switch (m.group(1))
                {
                    case "found" -> stats.found = value;
                    case "invalid" -> stats.invalid = value;
                    case "insert" -> stats.insert = value;
                    case "insert_failed" -> stats.insertFailed = value;
                    case "drop" -> stats.drop = value;
                    case "early_drop" -> stats.earlyDrop = value;
                    case "error" -> stats.error = value;
                    case "search_restart" -> stats.searchRestart = value;
                    case "clash_resolve" -> stats.clashResolve = value;
                    case "chaintoolong" -> stats.chainTooLong = value;
                    default -> throw new AssertionError("field conntrack prints that we do not: " + m.group(1) + " in " + line);
                }
            }
            final int cpu = Integer.parseInt(line.substring(4, line.indexOf(' ')).trim());
            assertEquals(line, ConntrackFormat.statsLine(cpu, stats));
        }
    }

    private static void compare(final List<String> real, final int flags)
    {
        compare(real, entries(), flags, "");
    }

    private static void compare(final List<String> real, final List<CtEntry> entries, final int flags, final String filter)
    {
        final List<String> ours = new ArrayList<>();
        for (final CtEntry entry : entries)
        {
            ours.add(ConntrackFormat.entry(entry, flags, 1));
        }
        assertEquals(ours.size(), real.size(), "filter '" + filter + "': entries listed by conntrack:\n" + String.join("\n", real)
            + "\nours:\n" + String.join("\n", ours));
        final List<String> normalisedReal = new ArrayList<>();
        for (final String line : real)
        {
            normalisedReal.add(normalise(line, ours));
        }
        final List<String> sortedOurs = new ArrayList<>(ours);
        sortedOurs.sort(null);
        normalisedReal.sort(null);
        assertEquals(String.join("\n", sortedOurs), String.join("\n", normalisedReal), "filter '" + filter + "'");
    }

    /** Replaces the kernel's timeout by ours when they differ by at most a second (and only then). */
    private static String normalise(final String real, final List<String> ours)
    {
        final Matcher m = TIMEOUT.matcher(real);
        if (!m.find())
        {
            return real;
        }
        final long timeout = Long.parseLong(m.group(2));
        for (final String line : ours)
        {
            final Matcher o = TIMEOUT.matcher(line);
            if (o.find() && line.substring(o.end()).equals(real.substring(m.end())) && Math.abs(Long.parseLong(o.group(2)) - timeout) <= 1)
            {
                return line;
            }
        }
        return real;
    }

    private static void insert(final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("conntrack", "-I"));
        command.addAll(List.of(args));
        ns(command.toArray(String[]::new));
    }

    private static List<String> ns(final String... command) throws Exception
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", NS));
        full.addAll(List.of(command));
        return run(full.toArray(String[]::new));
    }

    private static List<String> run(final String... command) throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(20, TimeUnit.SECONDS), "hung: " + String.join(" ", command));
        assertEquals(0, process.exitValue(), "failed: " + String.join(" ", command));
        final List<String> lines = new ArrayList<>();
        for (final String line : out.split("\n"))
        {
            if (!line.isEmpty())
            {
                lines.add(line);
            }
        }
        return lines;
    }
}
