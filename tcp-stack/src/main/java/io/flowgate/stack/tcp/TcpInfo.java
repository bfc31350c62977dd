package io.flowgate.stack.tcp;

/**
 * A snapshot of one connection, with the fields {@code ss -tin} prints (Linux's {@code struct tcp_info}):
 * what {@code flowgate ss} and the congestion-control trace read. Times in microseconds, windows in segments
 * unless named bytes.
 */
public record TcpInfo(
    int state,
    long localHi, long localLo, int localPort,
    long remoteHi, long remoteLo, int remotePort,
    String congestion,
    boolean timestamps, boolean sack, int sndWscale, int rcvWscale,
    long rtoUs, long rttUs, long rttVarUs, long minRttUs,
    int mss, int pmtu, int rcvMss,
    int cwnd, int ssthresh, int caState,
    long bytesSent, long bytesRetrans, long bytesAcked, long bytesReceived,
    long segsOut, long segsIn, long dataSegsOut, long dataSegsIn,
    int unacked, int sacked, int lost, int retransmits, long totalRetrans,
    int sndWnd, int rcvWnd, int sendQueue, int receiveQueue,
    long lastSendAgoMs, long lastReceiveAgoMs)
{
}
