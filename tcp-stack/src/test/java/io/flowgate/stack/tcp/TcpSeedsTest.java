package io.flowgate.stack.tcp;

import static io.flowgate.stack.tcp.TcpCoreTest.S;
import static io.flowgate.stack.tcp.TcpCoreTest.pattern;
import static io.flowgate.stack.tcp.TcpCoreTest.transfer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.flowgate.stack.StackConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bidirectional transfers under heavy loss, reordering and duplication, over many fixed seeds and option sets. */
class TcpSeedsTest
{
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
    void bidirectionalUnderHeavyLoss(final int seed) throws Exception
    {
        final StackConfig base = TestWire.small();
        final StackConfig cfg = switch (seed % 4)
        {
            case 0 -> base;
            case 1 -> base.withOptions(false, true, true);
            case 2 -> base.withOptions(true, false, false).withCongestion("reno");
            default -> base.withOptions(false, false, false);
        };
        try (TestWire w = new TestWire(cfg, cfg, seed))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, seed % 3 == 0);
            w.lossRate = 0.03;
            w.reorderRate = 0.05;
            w.duplicateRate = 0.01;
            final byte[] up = pattern(1 << 20, seed);
            final byte[] down = pattern(300_000, seed + 100);
            assertArrayEquals(up, transfer(w, p.client, p.server, up, 600 * S));
            assertArrayEquals(down, transfer(w, p.server, p.client, down, 600 * S));
            p.client.appClose(w.now);
            p.server.appClose(w.now);
            w.run(120 * S);
            org.junit.jupiter.api.Assertions.assertEquals(0, w.a.tcp.connections() + w.b.tcp.connections(),
                "both ends closed (TIME_WAIT expired)");
        }
    }
}
