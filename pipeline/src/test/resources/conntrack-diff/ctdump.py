#!/usr/bin/python3
"""Dumps the IPv4 and IPv6 conntrack tables over ctnetlink (run inside the router namespace), one entry a line:

    l3 proto src dst sport dport type code id zone status

with l3 ipv4 / ipv6 and IPv6 addresses as inet_ntop (and conntrack -L) prints them,
-1 for fields the protocol does not have. status is the raw ip_conntrack_status word (CTA_STATUS), which
conntrack -L does not print in full. Part of the differential harness (LinuxConntrackSubject).
"""
import socket
import struct

NETLINK_NETFILTER = 12
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
CT_GET = (1 << 8) | 1          # NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET
CTA_TUPLE_ORIG = 1
CTA_STATUS = 3
CTA_ZONE = 18
CTA_TUPLE_IP = 1
CTA_TUPLE_PROTO = 2
CTA_TUPLE_ZONE = 3


def attrs(data):
    at = 0
    out = {}
    while at + 4 <= len(data):
        length, kind = struct.unpack_from("=HH", data, at)
        if length < 4:
            break
        out[kind & 0x3FFF] = data[at + 4:at + length]
        at += (length + 3) & ~3
    return out


def address(ip, v4, v6):
    if v4 in ip:
        return socket.inet_ntop(socket.AF_INET, ip[v4])
    if v6 in ip:
        return socket.inet_ntop(socket.AF_INET6, ip[v6])
    return "-"


def tuple_fields(data):
    t = attrs(data)
    ip = attrs(t.get(CTA_TUPLE_IP, b""))
    proto = attrs(t.get(CTA_TUPLE_PROTO, b""))
    src = address(ip, 1, 3)   # CTA_IP_V4_SRC, CTA_IP_V6_SRC
    dst = address(ip, 2, 4)
    num = proto[1][0] if 1 in proto else -1
    sport = struct.unpack("!H", proto[2])[0] if 2 in proto else -1
    dport = struct.unpack("!H", proto[3])[0] if 3 in proto else -1
    # CTA_PROTO_ICMP_ID/TYPE/CODE 4/5/6, CTA_PROTO_ICMPV6_ID/TYPE/CODE 7/8/9
    icmp_id = struct.unpack("!H", proto[4])[0] if 4 in proto else struct.unpack("!H", proto[7])[0] if 7 in proto else -1
    icmp_type = proto[5][0] if 5 in proto else proto[8][0] if 8 in proto else -1
    icmp_code = proto[6][0] if 6 in proto else proto[9][0] if 9 in proto else -1
    return num, src, dst, sport, dport, icmp_type, icmp_code, icmp_id


def main():
    lines = []
    for family, name in ((socket.AF_INET, "ipv4"), (socket.AF_INET6, "ipv6")):
        dump(family, name, lines)
    print("\n".join(lines))


def dump(family, name, lines):
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.bind((0, 0))
    request = struct.pack("=IHHII", 20, CT_GET, NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + struct.pack("=BBH", family, 0, 0)
    sock.send(request)
    done = False
    while not done:
        data = sock.recv(1 << 20)
        at = 0
        while at + 16 <= len(data):
            length, kind, _, _, _ = struct.unpack_from("=IHHII", data, at)
            if length < 16:
                done = True
                break
            if kind == NLMSG_DONE:
                done = True
                break
            if kind == NLMSG_ERROR:
                errno = -struct.unpack_from("=i", data, at + 16)[0]
                if errno:
                    raise SystemExit("ctnetlink dump failed: errno %d" % errno)
                done = True
                break
            a = attrs(data[at + 20:at + length])
            num, src, dst, sport, dport, icmp_type, icmp_code, icmp_id = tuple_fields(a.get(CTA_TUPLE_ORIG, b""))
            status = struct.unpack("!I", a[CTA_STATUS])[0] if CTA_STATUS in a else -1
            zone = struct.unpack("!H", a[CTA_ZONE])[0] if CTA_ZONE in a else 0
            lines.append("%s %d %s %s %d %d %d %d %d %d %d" % (name, num, src, dst, sport, dport, icmp_type, icmp_code, icmp_id, zone, status))
            at += (length + 3) & ~3
    sock.close()


if __name__ == "__main__":
    main()
