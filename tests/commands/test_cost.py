"""`tdg cost`: the estimate on stdout, the budget refusal on stderr with exit code 2."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from botocore.stub import Stubber

from provisioning.aws.client import ClientFactory
from provisioning.aws.pricing import PRICES_PATH, SOURCE, product_filters
from provisioning.cli import build_parser, main
from provisioning.commands import cost as cost_command
from provisioning.profiles import PROFILE_DIR


def tdg(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(["cost", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_homelab_replica_is_refused_naming_the_nat_gateway(capsys):
    rc, out, err = tdg(capsys, "--profile", "homelab-replica", "--today", "2026-11-22")
    assert rc == 2
    assert "Run of 5 h:" in out and "Month (30 days" in out and "NAT gateway data processed" in out
    assert "monthly projection $9.03 exceeds the budget $0.10; biggest item: NAT gateway ($7.20/month)" in err


def test_approved_fits_its_budget(capsys):
    rc, out, err = tdg(capsys, "--profile", "approved", "--today", "2026-11-22")
    assert rc == 0, err
    assert "Monthly projection: $20.56; biggest item: EC2 t4g.medium ($16.56)" in out
    assert "Within the budget of $60.00/month." in out


def test_budget_and_hours_options_override_the_profile(capsys):
    rc, out, err = tdg(capsys, "--profile", "approved", "--hours", "8", "--budget", "15", "--today", "2026-11-22")
    assert rc == 2
    assert "Run of 8 h:" in out
    assert "exceeds the budget $15.00; biggest item: EC2 t4g.medium" in err


def test_after_the_trial_the_bastion_is_billed(capsys):
    rc, out, _ = tdg(capsys, "--profile", "approved", "--today", "2027-01-01")
    assert rc == 0
    assert "Monthly projection: $23.32" in out and "T4g free trial ended 2026-12-31" in out


def test_a_profile_without_budget_is_priced_but_not_judged(capsys, tmp_path):
    raw = yaml.safe_load((PROFILE_DIR / "approved.yaml").read_text(encoding="utf-8"))
    raw.pop("budget")
    path = tmp_path / "nobudget.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    rc, out, _ = tdg(capsys, "--profile", str(path), "--today", "2026-11-22")
    assert rc == 0 and "No budget" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--today", "22/11/2026"], "option --today = '22/11/2026': must be a date in YYYY-MM-DD form"),
    (["--hours", "0"], "option --hours = 0.0"),
    (["--nat-gb", "-3"], "option --nat-gb = -3.0"),
    (["--budget", "-1"], "option --budget = -1.0"),
    (["--profile", "nosuch"], "no such profile file"),
])
def test_bad_options_exit_2_with_the_option_named(capsys, argv, message):
    rc, out, err = tdg(capsys, *argv)
    assert rc == 2
    assert message in err


def test_refresh_options_parse():
    args = build_parser().parse_args(["cost", "--refresh", "--region", "us-east-1", "--types", "t4g.small,c7g.large"])
    assert (args.refresh, args.region, args.types) == (True, "us-east-1", "t4g.small,c7g.large")
    assert args.func is cost_command.run


def test_refresh_writes_the_prices_file_from_the_pricing_api(capsys, tmp_path, monkeypatch):
    path = tmp_path / "prices.yaml"
    shutil.copy(PRICES_PATH, path)
    clients = ClientFactory(region="eu-west-1", mode="offline", endpoint_url="http://127.0.0.1:9")
    doc = {"product": {"sku": "S", "attributes": {"instanceType": "t4g.small", "regionCode": "eu-west-1"}},
           "terms": {"OnDemand": {"S.T": {"priceDimensions": {"S.T.D": {"unit": "Hrs",
                                                                         "pricePerUnit": {"USD": "0.0190000000"}}}}}}}
    monkeypatch.setattr(cost_command, "live_clients", lambda region: clients)
    with Stubber(clients.client("pricing")) as stub:
        stub.add_response("get_products", {"PriceList": [json.dumps(doc)]},
                          {"ServiceCode": "AmazonEC2", "FormatVersion": "aws_v1", "MaxResults": 100,
                           "Filters": product_filters("t4g.small", "eu-west-1")})
        rc, out, err = tdg(capsys, "--refresh", "--region", "eu-west-1", "--types", "t4g.small",
                           "--prices-file", str(path), "--today", "2026-11-23")
        stub.assert_no_pending_responses()
    assert rc == 0, err
    assert "eu-west-1 t4g.small: 0.0184 -> 0.019 USD/h (verified)" in out
    item = yaml.safe_load(path.read_text(encoding="utf-8"))["prices"]["eu-west-1"]["instances"]["t4g.small"]
    assert (item["usd_per_hour"], item["source"], item["verified"], str(item["retrieved"])) == (
        0.019, SOURCE, True, "2026-11-23")


def test_refresh_of_an_unpriced_region_needs_types(capsys, tmp_path):
    path = tmp_path / "prices.yaml"
    shutil.copy(PRICES_PATH, path)
    rc, _, err = tdg(capsys, "--refresh", "--region", "ap-south-1", "--prices-file", str(path))
    assert rc == 2 and "nothing is priced in ap-south-1" in err
