"""A DNS A-record query small enough to run on any host with python3 (no dig, no nslookup).

QUERY_SCRIPT runs remotely as `python3 -c QUERY_SCRIPT <server> <port> <name>` (Python >= 3.6,
as on Amazon Linux 2023); parse_answer reads its output.
"""

from __future__ import annotations

from dataclasses import dataclass

QUERY_SCRIPT = r"""
import socket, struct, sys
server, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
q = struct.pack(">HHHHHH", 0x7464, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
q += struct.pack(">HH", 1, 1)
r = None
for attempt in range(2):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    try:
        s.connect((server, port))
        s.send(q)
        r = s.recv(4096)
        break
    except OSError as e:
        err = type(e).__name__ + ": " + str(e)
    finally:
        s.close()
if r is None:
    print("error " + err)
    sys.exit(2)
flags, qd, an = struct.unpack(">HHH", r[2:8])
print("rcode %d" % (flags & 15))
def skip(i):
    while True:
        n = r[i]
        if n == 0:
            return i + 1
        if n >= 192:
            return i + 2
        i += n + 1
i = 12
for _ in range(qd):
    i = skip(i) + 4
for _ in range(an):
    i = skip(i)
    t, c, ttl, ln = struct.unpack(">HHIH", r[i:i + 10])
    i += 10
    if t == 1 and ln == 4:
        print("A " + socket.inet_ntoa(r[i:i + 4]))
    i += ln
"""


@dataclass(frozen=True)
class DnsAnswer:
    """What the query saw: an error (no answer), or a response code and the A records."""

    error: str | None
    rcode: int | None
    addresses: tuple[str, ...]


def parse_answer(stdout: str) -> DnsAnswer:
    """Read QUERY_SCRIPT's output."""
    error, rcode, addresses = None, None, []
    for line in stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word == "error":
            error = rest
        elif word == "rcode":
            rcode = int(rest)
        elif word == "A":
            addresses.append(rest.strip())
    if error is None and rcode is None:
        error = f"no output from the query ({stdout.strip()[:80]!r})"
    return DnsAnswer(error, rcode, tuple(addresses))
