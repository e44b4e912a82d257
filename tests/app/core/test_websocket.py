"""The server WebSocket of /ws/guide (app.core.websocket) on a real server thread: pings, fragments, size bound."""

from __future__ import annotations

import json
import socket
import time

import pytest
from simple_websocket import Client, ConnectionClosed
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Ping, Request, TextMessage

from app import create_app
from app.walker.simulate import serve_in_thread
from tests.conftest import file_database

PING_S = 0.5


@pytest.fixture(scope="module")
def server(mini_graph, tmp_path_factory):
    app = create_app({"TESTING": True, "DATABASE_URL": file_database(tmp_path_factory),
                      "SOCK_SERVER_OPTIONS": {"ping_interval": PING_S, "max_message_size": 100_000},
                      "SPEECH_CACHE_DIR": str(tmp_path_factory.mktemp("speech"))}, graph=mini_graph)
    url, stop = serve_in_thread(app)
    yield url
    stop()


def raw_client(url: str) -> tuple[socket.socket, WSConnection]:
    """A client socket through the handshake that answers nothing by itself (no pongs)."""
    host, port = url.removeprefix("ws://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    client = WSConnection(ConnectionType.CLIENT)
    sock.sendall(client.send(Request(host=host, target="/ws/guide")))
    while True:
        client.receive_data(sock.recv(4096))
        if any(isinstance(event, AcceptConnection) for event in client.events()):
            return sock, client


def events_until_closed(sock: socket.socket, client: WSConnection, seconds: float) -> list:
    """Every event the server sends within `seconds`, up to its close."""
    events, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        data = sock.recv(4096)
        if not data:
            break
        client.receive_data(data)
        events.extend(client.events())
        if any(isinstance(event, CloseConnection) for event in events):
            break
    return events


def test_a_socket_that_answers_pings_stays_open(server):
    ws = Client.connect(f"{server}/ws/guide")  # answers pings with pongs
    try:
        time.sleep(4 * PING_S)
        ws.send(json.dumps({"type": "fly"}))
        assert json.loads(ws.receive(timeout=10))["code"] == "unknown_type"
    finally:
        ws.close()


def test_a_socket_that_never_answers_a_ping_is_closed(server):
    sock, client = raw_client(server)
    with sock:
        events = events_until_closed(sock, client, 10 * PING_S)
    assert any(isinstance(event, Ping) for event in events)
    assert isinstance(events[-1], CloseConnection) and events[-1].code == 1008  # policy violation: no pong


def test_a_fragmented_message_is_joined(server):
    sock, client = raw_client(server)
    with sock:
        frame = json.dumps({"type": "fly"})
        sock.sendall(client.send(TextMessage(data=frame[:5], message_finished=False)))
        sock.sendall(client.send(TextMessage(data=frame[5:], message_finished=True)))
        client.receive_data(sock.recv(4096))
        answer = next(event for event in client.events() if isinstance(event, TextMessage))
    assert json.loads(answer.data)["code"] == "unknown_type"


def test_a_message_over_the_bound_closes_the_socket(server):
    ws = Client.connect(f"{server}/ws/guide")
    ws.send("x" * 200_000)
    with pytest.raises(ConnectionClosed):
        ws.receive(timeout=10)
    assert ws.close_reason == 1009  # message too big
