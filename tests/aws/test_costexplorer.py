"""Cost Explorer month to date against a loopback moto server; measured run cost by hand."""

from __future__ import annotations

import json
import logging
import urllib.request
from datetime import UTC, date, datetime, timedelta

import pytest
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from provisioning.aws.client import ClientFactory
from provisioning.aws.costexplorer import (
    CostExplorerError,
    measured_cost,
    month_to_date,
    unexpected_services,
)
from provisioning.prices import PriceError, free_trials, price_book

TODAY = date(2026, 11, 22)
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def ce_endpoint():
    """This module's own moto server on 127.0.0.1, never reset (moto's state is per process)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    assert host == "127.0.0.1"
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def clients(ce_endpoint):
    return ClientFactory(region="eu-west-1", mode="offline", endpoint_url=ce_endpoint)


def queue(endpoint: str, *results: dict) -> None:
    """Queue get_cost_and_usage answers: each distinct request body takes the next one, for good.

    moto keeps a body's answer for the life of the process, so every test asks on a different day.
    """
    req = urllib.request.Request(f"{endpoint}/moto-api/static/ce/cost-and-usage-results", method="POST",
                                 data=json.dumps({"results": list(results)}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:  # the loopback moto server only
        assert resp.status == 201


def answer(groups: dict[str, str], unit: str = "USD", token: str | None = None) -> dict:
    out: dict = {"ResultsByTime": [{
        "TimePeriod": {"Start": "2026-11-01", "End": "2026-11-22"}, "Total": {}, "Estimated": True,
        "Groups": [{"Keys": [k], "Metrics": {"UnblendedCost": {"Amount": v, "Unit": unit}}} for k, v in groups.items()],
    }], "DimensionValueAttributes": []}
    if token:
        out["NextPageToken"] = token
    return out


def test_month_to_date_sums_unblended_cost_by_service(ce_endpoint, clients):
    queue(ce_endpoint, answer({"Amazon Elastic Compute Cloud - Compute": "1.2345", "EC2 - Other": "0.40",
                            "Amazon Virtual Private Cloud": "0.30"}))
    spent = month_to_date(clients, date(2026, 11, 21))
    assert spent == {"Amazon Elastic Compute Cloud - Compute": 1.2345, "Amazon Virtual Private Cloud": 0.30,
                     "EC2 - Other": 0.40}
    assert unexpected_services(spent) == {}
    assert clients.calls.counts["ce:GetCostAndUsage"] == 1


def test_services_outside_ec2_ebs_vpc_are_flagged(ce_endpoint, clients):
    queue(ce_endpoint, answer({"EC2 - Other": "0.40", "Amazon Relational Database Service": "0.51",
                            "AWS Lambda": "0.00", "Amazon Elastic Container Service for Kubernetes": "0.10"}))
    flagged = unexpected_services(month_to_date(clients, date(2026, 11, 20)))
    assert flagged == {"Amazon Relational Database Service": 0.51,
                       "Amazon Elastic Container Service for Kubernetes": 0.10}
    assert unexpected_services({"Amazon Relational Database Service": 0.51}, min_usd=1.0) == {}


def test_pages_are_followed_and_added_up(ce_endpoint, clients):
    queue(ce_endpoint, answer({"EC2 - Other": "0.40"}, token="p2"),
          answer({"EC2 - Other": "0.10", "Amazon Virtual Private Cloud": "0.05"}))
    spent = month_to_date(clients, date(2026, 11, 19))
    assert spent == {"Amazon Virtual Private Cloud": 0.05, "EC2 - Other": pytest.approx(0.5)}
    assert clients.calls.counts["ce:GetCostAndUsage"] == 2


def test_a_cost_not_in_usd_is_refused(ce_endpoint, clients):
    queue(ce_endpoint, answer({"EC2 - Other": "0.40"}, unit="EUR"))
    with pytest.raises(CostExplorerError, match="UnblendedCost in USD"):
        month_to_date(clients, date(2026, 11, 18))


def test_on_the_first_of_the_month_nothing_is_asked(clients):
    assert month_to_date(clients, date(2026, 12, 1)) == {}
    assert clients.calls.total == 0


def test_the_request_is_month_to_date_grouped_by_service(clients):
    ce = clients.client("ce")
    assert ce.meta.region_name == "us-east-1"
    with Stubber(ce) as stub:
        stub.add_response("get_cost_and_usage", answer({"EC2 - Other": "0.01"}), {
            "TimePeriod": {"Start": "2026-11-01", "End": "2026-11-22"}, "Granularity": "MONTHLY",
            "Metrics": ["UnblendedCost"], "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}]})
        assert month_to_date(clients, TODAY) == {"EC2 - Other": 0.01}
        stub.assert_no_pending_responses()


def test_measured_cost_prices_instance_and_volume_time_actually_used():
    prices = price_book("eu-west-1")
    instances = [("t4g.medium", T0, T0 + timedelta(hours=2, minutes=30)) for _ in range(3)]
    instances.append(("t4g.medium", T0, T0 + timedelta(seconds=30)))  # billed the 60 s minimum
    volumes = [(50, T0, T0 + timedelta(hours=73))]
    bill = measured_cost(instances, volumes, prices)
    # 3 x 2.5 h + 1/60 h = 7.51667 h x 0.0368 = 0.27661
    assert bill.item("EC2 t4g.medium").quantity == pytest.approx(7.5 + 1 / 60)
    assert bill.item("EC2 t4g.medium").usd == pytest.approx((7.5 + 1 / 60) * 0.0368)
    # 50 GB x 73 h / 730 h = 5 GB-month x 0.088 = 0.44
    assert bill.item("EBS gp3").usd == pytest.approx(0.44)
    assert bill.total_usd == pytest.approx((7.5 + 1 / 60) * 0.0368 + 0.44)


def test_measured_cost_applies_the_trial_only_when_asked_and_only_to_t4g_small():
    prices = price_book("eu-west-1")
    run = [("t4g.small", T0, T0 + timedelta(hours=4)), ("t4g.medium", T0, T0 + timedelta(hours=4))]
    gross = measured_cost(run, [], prices)
    assert gross.total_usd == pytest.approx(4 * 0.0184 + 4 * 0.0368)
    net = measured_cost(run, [], prices, trials=free_trials(), today=TODAY)
    assert net.total_usd == pytest.approx(4 * 0.0368)
    assert net.item("EC2 t4g.small (free trial)").quantity == pytest.approx(4)


def test_measured_cost_refuses_an_interval_that_ends_before_it_starts():
    with pytest.raises(PriceError, match="instance 0 \\(t4g.small\\): ends"):
        measured_cost([("t4g.small", T0, T0 - timedelta(minutes=1))], [], price_book("eu-west-1"))
    with pytest.raises(PriceError, match="volume 0 \\(8 GB\\): ends"):
        measured_cost([], [(8, T0, T0 - timedelta(minutes=1))], price_book("eu-west-1"))
