"""The Terraform-built approved lab and the --existing run against it, for test_terraform_existing*.py.

Two modules share this: each builds its own lab (its own xdist worker, its own moto), so the
breakages that only change a rule or an instance in place and the ones that replace a node run
side by side instead of one after another (the provider's fixed 10 s waits per instance created,
terminated or modified are most of a breakage's wall time; building a lab costs about the CPU of
re-applying one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from fixtures.backend import MotoServer
from tests.integration.helpers import run_suite
from tests.terraform import lab as tf

FAILED = re.compile(r"^FAILED features/\S+::(\S+)", re.M)


@contextmanager
def approved_lab(workdir: Path, variables: Mapping[str, str] | None = None) -> Iterator[tf.TerraformLab]:
    """tests/terraform/approved applied with variables on an in-process moto, reset when done."""
    with MotoServer() as url, tf.moto_for_terraform():
        lab = tf.TerraformLab("approved", workdir, url)
        try:
            with lab.provider_served():
                lab.init()
                lab.apply(variables)
                yield lab
        finally:
            tf.forget(url)


def verify(lab: tf.TerraformLab, reports: Path, **variables: str) -> tuple[int, str, list[str]]:
    """Apply the design with variables changed, run --existing against it: (exit status, output, failed tests).

    Variables the lab was last applied with are not applied again (TerraformLab.apply): the run reads
    that build.
    """
    lab.apply(variables)
    result = run_suite("features/", "--existing", "--profile", "approved", "--aws-endpoint", lab.endpoint,
                       "--phase", "talos", "-rfs", reports=reports)
    out = result.stdout + result.stderr
    assert " AWS API calls (0 mutating)" in out, out[-4000:]
    return result.returncode, out, FAILED.findall(out)


def one_named_finding(lab: tf.TerraformLab, reports: Path, variables: dict[str, str], scenario: str,
                      finding: str) -> None:
    """The lab applied with variables fails exactly scenario, saying finding, and blocks no phase."""
    status, out, failed = verify(lab, reports, **variables)
    assert (status, failed) == (1, [scenario]), out[-6000:]
    assert finding in out, out[-6000:]
    assert "FINDINGS (1): built differently from the design" in out, out[-6000:]
    assert "blocked: phase" not in out, out[-6000:]
