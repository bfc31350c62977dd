package io.flowgate.pipeline.rules;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import io.flowgate.pipeline.rules.classify.RuleKeys;
import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.Field;
import io.flowgate.pipeline.rules.model.Interval;
import io.flowgate.pipeline.rules.model.Match;
import io.flowgate.pipeline.rules.model.Origin;
import io.flowgate.pipeline.rules.model.Rule;

/**
 * ClassBench-style IPv4 5-tuple rule sets and traces (Taylor and Turner's ClassBench; the shapes of its "acl1"
 * seed, approximated): source and destination prefixes drawn from a few shared address blocks so that they nest
 * and overlap (lengths: many /32 and /24-/31, some /8-/23, wildcards), destination ports exact (well-known and
 * high), ranges (1024-65535, arbitrary) or wildcard, source ports mostly wildcard, protocols TCP, UDP or any
 * (ports only with TCP or UDP, as in ClassBench's acl seeds). Traces pick a rule uniformly and a header inside it
 * (so hits spread over the whole chain), plus a share of random headers that mostly miss.
 * <p>
 * Files use DPDK {@code dpdk-test-acl}'s formats, so the same rules and trace feed both classifiers: a rule line
 * {@code @SRC/LEN<TAB>DST/LEN<TAB>SP_LO : SP_HI<TAB>DP_LO : DP_HI<TAB>0xPROTO/0xMASK}; a trace line
 * {@code 0xSRC<TAB>0xDST<TAB>SPORT<TAB>DPORT<TAB>PROTO}. In the model, rule i is line i (first match wins) with
 * verdict accept for even i and drop for odd i.
 */
public final class ClassBench
{
    /** One 5-tuple rule as ClassBench writes it. */
    public record AclRule(int src, int srcLen, int dst, int dstLen, int spLo, int spHi, int dpLo, int dpHi, int proto,
                          int protoMask)
    {
    }

    private static final Origin ORIGIN = new Origin("classbench", 1, 1);
    private static final int[] WELL_KNOWN = {20, 21, 22, 23, 25, 53, 80, 110, 123, 143, 161, 389, 443, 445, 993, 1433,
        1521, 3306, 3389, 5060, 8080};

    private ClassBench()
    {
    }

    public static List<AclRule> rules(final int count, final long seed)
    {
        final SplittableRandom rnd = new SplittableRandom(seed);
        final int[] blocks = new int[64];
        for (int i = 0; i < blocks.length; i++)
        {
            blocks[i] = rnd.nextInt() & 0xFFFF0000;
        }
        final List<AclRule> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            final int srcLen = prefixLength(rnd, true);
            final int dstLen = prefixLength(rnd, false);
            final int src = mask(blocks[rnd.nextInt(blocks.length)] | rnd.nextInt(1 << 16), srcLen);
            final int dst = mask(blocks[rnd.nextInt(blocks.length)] | rnd.nextInt(1 << 16), dstLen);
            final int p = rnd.nextInt(100);
            final int proto = p < 60 ? 6 : p < 88 ? 17 : 0;
            final int protoMask = proto == 0 ? 0 : 0xFF;
            int spLo = 0;
            int spHi = 65535;
            int dpLo = 0;
            int dpHi = 65535;
            if (proto != 0)
            {
                final int d = rnd.nextInt(100);
                if (d < 55)
                {
                    dpLo = dpHi = rnd.nextInt(4) == 0 ? 1024 + rnd.nextInt(64512) : WELL_KNOWN[rnd.nextInt(WELL_KNOWN.length)];
                }
                else if (d < 67)
                {
                    dpLo = 1024;
                }
                else if (d < 77)
                {
                    dpLo = rnd.nextInt(65536);
                    dpHi = Math.min(65535, dpLo + rnd.nextInt(4096));
                }
                if (rnd.nextInt(100) < 8)
                {
                    spLo = 1024;
                }
            }
            out.add(new AclRule(src, srcLen, dst, dstLen, spLo, spHi, dpLo, dpHi, proto, protoMask));
        }
        return out;
    }

    private static int prefixLength(final SplittableRandom rnd, final boolean src)
    {
        final int x = rnd.nextInt(100);
        if (x < (src ? 12 : 6))
        {
            return 0;
        }
        if (x < 20)
        {
            return 8 + rnd.nextInt(8);
        }
        if (x < 40)
        {
            return 16 + rnd.nextInt(8);
        }
        if (x < 65)
        {
            return 24 + rnd.nextInt(8);
        }
        return 32;
    }

    private static int mask(final int addr, final int len)
    {
        return len == 0 ? 0 : addr & (int) (0xFFFFFFFFL << (32 - len));
    }

    /** The chain of the model: rule i matches what line i matches; accept for even i, drop for odd i. */
    public static List<Rule> model(final List<AclRule> acl)
    {
        final List<Rule> out = new ArrayList<>(acl.size());
        for (int i = 0; i < acl.size(); i++)
        {
            final AclRule a = acl.get(i);
            final List<Expr> exprs = new ArrayList<>(6);
            if (a.srcLen > 0)
            {
                exprs.add(Match.of(Field.IP_SADDR, Match.Op.EQ, -1,
                    List.of(Interval.prefix(BigInteger.valueOf(a.src & 0xFFFFFFFFL), a.srcLen, 32)), ORIGIN));
            }
            if (a.dstLen > 0)
            {
                exprs.add(Match.of(Field.IP_DADDR, Match.Op.EQ, -1,
                    List.of(Interval.prefix(BigInteger.valueOf(a.dst & 0xFFFFFFFFL), a.dstLen, 32)), ORIGIN));
            }
            if (a.protoMask != 0)
            {
                exprs.add(Match.of(Field.META_L4PROTO, Match.Op.EQ, -1, List.of(Interval.of(a.proto)), ORIGIN));
                final boolean tcp = a.proto == 6;
                if (a.spLo != 0 || a.spHi != 65535)
                {
                    exprs.add(Match.of(tcp ? Field.TCP_SPORT : Field.UDP_SPORT, Match.Op.EQ, -1, List.of(Interval.of(a.spLo, a.spHi)), ORIGIN));
                }
                if (a.dpLo != 0 || a.dpHi != 65535)
                {
                    exprs.add(Match.of(tcp ? Field.TCP_DPORT : Field.UDP_DPORT, Match.Op.EQ, -1, List.of(Interval.of(a.dpLo, a.dpHi)), ORIGIN));
                }
            }
            exprs.add(new Expr.Verdict((i & 1) == 0 ? Expr.VerdictKind.ACCEPT : Expr.VerdictKind.DROP, null, ORIGIN));
            out.add(new Rule(exprs, ORIGIN, null));
        }
        return out;
    }

    /** {@code count} packets: 90% inside a uniformly chosen rule, 10% random; one IPv4 TCP/UDP/ICMP packet each. */
    public static RuleKeys trace(final List<AclRule> acl, final int count, final long seed)
    {
        final SplittableRandom rnd = new SplittableRandom(seed);
        final RuleKeys k = new RuleKeys(count);
        for (int p = 0; p < count; p++)
        {
            int src = rnd.nextInt();
            int dst = rnd.nextInt();
            int sport = rnd.nextInt(65536);
            int dport = rnd.nextInt(65536);
            int proto = new int[] {6, 17, 1}[rnd.nextInt(3)];
            if (rnd.nextInt(10) != 0 && !acl.isEmpty())
            {
                final AclRule a = acl.get(rnd.nextInt(acl.size()));
                src = inside(a.src, a.srcLen, src);
                dst = inside(a.dst, a.dstLen, dst);
                sport = a.spLo + rnd.nextInt(a.spHi - a.spLo + 1);
                dport = a.dpLo + rnd.nextInt(a.dpHi - a.dpLo + 1);
                proto = a.protoMask != 0 ? a.proto : proto;
            }
            set(k, p, src, dst, sport, dport, proto);
        }
        return k;
    }

    private static int inside(final int prefix, final int len, final int random)
    {
        return len == 0 ? random : len == 32 ? prefix : prefix | (random & (int) (0xFFFFFFFFL >>> len));
    }

    /** One packet's keys as the runtime's extractor fills them (ICMP: no ports; DPDK reads ports 0 then). */
    public static void set(final RuleKeys k, final int p, final int src, final int dst, final int sport, final int dport,
        final int proto)
    {
        k.nfproto[p] = RuleKeys.NFPROTO_IPV4;
        k.iif[p] = 0;
        k.oif[p] = RuleKeys.ABSENT;
        k.l4proto[p] = proto;
        k.saddr[p] = src;
        k.daddr[p] = dst;
        final boolean ports = proto == 6 || proto == 17;
        k.sport[p] = ports ? sport : RuleKeys.ABSENT;
        k.dport[p] = ports ? dport : RuleKeys.ABSENT;
        k.tcpFlags[p] = proto == 6 ? 0x10 : RuleKeys.ABSENT;
        k.icmpType[p] = proto == 1 ? 8 : RuleKeys.ABSENT;
        k.ctState[p] = 2;
        k.length[p] = 64;
    }

    public static void writeRules(final List<AclRule> acl, final Path file) throws IOException
    {
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file)))
        {
            for (final AclRule a : acl)
            {
                w.printf("@%s/%d\t%s/%d\t%d : %d\t%d : %d\t0x%02X/0x%02X%n", dotted(a.src), a.srcLen, dotted(a.dst),
                    a.dstLen, a.spLo, a.spHi, a.dpLo, a.dpHi, a.proto, a.protoMask);
            }
        }
    }

    public static void writeTrace(final RuleKeys k, final int count, final Path file) throws IOException
    {
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file)))
        {
            for (int p = 0; p < count; p++)
            {
                w.printf("0x%08x\t0x%08x\t%d\t%d\t%d%n", k.saddr[p], k.daddr[p], Math.max(0, k.sport[p]),
                    Math.max(0, k.dport[p]), k.l4proto[p]);
            }
        }
    }

    public static List<AclRule> readRules(final Path file) throws IOException
    {
        final List<AclRule> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file))
        {
            for (String line = r.readLine(); line != null; line = r.readLine())
            {
                line = line.strip();
                if (line.isEmpty())
                {
                    continue;
                }
                final String[] f = line.substring(1).replace(" : ", ":").split("\\s+");
                final String[] s = f[0].split("/");
                final String[] d = f[1].split("/");
                final String[] sp = f[2].split(":");
                final String[] dp = f[3].split(":");
                final String[] pr = f[4].split("/");
                out.add(new AclRule(parseDotted(s[0]), Integer.parseInt(s[1]), parseDotted(d[0]), Integer.parseInt(d[1]),
                    Integer.parseInt(sp[0]), Integer.parseInt(sp[1]), Integer.parseInt(dp[0]), Integer.parseInt(dp[1]),
                    Integer.decode(pr[0]), Integer.decode(pr[1])));
            }
        }
        return out;
    }

    /** Reads a trace file into keys; returns the number of packets. */
    public static RuleKeys readTrace(final Path file) throws IOException
    {
        final List<String> lines = Files.readAllLines(file);
        lines.removeIf(String::isBlank);
        final RuleKeys k = new RuleKeys(lines.size());
        for (int p = 0; p < lines.size(); p++)
        {
            final String[] f = lines.get(p).strip().split("\\s+");
            set(k, p, (int) Long.decode(f[0]).longValue(), (int) Long.decode(f[1]).longValue(), Integer.decode(f[2]),
                Integer.decode(f[3]), Integer.decode(f[4]));
        }
        return k;
    }

    private static String dotted(final int a)
    {
        return (a >>> 24) + "." + (a >>> 16 & 255) + "." + (a >>> 8 & 255) + "." + (a & 255);
    }

    private static int parseDotted(final String s)
    {
        final String[] o = s.split("\\.");
        return Integer.parseInt(o[0]) << 24 | Integer.parseInt(o[1]) << 16 | Integer.parseInt(o[2]) << 8 | Integer.parseInt(o[3]);
    }
}
