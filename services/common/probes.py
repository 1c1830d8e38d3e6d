"""Readiness probes that every service uses the same way."""

from __future__ import annotations

import socket


def tcp_reachable(servers: str, timeout_s: float = 1.0) -> bool:
    """True when any of the comma-separated host:port servers accepts a TCP connection."""
    for server in servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout_s) as sock:
                if not connected_to_itself(sock):
                    return True
        except (OSError, ValueError):
            continue
    return False


def connected_to_itself(sock: socket.socket) -> bool:
    """A loopback connect to a port nobody listens on can succeed by connecting to itself:
    when the kernel picks that very port as the source (it is inside the ephemeral range),
    TCP's simultaneous open joins the socket to itself. Then nothing is listening, and the
    probe would hold the port its server is about to bind (seen: Kafka failing to start
    with "Address already in use" after a probe called it healthy)."""
    return bool(sock.getsockname() == sock.getpeername())
