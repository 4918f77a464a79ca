#!/usr/bin/env bash
# Set up everything `make demo` and `make test` need, on Debian or Raspberry Pi OS:
# system packages (apt-get, with sudo when not root), then a virtualenv in .venv
# with massage-timer and its test tools. Safe to run again; it only does what is missing.
set -euo pipefail
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
echo "setup: installing massage-timer and its test tools into .venv"
quietly .venv/bin/python -m pip install --upgrade pip
quietly .venv/bin/python -m pip install -e '.[test]'
# Fail here, loudly, rather than in the middle of a demo with no sound.
PYGAME_HIDE_SUPPORT_PROMPT=1 .venv/bin/python -c 'import pygame.mixer, pyttsx3, gpiozero' ||
  { echo "setup: pygame, pyttsx3 or gpiozero cannot load (above)" >&2; exit 1; }
echo "setup: ready"
