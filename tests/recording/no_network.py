"""A pytest plugin for replay tests: any socket connection or child process fails the run.

A replay answers from its bundle; it needs no moto server, no stand-in daemon, no talosctl
binary and no network, not even loopback. Loaded with `-p tests.recording.no_network`.
"""

from __future__ import annotations

import socket
import subprocess
from typing import Any

import pytest


class NetworkUsed(RuntimeError):
    """The replay tried to open a connection or start a process."""


def _refuse_connect(self: socket.socket, address: Any) -> None:
    raise NetworkUsed(f"replay tried to connect to {address!r}")


def _refuse_popen(*args: Any, **kwargs: Any) -> Any:
    raise NetworkUsed(f"replay tried to start a process: {args[0] if args else kwargs.get('args')!r}")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _refuse_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _refuse_connect  # type: ignore[method-assign,assignment]
    subprocess.Popen.__init__ = _refuse_popen  # type: ignore[method-assign]
