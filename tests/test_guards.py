"""The account/region guard of live runs, account masking, and the offline credential guard.

STS runs on the moto server (account 123456789012): the guard code is the live code, only
the endpoint differs. Offline factories never sign with the operator's credentials and never
send a request anywhere but loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from botocore.stub import Stubber

from provisioning import cost, guards, profiles, settings
from provisioning.aws.client import ClientFactory
from provisioning.aws.quotas import QuotaTooLow
from provisioning.errors import GuardError, OptionError
from provisioning.preflight import preflight

MOTO = "123456789012"
OTHER = "210987654321"
HOME = {"TDG_HOME_IPV6": "2a01:4f8:c0c:1::10/128"}
REAL_LOOKING = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_PROFILE": "default"}


def test_account_ids_are_masked_everywhere() -> None:
    assert guards.mask_account(MOTO) == "1234****9012"
    assert guards.mask_account("12345") == "****"
    text = f"arn:aws:iam::{MOTO}:role/x and {OTHER}, not 1234567890123 or 12345678901"
    assert guards.mask_text(text) == "arn:aws:iam::1234****9012:role/x and 2109****4321, not 1234567890123 or " \
                                     "12345678901"


def test_allowlist_merges_profile_and_env_and_rejects_bad_ids() -> None:
    topo = replace(profiles.load("approved"), account_allowlist=(OTHER,))
    env = {guards.ALLOWLIST_ENV: f" {MOTO} , {OTHER},"}
    assert guards.allowlist(topo, env) == (OTHER, MOTO)
    assert guards.allowlist(profiles.load("approved"), {}) == ()
    with pytest.raises(OptionError, match=r"TDG_ACCOUNT_ALLOWLIST = '1234\*\*\*\*9012x': an AWS account id is 12 "):
        guards.allowlist(topo, {guards.ALLOWLIST_ENV: f"{MOTO}x"})
    short = replace(topo, account_allowlist=("12345678901",))  # an unquoted id that lost its leading zero
    with pytest.raises(OptionError, match=r"accounts.allowlist = '12345678901': .*\(quote it in YAML\)"):
        guards.allowlist(short, {})


def test_the_allowlisted_account_passes(factory: ClientFactory) -> None:
    who = guards.check_account(factory, allowed=(OTHER, MOTO), regions=("eu-west-1",), profile="approved")
    assert who.account == MOTO and who.masked == "1234****9012"
    assert who.describe() == "account 1234****9012 (arn:aws:sts::1234****9012:user/moto), region eu-west-1"
    assert factory.calls.counts == {"sts:GetCallerIdentity": 1}


def test_another_account_is_refused_masked_and_naming_what_to_set(factory: ClientFactory) -> None:
    with pytest.raises(guards.AccountError) as exc:
        guards.check_account(factory, allowed=(OTHER,), regions=("eu-west-1",), profile="approved")
    text = str(exc.value)
    assert "account 1234****9012" in text and "['2109****4321']" in text
    assert "TDG_ACCOUNT_ALLOWLIST or accounts.allowlist in profile approved" in text
    assert MOTO not in text and OTHER not in text


def test_an_empty_allowlist_is_refused_before_any_call(factory: ClientFactory) -> None:
    with pytest.raises(guards.AccountError, match="no AWS account is allowed for live runs: set "
                                                  "TDG_ACCOUNT_ALLOWLIST=<12-digit account id>"):
        guards.check_account(factory, allowed=(), regions=("eu-west-1",), profile="approved")
    assert factory.calls.total == 0


def test_a_region_outside_the_profile_is_refused_before_any_call(moto_url: str) -> None:
    us = ClientFactory(region="us-east-1", mode="offline", endpoint_url=moto_url)
    with pytest.raises(guards.AccountError, match=r"region us-east-1 is not the region of profile approved "
                                                  r"\(eu-west-1\)"):
        guards.check_account(us, allowed=(MOTO,), regions=("eu-west-1",), profile="approved")
    assert us.calls.total == 0


@contextmanager
def vcpu_quota(factory: ClientFactory, value: float) -> Iterator[None]:
    """Answer the one GetServiceQuota preflight asks with value vCPUs (botocore Stubber)."""
    with Stubber(factory.client("service-quotas")) as stub:
        stub.add_response("get_service_quota", {"Quota": {"QuotaCode": "L-1216C47A", "Value": value}},
                          {"ServiceCode": "ec2", "QuotaCode": "L-1216C47A"})
        yield
        stub.assert_no_pending_responses()


def live(profile: str = "approved", **kw: object) -> settings.RunSettings:
    # Up to the bastion: the Talos phase's own live preflight (checksum, talosctl) is tested elsewhere.
    kw.setdefault("phase", "bastion")
    return settings.build(aws_live=True, profile=profile, env=HOME, **kw)  # type: ignore[arg-type]


def test_live_preflight_checks_the_account_and_reports_it_masked(factory: ClientFactory) -> None:
    with vcpu_quota(factory, 32.0):  # moto answers no EC2 quota; the quota path is tests/aws/test_quotas.py's
        checked = preflight(live(), clients=factory, env={guards.ALLOWLIST_ENV: MOTO}, today=date(2026, 11, 22))
    assert checked.account == "1234****9012"
    assert checked.lines[-2] == "account 1234****9012 (arn:aws:sts::1234****9012:user/moto), region eu-west-1: " \
                                "on the allowlist"
    assert not any(MOTO in line for line in checked.lines)
    assert factory.calls.mutating() == 0


def test_live_preflight_refuses_a_vcpu_quota_below_the_profile_without_changing_anything(
        factory: ClientFactory) -> None:
    with vcpu_quota(factory, 4.0), pytest.raises(QuotaTooLow, match=r"L-1216C47A .*: 4, the profile needs 8"):
        preflight(live(), clients=factory, env={guards.ALLOWLIST_ENV: MOTO}, today=date(2026, 11, 22))
    assert factory.calls.counts == {"sts:GetCallerIdentity": 1, "ec2:DescribeInstanceTypes": 1}
    assert factory.calls.mutating() == 0


def test_live_preflight_refuses_an_unlisted_account(factory: ClientFactory) -> None:
    with pytest.raises(guards.AccountError, match="not on the allowlist"):
        preflight(live(), clients=factory, env={guards.ALLOWLIST_ENV: OTHER})


def test_live_preflight_refuses_the_budget_before_asking_sts(factory: ClientFactory) -> None:
    with pytest.raises(cost.BudgetError, match="biggest item: NAT gateway"):
        preflight(live("homelab-replica"), clients=factory, env={guards.ALLOWLIST_ENV: MOTO},
                  today=date(2026, 11, 22))
    assert factory.calls.total == 0


def test_live_preflight_needs_the_clients() -> None:
    with pytest.raises(GuardError, match="checks its account before any API call"):
        preflight(live(), env={guards.ALLOWLIST_ENV: MOTO})


def test_existing_mode_skips_the_budget_but_not_the_account(factory: ClientFactory) -> None:
    run = live("sandbox-eu", existing=True)
    checked = preflight(run, clients=factory, env={guards.ALLOWLIST_ENV: MOTO}, today=date(2026, 11, 22))
    assert "budget not applied: --existing creates nothing" in checked.lines[1]
    with pytest.raises(guards.AccountError):
        preflight(run, clients=factory, env={})
    with pytest.raises(cost.BudgetError, match="EC2 c7g.large"):
        preflight(live("sandbox-eu"), clients=factory, env={guards.ALLOWLIST_ENV: MOTO}, today=date(2026, 11, 22))


def test_offline_preflight_makes_no_call(factory: ClientFactory) -> None:
    checked = preflight(settings.build(profile="approved", env={}), clients=factory, env={})
    assert checked.account is None and factory.calls.total == 0


# --- offline: real-looking credentials are never used, nothing but loopback is dialled ---------------

def test_offline_without_an_endpoint_is_refused_even_with_real_looking_credentials(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in REAL_LOOKING.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(GuardError, match="offline runs need an endpoint: refusing to build AWS clients"):
        ClientFactory(region="eu-west-1", mode="offline")
    with pytest.raises(GuardError, match="offline runs need an endpoint"):
        ClientFactory(region="eu-west-1", mode="endpoint")


def test_offline_clients_sign_with_dummy_credentials_not_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                                         moto_url: str, tmp_path: Path) -> None:
    shared = tmp_path / "credentials"
    shared.write_text("[operator]\naws_access_key_id = AKIAIOSFODNN7EXAMPL2\n"
                      "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE2\n", encoding="utf-8")
    env = {**REAL_LOOKING, "AWS_PROFILE": "operator", "AWS_SHARED_CREDENTIALS_FILE": str(shared),
           "AWS_CONFIG_FILE": str(tmp_path / "config"), "AWS_ENDPOINT_URL": "https://ec2.eu-west-1.amazonaws.com"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    f = ClientFactory(region="eu-west-1", mode="offline", endpoint_url=moto_url)
    sts = f.client("sts")
    assert sts._request_signer._credentials.access_key == "testing"
    assert sts.meta.endpoint_url == moto_url
    assert sts.get_caller_identity()["Account"] == MOTO


@pytest.mark.parametrize("url", ["https://ec2.eu-west-1.amazonaws.com", "http://192.0.2.1:5000",
                                 "http://0.0.0.0:5000", "ftp://127.0.0.1"])
def test_offline_endpoints_off_this_machine_are_refused(url: str) -> None:
    with pytest.raises(OptionError, match="--aws-endpoint"):
        ClientFactory(region="eu-west-1", mode="offline", endpoint_url=url)


def test_a_request_to_a_non_loopback_host_is_refused_before_it_is_sent(moto_url: str) -> None:
    f = ClientFactory(region="eu-west-1", mode="offline", endpoint_url=moto_url)
    f.endpoint_url = "http://192.0.2.1:5000"  # TEST-NET-1: what a redirect or a bug could produce
    with pytest.raises(GuardError, match="offline run tried to reach 192.0.2.1: refused"):
        f.client("sts").get_caller_identity()
