"""Read back the CPU credit mode a launch template records ($Default and $Latest versions)."""

from __future__ import annotations

from dataclasses import dataclass

from provisioning.aws.client import ClientFactory
from provisioning.aws.errors import aws_call

LABELS = ("$Default", "$Latest")


@dataclass(frozen=True)
class TemplateCredits:
    """One launchable template version: its instance type and CpuCredits (None when it sets none)."""

    template_id: str
    label: str
    number: int
    instance_type: str
    cpu_credits: str | None

    @property
    def name(self) -> str:
        return f"launch template {self.template_id} v{self.number} ({self.label})"


def template_credits(clients: ClientFactory, template_id: str) -> tuple[TemplateCredits, ...]:
    """The $Default and $Latest versions of template_id with their CreditSpecification."""
    ec2, out = clients.client("ec2"), []
    for label in LABELS:  # one call per label: EC2 answers a version once even when both labels name it
        with aws_call("DescribeLaunchTemplateVersions"):
            v = ec2.describe_launch_template_versions(LaunchTemplateId=template_id,
                                                      Versions=[label])["LaunchTemplateVersions"][0]
        d = v.get("LaunchTemplateData") or {}
        out.append(TemplateCredits(template_id, label, int(v["VersionNumber"]), str(d.get("InstanceType", "")),
                                   (d.get("CreditSpecification") or {}).get("CpuCredits")))
    return tuple(out)
