"""Run a command with the network audit hook in every Python process, in a loopback-only namespace where allowed.

The hook (netaudit/sitecustomize.py) records each connect, sendto and name lookup that is not a
literal loopback address, and every reverse lookup, to the file TDG_NET_AUDIT names.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

AUDIT_DIR = Path(__file__).resolve().parent / "netaudit"


def loopback_namespace() -> list[str]:
    """The prefix that runs a command in a fresh network namespace with only lo up, or [] where not allowed.

    Root only: in a user namespace (`unshare -rn`) sshd cannot drop privileges, so the bastion
    stand-in could not run; elsewhere the audit hook alone does the proving.
    """
    unshare = shutil.which("unshare")
    ip = shutil.which("ip")
    if not unshare or not ip or os.geteuid() != 0:
        return []
    probe = subprocess.run([unshare, "-n", ip, "link", "set", "lo", "up"], capture_output=True, check=False)
    if probe.returncode != 0:
        return []
    return [unshare, "-n", "sh", "-c", f'{ip} link set lo up && exec "$@"', "sh"]


def audited_env(log: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment with the audit hook on PYTHONPATH writing to log (and extra set)."""
    env = {**os.environ, **(extra or {}), "TDG_NET_AUDIT": str(log),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(AUDIT_DIR), os.environ.get("PYTHONPATH")]))}
    env.pop("PYTEST_ADDOPTS", None)
    return env
