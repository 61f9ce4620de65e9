"""Run settings: the validated result of the command-line options, built before any API call."""

from __future__ import annotations

import ipaddress
import json
import math
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from provisioning import profiles
from provisioning.aws.client import Mode, check_endpoint
from provisioning.checks.secrets import secret_file_problems
from provisioning.errors import OptionError
from provisioning.topology import PHASES, Topology

RUN_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{2,30}[a-z0-9]$")
DOC_PREFIX = ipaddress.IPv6Network("2001:db8::/32")
HOME_ENV = "TDG_HOME_IPV6"
HOME_PREFIX64_ENV = "TDG_HOME_IPV6_PREFIX64"
_BOOLS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def new_run_id() -> str:
    """A short random run id (8 hex characters)."""
    return secrets.token_hex(4)


def check_run_id(option: str, value: str) -> str:
    """Validate a run id: 4-32 of a-z, 0-9 and '-', starting and ending alphanumeric."""
    if not RUN_ID_RE.match(value):
        raise OptionError(option, value, "a run id is 4-32 characters of a-z, 0-9 and '-', "
                                         "starting and ending with a letter or digit")
    return value


@dataclass(frozen=True)
class RunSettings:
    """Everything a run needs to know, validated."""

    mode: Mode
    endpoint: str | None
    topology: Topology
    phases: tuple[str, ...]
    run_id: str
    keep: bool = False
    reuse: bool = False
    existing: bool = False
    budget_usd_per_month: float | None = None
    strict_verdict: bool = False
    stop_on_verdict: bool = False
    reports_dir: Path = Path("reports")
    record: Path | None = None
    replay: Path | None = None
    replay_speed: str = "instant"
    consistency_lag_s: float | None = None

    @property
    def last_phase(self) -> str:
        return self.phases[-1]

    @property
    def evidence(self) -> str:
        """How AWS state is observed in this run, in the report's words."""
        if self.mode == "offline" and self.replay is None:
            how = (f"eventually consistent EC2 and IAM, {self.consistency_lag_s:g} s lag" if self.consistency_lag_s
                   else "eventual-consistency layer off")
            return f"AWS API (moto server on loopback; {how})"
        return {"offline": "AWS API (moto server on loopback)",
                "endpoint": f"AWS API (endpoint {self.endpoint})",
                "live": "AWS API (live)"}[self.mode]


def build(*, aws_live: bool = False, aws_endpoint: str | None = None, profile: str = profiles.DEFAULT_PROFILE,
          phase: str | None = None, keep: bool = False, reuse: str | None = None, run_id: str | None = None,
          existing: bool = False, budget: float | None = None, strict_verdict: bool = False,
          stop_on_verdict: bool = False, reports_dir: str | Path = "reports",
          env: Mapping[str, str] | None = None, record: str | Path | None = None,
          replay: str | Path | None = None, replay_speed: str = "instant") -> RunSettings:
    """Validate the options and load the profile; raise OptionError/ProfileError naming the problem.

    With replay, the bundle's manifest decides the profile, mode, phases and run id (the
    replayed run asks what the recorded one asked); --phase and --run-id must agree with it.
    """
    env = os.environ if env is None else env
    if replay is not None:
        return _replayed(Path(replay), replay_speed, aws_live=aws_live, aws_endpoint=aws_endpoint, phase=phase,
                         run_id=run_id, reuse=reuse, keep=keep, record=record, existing=existing, budget=budget,
                         strict_verdict=strict_verdict, stop_on_verdict=stop_on_verdict, reports_dir=reports_dir)
    if replay_speed != "instant":
        raise OptionError("--replay-speed", replay_speed, "only applies with --replay DIR")
    if aws_live and aws_endpoint:
        raise OptionError("--aws-endpoint", aws_endpoint, "cannot be combined with --aws-live")
    mode: Mode = "live" if aws_live else ("endpoint" if aws_endpoint else "offline")
    endpoint = check_endpoint(aws_endpoint) if aws_endpoint else None
    if phase is not None and phase not in PHASES:
        raise OptionError("--phase", phase, f"must be one of {', '.join(PHASES)}")
    phases = PHASES[: PHASES.index(phase) + 1] if phase else PHASES
    if reuse is not None:
        check_run_id("--reuse", reuse)
        if run_id is not None and run_id != reuse:
            raise OptionError("--run-id", run_id, f"conflicts with --reuse {reuse} (a reused run keeps its id)")
        if mode == "offline":
            raise OptionError("--reuse", reuse, "needs resources that outlive pytest: use it with --aws-endpoint "
                                                "or --aws-live (the built-in moto server dies with the session)")
    rid = reuse or (check_run_id("--run-id", run_id) if run_id else new_run_id())
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int | float)
                               or not math.isfinite(budget) or budget < 0):
        raise OptionError("--budget", budget, "must be a finite number of US dollars per month, 0 or more")
    if keep and mode == "offline":
        raise OptionError("--keep", True, "the built-in moto server dies with the session, so nothing can be "
                                          "kept: use --aws-endpoint or --aws-live")
    unreadable = secret_file_problems(env)
    if unreadable:
        raise OptionError("secret files", len(unreadable), "; ".join(unreadable))
    topo = profiles.load(profile)
    home = env.get(HOME_ENV)
    prefix64 = _prefix64(env.get(HOME_PREFIX64_ENV))
    if home or prefix64 is not None:
        topo = profiles.with_home_ipv6(topo, home or None, prefix64=prefix64)
    if mode == "live":
        _check_live_home(topo, home)
    return RunSettings(mode=mode, endpoint=endpoint, topology=topo, phases=phases, run_id=rid, keep=keep,
                       reuse=reuse is not None, existing=existing,
                       budget_usd_per_month=budget if budget is not None else topo.budget_usd_per_month,
                       strict_verdict=strict_verdict, stop_on_verdict=stop_on_verdict,
                       reports_dir=Path(reports_dir), record=_record_dir(record))


MAX_CONSISTENCY_LAG_S = 5.0


def with_consistency(s: RunSettings, *, enabled: bool, lag_s: float) -> RunSettings:
    """Settings with the offline moto's eventual-consistency lag (None: off, or not the built-in moto).

    Raises OptionError for a lag outside (0, MAX_CONSISTENCY_LAG_S] seconds.
    """
    if not 0 < lag_s <= MAX_CONSISTENCY_LAG_S:
        raise OptionError("--consistency-lag", lag_s, f"must be more than 0 and at most {MAX_CONSISTENCY_LAG_S:g} "
                                                     "seconds (the offline run waits it out after every create)")
    on = enabled and s.mode == "offline" and s.replay is None
    return replace(s, consistency_lag_s=lag_s if on else None)


def _record_dir(record: str | Path | None) -> Path | None:
    if record is None:
        return None
    path = Path(record)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise OptionError("--record", str(record), "must be a new or empty directory (a bundle is never overwritten)")
    return path


def _replayed(bundle: Path, speed: str, *, aws_live: bool, aws_endpoint: str | None, phase: str | None,
              run_id: str | None, reuse: str | None, keep: bool, record: str | Path | None, existing: bool,
              budget: float | None, strict_verdict: bool, stop_on_verdict: bool,
              reports_dir: str | Path) -> RunSettings:
    """Settings of a replay: what the bundle's manifest says the recorded run was."""
    for name, value in (("--aws-live", aws_live), ("--aws-endpoint", aws_endpoint), ("--reuse", reuse),
                        ("--keep", keep), ("--record", record)):
        if value:
            raise OptionError(name, value, "cannot be combined with --replay (a replay talks to nothing)")
    if speed not in ("instant", "recorded"):
        raise OptionError("--replay-speed", speed, "must be 'instant' (waits do not sleep) or 'recorded'")
    mpath = bundle / "manifest.json"
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OptionError("--replay", str(bundle), f"no readable manifest.json in it ({exc})") from exc
    phases = tuple(manifest["phases"])
    if phase is not None and phase != phases[-1]:
        raise OptionError("--phase", phase, f"the bundle recorded phases up to {phases[-1]}; replay them all")
    if run_id is not None and run_id != manifest["run_id"]:
        raise OptionError("--run-id", run_id, f"the bundle's run id is {manifest['run_id']}")
    if bool(existing) != bool(manifest.get("existing")):
        raise OptionError("--existing", existing, f"the bundle was recorded with existing={manifest.get('existing')}")
    recorded_profile = bundle / "profile.yaml"
    topo = profiles.load(str(recorded_profile) if recorded_profile.is_file() else manifest["profile"])
    return RunSettings(mode=manifest["mode"], endpoint=None, topology=topo, phases=phases, run_id=manifest["run_id"],
                       existing=existing, budget_usd_per_month=budget if budget is not None else
                       topo.budget_usd_per_month, strict_verdict=strict_verdict, stop_on_verdict=stop_on_verdict,
                       reports_dir=Path(reports_dir), replay=bundle, replay_speed=speed)


def _prefix64(raw: str | None) -> bool | None:
    """TDG_HOME_IPV6_PREFIX64: admit the home /64 around TDG_HOME_IPV6 instead of the one /128."""
    if raw is None or raw == "":
        return None
    if raw.strip().lower() not in _BOOLS:
        raise OptionError(HOME_PREFIX64_ENV, raw, "must be true or false (true admits the /64 around "
                                                  f"{HOME_ENV}: desktops connect from temporary IPv6 addresses)")
    return _BOOLS[raw.strip().lower()]


def _check_live_home(topo: Topology, from_env: str | None) -> None:
    home = topo.access.home_ipv6
    if home is None:
        raise OptionError(HOME_ENV, None, "live runs need the operator's home IPv6 address (/128; "
                                          f"{HOME_PREFIX64_ENV}=true admits its /64)")
    if ipaddress.IPv6Network(home).subnet_of(DOC_PREFIX):
        where = HOME_ENV if from_env else f"profile {topo.name}: access.home_ipv6"
        raise OptionError(where, home, f"is a documentation address (2001:db8::/32); set {HOME_ENV} to your "
                                       "real home IPv6 /128 for live runs")
