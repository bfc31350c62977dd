# UDP through the router for XdpOffloadIT (one flow: fixed ports both sides).
#   server ADDR PORT SECONDS              echo every datagram; exits after SECONDS idle; prints "server received=N sent=N"
#   client DST PORT SPORT COUNT RATE      one request answered first (the flow is established), then COUNT datagrams
#                                         at RATE per second, replies read as they come; prints "client sent=N received=N"
import socket, sys, time
if sys.argv[1] == 'server':
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[2], int(sys.argv[3])))
    s.settimeout(float(sys.argv[4])); got = sent = 0
    try:
        while True:
            d, a = s.recvfrom(2048); got += 1; s.sendto(d, a); sent += 1
    except socket.timeout:
        pass
    print('server received=%d sent=%d' % (got, sent), flush=True)
else:
    dst, port, sport, count, rate = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', sport)); s.settimeout(1.0)
    sent = received = 0
    for attempt in range(10):
        s.sendto(b'hello', (dst, port)); sent += 1
        try:
            s.recvfrom(2048); received += 1; break
        except socket.timeout:
            pass
    s.setblocking(False); start = time.time()
    for i in range(count):
        s.sendto(b'%08d' % i + b'x' * 92, (dst, port)); sent += 1
        while True:
            try:
                s.recvfrom(2048); received += 1
            except BlockingIOError:
                break
        delay = start + (i + 1) / rate - time.time()
        if delay > 0:
            time.sleep(delay)
    s.settimeout(1.0)
    try:
        while received < sent:
            s.recvfrom(2048); received += 1
    except socket.timeout:
        pass
    print('client sent=%d received=%d' % (sent, received), flush=True)
