#!/bin/bash
# The lab bastion (written for this project's Terraform test lab): five registry pull-through
# caches, the boot-to-talos asset server, a DNS forwarder for the VPC, and NAT for the nodes.
set -euo pipefail
dnf install -y docker dnsmasq iptables-nft
systemctl enable --now docker
for spec in docker.io:5050:https://registry-1.docker.io registry.k8s.io:5051:https://registry.k8s.io \
            quay.io:5052:https://quay.io gcr.io:5053:https://gcr.io ghcr.io:5054:https://ghcr.io; do
  name=${spec%%:*}; rest=${spec#*:}; port=${rest%%:*}; remote=${rest#*:}
  docker run -d --restart=always --name "cache-$name" -p "10.10.0.100:$port:5000" \
    -e "REGISTRY_PROXY_REMOTEURL=$remote" -v "/var/lib/registry/$name:/var/lib/registry" registry:2.8.3
done
mkdir -p /srv/assets
curl -fsSL -o /srv/assets/boot-to-talos.tar.gz \
  https://github.com/cozystack/boot-to-talos/releases/download/v0.7.1/boot-to-talos-linux-arm64.tar.gz
cat >/etc/systemd/system/assets.service <<'UNIT'
[Service]
ExecStart=/usr/bin/python3 -m http.server 8081 --bind 10.10.0.100 --directory /srv/assets
UNIT
cat >/etc/dnsmasq.d/vpc.conf <<'CONF'
listen-address=10.10.0.100
server=10.10.0.2
CONF
systemctl enable --now assets dnsmasq
sysctl -w net.ipv4.ip_forward=1
iptables -t nat -A POSTROUTING -s 10.10.0.0/24 -o ens5 -j MASQUERADE
