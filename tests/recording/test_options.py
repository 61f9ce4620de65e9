"""--record and --replay are validated before anything runs, naming the option, the value and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provisioning.errors import OptionError
from provisioning.settings import build


def bundle(tmp_path: Path) -> Path:
    (tmp_path / "manifest.json").write_text(json.dumps({
        "format": "tdg-recording/1", "mode": "offline", "run_id": "rec0rded", "profile": "approved",
        "phases": ["network"], "files": {}}), encoding="utf-8")
    return tmp_path


def test_replay_takes_mode_run_id_profile_and_phases_from_the_manifest(tmp_path: Path) -> None:
    s = build(replay=bundle(tmp_path), env={"TDG_HOME_IPV6": "2a01:4f8::1/128"})
    assert (s.mode, s.run_id, s.phases, s.replay) == ("offline", "rec0rded", ("network",), tmp_path)
    assert s.topology.access.home_ipv6 == "2001:db8:c0:5e::10/128"  # the operator's address is not replayed


@pytest.mark.parametrize(("kwargs", "option"), [
    ({"aws_live": True}, "--aws-live"), ({"aws_endpoint": "http://127.0.0.1:5000"}, "--aws-endpoint"),
    ({"phase": "bastion"}, "--phase"), ({"run_id": "other1"}, "--run-id"), ({"replay_speed": "fast"}, "--replay-speed"),
])
def test_replay_refuses_options_that_contradict_the_bundle(tmp_path: Path, kwargs: dict[str, object],
                                                           option: str) -> None:
    with pytest.raises(OptionError) as err:
        build(replay=bundle(tmp_path), **kwargs)  # type: ignore[arg-type]
    assert err.value.option == option


def test_replay_of_a_directory_without_a_manifest_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="no readable manifest.json"):
        build(replay=tmp_path)


def test_record_refuses_a_directory_that_already_holds_something(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("x", encoding="utf-8")
    with pytest.raises(OptionError, match="never overwritten"):
        build(record=tmp_path)
    assert build(record=tmp_path / "new").record == tmp_path / "new"


def test_replay_speed_without_replay_is_refused() -> None:
    with pytest.raises(OptionError, match="only applies with --replay"):
        build(replay_speed="recorded")
