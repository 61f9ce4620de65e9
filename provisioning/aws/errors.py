"""Translate botocore ClientError at the boundary into a few typed errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError

from provisioning.errors import AwsError, DependencyError, NotFoundError, QuotaError, ThrottledError

_DEPENDENCY = {"DependencyViolation", "DeleteConflict", "ResourceInUse", "ResourceInUseFault",
               "ScalingActivityInProgress"}
_THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}


def translate(exc: ClientError, operation: str) -> AwsError:
    """Map a ClientError to NotFound / Dependency / Quota / Throttled, else AwsError."""
    err = exc.response.get("Error", {})
    code = str(err.get("Code", "Unknown"))
    message = str(err.get("Message", ""))
    if code == "InvalidPermission.NotFound":  # a rule, not a resource: never "already gone"
        return AwsError(operation, code, message)
    if "NotFound" in code or code in {"NoSuchEntity", "InvalidGroup.NotFound"} \
            or (code == "ValidationError" and "not found" in message.lower()):
        return NotFoundError(operation, code, message)
    if code in _DEPENDENCY:
        return DependencyError(operation, code, message)
    if code.endswith("LimitExceeded") or code in {"LimitExceeded", "InsufficientInstanceCapacity"}:
        return QuotaError(operation, code, message)
    if code in _THROTTLED:
        return ThrottledError(operation, code, message)
    return AwsError(operation, code, message)


@contextmanager
def aws_call(operation: str) -> Iterator[None]:
    """Run a block of boto3 calls, re-raising any ClientError as a typed error."""
    try:
        yield
    except ClientError as exc:
        raise translate(exc, operation) from exc
