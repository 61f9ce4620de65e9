"""Transports: how a host or an API is reached (SSH and hops through the bastion)."""
