#!/usr/bin/env python3
"""Scales N components (ids bench-0..N-1, one reference) on one host over a
raw NATS connection, and waits until their component_scaled events came.

  scale_many.py PORT HOST_ID REF N
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "lattice"))
from nats import Conn  # noqa: E402

port, host, ref, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
c = Conn(port)
c.sub("wasmbus.evt.default.component_scaled", 1)
c.sub("_INBOX.scale", 2)
c.ping()
for i in range(n):
    body = json.dumps({"component_ref": ref, "component_id": "bench-%d" % i,
                       "host_id": host, "count": 1}).encode()
    c.pub("wasmbus.ctl.v1.default.component.scale." + host, "_INBOX.scale", body)
deadline = time.monotonic() + 120
scaled = 0
while scaled < n:
    m = c.msg(deadline)
    if m is None:
        break
    if b'lattice.component_scaled' in m and b'"bench-' in m:
        scaled += 1
print(scaled)
sys.exit(0 if scaled == n else 1)
