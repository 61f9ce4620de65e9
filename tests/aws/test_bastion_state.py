"""Reading the bastion back: from plan ids to snapshots, and what is reported missing."""

from __future__ import annotations

import json
import urllib.parse

from provisioning import profiles
from provisioning.aws.bastion_state import read_bastion
from provisioning.aws.client import ClientFactory
from provisioning.aws.iam_state import allowed_actions, parse_policy, read_group, read_iam

PARAM = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"


def test_nothing_provisioned_is_all_missing_but_the_image_is_resolved(factory: ClientFactory) -> None:
    s = read_bastion(factory, profiles.load("approved"), {}, PARAM)
    assert s.eni is None and s.instance is None and s.template is None and s.group is None and s.iam is None
    assert set(s.missing) == {"network interface", "launch template", "instance", "IAM role and instance profile",
                              "key pair"}
    assert s.ami_now.startswith("ami-") and s.ami_architecture == "arm64"


def test_gone_ids_read_as_missing_not_as_errors(factory: ClientFactory) -> None:
    ids = {"bastion-eni": "eni-0123456789abcdef0", "bastion-lt": "lt-0123456789abcdef0",
           "bastion-instance": "i-0123456789abcdef0", "bastion-role": "nope", "bastion-profile": "nope",
           "bastion-key": "key-0123456789abcdef0", "bastion-eip": "eipalloc-0123456789abcdef0"}
    s = read_bastion(factory, profiles.load("approved"), ids, PARAM)
    assert (s.eni, s.template, s.instance, s.iam, s.key_pair, s.eip) == (None,) * 6
    assert read_group(factory.client("autoscaling"), "no-such-group") is None
    assert read_iam(factory.client("iam"), "no-such-role", "no-such-profile") is None


def test_policy_documents_are_read_in_either_shape() -> None:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["b:x", "a:y"], "Resource": "*"},
                                                  {"Effect": "Deny", "Action": "c:z", "Resource": "*"},
                                                  {"Effect": "Allow", "Action": "d:w", "Resource": "*"}]}
    assert parse_policy(urllib.parse.quote(json.dumps(doc))) == doc
    assert allowed_actions(doc) == ("a:y", "b:x", "d:w")
