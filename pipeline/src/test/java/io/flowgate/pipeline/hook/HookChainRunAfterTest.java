package io.flowgate.pipeline.hook;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flowgate.pipeline.burst.PacketBurst;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Reinjection after a queue verdict (nf_reinject): only the handlers after the queueing registration run. */
class HookChainRunAfterTest
{
    private final Arena arena = Arena.ofConfined();
    private final PacketBurst burst = new PacketBurst(arena, 4);
    private final HookChain chain = new HookChain(4);
    private final List<String> calls = new ArrayList<>();

    @AfterEach
    void close()
    {
        arena.close();
    }

    private HookHandler logging(final String name)
    {
        return (hook, b, packets, count, verdicts) ->
        {
            calls.add(name);
            for (int k = 0; k < count; k++)
            {
                verdicts[packets[k]] = Verdict.ACCEPT;
            }
        };
    }

    private void oneAcceptedPacket()
    {
        burst.count(1);
        burst.verdict[0] = Verdict.ACCEPT;
    }

    @Test
    void shouldRunOnlyTheHandlersAfterTheRegistration()
    {
        chain.register(Hook.PREROUTING, -450, "a", logging("a"));
        final HookRegistration b = chain.register(Hook.PREROUTING, -300, "b", logging("b"));
        chain.register(Hook.PREROUTING, -300, "c", logging("c"));   // same priority, registered later: runs before b
        chain.register(Hook.PREROUTING, 0, "d", logging("d"));
        oneAcceptedPacket();
        assertEquals(1, chain.runAfter(Hook.PREROUTING, b, burst));
        assertEquals(List.of("d"), calls);
    }

    @Test
    void shouldContinueByPriorityWhenTheRegistrationIsGone()
    {
        final HookRegistration a = chain.register(Hook.PREROUTING, -450, "a", logging("a"));
        chain.register(Hook.PREROUTING, -450, "a2", logging("a2"));
        chain.register(Hook.PREROUTING, -100, "b", logging("b"));
        chain.unregister(a);   // the ruleset was replaced while the packet waited
        oneAcceptedPacket();
        chain.runAfter(Hook.PREROUTING, a, burst);
        assertEquals(List.of("b"), calls);
    }
}
