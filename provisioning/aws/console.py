"""Read an instance's serial console output: the only record of what boot-to-talos did.

boot-to-talos overwrites the root disk with Talos, so its log survives only on the serial
console, which EC2 keeps and returns through GetConsoleOutput (upstream-facts §1). botocore
already base64-decodes the Output field (its GetConsoleOutput after-call handler), so the
text arrives decoded.

Where the text comes from is a ConsoleSource: Ec2Console asks the API; moto's console is a
fixed 2006 Xen sample, so offline runs pass a stand-in source instead (fixtures/talos.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from provisioning.aws.client import ClientFactory
from provisioning.aws.errors import aws_call

log = logging.getLogger(__name__)


class ConsoleSource(Protocol):
    """Anything that returns an instance's console text ("" when there is none yet)."""

    def output(self, instance_id: str) -> str: ...

    @property
    def evidence(self) -> str: ...


@dataclass(frozen=True)
class Ec2Console:
    """Console output from the EC2 API (Latest=True: the most recent 64 KiB on Nitro)."""

    clients: ClientFactory

    @property
    def evidence(self) -> str:
        return "EC2 GetConsoleOutput"

    def output(self, instance_id: str) -> str:
        """Return the console text of instance_id; "" while EC2 has none (it lags minutes behind boot)."""
        with aws_call("GetConsoleOutput"):
            answer = self.clients.client("ec2").get_console_output(InstanceId=instance_id, Latest=True)
        text = answer.get("Output") or ""
        log.debug("console of %s: %d characters", instance_id, len(text))
        return str(text)


def tail(text: str, lines: int = 15) -> str:
    """Return the last lines of a console text (for assertion messages; consoles hold no secrets)."""
    return "\n".join(text.replace("\r", "").rstrip().splitlines()[-lines:])
