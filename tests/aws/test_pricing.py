"""Pricing API refresh, offline through botocore Stubber (moto has no pricing service)."""

from __future__ import annotations

import json
import shutil
from datetime import date

import boto3
import botocore.session
import pytest
import yaml
from botocore.stub import Stubber

from provisioning.aws.client import ClientFactory
from provisioning.aws.pricing import (
    PRICES_PATH,
    SOURCE,
    PricingError,
    dump_prices,
    parse_on_demand_hourly,
    priced_types,
    product_filters,
    refresh_prices,
    write_prices,
)
from provisioning.errors import AwsError, GuardError

NOWHERE = "http://127.0.0.1:9"  # never dialled: Stubber answers before any request is sent


def product(instance_type: str, region: str, usd: str | None, sku: str = "SKU1", unit: str = "Hrs") -> str:
    """A PriceList item as the Pricing API returns it: a JSON string (trimmed to what matters)."""
    description = f"${usd} per On Demand Linux {instance_type} Instance Hour"
    dims = {f"{sku}.JRTCKXETXF.6YS6EN2CT7": {"unit": unit, "pricePerUnit": {"USD": usd}, "description": description}}
    return json.dumps({
        "product": {"productFamily": "Compute Instance", "sku": sku,
                    "attributes": {"instanceType": instance_type, "regionCode": region, "operatingSystem": "Linux",
                                   "tenancy": "Shared", "capacitystatus": "Used", "preInstalledSw": "NA"}},
        "serviceCode": "AmazonEC2",
        "terms": {"OnDemand": {f"{sku}.JRTCKXETXF": {"priceDimensions": dims, "sku": sku}},
                  "Reserved": {f"{sku}.X": {"priceDimensions": {
                      "r": {"unit": "Hrs", "pricePerUnit": {"USD": "0.01"}}}}}},
    })


def request(instance_type: str, region: str, token: str | None = None) -> dict:
    params = {"ServiceCode": "AmazonEC2", "FormatVersion": "aws_v1", "MaxResults": 100,
              "Filters": product_filters(instance_type, region)}
    if token:
        params["NextToken"] = token
    return params


@pytest.fixture
def clients():
    return ClientFactory(region="eu-west-1", mode="offline", endpoint_url=NOWHERE)


@pytest.fixture
def stub(clients):
    with Stubber(clients.client("pricing")) as s:
        yield s
        s.assert_no_pending_responses()


def test_filters_are_the_documented_ones():
    assert {(f["Field"], f["Value"]) for f in product_filters("t4g.small", "eu-west-1")} == {
        ("instanceType", "t4g.small"), ("regionCode", "eu-west-1"), ("operatingSystem", "Linux"),
        ("tenancy", "Shared"), ("capacitystatus", "Used"), ("preInstalledSw", "NA")}


def test_the_pricing_client_is_pinned_to_us_east_1(clients):
    assert clients.client("pricing").meta.region_name == "us-east-1"


def test_refresh_reads_on_demand_hourly_usd_per_type_across_pages(clients, stub):
    stub.add_response("get_products", {"PriceList": [product("t4g.small", "eu-west-1", "0.0184000000")],
                                       "NextToken": "page2", "FormatVersion": "aws_v1"},
                      request("t4g.small", "eu-west-1"))
    stub.add_response("get_products", {"PriceList": [product("t4g.small", "eu-west-1", "0.0184000000", "SKU2")]},
                      request("t4g.small", "eu-west-1", "page2"))
    stub.add_response("get_products", {"PriceList": [product("t4g.medium", "eu-west-1", "0.0368000000")]},
                      request("t4g.medium", "eu-west-1"))
    assert refresh_prices(clients, "eu-west-1", ["t4g.small", "t4g.medium"]) == {
        "t4g.small": 0.0184, "t4g.medium": 0.0368}


def test_an_empty_answer_is_a_clear_error(clients, stub):
    stub.add_response("get_products", {"PriceList": []}, request("t4g.small", "eu-west-1"))
    with pytest.raises(PricingError, match="returned no products for t4g.small in eu-west-1"):
        refresh_prices(clients, "eu-west-1", ["t4g.small"])


def test_a_malformed_answer_is_a_clear_error(clients, stub):
    stub.add_response("get_products", {"PriceList": ["{not json"]}, request("t4g.small", "eu-west-1"))
    with pytest.raises(PricingError, match=r"PriceList\[0\] for t4g.small in eu-west-1 is not a JSON document"):
        refresh_prices(clients, "eu-west-1", ["t4g.small"])


def test_an_api_error_is_translated(clients, stub):
    stub.add_client_error("get_products", service_error_code="AccessDeniedException",
                          service_message="not allowed", http_status_code=400)
    with pytest.raises(AwsError, match="pricing:GetProducts failed: AccessDeniedException"):
        refresh_prices(clients, "eu-west-1", ["t4g.small"])


@pytest.mark.parametrize(("items", "message"), [
    ([json.dumps({"terms": {}})], "not a product document"),
    ([json.dumps({"product": {"attributes": {"instanceType": "t4g.small", "regionCode": "eu-west-1"}},
                  "terms": {"Reserved": {}}})], "no OnDemand terms"),
    ([product("t4g.small", "us-east-1", "0.0168")], r"the answer is for \('t4g.small', 'us-east-1'\)"),
    ([product("t4g.small", "eu-west-1", None)], "pricePerUnit.USD is None"),
    ([product("t4g.small", "eu-west-1", "0.01", unit="Quantity")], "no hourly USD on-demand price"),
    ([product("t4g.small", "eu-west-1", "0.0184"), product("t4g.small", "eu-west-1", "0.0200", "S2")],
     r"ambiguous on-demand prices for t4g.small in eu-west-1: \[0.0184, 0.02\]"),
    ([product("t4g.small", "eu-west-1", "0.0000000000")], "not a price"),
    ([42], "not a JSON document"),
])
def test_answers_that_do_not_give_one_price_are_refused(items, message):
    with pytest.raises(PricingError, match=message):
        parse_on_demand_hourly(items, "t4g.small", "eu-west-1")


def test_no_credentials_is_a_guard_error(monkeypatch, tmp_path):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    session = boto3.session.Session(botocore_session=botocore.session.Session())
    clients = ClientFactory(region="eu-west-1", mode="offline", endpoint_url=NOWHERE, session=session)
    with pytest.raises(GuardError, match="needs AWS credentials"):
        refresh_prices(clients, "eu-west-1", ["t4g.small"])


def test_the_prices_file_is_exactly_what_the_writer_produces():
    text = PRICES_PATH.read_text(encoding="utf-8")
    assert dump_prices(yaml.safe_load(text)) == text


def test_write_marks_refreshed_items_verified_and_leaves_the_rest(tmp_path):
    path = tmp_path / "prices.yaml"
    shutil.copy(PRICES_PATH, path)
    before = yaml.safe_load(path.read_text(encoding="utf-8"))
    changes = write_prices({"t4g.small": 0.0185, "c7g.medium": 0.036}, "eu-west-1", date(2026, 11, 23), path)
    after = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [(c.instance_type, c.old_usd, c.new_usd) for c in changes] == [
        ("t4g.small", 0.0184, 0.0185), ("c7g.medium", None, 0.036)]
    inst = after["prices"]["eu-west-1"]["instances"]
    assert inst["t4g.small"] == {"usd_per_hour": 0.0185, "source": SOURCE, "retrieved": date(2026, 11, 23),
                                 "verified": True}
    assert inst["c7g.medium"]["verified"] is True
    for key in ("t4g.small", "c7g.medium"):
        inst.pop(key)
        before["prices"]["eu-west-1"]["instances"].pop(key, None)
    assert after == before
    assert priced_types("eu-west-1", path)[-1] == "c7g.medium"


def test_writing_something_that_is_not_a_prices_file_is_refused(tmp_path):
    path = tmp_path / "other.yaml"
    path.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(PricingError, match="is not a prices file"):
        write_prices({"t4g.small": 0.0185}, "eu-west-1", date(2026, 11, 23), path)
    assert path.read_text(encoding="utf-8") == "- a list\n"
