package io.flowgate.pipeline.hook;

/**
 * A handler registered at one hook with one priority (the {@code struct nf_hook_ops} of Linux), and its
 * counters. Returned by {@link HookChain#register} and passed back to {@link HookChain#unregister}; its
 * counters outlive the registration.
 */
public final class HookRegistration
{
    /** Bursts in which the handler was called (each REPEAT round is one more call). */
    public static final int CALLS = 0;
    /** Packets the handler decided on, each REPEAT round counted again. */
    public static final int PACKETS = 1;
    public static final int ACCEPTED = 2;
    public static final int DROPPED = 3;
    public static final int STOLEN = 4;
    public static final int QUEUED = 5;
    public static final int REPEATED = 6;
    public static final int STOPPED = 7;
    public static final int COUNTERS = 8;

    final Hook hook;
    final int priority;
    final String name;
    final HookHandler handler;
    final Counters counters = new Counters(COUNTERS);

    HookRegistration(final Hook hook, final int priority, final String name, final HookHandler handler)
    {
        this.hook = hook;
        this.priority = priority;
        this.name = name;
        this.handler = handler;
    }

    public Hook hook()
    {
        return hook;
    }

    public int priority()
    {
        return priority;
    }

    public String name()
    {
        return name;
    }

    public HookHandler handler()
    {
        return handler;
    }

    /** Any thread: one of the counters named by the constants of this class. */
    public long counter(final int counter)
    {
        return counters.get(counter);
    }

    @Override
    public String toString()
    {
        return "HookRegistration{" + hook + ", priority=" + priority + ", " + name + "}";
    }
}
