"""Our quantity reader agrees with the kubernetes client's parse_quantity, and refuses what it refuses."""

from __future__ import annotations

from decimal import Decimal

import pytest
from kubernetes.utils import parse_quantity as client_parse

from provisioning.quantity import parse_quantity

SAME = ["0", "2", "1.5", "100m", "250m", "1n", "3u", "1k", "2M", "3G", "1T", "1P", "1E", "64Mi", "1Gi", "1.5Gi",
        "512Ki", "2Ti", "1Pi", "1Ei", "1e3", "-1", "0.5Mi", 4, 2.5, Decimal("0.1")]


@pytest.mark.parametrize("quantity", SAME, ids=str)
def test_values_match_the_kubernetes_client(quantity):
    assert parse_quantity(quantity) == client_parse(quantity)


@pytest.mark.parametrize("bad", ["", "Mi", "1x", "abc", "1ki", "1Gb", "1.2.3"])
def test_malformed_quantities_are_refused_like_the_client_refuses_them(bad):
    with pytest.raises(ValueError):
        client_parse(bad)
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        parse_quantity(bad)


def test_the_platform_data_reads_quantities_without_the_kubernetes_client():
    from provisioning.platform_data import mebibytes, millicores

    assert (millicores("250m"), millicores(2), mebibytes("1Gi"), mebibytes("512Mi")) == (250, 2000, 1024.0, 512.0)
