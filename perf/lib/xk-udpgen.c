/*
 * xk-udpgen IFACE SECONDS [FLOWS] — the afxdp-io bench's traffic source: 64-byte Ethernet/IPv4/UDP frames
 * (FLOWS source ports, default 256) sent as fast as possible through an AF_PACKET socket with
 * PACKET_QDISC_BYPASS and sendmmsg bursts of 64. Used because trafgen (netsniff-ng) is not installed here.
 * Prints the frames sent at exit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BURST 64
#define SIZE 60

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s IFACE SECONDS [FLOWS]\n", argv[0]);
        return 2;
    }
    int flows = argc > 3 ? atoi(argv[3]) : 256;
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    if (fd < 0) { perror("socket"); return 1; }
    int one = 1;
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
    struct sockaddr_ll sll = {0};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = (int)if_nametoindex(argv[1]);
    if (sll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) { perror("bind"); return 1; }
    static unsigned char frames[BURST][SIZE];
    struct mmsghdr msgs[BURST];
    struct iovec iov[BURST];
    memset(msgs, 0, sizeof(msgs));
    for (int i = 0; i < BURST; i++) {
        unsigned char *f = frames[i];
        memset(f, 0xff, 6);
        unsigned char src[6] = {0x02, 0x78, 0x6b, 0, 0, 2};
        memcpy(f + 6, src, 6);
        f[12] = 0x08; f[13] = 0x00;
        f[14] = 0x45; f[16] = 0; f[17] = SIZE - 14; f[22] = 64; f[23] = 17;
        unsigned char ips[8] = {10, 98, 0, 1, 10, 98, 0, 2};
        memcpy(f + 26, ips, 8);
        f[37] = 9; f[38] = 0; f[39] = SIZE - 34;
        iov[i].iov_base = f;
        iov[i].iov_len = SIZE;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    time_t end = time(NULL) + atoi(argv[2]);
    unsigned long sent = 0, port = 0;
    while (time(NULL) < end) {
        for (int k = 0; k < 16; k++) {
            for (int i = 0; i < BURST; i++) {
                unsigned p = 1024 + (unsigned)(port++ % (unsigned long)flows);
                frames[i][34] = (unsigned char)(p >> 8);
                frames[i][35] = (unsigned char)p;
            }
            int n = sendmmsg(fd, msgs, BURST, 0);
            if (n > 0) sent += (unsigned long)n;
        }
    }
    printf("sent=%lu\n", sent);
    return 0;
}
