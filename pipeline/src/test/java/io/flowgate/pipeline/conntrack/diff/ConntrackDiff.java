package io.flowgate.pipeline.conntrack.diff;

import io.flowgate.conntrack.CtStats;
import io.flowgate.conntrack.CtStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Replays one corpus case through a reference subject (Linux) and a subject under test (flowgate) and lists
 * every disagreement: per packet the classification ({@code ct state} and {@code ct direction}); then the
 * entries, matched by protocol, zone and original tuple, field by field (timeouts within
 * {@link #TIMEOUT_TOLERANCE_S}); then the statistics in {@link #COMPARED_STATS}. The report prints both sides
 * next to each other.
 */
public final class ConntrackDiff
{
    /** Status bits compared when both sides know the status word: all but DYING, TEMPLATE, NAT_CLASH, HELPER. */
    public static final int COMPARED_STATUS = CtStatus.EXPECTED | CtStatus.SEEN_REPLY | CtStatus.ASSURED | CtStatus.CONFIRMED |
        CtStatus.SRC_NAT | CtStatus.DST_NAT | CtStatus.SEQ_ADJUST | CtStatus.SRC_NAT_DONE | CtStatus.DST_NAT_DONE |
        CtStatus.FIXED_TIMEOUT | CtStatus.OFFLOAD | CtStatus.HW_OFFLOAD;
    /** Wall time passes while a case runs and Linux prints whole seconds. */
    public static final long TIMEOUT_TOLERANCE_S = 3;
    /** conntrack -S counters whose deltas must agree; the others are printed only. */
    public static final List<String> COMPARED_STATS = List.of("invalid", "error", "insert_failed", "drop", "early_drop");

    /** What one case produced on one subject. */
    public record Run(List<Outcome> outcomes, List<CtRow> entries, Map<String, Long> stats)
    {
    }

    /** Both sides of one case and the disagreements between them (empty when they agree). */
    public record Result(CtCorpus.Case testCase, String referenceName, Run reference, String subjectName, Run subject,
                         List<String> disagreements)
    {
        public boolean agrees()
        {
            return disagreements.isEmpty();
        }

        /** Both sides side by side, disagreements marked with {@code !=}. */
        public String report()
        {
            final StringBuilder out = new StringBuilder();
            out.append("case ").append(testCase.name()).append(": ").append(testCase.description()).append('\n');
            out.append(String.format("%-4s %-22s %-22s %s%n", "#", referenceName, subjectName, "packet"));
            for (int i = 0; i < testCase.packets().size(); i++)
            {
                final Outcome a = reference.outcomes().get(i);
                final Outcome b = i < subject.outcomes().size() ? subject.outcomes().get(i) : null;
                out.append(String.format("%-4s %-22s %-22s %s%n", (i + 1) + (Objects.equals(a, b) ? "" : "!="), a, b,
                    testCase.packets().get(i).describe()));
            }
            final Map<String, CtRow[]> byKey = pair(reference.entries(), subject.entries());
            out.append("entries:\n");
            for (final Map.Entry<String, CtRow[]> e : byKey.entrySet())
            {
                final CtRow a = e.getValue()[0];
                final CtRow b = e.getValue()[1];
                final List<String> fields = a != null && b != null ? differences(a, b) : List.of("presence");
                out.append(fields.isEmpty() ? "  == " : "  != " + fields + "\n").append(fields.isEmpty() ? "" : "     ");
                out.append(referenceName).append(": ").append(a == null ? "(none)" : a).append('\n');
                out.append("     ").append(subjectName).append(": ").append(b == null ? "(none)" : b).append('\n');
            }
            if (byKey.isEmpty())
            {
                out.append("  (none on either side)\n");
            }
            out.append("stats: ").append(referenceName).append(' ').append(reference.stats()).append('\n');
            out.append("       ").append(subjectName).append(' ').append(subject.stats()).append('\n');
            if (!disagreements.isEmpty())
            {
                out.append("disagreements:\n");
                for (final String d : disagreements)
                {
                    out.append("  - ").append(d).append('\n');
                }
            }
            return out.toString();
        }
    }

    private ConntrackDiff()
    {
    }

    /** flowgate's statistics under the names {@code conntrack -S} prints, for {@link ConntrackSubject#stats()}. */
    public static Map<String, Long> statsOf(final CtStats s)
    {
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
        out.put("chaintoolong", s.chainTooLong);
        return out;
    }

    /** Resets the subject, sends the case's packets one by one, and reads the table and statistics. */
    public static Run run(final ConntrackSubject subject, final CtCorpus.Case testCase) throws Exception
    {
        subject.reset();
        final List<Outcome> outcomes = new ArrayList<>();
        for (final CorpusPacket p : testCase.packets())
        {
            outcomes.add(subject.send(p));
        }
        return new Run(outcomes, subject.entries(), subject.stats());
    }

    public static Result compare(final CtCorpus.Case testCase, final ConntrackSubject reference, final ConntrackSubject subject)
        throws Exception
    {
        final Run a = run(reference, testCase);
        final Run b = run(subject, testCase);
        return compare(testCase, reference.name(), a, subject.name(), b);
    }

    public static Result compare(final CtCorpus.Case testCase, final String referenceName, final Run a, final String subjectName, final Run b)
    {
        final List<String> out = new ArrayList<>();
        for (int i = 0; i < testCase.packets().size(); i++)
        {
            final Outcome x = a.outcomes().get(i);
            final Outcome y = i < b.outcomes().size() ? b.outcomes().get(i) : null;
            if (!Objects.equals(x, y))
            {
                out.add("packet " + (i + 1) + ": " + referenceName + " " + x + ", " + subjectName + " " + y);
            }
        }
        for (final Map.Entry<String, CtRow[]> e : pair(a.entries(), b.entries()).entrySet())
        {
            final CtRow x = e.getValue()[0];
            final CtRow y = e.getValue()[1];
            if (x == null || y == null)
            {
                out.add("entry " + e.getKey() + " only on " + (x == null ? subjectName : referenceName));
                continue;
            }
            final List<String> fields = differences(x, y);
            if (!fields.isEmpty())
            {
                out.add("entry " + e.getKey() + " differs in " + fields);
            }
        }
        for (final String stat : COMPARED_STATS)
        {
            final long x = a.stats().getOrDefault(stat, 0L);
            final long y = b.stats().getOrDefault(stat, 0L);
            if (x != y)
            {
                out.add("stat " + stat + ": " + referenceName + " " + x + ", " + subjectName + " " + y);
            }
        }
        return new Result(testCase, referenceName, a, subjectName, b, out);
    }

    /** Names of the fields in which two entries with the same key disagree. */
    static List<String> differences(final CtRow a, final CtRow b)
    {
        final List<String> out = new ArrayList<>();
        if (!a.l4().equals(b.l4()) || a.l4Number() != b.l4Number() || a.l3Number() != b.l3Number())
        {
            out.add("protocol");
        }
        if (!a.original().equals(b.original()))
        {
            out.add("original");
        }
        if (!a.reply().equals(b.reply()))
        {
            out.add("reply");
        }
        if (!Objects.equals(a.tcpState(), b.tcpState()))
        {
            out.add("state");
        }
        if (!new TreeSet<>(a.flags()).equals(new TreeSet<>(b.flags())))
        {
            out.add("flags");
        }
        if (a.status() >= 0 && b.status() >= 0 && ((a.status() ^ b.status()) & COMPARED_STATUS) != 0)
        {
            out.add("status");
        }
        if (Math.abs(a.timeoutSeconds() - b.timeoutSeconds()) > TIMEOUT_TOLERANCE_S)
        {
            out.add("timeout");
        }
        if (a.origPackets() != b.origPackets() || a.origBytes() != b.origBytes())
        {
            out.add("original counters");
        }
        if (a.replyPackets() != b.replyPackets() || a.replyBytes() != b.replyBytes())
        {
            out.add("reply counters");
        }
        if (a.mark() != b.mark())
        {
            out.add("mark");
        }
        if (a.zone() != b.zone())
        {
            out.add("zone");
        }
        return out;
    }

    private static Map<String, CtRow[]> pair(final List<CtRow> a, final List<CtRow> b)
    {
        final Map<String, CtRow[]> byKey = new TreeMap<>();
        for (final CtRow row : a)
        {
            byKey.computeIfAbsent(row.key(), k -> new CtRow[2])[0] = row;
        }
        for (final CtRow row : b)
        {
            byKey.computeIfAbsent(row.key(), k -> new CtRow[2])[1] = row;
        }
        return byKey;
    }
}
