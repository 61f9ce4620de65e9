"""tdg recording import: a recorded run's talosctl and Kubernetes answers become the stand-ins' inputs.

The committed full offline run (tests/data/recordings/full-offline) is imported; copies of it with
one thing changed show the label follows the recorded mode and every bad bundle is refused before
anything is written, naming what and why.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from provisioning.cli import main
from provisioning.recording.bundle import BundleError
from provisioning.recording.importer import import_bundle
from provisioning.recording.observed import ObservedError
from tests.recording.bundles import (
    BASTION,
    FULL,
    copy,
    edit_channel,
    edit_json_answer,
    kube_get,
    manifest,
    talos_get,
    write_manifest,
)

TS_KEY = "tskey-auth-" + "kPl4ntedKey1CNTRL-PlantedTailscaleSecret1"
PEM = "-----BEGIN OPENSSH " + "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----"


def test_an_offline_run_imports_as_recorded_from_an_offline_run_never_live(tmp_path: Path) -> None:
    done = import_bundle(FULL, tmp_path / "observed")
    when = manifest(FULL)["when"][:10]
    assert done.observed.label.startswith(f"recorded from an offline run of {when}"), done.observed.label
    text = done.path.read_text(encoding="utf-8")
    assert "live" not in text.lower(), "an offline bundle's import must never claim a live run"
    doc = yaml.safe_load(text)
    medium = doc["instance_types"]["t4g.medium"]
    assert medium["nodes"] == ["10.10.0.101", "10.10.0.102", "10.10.0.103"]
    assert medium["memtotal_kib"] < 4096 * 1024 and medium["capacity_cpu"] == 2
    assert doc["talos"] == {"version": "v1.12.7", "extensions": {"spin": "v0.21.0", "tailscale": "1.84.3"}}
    assert doc["provenance"]["run_id"] == "recorded-full" and doc["provenance"]["mode"] == "offline"
    assert all(line.endswith(": agrees") for line in done.model_check) and len(done.model_check) == 3


def test_a_live_bundle_is_labelled_recorded_from_a_live_run(tmp_path: Path) -> None:
    bundle = copy(FULL, tmp_path / "live")
    body = manifest(bundle)
    write_manifest(bundle, {**body, "mode": "live", "when": "2026-12-03T09:15:00+00:00"})
    done = import_bundle(bundle, tmp_path / "observed")
    assert done.observed.label == "recorded from a live run of 2026-12-03 09:15 UTC"


def test_the_cli_prints_the_label_the_facts_and_the_model_check(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recording", "import", str(FULL), "--into", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "recorded from an offline run of" in out and "t4g.medium: nodes 10.10.0.101" in out
    assert "model check: talos-gateway (controlplane)" in out


def _refused(bundle: Path, into: Path, *expected: str, error: type[Exception] = BundleError) -> str:
    with pytest.raises(error) as exc:
        import_bundle(bundle, into)
    text = str(exc.value)
    for part in expected:
        assert part in text, f"{part!r} not in the refusal: {text}"
    assert not into.exists() or not any(into.iterdir()), f"a refused import wrote {list(into.iterdir())}"
    return text


def test_a_directory_without_a_manifest_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    _refused(tmp_path / "empty", tmp_path / "into", "no manifest.json", "nothing imported")


def test_a_file_whose_checksum_differs_is_refused_naming_it(tmp_path: Path) -> None:
    bundle = copy(FULL, tmp_path / "b")
    edit_channel(bundle, "talosctl", lambda items: items.pop(), fix_checksum=False)
    _refused(bundle, tmp_path / "into", "talosctl.jsonl.gz", "sha256 differs from the manifest's",
             "manifest files.talosctl.jsonl.gz = ")


@pytest.mark.parametrize(("field", "value", "why"), [
    ("mode", "staging", "must be one of live, endpoint, offline"),
    ("when", "yesterday", "not an ISO 8601 time"),
    ("run_id", "../../etc", "letters, digits"),
    ("format", "tdg-recording/0", "expected 'tdg-recording/1'"),
])
def test_a_bad_manifest_field_is_refused_naming_field_value_and_why(tmp_path: Path, field: str, value: str,
                                                                     why: str) -> None:
    bundle = copy(FULL, tmp_path / "b")
    write_manifest(bundle, {**manifest(bundle), field: value})
    _refused(bundle, tmp_path / "into", f"field {field} = {value!r}", why)


def test_a_manifest_naming_a_missing_file_is_refused(tmp_path: Path) -> None:
    bundle = copy(FULL, tmp_path / "b")
    (bundle / "kube.jsonl.gz").unlink()
    _refused(bundle, tmp_path / "into", "'kube.jsonl.gz'", "missing from")


def test_an_unredacted_secret_is_refused_naming_where_and_what_never_the_value(tmp_path: Path) -> None:
    bundle = copy(FULL, tmp_path / "b")

    def plant(items: list[dict[str, object]]) -> None:
        entry = talos_get(items, "versions")[0]
        entry["answer"]["stdout"] += f"\nTS_AUTHKEY {TS_KEY}\n{PEM}\n"  # type: ignore[index]

    edit_channel(bundle, "talosctl", plant)
    text = _refused(bundle, tmp_path / "into", "talosctl.jsonl.gz entry #", "answer.stdout", "a Tailscale auth key",
                    "a private key block", "not imported")
    assert TS_KEY not in text and "b3BlbnNzaC1rZXktdjEAAAAA" not in text


def test_an_unmasked_account_id_is_refused(tmp_path: Path) -> None:
    bundle = copy(FULL, tmp_path / "b")

    def plant(items: list[dict[str, object]]) -> None:
        items[0]["answer"]["parsed"]["Arn"] = "arn:aws:iam::123456789012:role/tdg"  # type: ignore[index]

    edit_channel(bundle, "aws", plant)
    text = _refused(bundle, tmp_path / "into", "aws.jsonl.gz entry #", "answer.parsed.Arn", "1234****9012")
    assert "123456789012" not in text


def test_a_memtotal_above_the_instance_is_refused_by_the_model_rules(tmp_path: Path) -> None:
    bundle = copy(FULL, tmp_path / "b")

    def grow(items: list[dict[str, object]]) -> None:
        for entry in talos_get(items, "memorystats"):
            answer = entry["answer"]
            grown = re.sub(r'"total": \d+', '"total": 8388608', answer["stdout"])  # type: ignore[index]
            assert grown != answer["stdout"]  # type: ignore[index]
            answer["stdout"] = grown  # type: ignore[index]

    edit_channel(bundle, "talosctl", grow)
    _refused(bundle, tmp_path / "into", "instance_types.t4g.medium.memtotal_kib = 8388608",
             "at most t4g.medium's 4194304 KiB", error=ObservedError)


def test_a_bundle_without_talosctl_or_kubernetes_answers_has_nothing_to_import(tmp_path: Path) -> None:
    _refused(BASTION, tmp_path / "into", "holds no talosctl or Kubernetes answers", "network, bastion",
             "nothing to import")


def test_the_model_check_says_when_a_reported_allocatable_differs_from_the_derivation(tmp_path: Path) -> None:
    bundle = copy(FULL, tmp_path / "b")

    def shrink(items: list[dict[str, object]]) -> None:
        def change(body: dict[str, object]) -> None:
            body["items"][0]["status"]["allocatable"]["memory"] = "3000000Ki"  # type: ignore[index]
        for entry in kube_get(items, "/api/v1/nodes"):  # type: ignore[arg-type]
            edit_json_answer(entry, change)

    edit_channel(bundle, "kube", shrink)
    done = import_bundle(bundle, tmp_path / "into")
    assert [line for line in done.model_check if line.endswith("DIFFERS")] == [
        "talos-gateway (controlplane): allocatable derived 1950m / 3252224 KiB from capacity 2 / 3878912Ki, "
        "reported 1950m / 3000000 KiB: DIFFERS"]


def test_the_cli_refuses_with_exit_2_and_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recording", "import", str(tmp_path / "nowhere"), "--into", str(tmp_path / "into")]) == 2
    err = capsys.readouterr().err
    assert "tdg recording:" in err and "not a directory" in err
    assert not (tmp_path / "into").exists()
