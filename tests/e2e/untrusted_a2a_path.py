#!/usr/bin/env python3
"""Something between us and a peer's A2A endpoint that answers in its place.

Serves the peer's genuine agent card (a file fetched from the real node
earlier) and answers every JSON-RPC POST itself, as a proxy, a captive
portal or an attacker on the path might, with nothing the peer signed:

  html     200 with an HTML page
  error    200 with a JSON-RPC error
  reset    closes the connection without answering
  forged   200 with a task whose artifact holds an envelope that does not verify
  silent   takes the request in and never answers (a peer long at work looks so)
  signed   an answer the peer's key really signed, bound to the request, but
           about other work: it names another idem (needs BWOC, SIGNER_WS and
           SEAL_TO, the caller's X25519 key, in the environment)

Prints "listening on PORT" when ready; one line per request to stderr.
"""
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, card_file, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(card_file, "rb") as f:
    card = f.read()

FORGED = {"v": 1, "id": "0" * 32, "ts": "2026-01-01T00:00:00.000Z", "kind": "skill.result",
          "from": "agent-b", "to": "agent-a", "key": "ed25519:" + "A" * 43 + "=", "aud": "ed25519:" + "A" * 43 + "=",
          "re": "0" * 32, "payload": {"output": {"forged": True}}, "sig": "A" * 86 + "=="}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("untrusted-path: " + (fmt % args) + "\n")

    def send(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.send(200, "application/json", card)

    def do_POST(self):
        sys.stderr.write("untrusted-path: answering a POST\n")
        sys.stderr.flush()
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length) or b"{}")
        rpc_id = request.get("id")
        if mode == "silent":
            threading.Event().wait()  # until the test stops this process
        if mode == "reset":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if mode == "html":
            self.send(200, "text/html", b"<html><body>Down for maintenance</body></html>")
        elif mode == "error":
            body = {"jsonrpc": "2.0", "id": rpc_id, "error": {"code": -32600, "message": "envelope refused"}}
            self.send(200, "application/json", json.dumps(body).encode())
        elif mode == "signed":
            envelope = request["params"]["message"]["parts"][0]["data"]["bwoc.envelope"]
            signed = subprocess.run(
                [os.environ["BWOC"], "-w", os.environ["SIGNER_WS"], "envelope", "sign", "--from", envelope["to"],
                 "--to", envelope["from"], "--aud", "alpha", "--kind", "skill.result", "--re", envelope["id"],
                 "--seal-to", os.environ["SEAL_TO"], "--payload",
                 json.dumps({"skill": "word-count", "output": {"words": 666}, "idem": "another-request"})],
                check=True, capture_output=True, text=True).stdout
            task = {"kind": "task", "id": "t1", "contextId": "c1", "status": {"state": "completed"},
                    "artifacts": [{"artifactId": "a1", "parts": [{"kind": "data", "data": {"bwoc.envelope": json.loads(signed)}}]}]}
            body = {"jsonrpc": "2.0", "id": rpc_id, "result": {"task": task}}
            self.send(200, "application/json", json.dumps(body).encode())
        else:
            task = {"kind": "task", "id": "t1", "contextId": "c1", "status": {"state": "completed"},
                    "artifacts": [{"artifactId": "a1", "parts": [{"kind": "data", "data": {"bwoc.envelope": FORGED}}]}]}
            body = {"jsonrpc": "2.0", "id": rpc_id, "result": {"task": task}}
            self.send(200, "application/json", json.dumps(body).encode())


server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
print("listening on %d" % port, flush=True)
server.serve_forever()
