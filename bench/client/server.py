"""A minimal local Partner API for the benchmark: a token endpoint and two operations, keep-alive HTTP/1.1.

Each response carries `X-Server-Time-Ns`, the time the handler spent, so the client side can be measured
without the server's share.
"""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SUBSCRIPTION = {
    "domainId": 10000001,
    "subscriptionId": 1021,
    "productId": "STD",
    "plan": "ANNUAL_LICENSE",
    "planStartDate": "2025-01-01",
    "planEndDate": "2025-12-31",
    "licenseAssignType": "NONE",
    "licenseCount": 50,
    "status": "ACTIVE",
    "renewal": {
        "subscriptionId": 1021,
        "type": "STAY",
        "productId": "STD",
        "plan": "ANNUAL_LICENSE",
        "licenseCount": 50,
    },
}
PRE_ORDERS = {
    "subscriptionPreOrders": [
        {
            "preOrderId": 1,
            "productId": "STD",
            "applyDate": "2026-12-01",
            "plan": "ANNUAL_LICENSE",
            "licenseCount": 10,
        }
    ]
}
TOKEN = {
    "access_token": "bench-token",
    "refresh_token": "bench-refresh",
    "token_type": "Bearer",
    "expires_in": "86400",
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls between header and body writes

    def log_message(self, format, *args):
        """Silence the per-request log."""

    def _reply(self, status: int, payload: dict, started: int) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Server-Time-Ns", str(time.perf_counter_ns() - started))
        self.end_headers()
        self.wfile.write(body)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        started = time.perf_counter_ns()
        if self.path.startswith("/v1.0/partners/customers/10000001/subscriptions/1021"):
            self._reply(200, SUBSCRIPTION, started)
        else:
            self._reply(404, {"code": "NOT_FOUND", "description": self.path}, started)

    def do_POST(self):
        started = time.perf_counter_ns()
        self._read_body()
        if self.path == "/oauth2/v2.0/token":
            self._reply(200, TOKEN, started)
        elif self.path == "/v1.0/partners/customers/10000001/subscriptions/pre-orders":
            self._reply(201, PRE_ORDERS, started)
        else:
            self._reply(404, {"code": "NOT_FOUND", "description": self.path}, started)


def serve(port_queue) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_queue.put(server.server_address[1])
    server.serve_forever()
