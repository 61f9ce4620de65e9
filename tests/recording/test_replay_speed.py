"""--replay-speed recorded gives each answer when the recorded run got it; instant never sleeps.

A fake clock and sleeper stand in for wall time: the test reads what the player asked to sleep,
never how long anything took.
"""

from __future__ import annotations

from typing import Any

import pytest

from provisioning.recording.bundle import BundleError, Player
from provisioning.recording.session import Replay


class FakeTime:
    """A clock that moves only when the player sleeps (or the test says time passed)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def _entry(seq: int, op: str, t: float, dur: float) -> dict[str, Any]:
    return {"seq": seq, "key": {"op": op}, "answer": {"op": op}, "t": t, "dur": dur}


CHANNELS = {"aws": [_entry(1, "CreateVpc", 0.5, 1.0), _entry(2, "CreateSubnet", 4.0, 0.5)],
            "ssh": [_entry(3, "probe", 10.0, 2.0)]}


def test_recorded_speed_sleeps_the_recorded_gaps_between_answers() -> None:
    fake = FakeTime()
    player = Player(CHANNELS, "recorded", clock=fake.clock, sleep=fake.sleep)
    player.take("aws", {"op": "CreateVpc"})      # recorded: asked at 0.5 s, answered at 1.5 s
    assert fake.slept == [1.5]
    player.take("aws", {"op": "CreateSubnet"})   # answered at 4.5 s: 3 s after the first answer
    assert fake.slept == [1.5, 3.0]
    fake.now += 2.0                                # the replayed run spent 2 s of its own between calls
    player.take("ssh", {"op": "probe"})          # answered at 12 s: 7.5 s after, less the 2 s already spent
    assert fake.slept == [1.5, 3.0, 5.5]


def test_recorded_speed_does_not_sleep_for_an_answer_already_late() -> None:
    fake = FakeTime()
    player = Player(CHANNELS, "recorded", clock=fake.clock, sleep=fake.sleep)
    fake.now += 30.0                               # the replay is slower than the recorded run here
    player.take("aws", {"op": "CreateVpc"})
    player.take("ssh", {"op": "probe"})
    assert fake.slept == []


def test_instant_speed_never_sleeps() -> None:
    fake = FakeTime()
    player = Player(CHANNELS, "instant", clock=fake.clock, sleep=fake.sleep)
    for channel, op in (("aws", "CreateVpc"), ("aws", "CreateSubnet"), ("ssh", "probe")):
        assert player.take(channel, {"op": op}) == {"op": op}
    assert fake.slept == []


def test_an_unknown_speed_is_refused_naming_the_choices(tmp_path: Any) -> None:
    with pytest.raises(BundleError, match=r"--replay-speed 'fast': must be one of instant, recorded"):
        Replay(tmp_path, "fast")
