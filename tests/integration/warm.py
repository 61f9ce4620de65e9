"""A warm interpreter for the acceptance-suite subprocesses the tests start: fork, not exec.

Every `python -m pytest features/ ...` a test starts paid ~2.5 s of CPU before its first
scenario (measured with `pytest features/ --collect-only`: 2.49 s cold), most of it importing
pytest, boto3/botocore, kubernetes, paramiko and the project's provisioning package; make test
starts ~56 of them. A WarmStarter keeps one server process per test process that has imported
those modules once (`python -m tests.integration.warm SOCKET`), and each run is a fork of it:
a process of its own (own pid, exit status, signals, environment, cwd and file descriptors,
which is what the tests that start the suite examine), whose collection then costs ~0.9 s.

What is not pre-imported: pytest plugins (pytest-bdd, pytest-html, testinfra, xdist, the
project's fixtures.* plugins). pytest rewrites their asserts on import and warns about a plugin
already imported, so they load in the child as they would in a cold process.
What differs from an exec'd process, and does not matter here: /proc/<pid>/cmdline and environ
show the server's (the run's children get the run's environment: os.environ is replaced before
pytest starts), and the string-hash seed is the server's for every run.
A run whose PYTHON* variables differ from this process's (PYTHONPATH naming a sitecustomize, as
the network audit's runs do) is exec'd: interpreter start-up hooks run only in a fresh interpreter.
TDG_TEST_COLD_START=1 turns it off (every run is exec'd, as before).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
READY = "tdg-warm-ready"
COLD_ENV = "TDG_TEST_COLD_START"
PRELOAD = ("pytest", "boto3", "botocore.session", "botocore.parsers", "kubernetes.client", "paramiko", "yaml",
           "jinja2", "provisioning.settings", "provisioning.aws.client", "provisioning.topology")


class WarmStarter:
    """Start commands `python -m MODULE ...` / `python -c CODE ...` as forks of a warm server (one per process)."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="tdg-warm-")
        self._path = str(Path(self._dir.name) / "s")
        self._lock = threading.Lock()

    def _server(self) -> str:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = subprocess.Popen([sys.executable, "-m", "tests.integration.warm", self._path], cwd=ROOT,
                                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                assert self._proc.stdout is not None
                line = self._proc.stdout.readline().decode(errors="replace").strip()
                if line != READY:
                    raise RuntimeError(f"the warm server did not start (said {line!r}, exit {self._proc.poll()})")
            return self._path

    def run(self, cmd: list[str], *, cwd: Path, env: dict[str, str],
            timeout: float) -> subprocess.CompletedProcess[str]:
        """subprocess.run(cmd, cwd, env, capture_output=True, text=True, timeout) for cmd[0] == sys.executable."""
        cold = cmd[0] != sys.executable or cmd[1] not in ("-m", "-c") or Path(cwd).resolve() != ROOT
        if cold or env.get(COLD_ENV) == "1" or _interpreter_env(env) != _interpreter_env(os.environ):
            # the server's modules are this checkout's, imported from ROOT, and its interpreter started
            # with this process's PYTHON* variables: a run that sets its own (a sitecustomize on
            # PYTHONPATH, as the network audit does) needs an interpreter start of its own
            return subprocess.run(cmd, cwd=cwd, env=env, text=True, capture_output=True, timeout=timeout, check=False)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, open(os.devnull, "rb") as null, \
                socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(self._server())
            request = json.dumps({"argv": cmd[1:], "cwd": str(cwd), "env": env}).encode()
            socket.send_fds(conn, [request], [null.fileno(), out.fileno(), err.fileno()])
            conn.shutdown(socket.SHUT_WR)
            pid = int(_line(conn))
            conn.settimeout(timeout)
            try:
                code = int(_line(conn))
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                conn.settimeout(None)
                _line(conn)  # the server reaps it and says so
                raise subprocess.TimeoutExpired(cmd, timeout) from None
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(cmd, code, out.read().decode(errors="replace"),
                                               err.read().decode(errors="replace"))

    def close(self) -> None:
        from fixtures.processes import end  # here, not at the top: the server must not import fixtures (see above)

        proc, self._proc = self._proc, None
        if proc is not None:
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()
            end(proc, 10.0, terminate=False)  # closing stdin asked it to exit
        self._dir.cleanup()


def _interpreter_env(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith("PYTHON")}


def _line(conn: socket.socket) -> bytes:
    """One newline-ended line from conn (the server sends a pid, then an exit status)."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(1)
        if not chunk:
            raise RuntimeError(f"the warm server closed the connection (said {data!r})")
        data += chunk
    return data


_starter: WarmStarter | None = None


def run(cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run cmd through this process's warm server (started on first use, stopped at exit)."""
    global _starter
    if _starter is None:
        _starter = WarmStarter()
        atexit.register(_starter.close)
    return _starter.run(cmd, cwd=cwd, env=env, timeout=timeout)


def _child(request: dict[str, Any], fds: list[int], keep_closed: list[int]) -> None:
    """In the fork: become `python ARGV` with the request's fds, cwd and environment; never returns."""
    code: Any = 70
    interrupted = False
    try:
        for fd in keep_closed:
            os.close(fd)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for sig in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        cwd, env, argv = request["cwd"], request["env"], request["argv"]
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        extra = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p not in sys.path]
        sys.path[:1] = [cwd, *extra]
        if argv[0] == "-m":
            import runpy

            sys.argv = [argv[1], *argv[2:]]
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        else:
            sys.argv = ["-c", *argv[2:]]
            exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102 (the test's own -c code)
        code = 0
    except SystemExit as exc:
        code = exc.code
    except BaseException as exc:  # noqa: BLE001 (printed as a cold interpreter would, then exit 1)
        import traceback

        traceback.print_exc()
        code, interrupted = 1, isinstance(exc, KeyboardInterrupt)
    try:
        atexit._run_exitfuncs()  # noqa: SLF001 (what interpreter exit does before the process ends)
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        if interrupted:  # an uncaught Ctrl-C: Python ends by SIGINT, so the parent sees -2 / 130 in a shell
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        if code is None:
            code = 0
        elif not isinstance(code, int):
            sys.stderr.write(f"{code}\n")
            code = 1
        os._exit(code & 0xFF)


def serve(path: str) -> None:
    """Import PRELOAD, listen on the unix socket path, fork a child per request; exit when stdin closes."""
    for name in PRELOAD:
        importlib.import_module(name)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, "accept")
    sel.register(sys.stdin.fileno(), selectors.EVENT_READ, "stdin")
    children: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, connection)
    sys.stdout.write(f"{READY}\n")
    sys.stdout.flush()
    while True:
        for key, _ in sel.select():
            if key.data == "stdin":
                if not os.read(sys.stdin.fileno(), 4096):
                    for pid, _conn in children.values():
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGKILL)
                    return
            elif key.data == "accept":
                conn, _ = listener.accept()
                message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
                while chunk := conn.recv(1 << 20):
                    message += chunk
                pid = os.fork()
                if pid == 0:
                    inherited = [listener.fileno(), conn.fileno(), sys.stdin.fileno(), sel.fileno(),
                                 *[p for p in children], *[c.fileno() for _, c in children.values()]]
                    _child(json.loads(message), fds, inherited)
                for fd in fds:
                    os.close(fd)
                conn.sendall(f"{pid}\n".encode())
                pidfd = os.pidfd_open(pid)
                children[pidfd] = (pid, conn)
                sel.register(pidfd, selectors.EVENT_READ, "child")
            else:
                pidfd = key.fd
                pid, conn = children.pop(pidfd)
                sel.unregister(pidfd)
                os.close(pidfd)
                _, status = os.waitpid(pid, 0)
                code = os.waitstatus_to_exitcode(status)
                with contextlib.suppress(OSError):  # the test gave up on it (a timeout)
                    conn.sendall(f"{code}\n".encode())
                conn.close()


if __name__ == "__main__":
    serve(sys.argv[1])
