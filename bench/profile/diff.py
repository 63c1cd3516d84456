#!/usr/bin/env python3
"""Two perf profiles of the same load on two builds, compared per request: the server's self time in microseconds per
request by symbol (from `perf report --pid`), sorted by the difference.
  bench/profile/diff.py A_PREFIX A_REQUESTS_PER_S B_PREFIX B_REQUESTS_PER_S
A_PREFIX/B_PREFIX are bench/profile/webhook.sh's OUT_PREFIX (the .data and .pid files); the rates are the loads'
(from OUT_PREFIX.hey). Sampling is 999 Hz over 10 s, as webhook.sh records."""
import collections, re, subprocess, sys

def load(prefix, rps):
    pid = open(prefix + ".pid").read().strip()
    out = subprocess.run(["perf", "report", "-i", prefix + ".data", "--pid", pid, "--no-children", "--sort", "dso,sym",
                          "-g", "none", "--stdio", "-n"], capture_output=True, text=True, check=True).stdout
    result = collections.Counter()
    for line in out.splitlines():
        m = re.match(r"\s+([0-9.]+)%\s+(\d+)\s+(\S+)\s+\[.\]\s+(.*)$", line)
        if m:
            symbol = m.group(3) + " " + re.sub(r"\[Optimized.*$|\+0x[0-9a-f]+$", "", m.group(4).strip())[:150]
            result[symbol] += int(m.group(2)) / 999.0 / (rps * 10) * 1e6
    return result

a, b = load(sys.argv[1], float(sys.argv[2])), load(sys.argv[3], float(sys.argv[4]))
print(f"server CPU sampled, us per request: A {sum(a.values()):.1f}  B {sum(b.values()):.1f}")
ranked = sorted(set(a) | set(b), key=lambda k: b[k] - a[k], reverse=True)
print("--- more in B")
for k in ranked[:30]: print(f"{b[k] - a[k]:+7.2f}  A {a[k]:6.2f}  B {b[k]:6.2f}  {k}")
print("--- less in B")
for k in ranked[-10:]: print(f"{b[k] - a[k]:+7.2f}  A {a[k]:6.2f}  B {b[k]:6.2f}  {k}")
