#!/usr/bin/env python3
# perf/lib/perf-lines.py DIR [N] — after `PROFILE_ASM=1 perf/profile-router`: the share of the worker's samples per
# source line (method:line of the innermost inlined scope), by mapping each sampled address to the nearest
# preceding instruction with debug info in the printed compiled code (DebugNonSafepoints). Approximate.
import re, sys, subprocess, collections
d = sys.argv[1]
# map address -> innermost source (method:line) from the last c2 compile of each RouterWorker method
log = open(d + '/run.log', errors='replace').read().split('\n')
addr_src = {}
cur_addr = None
insn = re.compile(r'^\s+0x([0-9a-f]{16}):\s')
scope = re.compile(r'^\s+;\s+-\s+(\S+)::(\S+)@(-?\d+)(?: \(line (\d+)\))?')
for line in log:
    m = insn.match(line)
    if m:
        cur_addr = int(m.group(1), 16)
        continue
    s = scope.match(line)
    if s and cur_addr is not None and cur_addr not in addr_src:
        cls = s.group(1).split('.')[-1]
        addr_src[cur_addr] = '%s::%s:%s' % (cls, s.group(2), s.group(4))
addrs = sorted(addr_src)
import bisect
out = subprocess.run(['perf', 'script', '-i', d + '/perf.data', '-F', 'ip,sym'], capture_output=True, text=True).stdout
cnt = collections.Counter(); total = 0
for l in out.split('\n'):
    parts = l.split()
    if not parts: continue
    total += 1
    ip = int(parts[0], 16)
    i = bisect.bisect_right(addrs, ip) - 1
    if i >= 0 and ip - addrs[i] < 4096:
        cnt[addr_src[addrs[i]]] += 1
    else:
        cnt['(other: %s)' % (parts[1] if len(parts) > 1 else '?')] += 1
for k, v in cnt.most_common(int(sys.argv[2]) if len(sys.argv) > 2 else 40):
    print('%5.1f%% %s' % (100.0 * v / total, k))
