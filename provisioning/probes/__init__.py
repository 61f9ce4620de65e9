"""Probes: what is checked on a host, independent of how the host is reached (see provisioning.adapters)."""
