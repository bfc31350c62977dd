package io.flowgate.pipeline.rules;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import io.flowgate.pipeline.rules.classify.ChainClassifier;
import io.flowgate.pipeline.rules.classify.RuleKeys;
import io.flowgate.pipeline.rules.model.RulesetException;

/**
 * Classification of bursts of 32 IPv4 packets against a ClassBench-style chain of 10 to 10,000 rules
 * ({@link ClassBench}: prefixes, port ranges, protocols; 90% of the packets inside a uniformly chosen rule, so the
 * first matches spread over the chain, 10% random, mostly misses). Time per packet; must be 0 B/op.
 * <p>
 * Run: {@code perf/jmh ClassifierBenchmark}. The trace (65,536 packets) is walked burst by burst, the packet
 * indices of each burst in order.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@State(Scope.Thread)
public class ClassifierBenchmark
{
    private static final int BURST = 32;
    private static final int TRACE = 1 << 16;

    @Param({"10", "100", "1000", "10000"})
    int rules;

    private ChainClassifier classifier;
    private RuleKeys keys;
    private final int[] packets = new int[BURST];
    private final int[] result = new int[TRACE];
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws RulesetException
    {
        final List<ClassBench.AclRule> acl = ClassBench.rules(rules, 42);
        classifier = ChainClassifier.compile(ClassBench.model(acl), List.of("eth0"));
        keys = ClassBench.trace(acl, TRACE, 7);
        classifier.classify(keys, packets, BURST, result);
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int classifyBurst()
    {
        final int base = next;
        next = (base + BURST) & (TRACE - 1);
        for (int k = 0; k < BURST; k++)
        {
            packets[k] = base + k;
        }
        classifier.classify(keys, packets, BURST, result);
        return result[base];
    }
}
