# udp-echo.py: establishes UDP flows for perf/benches/xdp-offload.sh.
#   sink BASE N SECONDS       echo one datagram on each of ports BASE..BASE+N-1 (prints "ready", then "echoed K")
#   src DST SPORT BASE N      send from SPORT to DST:BASE..BASE+N-1 until each answered (5 tries); prints "replied K"
import socket, sys, time, select

role = sys.argv[1]
if role == 'sink':
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 0))
    n = int(sys.argv[3]); base = int(sys.argv[2]); socks = []
    for p in range(base, base + n):
        x = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); x.bind(('0.0.0.0', p)); x.setblocking(False); socks.append(x)
    print('ready', flush=True)
    end = time.time() + float(sys.argv[4]); got = 0
    while time.time() < end and got < n:
        r, _, _ = select.select(socks, [], [], 0.2)
        for x in r:
            d, a = x.recvfrom(2048); x.sendto(d, a); got += 1
    print('echoed', got, flush=True)
else:
    dst, sport, base, n = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', sport)); s.settimeout(0.5)
    ok = set()
    for attempt in range(5):
        for p in range(base, base + n):
            if p not in ok: s.sendto(b'x' * 18, (dst, p))
        try:
            while len(ok) < n:
                d, a = s.recvfrom(2048); ok.add(a[1])
        except socket.timeout: pass
        if len(ok) == n: break
    print('replied', len(ok), flush=True)
