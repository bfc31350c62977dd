package io.flowgate.pipeline.rules;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.flowgate.pipeline.rules.classify.ChainClassifier;
import io.flowgate.pipeline.rules.classify.LinearClassifier;
import io.flowgate.pipeline.rules.classify.RuleKeys;
import io.flowgate.pipeline.rules.model.Rule;
import io.flowgate.pipeline.rules.model.RulesetException;

/**
 * flowgate's side of {@code perf/bench rules-10k} (perf/benches/rules-10k.sh).
 * <pre>
 *   Rules10k gen RULES_FILE TRACE_FILE RULES PACKETS SEED     writes ClassBench-style files (dpdk-test-acl's formats)
 *   Rules10k run RULES_FILE TRACE_FILE SECONDS [EXPECTED]     classifies the trace in bursts of 32 for SECONDS
 * </pre>
 * {@code run} builds the chain from the rules file (rule i = line i, first match wins), checks every trace packet's
 * first matching rule against {@link LinearClassifier} and, when given, EXPECTED (one 0-based rule index per
 * trace packet, -1 for none: dpdk-test-acl's results), then prints {@code flowgate_mpps=X} and
 * {@code flowgate_ns_per_packet=Y}. Exit status 1 when a result differs.
 */
public final class Rules10k
{
    private static final int BURST = 32;

    private Rules10k()
    {
    }

    public static void main(final String[] args) throws IOException, RulesetException
    {
        if (args.length >= 6 && args[0].equals("gen"))
        {
            final List<ClassBench.AclRule> acl = ClassBench.rules(Integer.parseInt(args[3]), Long.parseLong(args[5]));
            final int packets = Integer.parseInt(args[4]);
            ClassBench.writeRules(acl, Path.of(args[1]));
            ClassBench.writeTrace(ClassBench.trace(acl, packets, Long.parseLong(args[5]) + 1), packets, Path.of(args[2]));
            return;
        }
        if (args.length < 4 || !args[0].equals("run"))
        {
            System.err.println("usage: Rules10k gen RULES TRACE N PACKETS SEED | run RULES TRACE SECONDS [EXPECTED]");
            System.exit(2);
        }
        final List<Rule> rules = ClassBench.model(ClassBench.readRules(Path.of(args[1])));
        final RuleKeys keys = ClassBench.readTrace(Path.of(args[2]));
        final double seconds = Double.parseDouble(args[3]);
        final int n = keys.capacity;
        final long compileStart = System.nanoTime();
        final ChainClassifier classifier = ChainClassifier.compile(rules, List.of("eth0"));
        System.out.printf("flowgate_compile_ms=%.0f rules=%d packets=%d%n", (System.nanoTime() - compileStart) / 1e6,
            rules.size(), n);

        final int[] result = new int[n];
        final int[] packets = new int[BURST];
        classifyAll(classifier, keys, packets, result);
        int bad = 0;
        final LinearClassifier linear = LinearClassifier.compile(rules, List.of("eth0"));
        for (int p = 0; p < n; p++)
        {
            if (linear.next(keys, p, 0) != result[p] && bad++ < 5)
            {
                System.out.println("MISMATCH linear packet " + p + ": linear " + linear.next(keys, p, 0) + " flowgate " + result[p]);
            }
        }
        if (args.length > 4)
        {
            final List<String> expected = Files.readAllLines(Path.of(args[4]));
            if (expected.size() != n)
            {
                System.out.println("MISMATCH: " + expected.size() + " reference results for " + n + " packets");
                bad++;
            }
            for (int p = 0; p < Math.min(n, expected.size()); p++)
            {
                if (Integer.parseInt(expected.get(p).strip()) != result[p] && bad++ < 10)
                {
                    System.out.println("MISMATCH reference packet " + p + ": reference " + expected.get(p) + " flowgate " + result[p]);
                }
            }
        }
        int hits = 0;
        for (int p = 0; p < n; p++)
        {
            hits += result[p] >= 0 ? 1 : 0;
        }
        System.out.printf("flowgate_checked=%d hits=%d mismatches=%d%n", n, hits, bad);

        // warm up, then measure whole passes over the trace until SECONDS have passed
        long passes = 0;
        final long warmEnd = System.nanoTime() + 1_000_000_000L;
        while (System.nanoTime() < warmEnd)
        {
            classifyAll(classifier, keys, packets, result);
        }
        final long start = System.nanoTime();
        final long end = start + (long) (seconds * 1e9);
        long now;
        do
        {
            classifyAll(classifier, keys, packets, result);
            passes++;
            now = System.nanoTime();
        }
        while (now < end);
        final double ns = (double) (now - start) / (passes * n);
        System.out.printf("flowgate_ns_per_packet=%.2f%nflowgate_mpps=%.3f%n", ns, 1e3 / ns);
        System.exit(bad == 0 ? 0 : 1);
    }

    private static void classifyAll(final ChainClassifier c, final RuleKeys keys, final int[] packets, final int[] result)
    {
        final int n = keys.capacity;
        for (int base = 0; base < n; base += BURST)
        {
            final int count = Math.min(BURST, n - base);
            for (int k = 0; k < count; k++)
            {
                packets[k] = base + k;
            }
            c.classify(keys, packets, count, result);
        }
    }
}
