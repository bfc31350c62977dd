package io.flowgate.pipeline.rules;

import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pipeline.rules.nft.NftParser;
import org.junit.jupiter.api.Test;

import static io.flowgate.pipeline.rules.RuleBed.tcp;
import static io.flowgate.pipeline.rules.RuleBed.tcp6;
import static io.flowgate.pipeline.rules.RuleBed.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A parsed ruleset through the engine, and {@code nft list ruleset} with the live counters. */
class RuleListTest
{
    private static final String RULESET = """
        table inet filter {
        	chain input {
        		type filter hook input priority filter; policy drop;
        		tcp dport 22 counter accept
        		udp dport 53 counter reject
        	}
        }
        """;

    @Test
    void shouldListTheRunningRulesetWithLiveCounters() throws Exception
    {
        try (RuleBed bed = new RuleBed())
        {
            bed.engine.load(NftParser.parse("fw.nft", RULESET));
            final int ssh = bed.add(tcp("1.1.1.1", "10.0.0.1", 1000, 22, 2), 0, -1);
            final int ssh6 = bed.add(tcp6(1, 2, 1000, 22), 0, -1);
            final int dns = bed.add(udp("1.1.1.1", "10.0.0.1", 1000, 53), 0, -1);
            final int web = bed.add(tcp("1.1.1.1", "10.0.0.1", 1000, 80, 2), 0, -1);
            bed.run(Hook.INPUT);
            assertEquals(Verdict.ACCEPT, bed.verdict(ssh));
            assertEquals(Verdict.ACCEPT, bed.verdict(ssh6));
            assertEquals(Verdict.DROP, bed.verdict(dns));
            assertEquals(RejectCodes.of(RejectCodes.ICMP, 3), bed.burst.reject[dns], "plain reject in inet: port-unreachable");
            assertEquals(Verdict.DROP, bed.verdict(web));
            final String listed = bed.engine.list();
            assertTrue(listed.contains("tcp dport 22 counter packets 2 bytes 100 accept"), listed);
            assertTrue(listed.contains("udp dport 53 counter packets 1 bytes 32 reject"), listed);
        }
    }
}
