"""Talos nodes: the talosctl adapter, checks over its typed results, and pure renderers.

adapter   talosctl via subprocess (explicit talosconfig, endpoints, nodes, timeout) -> resources
checks    pure functions over those results; each returns violations (empty = pass)
config    machine-config patches and the Tailscale ExtensionServiceConfig (secret, redacted repr)
userdata  the EC2 user-data that installs Talos with boot-to-talos
"""
