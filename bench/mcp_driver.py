#!/usr/bin/env python3
"""Times `bwoc mcp serve` from the client's side of its stdio.

  mcp_driver.py list BWOC WORKSPACE N      tools/list N times: first, p50, p99 (ms), tool count
  mcp_driver.py call BWOC WORKSPACE TOOL N tools/call TOOL N times, one after another: p50, p99 (ms)

Prints one JSON object. The server's stderr goes to mcp-serve.log.
"""
import json
import subprocess
import sys
import time


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


class Server:
    def __init__(self, bwoc, workspace):
        self.proc = subprocess.Popen([bwoc, "-w", workspace, "mcp", "serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=open("mcp-serve.log", "ab"))
        self.next_id = 0

    def request(self, method, params):
        self.next_id += 1
        line = json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}) + "\n"
        self.proc.stdin.write(line.encode())
        self.proc.stdin.flush()
        while True:
            answer = json.loads(self.proc.stdout.readline())
            if answer.get("id") == self.next_id:
                return answer

    def notify(self, method):
        self.proc.stdin.write((json.dumps({"jsonrpc": "2.0", "method": method}) + "\n").encode())
        self.proc.stdin.flush()

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def main():
    mode, bwoc, workspace = sys.argv[1:4]
    server = Server(bwoc, workspace)
    server.request("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                  "clientInfo": {"name": "bench", "version": "1"}})
    server.notify("notifications/initialized")
    times = []
    if mode == "list":
        n = int(sys.argv[4])
        tools = 0
        for _ in range(n):
            start = time.perf_counter()
            answer = server.request("tools/list", {})
            times.append((time.perf_counter() - start) * 1000)
            tools = len(answer["result"]["tools"])
        result = {"first_ms": times[0], "p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99),
                  "tools": tools}
    else:
        tool, n = sys.argv[4], int(sys.argv[5])
        args = {"text": "a short question for a trivial skill"}
        for i in range(n + 50):
            start = time.perf_counter()
            answer = server.request("tools/call", {"name": tool, "arguments": args})
            elapsed = (time.perf_counter() - start) * 1000
            if answer["result"].get("isError"):
                raise SystemExit("the call failed: " + json.dumps(answer))
            if i >= 50:  # the first 50 warm up
                times.append(elapsed)
        result = {"p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99), "calls": n}
    server.close()
    print(json.dumps(result))


main()
