#!/usr/bin/env python3
"""A stand-in for an OpenAI-compatible chat-completions endpoint, on loopback.

Prints "listening on PORT" when ready. The user message (the skill's input as
JSON) chooses how it behaves, by the word after "mode:" in its text:

  (none)    a valid reply: {"text": "HEADLINE: <the input text>"}
  echo      replies with its whole system prompt, as a model talked into it would
  echo-json the system prompt inside a JSON string, \\u-escaped
  500       HTTP 500 with the request echoed in the body
  slow      waits 30 s before answering
  drip      starts answering, then sends a byte every 0.2 s, forever
  endless   streams chunk after chunk, forever
  garbage   200 with bytes that are not JSON
  prose     a reply whose content is prose, not JSON

Every request's Authorization header is appended to AUTH_LOG (if set), so
that a test can check the key arrived, and only there.
"""
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def reply(content):
    return json.dumps({"id": "x", "object": "chat.completion",
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                    "finish_reason": "stop"}]}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length))
        if os.environ.get("AUTH_LOG"):
            with open(os.environ["AUTH_LOG"], "a") as log:
                log.write((self.headers.get("Authorization") or "none") + "\n")
        if not self.path.endswith("/chat/completions"):
            return self.send(404, b"{}")
        system = next(m["content"] for m in request["messages"] if m["role"] == "system")
        user = next(m["content"] for m in request["messages"] if m["role"] == "user")
        text = json.loads(user).get("text", "")
        mode = text.split("mode:", 1)[1].split()[0] if "mode:" in text else ""
        try:
            if mode == "echo":
                self.send(200, reply(system))
            elif mode == "echo-json":
                escaped = "".join("\\u%04x" % ord(c) for c in system)
                self.send(200, reply('{"text": "' + escaped + '"}'))
            elif mode == "500":
                self.send(500, json.dumps({"error": "boom", "request": request}).encode())
            elif mode == "slow":
                time.sleep(30)
                self.send(200, reply(json.dumps({"text": "late"})))
            elif mode in ("drip", "endless"):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"x" * (1 if mode == "drip" else 65536)
                while True:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                    if mode == "drip":
                        time.sleep(0.2)
            elif mode == "garbage":
                self.send(200, b"\x00\xff not json at all {{{")
            elif mode == "prose":
                self.send(200, reply("Here is your headline: outage at payments."))
            else:
                self.send(200, reply(json.dumps({"text": "HEADLINE: " + text})))
        except (BrokenPipeError, ConnectionResetError):
            pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print("listening on %d" % server.server_address[1], flush=True)
server.serve_forever()
