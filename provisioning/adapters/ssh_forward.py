"""A local port forward: accept on 127.0.0.1 and pipe each connection through an SSH channel."""

from __future__ import annotations

import logging
import select
import socket
import threading
from collections.abc import Callable

import paramiko

log = logging.getLogger(__name__)


class Forwarder:
    """Accept on 127.0.0.1:<free port>; pipe each connection to remote through a channel open_channel opens.

    open_channel(peer) returns a paramiko channel to remote, or raises OSError (a refused
    connection is logged and closed, the listener goes on).
    """

    def __init__(self, open_channel: Callable[[tuple[str, int]], paramiko.Channel], remote: tuple[str, int]) -> None:
        self.open_channel, self.remote = open_channel, remote
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.2)
        self.port = int(self.listener.getsockname()[1])
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.acceptor = threading.Thread(target=self._accept, name=f"forward-{self.port}", daemon=True)
        self.acceptor.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, peer = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                channel = self.open_channel(peer)
            except OSError as exc:
                log.warning("forward 127.0.0.1:%s -> %s:%s: %s", self.port, *self.remote, exc)
                conn.close()
                continue
            t = threading.Thread(target=self._pipe, args=(conn, channel), daemon=True)
            self.threads.append(t)
            t.start()

    def _pipe(self, conn: socket.socket, channel: paramiko.Channel) -> None:
        conn.settimeout(None)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # small API exchanges: no delayed-ACK waits
        try:
            while not self.stopping.is_set():
                ready, _, _ = select.select([conn, channel], [], [], 0.2)
                if conn in ready:
                    data = conn.recv(65536)
                    if not data:
                        break
                    channel.sendall(data)
                if channel in ready:
                    data = channel.recv(65536)
                    if not data:
                        break
                    conn.sendall(data)
        except OSError as exc:
            log.debug("forward 127.0.0.1:%s: connection ended: %s", self.port, exc)
        finally:
            channel.close()
            conn.close()

    def stop(self) -> None:
        """Stop accepting, close every piped connection and wait for the threads (idempotent)."""
        self.stopping.set()
        self.listener.close()
        self.acceptor.join(timeout=5)
        for t in self.threads:
            t.join(timeout=5)
