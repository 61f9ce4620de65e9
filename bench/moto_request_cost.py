"""CPU per moto request: moto's ThreadedMotoServer as shipped vs the suite's MotoServer (fixtures/moto_speed.py).

Each configuration runs in a fresh process: a server on 127.0.0.1, one warm-up request per kind
(moto builds its backends on the first), then REQUESTS rounds of the read calls a run makes most
(DescribeVpcs, DescribeSubnets, DescribeSecurityGroups, DescribeInstances, DescribeTags) over a
small lab (a VPC, two subnets, a group, three instances). The figure is the process CPU time
(client and server share the process, so the difference between the two rows is the server's).
A benchmark, never a test: nothing here asserts a time.

    .venv/bin/python bench/moto_request_cost.py [--rounds 60]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import json, sys, time
import boto3
sys.path.insert(0, {root!r})
if {suite}:
    from fixtures.moto_serve import MotoServer
    server = MotoServer()
else:
    from unittest import mock
    from moto.server import ThreadedMotoServer
    class Shipped:
        def __enter__(self):
            self.s = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            with mock.patch("http.server.socket.getfqdn", lambda name="": name or "localhost"):
                self.s.start()
            return "http://127.0.0.1:%d" % self.s.get_host_and_port()[1]
        def __exit__(self, *a):
            self.s.stop()
    server = Shipped()
with server as url:
    ec2 = boto3.client("ec2", region_name="eu-west-1", endpoint_url=url,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.10.{{i}}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)]
    ec2.create_security_group(GroupName="g", Description="g", VpcId=vpc)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.run_instances(ImageId=image, MinCount=3, MaxCount=3, InstanceType="t4g.small", SubnetId=subnets[0],
                      TagSpecifications=[{{"ResourceType": "instance", "Tags": [{{"Key": "tdg:run", "Value": "b"}}]}}])
    calls = [lambda: ec2.describe_vpcs(VpcIds=[vpc]), lambda: ec2.describe_subnets(SubnetIds=subnets),
             lambda: ec2.describe_security_groups(Filters=[{{"Name": "vpc-id", "Values": [vpc]}}]),
             lambda: ec2.describe_instances(Filters=[{{"Name": "tag:tdg:run", "Values": ["b"]}}]),
             lambda: ec2.describe_tags(Filters=[{{"Name": "key", "Values": ["tdg:run"]}}])]
    for call in calls:
        call()
    start = time.process_time()
    for _ in range({rounds}):
        for call in calls:
            call()
    cpu = time.process_time() - start
print(json.dumps({{"requests": {rounds} * len(calls), "cpu_s": cpu}}))
"""


def measure(suite: bool, rounds: int) -> dict[str, float]:
    code = PROBE.format(root=str(ROOT), suite=suite, rounds=rounds)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=60)
    args = ap.parse_args()
    print("| server | requests | CPU s | CPU ms per request |\n|---|---|---|---|")
    for name, suite in (("moto as shipped", False), ("suite MotoServer", True)):
        r = measure(suite, args.rounds)
        print(f"| {name} | {r['requests']:.0f} | {r['cpu_s']:.2f} | {1000 * r['cpu_s'] / r['requests']:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
