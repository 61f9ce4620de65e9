"""The estimator prices profiles by the data files' numbers; the arithmetic is written out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from provisioning import profiles
from provisioning.cost import BudgetError, check_budget, estimate, format_estimate
from provisioning.data import load_data
from provisioning.errors import GuardError, OptionError
from provisioning.prices import PriceError, free_trials, price_book

TODAY = date(2026, 11, 22)
# eu-west-1 prices of provisioning/data/prices.yaml, repeated here so a silent change shows up.
T4G_SMALL, T4G_MEDIUM, GP3, IPV4, NAT_H, NAT_GB, MONTH_H = 0.0184, 0.0368, 0.088, 0.005, 0.048, 0.048, 730


@pytest.fixture(scope="module")
def approved():
    return profiles.load("approved")


@pytest.fixture(scope="module")
def homelab():
    return profiles.load("homelab-replica")


def test_prices_file_matches_the_numbers_used_here():
    book = price_book("eu-west-1")
    assert (book.instance("t4g.small").usd, book.instance("t4g.medium").usd) == (T4G_SMALL, T4G_MEDIUM)
    assert (book.gp3_gb_month.usd, book.public_ipv4_hour.usd) == (GP3, IPV4)
    assert (book.nat_hour.usd, book.nat_gb.usd, book.hours_per_month) == (NAT_H, NAT_GB, MONTH_H)


@pytest.mark.parametrize("region", ["eu-west-1", "us-east-1"])
def test_every_required_item_is_priced_with_source_date_and_verified_flag(region):
    wanted = ["t4g.nano", "t4g.micro", "t4g.small", "t4g.medium", "t4g.large", "t4g.xlarge", "t4g.2xlarge",
              "c7g.large", "c7g.xlarge", "c7g.2xlarge", "m7g.2xlarge", "r7g.xlarge", "t3.medium"]
    r = load_data("prices")["prices"][region]
    assert sorted(r["instances"]) == sorted(wanted)
    entries = [*r["instances"].values(), r["ebs_gp3"], r["public_ipv4"], r["nat_gateway"]]
    for e in entries:
        assert e["source"] and isinstance(e["retrieved"], date) and isinstance(e["verified"], bool), e
    # NAT is ~$35/month if never stopped, not the seeds' $0.04/month.
    assert r["nat_gateway"]["usd_per_hour"] * 730 > 30


def test_only_t4g_small_is_in_the_free_trial_until_2026_12_31():
    (trial,) = free_trials()
    assert trial.instance_types == ("t4g.small",)
    assert (trial.hours_per_month, trial.valid_until) == (750, date(2026, 12, 31))
    assert trial.applies(date(2026, 12, 31)) and not trial.applies(date(2027, 1, 1))


def test_approved_month_is_priced_by_hand(approved):
    est = estimate(approved, hours=5, today=TODAY)
    m = est.month
    # 3 x t4g.medium nodes, 5 h/day x 30 days = 450 instance-hours, never free: 450 x 0.0368 = 16.56
    assert m.item("EC2 t4g.medium").usd == pytest.approx(450 * 0.0368) == pytest.approx(16.56)
    # bastion t4g.small, same 150 h, inside the 750 h trial: 0.00 and no billed t4g.small line
    assert m.item("EC2 t4g.small (free trial)").quantity == 150 and m.item("EC2 t4g.small (free trial)").usd == 0
    with pytest.raises(KeyError):
        m.item("EC2 t4g.small")
    # gp3: (3 x 50 + 30) = 180 GB, up 150 of 730 h: 180 x 150 / 730 = 36.986 GB-month x 0.088 = 3.2548
    assert m.item("EBS gp3").usd == pytest.approx(180 * 150 / 730 * 0.088) == pytest.approx(3.2548, abs=1e-4)
    # one public IPv4 (bastion) for 150 h x 0.005 = 0.75; no NAT gateway
    assert m.item("public IPv4").usd == pytest.approx(0.75)
    assert not [i for i in m.items if i.name.startswith("NAT")]
    # total 16.56 + 0 + 3.2548 + 0.75 = 20.5648, under the profile's $60
    assert m.total_usd == pytest.approx(16.56 + 3.2548 + 0.75, abs=1e-4)
    assert est.biggest().name == "EC2 t4g.medium"
    check_budget(est, approved.budget_usd_per_month)


def test_approved_run_of_5_hours_is_priced_by_hand(approved):
    run = estimate(approved, hours=5, today=TODAY).run
    # 3 x 5 h x 0.0368 = 0.552; bastion 5 h free; 180 GB x 5/730 x 0.088 = 0.10849; 5 h x 0.005 = 0.025
    assert run.total_usd == pytest.approx(0.552 + 180 * 5 / 730 * 0.088 + 0.025)
    assert run.total_usd == pytest.approx(0.68549, abs=1e-5)


def test_every_item_is_quantity_times_unit_price(approved, homelab):
    for topo in (approved, homelab):
        est = estimate(topo, hours=3, today=TODAY, nat_gb=2, nat_gb_per_month=40)
        for item in est.run.items + est.month.items:
            assert item.usd == pytest.approx(item.quantity * item.unit_usd), item


def test_homelab_replica_is_refused_against_its_own_budget_naming_the_nat_gateway(homelab):
    est = estimate(homelab, hours=5, today=TODAY)
    # NAT 150 h x 0.048 = 7.20 is the biggest; 4 x t4g.small x 150 h = 600 h < 750 free;
    # gp3 60 GB x 150/730 x 0.088 = 1.0849; NAT EIP 150 h x 0.005 = 0.75; total 9.0349
    assert est.month.item("NAT gateway").usd == pytest.approx(7.20)
    assert est.month.total_usd == pytest.approx(7.20 + 60 * 150 / 730 * 0.088 + 0.75)
    with pytest.raises(BudgetError) as info:
        check_budget(est, homelab.budget_usd_per_month)
    assert isinstance(info.value, GuardError)
    assert "biggest item: NAT gateway ($7.20/month)" in info.value.summary
    assert "exceeds the budget $0.10" in info.value.summary
    for line in ("NAT gateway data processed", "EBS gp3", "public IPv4", "total"):
        assert line in str(info.value)


def test_the_budget_check_fails_on_a_tight_budget_and_names_the_biggest_item(approved):
    est = estimate(approved, hours=5, today=TODAY)
    with pytest.raises(BudgetError, match=r"biggest item: EC2 t4g.medium \(\$16.56/month\)"):
        check_budget(est, 20.0)
    with pytest.raises(OptionError):
        check_budget(est, -1)


def test_free_trial_no_longer_applies_after_2026_12_31(approved):
    before = estimate(approved, hours=5, today=date(2026, 12, 31)).month
    after = estimate(approved, hours=5, today=date(2027, 1, 1)).month
    assert before.item("EC2 t4g.small (free trial)").quantity == 150
    # from 2027 the bastion's 150 h cost 150 x 0.0184 = 2.76 more
    assert after.item("EC2 t4g.small").usd == pytest.approx(2.76)
    assert "ended 2026-12-31" in after.item("EC2 t4g.small").note
    assert after.total_usd - before.total_usd == pytest.approx(2.76)


def test_t4g_medium_is_never_free_even_during_the_trial(approved):
    medium_bastion = replace(approved, bastion=replace(approved.bastion, instance_type="t4g.medium"))
    m = estimate(medium_bastion, hours=5, today=TODAY).month
    # 4 x 150 h = 600 h, below 750, yet billed: 600 x 0.0368 = 22.08
    assert m.item("EC2 t4g.medium").usd == pytest.approx(22.08)
    assert not [i for i in m.items if "free trial" in i.name]


def test_free_hours_are_pooled_and_capped_at_750_a_month(homelab):
    busy = replace(homelab, hours_per_day=10)
    m = estimate(busy, hours=5, today=TODAY).month
    # nodes 3 x 300 h + bastion (ASG schedule 5 h/day) 150 h = 1050 h; 750 free, 300 x 0.0184 = 5.52 billed
    assert m.item("EC2 t4g.small (free trial)").quantity == 750
    assert m.item("EC2 t4g.small").quantity == 300
    assert m.item("EC2 t4g.small").usd == pytest.approx(5.52)


def test_asg_bastion_follows_its_schedule_and_the_nat_the_lab(homelab):
    m = estimate(replace(homelab, hours_per_day=8), hours=5, today=TODAY).month
    # nodes 3 x 240 h, bastion 150 h: 60 GB -> 30 x 150 + 30 x 240 = 11700 GB-h; NAT up 240 h
    assert m.item("EBS gp3").quantity == pytest.approx(11700 / 730)
    assert m.item("NAT gateway").quantity == 240


def test_nat_data_is_a_parameter_shown_even_at_zero(homelab):
    est = estimate(homelab, hours=5, today=TODAY, nat_gb=10, nat_gb_per_month=0)
    assert est.run.item("NAT gateway data processed").usd == pytest.approx(10 * 0.048)
    assert est.month.item("NAT gateway data processed").quantity == 0


def test_nodes_in_a_public_ipv4_subnet_each_pay_for_an_address(approved):
    public = replace(approved, subnets=tuple(replace(s, map_public_ipv4=True) for s in approved.subnets))
    # bastion 150 h + 3 nodes x 150 h = 600 address-hours x 0.005 = 3.00
    assert estimate(public, hours=5, today=TODAY).month.item("public IPv4").usd == pytest.approx(3.0)


@pytest.mark.parametrize("kwargs", [{"hours": 0}, {"hours": 745}, {"hours": 5, "nat_gb": -1},
                                    {"hours": 5, "nat_gb_per_month": -0.5}])
def test_impossible_inputs_are_refused(approved, kwargs):
    with pytest.raises(OptionError):
        estimate(approved, today=TODAY, **kwargs)


def test_an_unpriced_instance_type_is_refused_naming_it(approved):
    metal = replace(approved, nodes=tuple(replace(n, instance_type="c7g.metal") for n in approved.nodes))
    with pytest.raises(PriceError, match="no price for c7g.metal in eu-west-1"):
        estimate(metal, hours=5, today=TODAY)


def test_malformed_data_is_refused():
    good = load_data("prices")
    broken = {**good, "prices": {"eu-west-1": {**good["prices"]["eu-west-1"], "ebs_gp3": {"source": "x"}}}}
    with pytest.raises(PriceError, match="ebs_gp3: needs a non-negative number usd_per_gb_month"):
        price_book("eu-west-1", broken)
    with pytest.raises(PriceError, match="no prices for region ap-south-1"):
        price_book("ap-south-1")
    with pytest.raises(PriceError, match="valid_until"):
        free_trials({"trials": [{"instance_types": ["t4g.small"], "hours_per_month": 750, "valid_until": "soon"}]})
    with pytest.raises(PriceError, match="instance_types"):
        free_trials({"trials": [{"instance_types": [], "hours_per_month": 750, "valid_until": TODAY}]})


def test_the_table_lists_both_periods_and_flags_unconfirmed_prices(homelab):
    text = format_estimate(estimate(homelab, hours=5, today=TODAY))
    assert "Run of 5 h:" in text and "Month (30 days: nodes 5 h/day, bastion 5 h/day):" in text
    assert "Monthly projection: $9.03; biggest item: NAT gateway ($7.20)" in text
    assert "0.0480*" in text and "0.0050 " in text  # NAT unconfirmed, public IPv4 confirmed
    assert "* not confirmed from AWS" in text
