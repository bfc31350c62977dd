package io.flowgate.stack.timer;

/** What runs when a {@link Timer} expires; called by {@link TimerWheel#expire} on the stack thread. */
public interface TimerHandler
{
    void onTimer(Timer timer, long nowNs);
}
