package io.flowgate.xdp.bpf;

/** How an XDP program is attached: in the driver, in the generic (skb) hook, or native when the driver allows. */
public enum XdpMode
{
    NATIVE, GENERIC, AUTO
}
