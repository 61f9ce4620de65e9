"""A network read back in existing mode, answering by_key from what discovery found (not from tags)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from provisioning.aws.client import ClientFactory
from provisioning.aws.state import NetworkState, RouteTableState, SecurityGroupState, SubnetState, read_network


@dataclass(frozen=True)
class KeyedNetworkState(NetworkState):
    """A network read back in existing mode: by_key answers from what discovery found, not from tags."""

    keys: Mapping[str, str] = field(default_factory=dict)

    def by_key(self, key: str) -> Any:
        """The subnet, route table or security group discovery found for key, or None."""
        rid = self.keys.get(key)
        items: Iterator[SubnetState | RouteTableState | SecurityGroupState] = iter(
            (*self.subnets, *self.route_tables, *self.security_groups))
        return next((item for item in items if rid is not None and item.id == rid), None)


def read_network_by_keys(clients: ClientFactory, ids: Mapping[str, str]) -> KeyedNetworkState:
    """Read the VPC discovery found and attach the plan keys of what it found."""
    state = read_network(clients, ids["vpc"])
    return KeyedNetworkState(**{f.name: getattr(state, f.name) for f in fields(state)}, keys=dict(ids))
