"""Typed errors of the provisioning engine.

Setup problems (the lab could not be built) are kept apart from check
failures (the lab was built but is wrong): the first raise these errors,
the second are plain assertion failures in the steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from provisioning.data import load_data


class TdgError(Exception):
    """Base class of every error this package raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One broken rule: which field, which value, and why it is wrong."""

    field: str
    value: object
    rule: str

    def __str__(self) -> str:
        return f"{clip(self.field, 80)} = {clip(repr(self.value))}: {clip(self.rule, 400)}"


_LIMITS = load_data("profile_limits")["profile"]
MAX_VALUE_CHARS: int = _LIMITS["max_value_chars"]
MAX_PROBLEMS: int = _LIMITS["max_problems_shown"]


def clip(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """text cut to limit characters, saying how long it was (error messages stay readable)."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


class ProfileError(TdgError):
    """A profile (or an option that overrides one) breaks a rule; nothing was touched."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        shown = [f"  - {p}" for p in self.problems[:MAX_PROBLEMS]]
        if len(self.problems) > MAX_PROBLEMS:
            shown.append(f"  ... and {len(self.problems) - MAX_PROBLEMS} more problem(s)")
        super().__init__(f"invalid profile {clip(source, 200)}:\n" + "\n".join(shown))


class OptionError(TdgError):
    """A command-line option has a bad value; raised before any API call."""

    def __init__(self, option: str, value: object, rule: str) -> None:
        self.option = option
        self.value = value
        self.rule = rule
        super().__init__(f"option {option} = {clip(repr(value))}: {clip(rule, 1000)}")


class GuardError(TdgError):
    """A safety guard (account, region, credentials, budget, read-only mode) refused."""


class SetupError(TdgError):
    """The lab could not be built (as opposed to: it was built and a check failed)."""


class AwsError(SetupError):
    """A translated botocore ClientError."""

    def __init__(self, operation: str, code: str, message: str) -> None:
        self.operation = operation
        self.code = code
        super().__init__(f"{operation} failed: {code}: {message}")


class NotFoundError(AwsError):
    """The resource does not exist (for destroy this counts as done)."""


class DependencyError(AwsError):
    """Something still depends on the resource (retry after its dependants are gone)."""


class QuotaError(AwsError):
    """An account limit was reached."""


class ThrottledError(AwsError):
    """AWS throttled the call beyond the client's retries."""


class RequestRuleError(SetupError):
    """A request breaks an input rule of the AWS API reference; refused before it was sent."""

    def __init__(self, operation: str, parameter: str, value: str, rule: str, why: str) -> None:
        self.operation = operation
        self.parameter = parameter
        self.value = value
        self.rule = rule
        super().__init__(f"{operation} refused before sending: {parameter} = {value!r} breaks rule {rule}: {why}")


class OwnershipError(TdgError):
    """Teardown refused to touch a resource the run did not create."""


class TeardownError(TdgError):
    """Teardown finished but some resources could not be deleted."""

    def __init__(self, failures: Sequence[tuple[str, str]]) -> None:
        self.failures = tuple(failures)
        lines = "\n".join(f"  - {what}: {why}" for what, why in self.failures)
        super().__init__(f"teardown left {len(self.failures)} resource(s):\n{lines}")


class WaitTimeout(SetupError):
    """A wait ran out of time; the message names what was awaited."""
