#!/usr/bin/env bash
# Set up everything `make demo` and `make test` need, on Debian or Raspberry Pi OS:
# system packages (apt-get, with sudo when not root), then a virtualenv in .venv
# with massage-timer and its test tools. Safe to run again; it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# espeak-ng speaks (through pyttsx3); python3-venv makes the virtualenv;
# systemd-analyze checks the unit in the tests.
packages=(espeak-ng python3-venv python3-pip)
command -v systemd-analyze >/dev/null 2>&1 || packages+=(systemd)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: please install these packages yourself: ${missing[*]}" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]} with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: massage-timer needs Python 3.11 or newer (Debian 12 / Raspberry Pi OS Bookworm)" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  # System site packages let a Pi use Debian's python3-lgpio for the real GPIO pins.
  "$python" -m venv --system-site-packages .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
echo "setup: ready"
