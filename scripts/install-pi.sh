#!/usr/bin/env bash
# Install massage-timer as a system service on Raspberry Pi OS (Bookworm), from this checkout:
#   sudo ./scripts/install-pi.sh            install or upgrade, enable and start the service
#   sudo ./scripts/install-pi.sh --no-start install and enable, but do not start now
# It installs apt packages, copies the code to /opt/massage-timer with a virtualenv that sees
# Debian's python3-lgpio, creates the massage-timer user and its groups, puts the config and
# routines in /etc/massage-timer (never overwriting yours), and enables the systemd unit.
set -euo pipefail

PREFIX=/opt/massage-timer
ETC=/etc/massage-timer
UNIT=/etc/systemd/system/massage-timer.service
SERVICE_USER=massage-timer
start_now=yes
[ "${1:-}" = "--no-start" ] && start_now=no

if [ "$(id -u)" -ne 0 ]; then
  echo "install-pi: run me with sudo" >&2
  exit 1
fi
source_dir=$(cd "$(dirname "$0")/.." && pwd)

echo "install-pi: apt packages"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
  python3 python3-venv python3-pip python3-lgpio \
  espeak-ng libespeak-ng1 alsa-utils \
  libsdl2-2.0-0 libsdl2-mixer-2.0-0 libsdl2-ttf-2.0-0 libsdl2-image-2.0-0 libglib2.0-0 \
  fonts-dejavu-core

echo "install-pi: code and virtualenv in $PREFIX"
mkdir -p "$PREFIX"
tar -C "$source_dir" --exclude=.venv --exclude=.git --exclude='__pycache__' -cf - . \
  | tar -C "$PREFIX" -xf -
if [ ! -x "$PREFIX/venv/bin/python" ]; then
  # System site packages: the venv uses Debian's python3-lgpio for the real pins.
  python3 -m venv --system-site-packages "$PREFIX/venv"
fi
"$PREFIX/venv/bin/python" -m pip install --quiet --upgrade pip
# Editable: the package finds its bundled routines/ (for `demo`) beside it in $PREFIX.
"$PREFIX/venv/bin/python" -m pip install --quiet --editable "$PREFIX"
ln -sf "$PREFIX/venv/bin/massage-timer" /usr/local/bin/massage-timer

echo "install-pi: user $SERVICE_USER"
if ! id "$SERVICE_USER" >/dev/null 2>&1; then
  useradd --system --user-group --home-dir /var/lib/massage-timer --no-create-home \
    --shell /usr/sbin/nologin "$SERVICE_USER"
fi
for group in gpio audio video render input; do
  if getent group "$group" >/dev/null; then usermod -aG "$group" "$SERVICE_USER"; fi
done
# The person who ran sudo may edit routines and use `massage-timer ctl` without sudo.
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
  usermod -aG "$SERVICE_USER" "$SUDO_USER"
fi

echo "install-pi: $ETC (your files are kept)"
mkdir -p "$ETC/routines"
cp -rn "$source_dir/routines/." "$ETC/routines/"
if [ ! -e "$ETC/config.toml" ]; then
  cat >"$ETC/config.toml" <<'TOML'
# massage-timer config: every key is listed in the README. Check it with `massage-timer check`.
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
fi
chown -R root:"$SERVICE_USER" "$ETC"
chmod -R g+rwX "$ETC/routines"
find "$ETC/routines" -type d -exec chmod g+s {} +

echo "install-pi: systemd unit"
install -m 0644 "$source_dir/systemd/massage-timer.service" "$UNIT"
systemctl daemon-reload
systemd-analyze verify "$UNIT"
if [ "$start_now" = yes ]; then
  systemctl enable --now massage-timer.service
  systemctl --no-pager --lines=5 status massage-timer.service || true
else
  systemctl enable massage-timer.service
fi
echo "install-pi: done. Try: massage-timer ctl status   (log out and in once for the group)"
