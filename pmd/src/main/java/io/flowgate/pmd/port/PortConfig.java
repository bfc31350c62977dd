package io.flowgate.pmd.port;

import io.flowgate.nativebindings.dpdk.EthDev;

/**
 * How to bring up a port.
 *
 * @param rxQueues      receive queues; more than one turns RSS on over {@code rssHashFunctions}.
 * @param txQueues      transmit queues.
 * @param rxDescriptors receive ring size (rounded to what the device accepts).
 * @param txDescriptors transmit ring size.
 * @param rssHashFunctions {@code RTE_ETH_RSS_*} bits, masked by what the device offers.
 * @param mtu           0 keeps the driver's default.
 * @param promiscuous   receive frames for any destination MAC.
 */
public record PortConfig(int rxQueues, int txQueues, int rxDescriptors, int txDescriptors, long rssHashFunctions, int mtu,
                         boolean promiscuous)
{
    public static final PortConfig DEFAULT = new PortConfig(1, 1, 1024, 1024,
        EthDev.RSS_IP | EthDev.RSS_UDP | EthDev.RSS_TCP, 0, true);

    public PortConfig
    {
        if (rxQueues < 1 || txQueues < 1 || rxQueues > 1024 || txQueues > 1024)
        {
            throw new IllegalArgumentException("queues must be 1..1024: rx=" + rxQueues + " tx=" + txQueues);
        }
        if (rxDescriptors < 1 || txDescriptors < 1 || rxDescriptors > 32768 || txDescriptors > 32768)
        {
            throw new IllegalArgumentException("descriptors must be 1..32768: rx=" + rxDescriptors + " tx=" + txDescriptors);
        }
    }

    public PortConfig withQueues(final int rx, final int tx)
    {
        return new PortConfig(rx, tx, rxDescriptors, txDescriptors, rssHashFunctions, mtu, promiscuous);
    }
}
