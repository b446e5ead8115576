"""Helpers for tests that start real servers on loopback."""
from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Optional, Tuple


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(method: str, url: str, body: Optional[object] = None, token: Optional[str] = None,
         timeout: float = 60) -> Tuple[int, object]:
    """(status, parsed JSON body) of one request; HTTP errors are returned, not raised."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")
