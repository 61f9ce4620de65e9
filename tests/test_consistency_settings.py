"""The offline moto's eventual-consistency setting: validated, off outside the built-in moto, named in the report."""

from __future__ import annotations

import pytest

from provisioning import settings
from provisioning.errors import OptionError


def test_the_lag_is_named_in_the_evidence_offline_and_off_elsewhere() -> None:
    offline = settings.with_consistency(settings.build(env={}), enabled=True, lag_s=0.25)
    assert offline.consistency_lag_s == 0.25
    assert offline.evidence == "AWS API (moto server on loopback; eventually consistent EC2 and IAM, 0.25 s lag)"
    off = settings.with_consistency(settings.build(env={}), enabled=False, lag_s=0.25)
    assert off.consistency_lag_s is None and "eventual-consistency layer off" in off.evidence
    endpoint = settings.with_consistency(settings.build(aws_endpoint="http://127.0.0.1:5000", env={}), enabled=True,
                                         lag_s=0.25)
    assert endpoint.consistency_lag_s is None  # another process's moto cannot be patched


@pytest.mark.parametrize("lag", [0.0, -1.0, 5.5])
def test_a_lag_outside_the_range_is_refused_naming_the_option(lag: float) -> None:
    with pytest.raises(OptionError, match="--consistency-lag"):
        settings.with_consistency(settings.build(env={}), enabled=True, lag_s=lag)
