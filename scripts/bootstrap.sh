#!/usr/bin/env bash
# Set up everything the suite needs on a fresh Debian/Ubuntu machine, idempotently:
#  - Debian packages for the offline stand-ins (sshd, dnsmasq, docker-registry) and the report
#    screenshot (chromium), installed with apt-get when root (or via sudo) and missing;
#  - a virtual environment in .venv with the pinned dependencies of requirements.lock.
# Re-running it is cheap: it skips what is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(python3-venv openssh-server openssh-client dnsmasq-base docker-registry chromium iproute2 curl)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="none"; fi
  fi
  if [ "$SUDO" = none ]; then
    echo "bootstrap: missing Debian packages (not root, no sudo): ${missing[*]}" >&2
    echo "bootstrap: tests that need them will be skipped outside CI" >&2
  else
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "bootstrap: Python 3.11 or newer is needed")'
stamp=.venv/.tdg-lock-$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.lock 2>&1 | { grep -v "^WARNING: Location" || true; }
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . 2>&1 | { grep -v "^WARNING: Location" || true; }
  rm -f .venv/.tdg-lock-*
  touch "$stamp"
fi
