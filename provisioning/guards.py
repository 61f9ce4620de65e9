"""Account and region guard for runs that reach real AWS, and masking of account ids.

Before a live run (or a live sweep) changes anything, STS get_caller_identity must name
an account on the allowlist (the profile's ``accounts.allowlist`` plus the comma-separated
TDG_ACCOUNT_ALLOWLIST) and the region must be one the profile allows. Refusals say what to
set. Account ids never leave this module unmasked: reports show ``1234****9012``.

Offline runs need no guard here: ClientFactory signs offline requests with dummy
credentials and refuses any request that is not addressed to a loopback host.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from provisioning.aws.client import ClientFactory
from provisioning.aws.errors import aws_call
from provisioning.errors import GuardError, OptionError
from provisioning.topology import Topology

log = logging.getLogger(__name__)

ALLOWLIST_ENV = "TDG_ACCOUNT_ALLOWLIST"
ACCOUNT_RE = re.compile(r"^\d{12}$")
_ACCOUNT_IN_TEXT = re.compile(r"(?<!\d)(\d{4})\d{4}(\d{4})(?!\d)")


class AccountError(GuardError):
    """The credentials belong to an account (or the run to a region) the operator did not allow."""


def mask_account(account: str) -> str:
    """Return account with its middle hidden: 123456789012 -> 1234****9012 (anything else: ****)."""
    return f"{account[:4]}****{account[-4:]}" if ACCOUNT_RE.match(account) else "****"


def mask_text(text: str) -> str:
    """Mask every 12-digit account id inside text (ARNs, error messages)."""
    return _ACCOUNT_IN_TEXT.sub(r"\1****\2", text)


def allowlist(topo: Topology, env: Mapping[str, str]) -> tuple[str, ...]:
    """The allowed account ids: the profile's accounts.allowlist plus TDG_ACCOUNT_ALLOWLIST.

    Raises OptionError naming the entry that is not a 12-digit id (an unquoted id with a
    leading zero loses it in YAML, so ids must be quoted strings there).
    """
    out: list[str] = []
    sources: list[tuple[str, Iterable[str]]] = [
        (f"profile {topo.name}: accounts.allowlist", topo.account_allowlist),
        (ALLOWLIST_ENV, (a.strip() for a in env.get(ALLOWLIST_ENV, "").split(",") if a.strip()))]
    for where, values in sources:
        for value in values:
            if not ACCOUNT_RE.match(value):
                raise OptionError(where, mask_text(value), "an AWS account id is 12 digits (quote it in YAML)")
            if value not in out:
                out.append(value)
    return tuple(out)


@dataclass(frozen=True)
class Identity:
    """Who the credentials are: account (full; print .masked only), ARN and region."""

    account: str
    arn: str
    region: str

    @property
    def masked(self) -> str:
        return mask_account(self.account)

    def describe(self) -> str:
        """One line for logs and reports, account masked."""
        return f"account {self.masked} ({mask_text(self.arn)}), region {self.region}"


def check_region(region: str, allowed: Iterable[str], profile: str) -> None:
    """Refuse a region that is not one of allowed (the profile's region)."""
    allowed = tuple(allowed)
    if region not in allowed:
        raise AccountError(f"region {region} is not the region of profile {profile} ({', '.join(allowed)}): "
                           f"run in {allowed[0]} or use a profile for {region}")


def caller_identity(clients: ClientFactory) -> Identity:
    """Ask STS who the credentials belong to (needs no IAM permission)."""
    with aws_call("GetCallerIdentity"):
        answer = clients.client("sts", region=clients.region).get_caller_identity()
    return Identity(str(answer["Account"]), str(answer["Arn"]), clients.region)


def check_account(clients: ClientFactory, *, allowed: Iterable[str], regions: Iterable[str],
                  profile: str) -> Identity:
    """Refuse unless the region is allowed and the credentials' account is on the allowlist.

    The region is checked first (no API call); then one STS call. The refusal names what to
    set; the account id in it is masked. Returns the identity that was checked.
    """
    allowed = tuple(allowed)
    check_region(clients.region, regions, profile)
    if not allowed:
        raise AccountError(f"no AWS account is allowed for live runs: set {ALLOWLIST_ENV}=<12-digit account id> "
                           f"(comma-separated for several) or accounts.allowlist in profile {profile}")
    who = caller_identity(clients)
    if who.account not in allowed:
        raise AccountError(f"the credentials belong to account {who.masked} ({mask_text(who.arn)}), which is not "
                           f"on the allowlist {[mask_account(a) for a in allowed]}: if this is the lab's account, "
                           f"add it to {ALLOWLIST_ENV} or accounts.allowlist in profile {profile}; otherwise "
                           "switch credentials (AWS_PROFILE)")
    log.info("guard: %s is allowlisted", who.describe())
    return who
