"""The TCP readiness probe: a listener counts, a socket joined to itself does not."""

from __future__ import annotations

import socket

from services.common.probes import connected_to_itself, tcp_reachable


def test_a_socket_joined_to_itself_is_told_apart_from_a_listener() -> None:
    # What a probe meets when the kernel picks the very port it probes as its source port.
    with socket.socket() as lonely:
        lonely.bind(("127.0.0.1", 0))
        lonely.connect(lonely.getsockname())
        assert connected_to_itself(lonely)
    with socket.create_server(("127.0.0.1", 0)) as server:
        host, port = server.getsockname()
        with socket.create_connection((host, port)) as client:
            assert not connected_to_itself(client)
        assert tcp_reachable(f"{host}:{port}")


def test_a_port_nobody_listens_on_is_not_reachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert not tcp_reachable(f"127.0.0.1:{port}", timeout_s=0.5)
