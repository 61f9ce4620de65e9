"""Options become RunSettings or a clear error, before any API call."""

from __future__ import annotations

import pytest

from provisioning import settings
from provisioning.errors import OptionError, ProfileError


def test_defaults_are_offline_all_phases() -> None:
    s = settings.build(env={})
    assert s.mode == "offline" and s.phases == ("network", "bastion", "talos", "cozystack")
    assert settings.RUN_ID_RE.match(s.run_id)


def test_phase_limits_the_phases() -> None:
    assert settings.build(phase="bastion", env={}).phases == ("network", "bastion")


@pytest.mark.parametrize("kwargs,option", [
    ({"phase": "boot"}, "--phase"),
    ({"aws_endpoint": "http://10.10.0.5:5000"}, "--aws-endpoint"),
    ({"aws_endpoint": "ftp://127.0.0.1"}, "--aws-endpoint"),
    ({"aws_live": True, "aws_endpoint": "http://127.0.0.1:5000"}, "--aws-endpoint"),
    ({"run_id": "Bad_ID"}, "--run-id"),
    ({"reuse": "abcd1234"}, "--reuse"),
    ({"reuse": "abcd1234", "run_id": "other123", "aws_endpoint": "http://127.0.0.1:1"}, "--run-id"),
    ({"keep": True}, "--keep"),
    ({"budget": -3.0}, "--budget"),
])
def test_bad_options_name_the_option(kwargs: dict[str, object], option: str) -> None:
    with pytest.raises(OptionError) as exc:
        settings.build(env={}, **kwargs)  # type: ignore[arg-type]
    assert exc.value.option == option
    assert option in str(exc.value)


def test_live_refuses_the_documentation_home_address() -> None:
    with pytest.raises(OptionError, match="documentation address"):
        settings.build(aws_live=True, env={})


def test_live_takes_the_home_address_from_the_environment() -> None:
    s = settings.build(aws_live=True, env={"TDG_HOME_IPV6": "2a01:4f8:1:2::10/128"})
    assert s.topology.access.home_ipv6 == "2a01:4f8:1:2::10/128" and s.mode == "live"


def test_bad_home_address_from_the_environment_is_a_profile_error() -> None:
    with pytest.raises(ProfileError, match="access.home_ipv6"):
        settings.build(env={"TDG_HOME_IPV6": "192.0.2.1"})


def test_reuse_keeps_the_run_id() -> None:
    s = settings.build(reuse="abcd1234", aws_endpoint="http://127.0.0.1:5000", env={})
    assert s.run_id == "abcd1234" and s.reuse and s.mode == "endpoint"


def test_an_unreadable_secret_file_stops_the_run_before_anything(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(OptionError, match="TDG_SSH_KEY.*cannot be read"):
        settings.build(env={"TDG_SSH_KEY": str(tmp_path / "id_missing")})
