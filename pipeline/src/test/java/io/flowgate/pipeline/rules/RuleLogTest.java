package io.flowgate.pipeline.rules;

import java.util.ArrayList;
import java.util.List;

import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.Family;
import io.flowgate.pipeline.rules.model.Field;
import org.junit.jupiter.api.Test;

import static io.flowgate.pipeline.rules.RuleBed.O;
import static io.flowgate.pipeline.rules.RuleBed.accept;
import static io.flowgate.pipeline.rules.RuleBed.eq;
import static io.flowgate.pipeline.rules.RuleBed.filter;
import static io.flowgate.pipeline.rules.RuleBed.rule;
import static io.flowgate.pipeline.rules.RuleBed.ruleset;
import static io.flowgate.pipeline.rules.RuleBed.table;
import static io.flowgate.pipeline.rules.RuleBed.tcp;
import static io.flowgate.pipeline.rules.RuleBed.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The {@code log} statement: nf_log's line, and a full ring that drops and counts instead of waiting. */
class RuleLogTest
{
    @Test
    void shouldPrintTheKernelsLine() throws Exception
    {
        try (RuleBed bed = new RuleBed())
        {
            bed.engine.load(ruleset(table(Family.IP, "t", filter("input", Hook.INPUT, false,
                rule(eq(Field.TCP_DPORT, 22), new Expr.Log("SSH ", 4, O), accept()),
                rule(eq(Field.UDP_DPORT, 53), new Expr.Log("DNS ", 4, O))))));
            final List<String> lines = new ArrayList<>();
            bed.engine.logger().sink(lines::add);
            bed.add(tcp("192.168.1.1", "10.0.0.1", 1000, 22, 0x02), 0, -1);
            bed.add(udp("192.168.1.1", "10.0.0.1", 1000, 53), 0, -1);
            bed.run(Hook.INPUT);
            bed.engine.close(); // stops the logger thread after a last drain
            bed.engine.logger().drain();
            assertEquals(List.of(
                "SSH IN=in0 OUT= MAC=02:00:00:00:00:01:02:00:00:00:00:02:08:00 SRC=192.168.1.1 DST=10.0.0.1 LEN=40 TOS=0x00 "
                    + "PREC=0x00 TTL=64 ID=1 DF PROTO=TCP SPT=1000 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0 ",
                "DNS IN=in0 OUT= MAC=02:00:00:00:00:01:02:00:00:00:00:02:08:00 SRC=192.168.1.1 DST=10.0.0.1 LEN=32 TOS=0x00 "
                    + "PREC=0x00 TTL=64 ID=1 DF PROTO=UDP SPT=1000 DPT=53 LEN=12 "), lines);
        }
    }

    @Test
    void shouldDropAndCountWhenTheRingIsFull() throws Exception
    {
        try (RuleBed bed = new RuleBed())
        {
            bed.engine.load(ruleset(table(Family.IP, "t", filter("input", Hook.INPUT, false,
                rule(new Expr.Log("X ", 4, O))))));
            bed.engine.close(); // no logger thread: nothing drains
            for (int i = 0; i < 32; i++)
            {
                bed.add(udp("192.168.1.1", "10.0.0.1", 1000, 53), 0, -1);
            }
            final int bursts = (RuleEngine.LOG_RECORDS * 2) / 32 + 4;
            for (int b = 0; b < bursts; b++)
            {
                bed.run(Hook.INPUT);
            }
            final long capacity = Integer.highestOneBit(RuleEngine.LOG_RECORDS * 2 - 1);
            assertEquals(bursts * 32L - capacity, bed.engine.logDropped());
            final List<String> lines = new ArrayList<>();
            bed.engine.logger().sink(lines::add);
            bed.engine.logger().drain();
            while (bed.engine.logger().drain() > 0)
            {
                // drain takes at most 256 per ring per call
            }
            assertEquals(capacity, lines.size());
        }
    }
}
