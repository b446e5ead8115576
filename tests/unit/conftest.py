"""The unit layer stays pure: a test here that opens a connection or a database fails."""
import socket
import sqlite3

import psycopg2
import pytest


@pytest.fixture(autouse=True)
def no_servers_or_databases(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a unit test tried to connect to a server or a database: it belongs in "
                             "tests/integration")

    for owner, name in ((socket.socket, "connect"), (socket.socket, "connect_ex"), (psycopg2, "connect"),
                        (sqlite3, "connect"), (sqlite3.dbapi2, "connect")):
        monkeypatch.setattr(owner, name, refuse)  # psycopg2 connects from C, past the socket module
