"""Loaded by every Python process whose PYTHONPATH starts here: record network use beyond loopback.

An audit hook (PEP 578) sees every socket connect/sendto and every name lookup the process
makes; anything that is not a literal 127.0.0.0/8 or ::1 address (or "localhost" for a
lookup) is appended to the file TDG_NET_AUDIT names, one line per event, with the pid and
the program. Reverse lookups (gethostbyaddr, which socket.getfqdn does) are always recorded:
they go through the system resolver. The test that sets this up fails on any line.
"""

from __future__ import annotations

import ipaddress
import os
import sys

_LOG = os.environ.get("TDG_NET_AUDIT")
_WATCHED = {"socket.connect", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo", "socket.gethostbyname",
            "socket.gethostbyaddr", "socket.getnameinfo"}


def _loopback(host: object) -> bool:
    if host is None or host in ("localhost", b"localhost"):
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _host_of(event: str, args: tuple[object, ...]) -> tuple[bool, object]:
    """(is this event fine, what it names)."""
    if event == "socket.gethostbyaddr":
        return False, args[0]
    if event in ("socket.getaddrinfo", "socket.gethostbyname"):
        return _loopback(args[0]), args[0]
    if event == "socket.getnameinfo":
        sockaddr = args[0]
        return False, sockaddr
    address = args[1] if len(args) > 1 else None
    if not isinstance(address, tuple) or not address:
        return True, address  # AF_UNIX paths, netlink: not the network
    return _loopback(address[0]), address


def _hook(event: str, args: tuple[object, ...]) -> None:
    if event not in _WATCHED or _LOG is None:
        return
    try:
        fine, what = _host_of(event, args)
    except Exception:  # an audit hook must never break the program it watches
        return
    if fine:
        return
    with open(_LOG, "a", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()}\t{os.path.basename(sys.argv[0]) if sys.argv else '?'}\t{event}\t{what!r}\n")


if _LOG:
    sys.addaudithook(_hook)
