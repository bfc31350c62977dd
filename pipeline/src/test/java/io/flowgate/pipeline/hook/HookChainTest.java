package io.flowgate.pipeline.hook;

import io.flowgate.pipeline.burst.PacketBurst;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HookChainTest
{
    private static final int CAPACITY = 32;

    private final Arena arena = Arena.ofConfined();
    private final PacketBurst burst = new PacketBurst(arena, CAPACITY);
    private final HookChain chain = new HookChain(CAPACITY);
    private final List<String> calls = new ArrayList<>();

    @AfterEach
    void close()
    {
        arena.close();
    }

    /** Decides a packet's verdict from the packet index and how often this handler already saw it. */
    interface Script
    {
        int verdict(int packet, int previousCalls);
    }

    /** A handler that logs every call and answers from a script. */
    final class Scripted implements HookHandler
    {
        final String name;
        final Script script;
        final int[] callsPerPacket = new int[CAPACITY];
        final List<int[]> packetsPerCall = new ArrayList<>();

        Scripted(final String name, final Script script)
        {
            this.name = name;
            this.script = script;
        }

        @Override
        public void process(
            final Hook hook, final PacketBurst burst, final int[] packets, final int count, final int[] verdicts)
        {
            calls.add(name);
            final int[] seen = new int[count];
            for (int k = 0; k < count; k++)
            {
                final int packet = packets[k];
                seen[k] = packet;
                verdicts[packet] = script.verdict(packet, callsPerPacket[packet]++);
            }
            packetsPerCall.add(seen);
        }
    }

    private Scripted handler(final String name, final Script script)
    {
        return new Scripted(name, script);
    }

    private Scripted accepting(final String name)
    {
        return handler(name, (packet, previous) -> Verdict.ACCEPT);
    }

    private void fill(final int count)
    {
        burst.count(count);
        for (int i = 0; i < count; i++)
        {
            burst.verdict[i] = Verdict.ACCEPT;
            burst.reason[i] = 0;
        }
    }

    private static int[] range(final int from, final int to, final int step)
    {
        final int[] values = new int[(to - from + step - 1) / step];
        for (int i = 0; i < values.length; i++)
        {
            values[i] = from + i * step;
        }
        return values;
    }

    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldTellWhetherAHandlerIsAHooksOnlyOne()
    {
        final HookHandler defrag = (hook, burst, packets, count, verdicts) -> { };
        final HookHandler other = (hook, burst, packets, count, verdicts) -> { };
        assertFalse(chain.isOnly(Hook.PREROUTING, defrag), "no handler");
        final HookRegistration first = chain.register(Hook.PREROUTING, HookPriority.CONNTRACK_DEFRAG, "defrag", defrag);
        assertTrue(chain.isOnly(Hook.PREROUTING, defrag));
        assertFalse(chain.isOnly(Hook.PREROUTING, other));
        assertFalse(chain.isOnly(Hook.FORWARD, defrag));
        final HookRegistration second = chain.register(Hook.PREROUTING, HookPriority.CONNTRACK, "conntrack", other);
        assertFalse(chain.isOnly(Hook.PREROUTING, defrag), "not alone any more");
        chain.unregister(first);
        assertTrue(chain.isOnly(Hook.PREROUTING, other));
        chain.unregister(second);
    }

    @Test
    void shouldNumberHooksAsLinux()
    {
        assertEquals(Hook.NF_INET_PRE_ROUTING, Hook.PREROUTING.number());
        assertEquals(Hook.NF_INET_LOCAL_IN, Hook.INPUT.number());
        assertEquals(Hook.NF_INET_FORWARD, Hook.FORWARD.number());
        assertEquals(Hook.NF_INET_LOCAL_OUT, Hook.OUTPUT.number());
        assertEquals(Hook.NF_INET_POST_ROUTING, Hook.POSTROUTING.number());
        assertEquals(Hook.COUNT, Hook.values().length);
        assertEquals(Hook.FORWARD, Hook.of(2));
    }

    @Test
    void shouldEncodeQueueNumberAndBypassAsLinux()
    {
        final int verdict = Verdict.queue(7, true);

        assertEquals(0x0007_8003, verdict);
        assertEquals(Verdict.QUEUE, verdict & Verdict.VERDICT_MASK);
        assertEquals(7, Verdict.queueNumber(verdict));
        assertTrue(Verdict.isQueueBypass(verdict));
        assertFalse(Verdict.isQueueBypass(Verdict.queue(7, false)));
        assertEquals("QUEUE", Verdict.name(verdict));
    }

    @Test
    void shouldAcceptWholeBurstWhenNoHandlerIsRegistered()
    {
        fill(8);

        assertEquals(8, chain.run(Hook.PREROUTING, burst));

        for (int i = 0; i < 8; i++)
        {
            assertEquals(Verdict.ACCEPT, burst.verdict[i]);
        }
        assertEquals(8, chain.counter(Hook.PREROUTING, HookChain.PACKETS_IN));
        assertEquals(8, chain.counter(Hook.PREROUTING, HookChain.ACCEPTED));
    }

    @Test
    void shouldRunHandlersInPriorityOrderLowestFirst()
    {
        chain.register(Hook.PREROUTING, HookPriority.FILTER, "filter", accepting("filter"));
        chain.register(Hook.PREROUTING, HookPriority.CONNTRACK_CONFIRM, "confirm", accepting("confirm"));
        chain.register(Hook.PREROUTING, HookPriority.CONNTRACK, "conntrack", accepting("conntrack"));
        chain.register(Hook.PREROUTING, HookPriority.NAT_DST, "dnat", accepting("dnat"));
        chain.register(Hook.PREROUTING, HookPriority.CONNTRACK_DEFRAG, "defrag", accepting("defrag"));
        chain.register(Hook.PREROUTING, HookPriority.RAW, "raw", accepting("raw"));
        chain.register(Hook.PREROUTING, HookPriority.MANGLE, "mangle", accepting("mangle"));
        fill(4);

        chain.run(Hook.PREROUTING, burst);

        assertEquals(List.of("defrag", "raw", "conntrack", "mangle", "dnat", "filter", "confirm"), calls);
    }

    @Test
    void shouldRunLaterRegisteredHandlerFirstAmongEqualPrioritiesAsNfHookEntriesGrow()
    {
        chain.register(Hook.FORWARD, HookPriority.FILTER, "first", accepting("first"));
        chain.register(Hook.FORWARD, HookPriority.MANGLE, "mangle", accepting("mangle"));
        chain.register(Hook.FORWARD, HookPriority.FILTER, "second", accepting("second"));
        chain.register(Hook.FORWARD, HookPriority.FILTER, "third", accepting("third"));
        fill(1);

        chain.run(Hook.FORWARD, burst);

        assertEquals(List.of("mangle", "third", "second", "first"), calls);
        assertEquals(
            List.of("mangle", "third", "second", "first"),
            chain.registrations(Hook.FORWARD).stream().map(HookRegistration::name).toList());
    }

    @Test
    void shouldRunOnlyTheHandlersOfTheGivenHook()
    {
        chain.register(Hook.INPUT, HookPriority.FILTER, "input", accepting("input"));
        chain.register(Hook.FORWARD, HookPriority.FILTER, "forward", accepting("forward"));
        fill(2);

        chain.run(Hook.FORWARD, burst);

        assertEquals(List.of("forward"), calls);
        assertEquals(0, chain.counter(Hook.INPUT, HookChain.PACKETS_IN));
    }

    @Test
    void shouldCallEachHandlerOncePerBurstWithPacketsInBurstOrder()
    {
        final Scripted first = accepting("first");
        final Scripted second = accepting("second");
        chain.register(Hook.PREROUTING, HookPriority.RAW, "first", first);
        chain.register(Hook.PREROUTING, HookPriority.FILTER, "second", second);
        fill(CAPACITY);

        chain.run(Hook.PREROUTING, burst);

        assertEquals(List.of("first", "second"), calls);
        assertArrayEquals(range(0, CAPACITY, 1), first.packetsPerCall.get(0));
        assertArrayEquals(range(0, CAPACITY, 1), second.packetsPerCall.get(0));
    }

    @Test
    void shouldSkipPacketsThatEarlierStagesAlreadyDecided()
    {
        final Scripted filter = accepting("filter");
        chain.register(Hook.PREROUTING, HookPriority.FILTER, "filter", filter);
        fill(4);
        burst.verdict[1] = Verdict.DROP;
        burst.verdict[2] = Verdict.STOLEN;

        assertEquals(2, chain.run(Hook.PREROUTING, burst));

        assertArrayEquals(new int[] {0, 3}, filter.packetsPerCall.get(0));
        assertEquals(Verdict.DROP, burst.verdict[1]);
        assertEquals(Verdict.STOLEN, burst.verdict[2]);
        assertEquals(2, chain.counter(Hook.PREROUTING, HookChain.PACKETS_IN));
    }

    @Test
    void shouldNotCallHandlersWhenNoPacketIsLeft()
    {
        chain.register(Hook.PREROUTING, HookPriority.RAW, "dropAll", handler("dropAll", (p, c) -> Verdict.DROP));
        chain.register(Hook.PREROUTING, HookPriority.FILTER, "filter", accepting("filter"));
        fill(3);

        assertEquals(0, chain.run(Hook.PREROUTING, burst));

        assertEquals(List.of("dropAll"), calls);
    }

    @Test
    void shouldStopAtDropAndDropThePacket()
    {
        final Scripted dropEven = handler("dropEven", (p, c) -> p % 2 == 0 ? Verdict.DROP : Verdict.ACCEPT);
        final Scripted filter = accepting("filter");
        final HookRegistration dropper = chain.register(Hook.PREROUTING, HookPriority.RAW, "dropEven", dropEven);
        chain.register(Hook.PREROUTING, HookPriority.FILTER, "filter", filter);
        fill(8);

        assertEquals(4, chain.run(Hook.PREROUTING, burst));

        assertArrayEquals(new int[] {1, 3, 5, 7}, filter.packetsPerCall.get(0));
        for (int i = 0; i < 8; i++)
        {
            assertEquals(i % 2 == 0 ? Verdict.DROP : Verdict.ACCEPT, burst.verdict[i]);
            assertEquals(i % 2 == 0 ? HookChain.REASON_NETFILTER_DROP : 0, burst.reason[i]);
        }
        assertEquals(4, chain.counter(Hook.PREROUTING, HookChain.DROPPED));
        assertEquals(4, chain.counter(Hook.PREROUTING, HookChain.ACCEPTED));
        assertEquals(4, dropper.counter(HookRegistration.DROPPED));
        assertEquals(4, dropper.counter(HookRegistration.ACCEPTED));
        assertEquals(8, dropper.counter(HookRegistration.PACKETS));
        assertEquals(1, dropper.counter(HookRegistration.CALLS));
    }

    @Test
    void shouldLeaveStolenPacketToTheHandlerThatTookIt()
    {
        final Scripted stealer = handler("stealer", (p, c) -> p == 2 ? Verdict.STOLEN : Verdict.ACCEPT);
        final Scripted filter = accepting("filter");
        final HookRegistration registration =
            chain.register(Hook.INPUT, HookPriority.CONNTRACK_DEFRAG, "stealer", stealer);
        chain.register(Hook.INPUT, HookPriority.FILTER, "filter", filter);
        fill(4);

        assertEquals(3, chain.run(Hook.INPUT, burst));

        assertEquals(Verdict.STOLEN, burst.verdict[2]);
        assertArrayEquals(new int[] {0, 1, 3}, filter.packetsPerCall.get(0));
        assertEquals(1, chain.counter(Hook.INPUT, HookChain.STOLEN));
        assertEquals(0, chain.counter(Hook.INPUT, HookChain.DROPPED));
        assertEquals(1, registration.counter(HookRegistration.STOLEN));
    }

    @Test
    void shouldHandQueuedPacketToQueueHandlerWithItsQueueNumber()
    {
        final List<String> queued = new ArrayList<>();
        final Scripted queuer = handler("queuer", (p, c) -> p == 1 ? Verdict.queue(42, false) : Verdict.ACCEPT);
        final Scripted filter = accepting("filter");
        final HookRegistration registration = chain.register(Hook.FORWARD, HookPriority.MANGLE, "queuer", queuer);
        chain.register(Hook.FORWARD, HookPriority.FILTER, "filter", filter);
        chain.queueHandler((hook, by, b, packet, queueNumber) ->
        {
            queued.add(hook + " " + by.name() + " packet " + packet + " queue " + queueNumber);
            return QueueHandler.ENQUEUED;
        });
        fill(3);

        assertEquals(2, chain.run(Hook.FORWARD, burst));

        assertEquals(List.of("FORWARD queuer packet 1 queue 42"), queued);
        assertEquals(Verdict.QUEUE, burst.verdict[1]);
        assertArrayEquals(new int[] {0, 2}, filter.packetsPerCall.get(0));
        assertEquals(1, chain.counter(Hook.FORWARD, HookChain.QUEUED));
        assertEquals(1, registration.counter(HookRegistration.QUEUED));
    }

    @Test
    void shouldDropQueuedPacketWhenNoQueueHandlerListens()
    {
        final Scripted filter = accepting("filter");
        chain.register(Hook.FORWARD, HookPriority.MANGLE, "queuer", handler("queuer", (p, c) -> Verdict.queue(0, false)));
        chain.register(Hook.FORWARD, HookPriority.FILTER, "filter", filter);
        fill(2);

        assertEquals(0, chain.run(Hook.FORWARD, burst));

        assertEquals(Verdict.DROP, burst.verdict[0]);
        assertEquals(HookChain.REASON_QUEUE_DROP, burst.reason[0]);
        assertEquals(2, chain.counter(Hook.FORWARD, HookChain.DROPPED));
        assertEquals(2, chain.counter(Hook.FORWARD, HookChain.QUEUE_DROPS));
        assertEquals(List.of("queuer"), calls);
    }

    @Test
    void shouldContinueWithNextHandlerWhenQueueWithBypassFindsNoListener()
    {
        final Scripted filter = accepting("filter");
        chain.register(Hook.FORWARD, HookPriority.MANGLE, "queuer", handler("queuer", (p, c) -> Verdict.queue(3, true)));
        chain.register(Hook.FORWARD, HookPriority.FILTER, "filter", filter);
        chain.queueHandler((hook, by, b, packet, queueNumber) -> QueueHandler.NO_LISTENER);
        fill(2);

        assertEquals(2, chain.run(Hook.FORWARD, burst));

        assertEquals(Verdict.ACCEPT, burst.verdict[0]);
        assertArrayEquals(new int[] {0, 1}, filter.packetsPerCall.get(0));
        assertEquals(2, chain.counter(Hook.FORWARD, HookChain.QUEUE_BYPASSES));
        assertEquals(2, chain.counter(Hook.FORWARD, HookChain.ACCEPTED));
    }

    @Test
    void shouldDropQueuedPacketThatTheQueueRefusesEvenWithBypass()
    {
        chain.register(Hook.FORWARD, HookPriority.MANGLE, "queuer", handler("queuer", (p, c) -> Verdict.queue(3, true)));
        chain.queueHandler((hook, by, b, packet, queueNumber) -> QueueHandler.REFUSED);
        fill(1);

        assertEquals(0, chain.run(Hook.FORWARD, burst));

        assertEquals(Verdict.DROP, burst.verdict[0]);
        assertEquals(HookChain.REASON_QUEUE_DROP, burst.reason[0]);
        assertEquals(1, chain.counter(Hook.FORWARD, HookChain.QUEUE_DROPS));
    }

    @Test
    void shouldCallSameHandlerAgainOnRepeatAndOnlyForTheRepeatedPackets()
    {
        // packet 1 repeats twice, then is accepted; the handler before it is not run again
        final Scripted before = accepting("before");
        final Scripted repeater = handler("repeater", (p, c) -> p == 1 && c < 2 ? Verdict.REPEAT : Verdict.ACCEPT);
        final Scripted after = accepting("after");
        chain.register(Hook.PREROUTING, HookPriority.RAW, "before", before);
        final HookRegistration registration =
            chain.register(Hook.PREROUTING, HookPriority.CONNTRACK, "repeater", repeater);
        chain.register(Hook.PREROUTING, HookPriority.FILTER, "after", after);
        fill(3);

        assertEquals(3, chain.run(Hook.PREROUTING, burst));

        assertEquals(List.of("before", "repeater", "repeater", "repeater", "after"), calls);
        assertArrayEquals(new int[] {0, 1, 2}, repeater.packetsPerCall.get(0));
        assertArrayEquals(new int[] {1}, repeater.packetsPerCall.get(1));
        assertArrayEquals(new int[] {1}, repeater.packetsPerCall.get(2));
        assertArrayEquals(new int[] {0, 1, 2}, after.packetsPerCall.get(0));
        assertEquals(3, registration.counter(HookRegistration.CALLS));
        assertEquals(2, registration.counter(HookRegistration.REPEATED));
        assertEquals(5, registration.counter(HookRegistration.PACKETS));
    }

    @Test
    void shouldApplyVerdictGivenAfterRepeat()
    {
        final Scripted repeater = handler("repeater", (p, c) -> c == 0 ? Verdict.REPEAT : Verdict.DROP);
        chain.register(Hook.PREROUTING, HookPriority.CONNTRACK, "repeater", repeater);
        fill(2);

        assertEquals(0, chain.run(Hook.PREROUTING, burst));

        assertEquals(Verdict.DROP, burst.verdict[0]);
        assertEquals(HookChain.REASON_NETFILTER_DROP, burst.reason[1]);
    }

    @Test
    void shouldDropPacketThatRepeatsBeyondTheBound()
    {
        final Scripted repeater = handler("repeater", (p, c) -> p == 0 ? Verdict.REPEAT : Verdict.ACCEPT);
        final Scripted after = accepting("after");
        chain.register(Hook.PREROUTING, HookPriority.CONNTRACK, "repeater", repeater);
        chain.register(Hook.PREROUTING, HookPriority.FILTER, "after", after);
        fill(2);

        assertEquals(1, chain.run(Hook.PREROUTING, burst));

        assertEquals(1 + HookChain.MAX_REPEATS, repeater.callsPerPacket[0]);
        assertEquals(1, repeater.callsPerPacket[1]);
        assertEquals(Verdict.DROP, burst.verdict[0]);
        assertEquals(HookChain.REASON_REPEAT_LIMIT, burst.reason[0]);
        assertEquals(Verdict.ACCEPT, burst.verdict[1]);
        assertArrayEquals(new int[] {1}, after.packetsPerCall.get(0));
        assertEquals(1, chain.counter(Hook.PREROUTING, HookChain.REPEAT_LIMIT_DROPS));
        assertEquals(1, chain.counter(Hook.PREROUTING, HookChain.DROPPED));
    }

    @Test
    void shouldAcceptOnStopAndSkipTheRemainingHandlers()
    {
        final Scripted stopper = handler("stopper", (p, c) -> p == 0 ? Verdict.STOP : Verdict.ACCEPT);
        final Scripted after = accepting("after");
        final HookRegistration registration = chain.register(Hook.OUTPUT, HookPriority.RAW, "stopper", stopper);
        chain.register(Hook.OUTPUT, HookPriority.FILTER, "after", after);
        fill(2);

        assertEquals(2, chain.run(Hook.OUTPUT, burst));

        assertEquals(Verdict.ACCEPT, burst.verdict[0]);
        assertArrayEquals(new int[] {1}, after.packetsPerCall.get(0));
        assertEquals(2, chain.counter(Hook.OUTPUT, HookChain.ACCEPTED));
        assertEquals(1, registration.counter(HookRegistration.STOPPED));
    }

    @Test
    void shouldDropPacketGivenValueThatIsNoVerdict()
    {
        chain.register(Hook.OUTPUT, HookPriority.RAW, "broken", handler("broken", (p, c) -> 99));
        fill(1);

        assertEquals(0, chain.run(Hook.OUTPUT, burst));

        assertEquals(Verdict.DROP, burst.verdict[0]);
        assertEquals(HookChain.REASON_BAD_VERDICT, burst.reason[0]);
        assertEquals(1, chain.counter(Hook.OUTPUT, HookChain.BAD_VERDICT_DROPS));
    }

    @Test
    void shouldStopCallingUnregisteredHandler()
    {
        final Scripted filter = accepting("filter");
        final HookRegistration registration = chain.register(Hook.INPUT, HookPriority.FILTER, "filter", filter);
        fill(1);
        chain.run(Hook.INPUT, burst);

        assertTrue(chain.unregister(registration));
        assertFalse(chain.unregister(registration));
        fill(1);
        chain.run(Hook.INPUT, burst);

        assertEquals(List.of("filter"), calls);
        assertEquals(1, registration.counter(HookRegistration.CALLS));
        assertTrue(chain.registrations(Hook.INPUT).isEmpty());
    }

    @Test
    void shouldSeeHandlerRegisteredByAnotherThread() throws InterruptedException
    {
        final Thread control = new Thread(() ->
            chain.register(Hook.PREROUTING, HookPriority.FILTER, "filter", accepting("filter")));
        control.start();
        control.join();
        fill(1);

        chain.run(Hook.PREROUTING, burst);

        assertEquals(List.of("filter"), calls);
    }

    /**
     * Runs random verdicts from five handlers over many bursts and compares every packet's outcome with a
     * packet-at-a-time model of nf_hook_slow/nf_iterate; every packet ends in exactly one outcome and the
     * counters add up.
     */
    @Test
    void shouldEndMixedBurstWithEachPacketInExactlyOneOutcome()
    {
        final Random random = new Random(0x5eed);
        final int handlers = 5;
        final int bursts = 200;
        // script[h][packet][call]: what handler h answers the call-th time it sees the packet in this burst
        final int[][][] script = new int[handlers][CAPACITY][HookChain.MAX_REPEATS + 2];
        final int[] choices = {
            Verdict.ACCEPT, Verdict.ACCEPT, Verdict.ACCEPT, Verdict.ACCEPT, Verdict.ACCEPT, Verdict.ACCEPT,
            Verdict.DROP, Verdict.STOLEN, Verdict.queue(1, false), Verdict.queue(2, true), Verdict.queue(3, false),
            Verdict.REPEAT, Verdict.REPEAT, Verdict.STOP};
        final int[] queueResult = {QueueHandler.ENQUEUED, QueueHandler.NO_LISTENER, QueueHandler.REFUSED};
        final int[] queueAnswers = new int[4];
        for (int h = 0; h < handlers; h++)
        {
            final int handler = h;
            chain.register(Hook.FORWARD, h * 10, "h" + h, (hook, b, packets, count, verdicts) ->
            {
                for (int k = 0; k < count; k++)
                {
                    final int packet = packets[k];
                    final int call = (int)((b.rxTsc[packet] >>> (handler * 8)) & 0xFF);   // calls so far
                    b.rxTsc[packet] += 1L << (handler * 8);
                    verdicts[packet] = script[handler][packet][Math.min(call, HookChain.MAX_REPEATS + 1)];
                }
            });
        }
        chain.queueHandler((hook, by, b, packet, queueNumber) -> queueAnswers[queueNumber]);

        long in = 0;
        long accepted = 0;
        long dropped = 0;
        long stolen = 0;
        long queued = 0;
        for (int round = 0; round < bursts; round++)
        {
            for (int h = 0; h < handlers; h++)
            {
                for (int p = 0; p < CAPACITY; p++)
                {
                    // a few packets repeat forever, the rest settle within a few calls
                    final boolean forever = random.nextInt(40) == 0;
                    for (int c = 0; c < script[h][p].length; c++)
                    {
                        final int choice = choices[random.nextInt(choices.length)];
                        script[h][p][c] = forever ? Verdict.REPEAT :
                            c > 3 && choice == Verdict.REPEAT ? Verdict.ACCEPT : choice;
                    }
                }
            }
            for (int q = 1; q < 4; q++)
            {
                queueAnswers[q] = queueResult[random.nextInt(queueResult.length)];
            }
            final int count = 1 + random.nextInt(CAPACITY);
            fill(count);
            final int[] expected = new int[count];
            final int[] expectedReason = new int[count];
            for (int p = 0; p < count; p++)
            {
                burst.rxTsc[p] = 0;
                if (random.nextInt(10) == 0)
                {
                    burst.verdict[p] = Verdict.DROP;   // decided before the hook
                    expected[p] = Verdict.DROP;
                    continue;
                }
                in++;
                final long outcome = model(script, handlers, queueAnswers, p);
                expected[p] = (int)(outcome >>> 32);
                expectedReason[p] = (int)outcome;
            }

            final int survivors = chain.run(Hook.FORWARD, burst);

            int acceptedHere = 0;
            for (int p = 0; p < count; p++)
            {
                assertEquals(expected[p], burst.verdict[p], "round " + round + " packet " + p);
                if (expected[p] == Verdict.DROP && expectedReason[p] != 0)
                {
                    assertEquals(expectedReason[p], burst.reason[p], "round " + round + " packet " + p);
                }
                final boolean tookPart = !(expected[p] == Verdict.DROP && expectedReason[p] == 0);
                if (tookPart)
                {
                    switch (burst.verdict[p])
                    {
                        case Verdict.ACCEPT -> acceptedHere++;
                        case Verdict.DROP -> dropped++;
                        case Verdict.STOLEN -> stolen++;
                        case Verdict.QUEUE -> queued++;
                        default -> throw new AssertionError("no outcome for packet " + p);
                    }
                }
            }
            assertEquals(acceptedHere, survivors);
            accepted += acceptedHere;
        }

        assertEquals(in, chain.counter(Hook.FORWARD, HookChain.PACKETS_IN));
        assertEquals(accepted, chain.counter(Hook.FORWARD, HookChain.ACCEPTED));
        assertEquals(dropped, chain.counter(Hook.FORWARD, HookChain.DROPPED));
        assertEquals(stolen, chain.counter(Hook.FORWARD, HookChain.STOLEN));
        assertEquals(queued, chain.counter(Hook.FORWARD, HookChain.QUEUED));
        assertEquals(in, accepted + dropped + stolen + queued);
        assertTrue(chain.counter(Hook.FORWARD, HookChain.REPEAT_LIMIT_DROPS) > 0);
        assertTrue(chain.counter(Hook.FORWARD, HookChain.QUEUE_BYPASSES) > 0);
        assertTrue(chain.counter(Hook.FORWARD, HookChain.QUEUE_DROPS) > 0);
    }

    /** One packet through the handlers as nf_hook_slow and nf_iterate do it; returns verdict << 32 | reason. */
    private static long model(final int[][][] script, final int handlers, final int[] queueAnswers, final int packet)
    {
        for (int h = 0; h < handlers; h++)
        {
            int call = 0;
            while (true)
            {
                final int verdict = script[h][packet][Math.min(call, HookChain.MAX_REPEATS + 1)];
                switch (verdict & Verdict.VERDICT_MASK)
                {
                    case Verdict.ACCEPT ->
                    {
                    }
                    case Verdict.DROP ->
                    {
                        return (long)Verdict.DROP << 32 | HookChain.REASON_NETFILTER_DROP;
                    }
                    case Verdict.STOLEN ->
                    {
                        return (long)Verdict.STOLEN << 32;
                    }
                    case Verdict.STOP ->
                    {
                        return (long)Verdict.ACCEPT << 32;
                    }
                    case Verdict.QUEUE ->
                    {
                        final int answer = queueAnswers[Verdict.queueNumber(verdict)];
                        if (answer == QueueHandler.ENQUEUED)
                        {
                            return (long)Verdict.QUEUE << 32;
                        }
                        if (!(answer == QueueHandler.NO_LISTENER && Verdict.isQueueBypass(verdict)))
                        {
                            return (long)Verdict.DROP << 32 | HookChain.REASON_QUEUE_DROP;
                        }
                    }
                    case Verdict.REPEAT ->
                    {
                        if (++call > HookChain.MAX_REPEATS)
                        {
                            return (long)Verdict.DROP << 32 | HookChain.REASON_REPEAT_LIMIT;
                        }
                        continue;
                    }
                    default -> throw new AssertionError(verdict);
                }
                break;
            }
        }
        return (long)Verdict.ACCEPT << 32;
    }

    /**
     * A control thread registers and unregisters handlers while the worker runs bursts: the worker never
     * fails, and every burst ends with each packet accepted or dropped by the one dropping handler.
     */
    @Test
    void shouldRunBurstsWhileAnotherThreadChangesTheHandlers() throws InterruptedException
    {
        chain.register(Hook.PREROUTING, HookPriority.FILTER, "dropOdd", (hook, b, packets, count, verdicts) ->
        {
            for (int k = 0; k < count; k++)
            {
                verdicts[packets[k]] = (packets[k] & 1) == 1 ? Verdict.DROP : Verdict.ACCEPT;
            }
        });
        final HookHandler accept = (hook, b, packets, count, verdicts) ->
        {
            for (int k = 0; k < count; k++)
            {
                verdicts[packets[k]] = Verdict.ACCEPT;
            }
        };
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread control = new Thread(() ->
        {
            try
            {
                final Random random = new Random(7);
                final List<HookRegistration> registered = new ArrayList<>();
                while (running.get())
                {
                    if (registered.size() < 8 && random.nextBoolean())
                    {
                        registered.add(chain.register(Hook.PREROUTING, random.nextInt(400) - 200, "a", accept));
                    }
                    else if (!registered.isEmpty())
                    {
                        assertTrue(chain.unregister(registered.remove(random.nextInt(registered.size()))));
                    }
                }
            }
            catch (final Throwable t)
            {
                failure.set(t);
            }
        });
        control.start();
        try
        {
            for (int round = 0; round < 20_000; round++)
            {
                fill(CAPACITY);
                assertEquals(CAPACITY / 2, chain.run(Hook.PREROUTING, burst));
                for (int i = 0; i < CAPACITY; i++)
                {
                    assertEquals((i & 1) == 1 ? Verdict.DROP : Verdict.ACCEPT, burst.verdict[i]);
                }
            }
        }
        finally
        {
            running.set(false);
            control.join();
        }
        assertNull(failure.get());
        assertEquals(20_000L * CAPACITY, chain.counter(Hook.PREROUTING, HookChain.PACKETS_IN));
    }
}
