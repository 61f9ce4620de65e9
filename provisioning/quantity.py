"""Kubernetes resource quantities ('100m', '1Gi', '2') as exact Decimals, without importing the kubernetes client.

The format is apimachinery's resource.Quantity (k8s.io/apimachinery/pkg/api/resource, quantity.go:
<signedNumber><suffix>, binary suffixes Ki Mi Gi Ti Pi Ei, decimal n u m k M G T P E), as the
kubernetes Python client's utils.parse_quantity reads it (a bare number may use e-notation). The
client's import costs ~0.45 s of CPU in every process, and the capacity verdict that every run
computes first needs only this; tests/test_quantity.py compares the two on every suffix.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

_DECIMAL = {"n": -3, "u": -2, "m": -1, "k": 1, "K": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}
_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}


def parse_quantity(quantity: str | int | float | Decimal) -> Decimal:
    """The quantity's value ('64Mi' -> 67108864, '100m' -> 0.1); ValueError naming it when malformed."""
    if isinstance(quantity, int | float | Decimal):
        return Decimal(quantity)
    text = str(quantity)
    number, scale = text, Decimal(1)
    if text[-2:] in _BINARY:
        number, scale = text[:-2], Decimal(1024) ** _BINARY[text[-2:]]
    elif text[-1:] in _DECIMAL:
        number, scale = text[:-1], Decimal(1000) ** _DECIMAL[text[-1:]]
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a Kubernetes quantity: {number!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a Kubernetes quantity: {number!r} is not a finite number")
    return value * scale
