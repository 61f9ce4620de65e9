"""Benchmark: the suite's network verification vs one `aws` CLI process per assertion, on the same network.

The upstream style (a shell script of `aws ec2 describe-... --query ...` lines, one process per
assertion) against the suite's (read the network once: provisioning.aws.state.read_network, one
Describe per kind; then every check of features/01_network.feature as a pure function of that
snapshot). Both look at the same network, provisioned once in a moto server on 127.0.0.1 and
torn down after; both must find it as the profile says (an assertion that fails stops the
benchmark). The `aws` processes get fake credentials, no config files and --endpoint-url on
loopback. `make bench` calls figures(); run alone it prints the table and writes
reports/bench-aws-per-assertion.txt. The issue asks for the suite >= 10x faster. Not a test.

    .venv/bin/python bench/aws_per_assertion.py [--profile approved] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fixtures.backend import MotoServer  # noqa: E402
from provisioning import profiles  # noqa: E402
from provisioning import tags as tagging  # noqa: E402
from provisioning.aws.client import ClientFactory  # noqa: E402
from provisioning.aws.executor import Executor  # noqa: E402
from provisioning.aws.kinds import RunContext  # noqa: E402
from provisioning.aws.ledger import Ledger  # noqa: E402
from provisioning.aws.state import read_network  # noqa: E402
from provisioning.checks import network as check  # noqa: E402
from provisioning.plan import plan  # noqa: E402
from provisioning.topology import Topology  # noqa: E402

TARGET = 10.0
Assertion = tuple[list[str], Callable[[Any], bool], str]


def suite_verification(clients: ClientFactory, topo: Topology, vpc_id: str, run_id: str) -> list[str]:
    """What the network feature does: one snapshot, every check against it; the violations."""
    s = read_network(clients, vpc_id)
    return (check.vpc_cidr(topo, s) + check.vpc_ipv6(topo, s) + check.subnets(topo, s) + check.subnet_ipv6(topo, s)
            + check.igw_attached(topo, s) + check.default_routes(topo, s, "ipv4")
            + check.default_routes(topo, s, "ipv6") + check.nat_only_if_planned(topo, s) + check.dhcp_dns(topo, s)
            + check.no_ingress_from_anywhere(s) + check.ssh_only_from_home(topo, s)
            + check.node_group_closed(topo, s) + check.run_tags(s, run_id))


def assertions(topo: Topology, ids: dict[str, str], run_id: str) -> list[Assertion]:
    """The same questions, one `aws` call each, as an upstream script asks them."""
    vpc, f_vpc = ids["vpc"], ["--filters", f"Name=vpc-id,Values={ids['vpc']}"]
    subnets = {p.name: p for p in topo.subnets}
    igw_routes = {p.name for p in topo.subnets if p.default_route == "igw"}
    v6_routes = {p.name for p in topo.subnets if p.ipv6_default_route == "igw"}
    out: list[Assertion] = [
        (["describe-vpcs", "--vpc-ids", vpc, "--query", "Vpcs[0].CidrBlock"], lambda v: v == topo.vpc_cidr,
         "VPC IPv4 range"),
        (["describe-vpcs", "--vpc-ids", vpc, "--query", "Vpcs[0].Ipv6CidrBlockAssociationSet[].Ipv6CidrBlock"],
         lambda v: bool(v) == topo.vpc_ipv6 and all(c.endswith("/56") for c in v), "VPC IPv6 block"),
        (["describe-subnets", *f_vpc, "--query", "Subnets[].[CidrBlock,AvailabilityZone,MapPublicIpOnLaunch]"],
         lambda v: sorted(map(tuple, v)) == sorted((p.cidr, p.az, p.map_public_ipv4) for p in topo.subnets),
         "subnet ranges and zones"),
        (["describe-subnets", *f_vpc, "--query", "Subnets[].[CidrBlock,Ipv6CidrBlockAssociationSet[].Ipv6CidrBlock]"],
         lambda v: all(bool(b) == next(p.ipv6 for p in topo.subnets if p.cidr == c)
                       and all(x.endswith("/64") for x in b) for c, b in v), "subnet IPv6 blocks"),
        (["describe-internet-gateways", "--filters", f"Name=attachment.vpc-id,Values={vpc}", "--query",
          "InternetGateways[].InternetGatewayId"], lambda v: bool(v) == topo.internet_gateway, "internet gateway"),
    ]
    for family, wanted, dest_key, dest in (("IPv4", igw_routes, "DestinationCidrBlock", "0.0.0.0/0"),
                                           ("IPv6", v6_routes, "DestinationIpv6CidrBlock", "::/0")):
        for name in sorted(subnets):
            subnet = ids[f"subnet-{name}"]
            out.append((["describe-route-tables", "--filters", f"Name=association.subnet-id,Values={subnet}",
                         "--query", f"RouteTables[].Routes[?{dest_key}=='{dest}'].GatewayId[]"],
                        lambda v, n=name, w=wanted: (n in w) == any(str(g).startswith("igw-") for g in v),
                        f"{family} default route of subnet {name}"))
    out += [
        (["describe-nat-gateways", "--filter", f"Name=vpc-id,Values={vpc}", "--query",
          "NatGateways[?State=='available' || State=='pending'].NatGatewayId"],
         lambda v: bool(v) == (topo.nat_gateway_subnet is not None), "NAT gateway"),
        (["describe-dhcp-options", "--filters", f"Name=tag:{tagging.RUN_ID_KEY},Values={run_id}", "--query",
          "DhcpOptions[].DhcpConfigurations[?Key=='domain-name-servers'].Values[].Value[]"],
         lambda v: tuple(v) == tuple(topo.dhcp_dns), "DHCP DNS servers"),
        (["describe-security-groups", *f_vpc, "--query",
          "SecurityGroups[].IpPermissions[].[IpRanges[].CidrIp,Ipv6Ranges[].CidrIpv6][][]"],
         lambda v: "0.0.0.0/0" not in v and "::/0" not in v, "nothing open to the world"),
        (["describe-security-groups", "--group-ids", ids["sg-bastion"], "--query",
          "SecurityGroups[0].IpPermissions[?FromPort<=`22` && ToPort>=`22`].Ipv6Ranges[].CidrIpv6"],
         lambda v: set(v) == ({topo.access.home_ipv6} if topo.access.home_ipv6 else set()), "bastion SSH from home"),
        (["describe-security-groups", "--group-ids", ids["sg-nodes"], "--query",
          "SecurityGroups[0].IpPermissions[].UserIdGroupPairs[].GroupId"],
         lambda v: set(v) <= {ids["sg-nodes"], ids["sg-bastion"]}, "node group closed"),
        (["describe-tags", "--filters", f"Name=resource-id,Values={','.join(sorted(set(ids.values())))}",
          f"Name=key,Values={tagging.RUN_ID_KEY}", "--query", "Tags[].Value"],
         lambda v: bool(v) and set(v) == {run_id}, "run tags"),
    ]
    return out


def aws_env() -> dict[str, str]:
    """An environment that keeps the `aws` CLI on fake credentials and away from the operator's files."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYENV_ROOT", "PYENV_VERSION")}
    return {**keep, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "eu-west-1", "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true"}


def cli_verification(aws: str, url: str, checks: list[Assertion]) -> list[str]:
    """Run every assertion as its own `aws` process; the ones that failed."""
    failed = []
    env = aws_env()
    for args, ok, what in checks:
        done = subprocess.run([aws, "ec2", *args, "--endpoint-url", url, "--output", "json"], env=env,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0 or not ok(json.loads(done.stdout or "null")):
            failed.append(f"{what}: {done.stdout.strip() or done.stderr.strip()}")
    return failed


def find_aws() -> str | None:
    """The `aws` program on PATH; through a pyenv shim, the program it runs (the shim costs seconds a call)."""
    aws = shutil.which("aws")
    if aws is None or "/shims/" not in aws or shutil.which("pyenv") is None:
        return aws
    real = subprocess.run(["pyenv", "which", "aws"], capture_output=True, text=True, check=False).stdout.strip()
    return real or aws


def measure(profile: str, repeat: int) -> dict[str, Any]:
    """Median seconds of both verifications of one provisioned network, alternating, repeat times."""
    aws = find_aws()
    if aws is None:
        return {"status": "not measured: no `aws` CLI on PATH"}
    topo = profiles.load(profile)
    suite_s: list[float] = []
    cli_s: list[float] = []
    with MotoServer() as url:
        clients = ClientFactory(region=topo.region, mode="offline", endpoint_url=url)
        run_id = f"b{secrets.token_hex(4)}"
        ex = Executor(RunContext(clients, run_id, topo.name, topo.tags), Ledger(run_id), sleep=lambda s: None)
        try:
            ids = ex.ensure(plan(topo, ("network",)))
            checks = assertions(topo, ids, run_id)
            suite_verification(clients, topo, ids["vpc"], run_id)  # warm-up: moto loads its data lazily
            cli_verification(aws, url, checks[:1])
            for _ in range(repeat):
                before = clients.calls.total
                t0 = time.perf_counter()
                found = suite_verification(clients, topo, ids["vpc"], run_id)
                suite_s.append(time.perf_counter() - t0)
                suite_calls = clients.calls.total - before
                t0 = time.perf_counter()
                failed = cli_verification(aws, url, checks)
                cli_s.append(time.perf_counter() - t0)
                if found or failed:
                    raise SystemExit(f"the network failed its checks: suite {found}, aws {failed}")
        finally:
            ex.teardown()
    suite, cli = statistics.median(suite_s), statistics.median(cli_s)
    return {"profile": topo.name, "repeat": repeat, "aws": aws, "suite_s": round(suite, 4), "cli_s": round(cli, 3),
            "speedup": cli / suite, "suite_calls": suite_calls, "cli_processes": len(checks),
            "suite_runs_s": suite_s, "cli_runs_s": cli_s}


def report(m: dict[str, Any]) -> str:
    if m.get("status"):
        return f"{m['status']}\n"
    return "\n".join([
        f"network verification, profile {m['profile']}, same network in a moto server on 127.0.0.1, "
        f"median of {m['repeat']}",
        f"suite (one snapshot, every check): {m['suite_s']:.3f} s, {m['suite_calls']} API calls",
        f"one aws CLI process per assertion:  {m['cli_s']:.2f} s, {m['cli_processes']} processes",
        f"speed-up {m['speedup']:.1f}x (issue target >= {TARGET:g}x): {'met' if m['speedup'] >= TARGET else 'NOT met'}",
    ]) + "\n"


def figures(repeat: int = 5, profile: str = "approved") -> dict[str, Any]:
    """What `make bench` reports (bench/run_all.py), printed as measured."""
    m = measure(profile, repeat)
    sys.stdout.write(report(m))
    return m


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="approved")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "reports" / "bench-aws-per-assertion.txt"))
    a = ap.parse_args()
    text = report(measure(a.profile, a.repeat))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
