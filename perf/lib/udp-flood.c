/*
 * udp-flood: a small UDP traffic generator for perf/benches/xdp-offload.sh.
 *
 *   udp-flood IFNAME DST_MAC SRC_MAC SRC_IP DST_IP SPORT DPORT_BASE FLOWS SECONDS [SIZE]
 *
 * Sends SIZE-byte (default 64, FCS included, so 60 on the wire buffer) Ethernet/IPv4/UDP
 * frames out of IFNAME through an AF_PACKET socket with PACKET_QDISC_BYPASS and sendmmsg
 * batches, cycling the destination port over DPORT_BASE .. DPORT_BASE+FLOWS-1 (one frame
 * per flow per pass), for SECONDS seconds. IPv4 checksums are valid; the UDP checksum is
 * 0 (none, allowed on IPv4). Prints "sent N" at the end. A full transmit path (ENOBUFS,
 * EAGAIN) is retried: the generator pushes as fast as the receiving side takes packets.
 * No pktgen module, no xdp-trafficgen (its tracepoints are missing on this kernel).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_FLOWS 4096

static int parse_mac(const char *s, unsigned char *m)
{
    return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6 ? 0 : -1;
}

static uint16_t ip_checksum(const unsigned char *h, int len)
{
    uint32_t sum = 0;
    for (int i = 0; i < len; i += 2) sum += (uint32_t) (h[i] << 8 | h[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t) ~sum;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 10) {
        fprintf(stderr, "usage: udp-flood IFNAME DST_MAC SRC_MAC SRC_IP DST_IP SPORT DPORT_BASE FLOWS SECONDS [SIZE]\n");
        return 2;
    }
    unsigned char dmac[6], smac[6];
    struct in_addr sip, dip;
    if (parse_mac(argv[2], dmac) || parse_mac(argv[3], smac) || !inet_aton(argv[4], &sip) || !inet_aton(argv[5], &dip)) {
        fprintf(stderr, "udp-flood: bad MAC or address\n");
        return 2;
    }
    int sport = atoi(argv[6]), dbase = atoi(argv[7]), flows = atoi(argv[8]);
    double seconds = atof(argv[9]);
    int size = argc > 10 ? atoi(argv[10]) : 64;
    int len = size - 4; /* without the FCS */
    if (flows < 1 || flows > MAX_FLOWS || len < 42 || len > 1514 || dbase + flows > 65536) {
        fprintf(stderr, "udp-flood: flows 1..%d, size 46..1518, ports within 65535\n", MAX_FLOWS);
        return 2;
    }
    int ifindex = (int) if_nametoindex(argv[1]);
    if (!ifindex) { perror("if_nametoindex"); return 1; }
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    if (fd < 0) { perror("socket"); return 1; }
    int one = 1;
    if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0) perror("PACKET_QDISC_BYPASS (ignored)");
    struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6 };
    memcpy(to.sll_addr, dmac, 6);

    static unsigned char frames[MAX_FLOWS][1514];
    for (int f = 0; f < flows; f++) {
        unsigned char *p = frames[f];
        memset(p, 0, (size_t) len);
        memcpy(p, dmac, 6); memcpy(p + 6, smac, 6); p[12] = 0x08; p[13] = 0x00;
        unsigned char *ip = p + 14;
        int iplen = len - 14, udplen = iplen - 20;
        ip[0] = 0x45; ip[2] = (unsigned char) (iplen >> 8); ip[3] = (unsigned char) iplen;
        ip[6] = 0x40; /* DF */ ip[8] = 64; ip[9] = 17;
        memcpy(ip + 12, &sip, 4); memcpy(ip + 16, &dip, 4);
        uint16_t c = ip_checksum(ip, 20); ip[10] = (unsigned char) (c >> 8); ip[11] = (unsigned char) c;
        unsigned char *u = ip + 20;
        int dport = dbase + f;
        u[0] = (unsigned char) (sport >> 8); u[1] = (unsigned char) sport;
        u[2] = (unsigned char) (dport >> 8); u[3] = (unsigned char) dport;
        u[4] = (unsigned char) (udplen >> 8); u[5] = (unsigned char) udplen;
    }
    static struct mmsghdr msgs[BATCH];
    static struct iovec iov[BATCH];
    unsigned long long sent = 0;
    int next = 0;
    double end = now() + seconds;
    for (unsigned long iter = 0;; iter++) {
        if ((iter & 63) == 0 && now() >= end) break;
        for (int i = 0; i < BATCH; i++) {
            iov[i].iov_base = frames[next];
            iov[i].iov_len = (size_t) len;
            msgs[i].msg_hdr = (struct msghdr) { .msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &iov[i], .msg_iovlen = 1 };
            if (++next == flows) next = 0;
        }
        int n = sendmmsg(fd, msgs, BATCH, 0);
        if (n > 0) sent += (unsigned long long) n;
        else if (n < 0 && errno != ENOBUFS && errno != EAGAIN && errno != EINTR) { perror("sendmmsg"); return 1; }
    }
    printf("sent %llu\n", sent);
    return 0;
}
