"""Kubernetes side of phase 04: typed reads (adapter), pure checks, install renderers, waits.

How the API is reached is the caller's business: live through a tunnel over the bastion, offline a
loopback stand-in. ``adapter.api_client`` refuses a non-loopback URL unless the run is live.
"""
