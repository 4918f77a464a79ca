#!/usr/bin/env bash
# Install or upgrade massage-timer as a system service, from this checkout:
#   sudo ./scripts/install-pi.sh            install or upgrade, enable, (re)start the service
#   sudo ./scripts/install-pi.sh --no-start install or upgrade and enable; do not start it now
#   sudo ./scripts/install-pi.sh --piper    also the Piper voice ([voice] engine = "piper";
#                                           ~190 MB, 64-bit only); PIPER=1 does the same
#
# Works on Raspberry Pi OS Bookworm (Lite or desktop) and plain Debian 12, arm64 or amd64,
# on a running system or in a chroot / image build (no step needs a running systemd).
# 32-bit (armhf): pygame has no armv7 wheel on PyPI; Raspberry Pi OS's /etc/pip.conf names
# piwheels, which has one. Elsewhere on armhf pip would have to build pygame from source.
#
# What it does: apt packages (--no-install-recommends); a root-owned virtualenv in
# /opt/massage-timer with massage-timer installed into it (a normal, non-editable install);
# /usr/local/bin/massage-timer for every user; the massage-timer user and its groups (made
# if missing); /etc/massage-timer with the config and routines (yours are never
# overwritten); the systemd unit, enabled. Re-running it upgrades in place.
set -euo pipefail

PREFIX=/opt/massage-timer
VENV=$PREFIX/venv
ETC=/etc/massage-timer
STATE=/var/lib/massage-timer
UNIT=/etc/systemd/system/massage-timer.service
SERVICE_USER=massage-timer
GROUPS_NEEDED=(gpio audio video render input) # the unit's SupplementaryGroups
start_now=yes
piper=${PIPER:-0}
for option in "$@"; do
  case "$option" in
    --no-start) start_now=no ;;
    --piper) piper=1 ;;
    *) echo "usage: sudo $0 [--no-start] [--piper]" >&2; exit 2 ;;
  esac
done

say() { echo "install-pi: $*"; }
die() { echo "install-pi: error: $*" >&2; exit 1; }
systemd_running() { [ -d /run/systemd/system ]; }

[ "$(id -u)" -eq 0 ] || die "run me as root: sudo $0"
source_dir=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$source_dir/pyproject.toml" ] || die "run me from a massage-timer checkout"
started=$(date +%s)

install_packages() {
  local packages=(python3 python3-venv espeak-ng alsa-utils libglib2.0-0 fonts-dejavu-core)
  command -v systemctl >/dev/null || packages+=(systemd)
  say "apt packages"
  apt-get update -qq
  # Raspberry Pi OS has its own python3-lgpio; plain Debian does not (pip gets it below).
  if apt-cache show python3-lgpio >/dev/null 2>&1; then packages+=(python3-lgpio); fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${packages[@]}" >/dev/null
}

check_32_bit() {
  [ "$(dpkg --print-architecture)" = armhf ] || return 0
  [ "$piper" = 0 ] || die "32-bit: Piper and onnxruntime have no armhf wheels; use 64-bit
  Raspberry Pi OS for the Piper voice, or install without --piper (espeak-ng speaks)."
  grep -qs piwheels /etc/pip.conf ||
    die "32-bit: pygame has no armhf wheel on PyPI. Use 64-bit Raspberry Pi OS, or add
  piwheels (https://www.piwheels.org) to /etc/pip.conf as Raspberry Pi OS does."
}

install_code() {
  say "virtualenv and code in $PREFIX (owned by root)"
  mkdir -p "$PREFIX"
  # The layout before this installer: a copy of the checkout beside the venv. Only ours.
  find "$PREFIX" -mindepth 1 -maxdepth 1 ! -name venv -exec rm -rf {} +
  # System site packages: the venv sees Raspberry Pi OS's python3-lgpio.
  [ -x "$VENV/bin/python" ] || python3 -m venv --system-site-packages "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  # Build from a copy: the checkout may be read-only or belong to someone else.
  local build
  build=$(mktemp -d)
  tar -C "$source_dir" --exclude=.venv --exclude=.git --exclude=__pycache__ \
    --exclude=build --exclude='*.egg-info' -cf - . | tar -C "$build" -xf -
  local target=$build
  [ "$piper" = 1 ] && target="$build[piper]"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-cache-dir \
    --upgrade "$target"
  rm -rf "$build"
  install_lgpio
  install -m 0644 "$source_dir/README.md" "$source_dir/hardware.md" "$PREFIX/"
  echo "$source_dir" >"$PREFIX/source" # where `massage-timer update` pulls and re-installs
  chown -R root:root "$PREFIX"
  ln -sfn "$VENV/bin/massage-timer" /usr/local/bin/massage-timer
}

install_lgpio() {
  "$VENV/bin/python" -c 'import lgpio' 2>/dev/null && return 0
  # PyPI's lgpio wheels include the C library; never build it from source here.
  if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-cache-dir \
    --only-binary=:all: lgpio 2>/dev/null; then
    say "no lgpio for $(uname -m): the buttons will be off (massage-timer doctor says so)"
  fi
}

ensure_groups() {
  say "user $SERVICE_USER"
  id "$SERVICE_USER" >/dev/null 2>&1 ||
    useradd --system --user-group --home-dir "$STATE" --no-create-home \
      --shell /usr/sbin/nologin "$SERVICE_USER"
  local group
  for group in "${GROUPS_NEEDED[@]}"; do
    # Plain Debian has no gpio group; systemd refuses a unit that names a missing one.
    getent group "$group" >/dev/null || groupadd --system "$group"
  done
  usermod -aG "$(IFS=,; echo "${GROUPS_NEEDED[*]}")" "$SERVICE_USER"
  gpio_udev_rule
}

gpio_udev_rule() {
  # Raspberry Pi OS gives /dev/gpiochip* to the gpio group; plain Debian leaves it root's.
  if ! grep -qs gpiochip /etc/udev/rules.d/* /usr/lib/udev/rules.d/* /lib/udev/rules.d/*; then
    mkdir -p /etc/udev/rules.d
    echo 'SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660"' \
      >/etc/udev/rules.d/60-massage-timer-gpio.rules
  fi
}

# The person who ran sudo may edit routines and use `massage-timer ctl` without sudo.
add_invoking_user() {
  local person=${SUDO_USER:-}
  [ -n "$person" ] && [ "$person" != root ] || return 0
  id -nG "$person" | tr ' ' '\n' | grep -qx "$SERVICE_USER" && return 0
  usermod -aG "$SERVICE_USER" "$person"
  relogin_hint="$person was added to the $SERVICE_USER group: log out and in again (or run
  'newgrp $SERVICE_USER') before editing routines or using 'massage-timer ctl'."
}

install_config() {
  say "$ETC (your config and routines are kept)"
  mkdir -p "$ETC/routines"
  cp -rn "$source_dir/routines/." "$ETC/routines/"
  [ -e "$ETC/config.toml" ] || cat >"$ETC/config.toml" <<'TOML'
# massage-timer config: every key is listed in the README. Check it: massage-timer check
# See what is in effect and where it came from: massage-timer doctor
[routines]
folder = "/etc/massage-timer/routines"
selected = "morning-depuff"

[daemon]
state = "/var/lib/massage-timer"

[buttons]
play = 17
next = 27
repeat = 22
TOML
  chown -R root:"$SERVICE_USER" "$ETC"
  chmod -R g+rwX "$ETC/routines"
  find "$ETC/routines" -type d -exec chmod g+s {} +
}

install_unit() {
  say "systemd unit"
  install -m 0644 "$source_dir/systemd/massage-timer.service" "$UNIT"
  if command -v systemd-analyze >/dev/null; then systemd-analyze verify "$UNIT"; fi
  # --root: works offline (a chroot, an image build) as well as on a running system.
  systemctl --root=/ --quiet enable massage-timer.service
  if ! systemd_running; then
    say "systemd is not running here: the service starts at the next boot"
    return 0
  fi
  systemctl daemon-reload
  if [ "$start_now" = yes ]; then
    systemctl restart massage-timer.service # restart: an upgrade runs the new code
    systemctl --no-pager --lines=5 status massage-timer.service || true
  fi
}

relogin_hint=""
check_32_bit
install_packages
install_code
ensure_groups
add_invoking_user
install_config
install_unit
say "done in $(($(date +%s) - started)) s: $("$VENV/bin/massage-timer" --version)."
say "check the device with: massage-timer doctor"
if [ -n "$relogin_hint" ]; then say "$relogin_hint"; fi
