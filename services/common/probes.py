"""Readiness probes that every service uses the same way."""

from __future__ import annotations

import socket


def tcp_reachable(servers: str, timeout_s: float = 1.0) -> bool:
    """True when any of the comma-separated host:port servers accepts a TCP connection."""
    for server in servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout_s):
                return True
        except (OSError, ValueError):
            continue
    return False
