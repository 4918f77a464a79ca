#!/usr/bin/env bash
# Try scripts/install-pi.sh for real, as a new user would, in a fresh Debian 12 (bookworm)
# root made with debootstrap, then a smoke test and an upgrade run:
#   sudo ./scripts/test-install.sh              amd64, and arm64 when binfmt has qemu-aarch64
#   sudo ./scripts/test-install.sh arm64        just these architectures
# Needs root, debootstrap and (for arm64 on a PC) qemu-user-static with binfmt_misc.
# The debootstrap result is cached as a tarball in $CACHE, so a rerun takes minutes.
# Not part of `make test`: it downloads ~100 MB and takes several minutes per architecture.
set -euo pipefail
shopt -s inherit_errexit # a failure inside $(...) fails the test too

CACHE=${MT_INSTALL_CACHE:-/var/tmp/massage-timer-install}
MIRROR=${MT_INSTALL_MIRROR:-http://deb.debian.org/debian}
source_dir=$(cd "$(dirname "$0")/.." && pwd)
say() { echo "test-install: $*"; }
die() { echo "test-install: error: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run me as root (debootstrap and chroot need it)"
command -v debootstrap >/dev/null || die "apt-get install debootstrap qemu-user-static"

default_arches() {
  echo amd64
  if [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then echo arm64; else
    say "no qemu-aarch64 in binfmt_misc: arm64 skipped (apt-get install qemu-user-static)" >&2
  fi
}

base_tarball() { # the cached debootstrap root of one architecture
  local arch=$1 tarball=$CACHE/bookworm-$arch.tar
  if [ ! -e "$tarball" ]; then
    say "debootstrap bookworm $arch (once; cached in $tarball)" >&2
    local tmp=$CACHE/debootstrap-$arch
    rm -rf "$tmp"
    debootstrap --arch="$arch" --variant=minbase \
      --include=systemd,systemd-sysv,sudo,ca-certificates bookworm "$tmp" "$MIRROR" >&2
    tar -C "$tmp" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
    rm -rf "$tmp"
  fi
  echo "$tarball"
}

mounted=()
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" || true; done
  mounted=()
}
trap unmount_all EXIT

bind() { mount --bind "$1" "$2" && mounted+=("$2"); }

prepare_root() { # a fresh root from the tarball, with a sudo user "pi" and this checkout
  local arch=$1 root=$2
  # A run killed earlier may have left its mounts: never let rm walk into the host's /dev.
  findmnt -rn -o TARGET | { grep "^$root/" || true; } | sort -r | xargs -r umount -l
  rm -rf --one-file-system "$root" && mkdir -p "$root"
  tar -C "$root" -xf "$(base_tarball "$arch")"
  bind /proc "$root/proc"
  bind /sys "$root/sys"
  bind /dev "$root/dev"
  bind /dev/pts "$root/dev/pts"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  echo "127.0.1.1 $(hostname)" >>"$root/etc/hosts" # sudo resolves the host name
  trust_local_cas "$root"
  chroot "$root" useradd --create-home --shell /bin/bash pi
  echo "pi ALL=(ALL) NOPASSWD: ALL" >"$root/etc/sudoers.d/pi"
  mkdir -p "$root/home/pi/massage-timer"
  tar -C "$source_dir" --exclude=.venv --exclude=.git --exclude=__pycache__ -cf - . |
    tar -C "$root/home/pi/massage-timer" -xf -
  chroot "$root" chown -R pi:pi /home/pi/massage-timer
}

trust_local_cas() { # a test machine behind a TLS-inspecting proxy: its CAs, for pip too
  local root=$1
  compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null || return 0
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null
  printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$root/etc/pip.conf"
}

# A clean environment: this machine's own settings (PIP_*, proxies) must not leak in.
in_root() { chroot "$1" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  TERM=dumb LANG=C.UTF-8 "${@:2}"; }

as_pi() { in_root "$1" su - pi -c "$2"; }

packages() { chroot "$1" dpkg-query -W -f '${Package} ${Installed-Size}\n' | sort; }

install_once() { # run the installer as pi would; print the seconds it took
  local root=$1 arch=$2 started
  started=$(date +%s)
  if [ "$arch" = "$(dpkg --print-architecture)" ]; then
    as_pi "$root" "cd massage-timer && sudo ./scripts/install-pi.sh" >&2
  else # qemu-user's binfmt entry lacks the C flag, so setuid sudo cannot work: be sudo
    in_root "$root" SUDO_USER=pi bash -c "cd /home/pi/massage-timer && ./scripts/install-pi.sh" >&2
  fi
  echo $(($(date +%s) - started))
}

smoke_test() {
  local root=$1
  say "smoke test"
  as_pi "$root" "command -v massage-timer && massage-timer --version"
  as_pi "$root" "massage-timer list"
  as_pi "$root" "massage-timer check"
  as_pi "$root" "massage-timer doctor" || say "(doctor exits 1 here: no GPIO, speaker or panel)"
  chroot "$root" systemd-analyze verify /etc/systemd/system/massage-timer.service
  [ -L "$root/etc/systemd/system/multi-user.target.wants/massage-timer.service" ] ||
    die "the unit is not enabled"
  [ "$(stat -c %U "$root/opt/massage-timer/venv/bin/python3")" = root ] || die "code not root's"
  ! find "$root/opt/massage-timer" ! -user root | grep -q . || die "a file in /opt is not root's"
}

as_service() { in_root "$1" su -s /bin/sh massage-timer -c "$2"; }

daemon_test() { # the daemon as the service's user (no systemd here): it answers ctl status
  local root=$1 tries
  say "daemon: run --headless as massage-timer, then ctl status"
  install -d -o "$(chroot "$root" id -u massage-timer)" -g "$(chroot "$root" id -g massage-timer)" \
    "$root/var/lib/massage-timer"
  as_service "$root" "cd /var/lib/massage-timer && massage-timer run --headless \
    >/tmp/daemon.log 2>&1 & echo \$! >/tmp/daemon.pid" </dev/null
  for tries in $(seq 120); do
    if as_service "$root" "massage-timer ctl status" 2>/dev/null; then break; fi
    [ "$tries" -lt 120 ] || { cat "$root/tmp/daemon.log"; die "the daemon never answered"; }
    sleep 1
  done
  kill "$(cat "$root/tmp/daemon.pid")"
}

upgrade_test() { # a re-run keeps the person's config, routine edits and history
  local root=$1 arch=$2
  echo '# mine' >>"$root/etc/massage-timer/config.toml"
  echo '# mine' >>"$root/etc/massage-timer/routines/demo.toml"
  mkdir -p "$root/var/lib/massage-timer" && echo '{}' >"$root/var/lib/massage-timer/mine.json"
  say "upgrade: re-run took $(install_once "$root" "$arch") s"
  grep -q '# mine' "$root/etc/massage-timer/config.toml" || die "upgrade lost the config"
  grep -q '# mine' "$root/etc/massage-timer/routines/demo.toml" || die "upgrade lost a routine"
  [ -e "$root/var/lib/massage-timer/mine.json" ] || die "upgrade lost the history"
  as_pi "$root" "massage-timer check"
}

test_arch() {
  local arch=$1 root=$CACHE/root-$1 before after seconds
  say "== bookworm $arch =="
  prepare_root "$arch" "$root"
  before=$(packages "$root")
  seconds=$(install_once "$root" "$arch")
  after=$(packages "$root")
  local added
  added=$(comm -13 <(echo "$before") <(echo "$after"))
  say "$arch: install took $seconds s; apt added $(echo "$added" | grep -c .) packages," \
    "$(echo "$added" | awk '{kb += $2} END {printf "%.0f", kb / 1024}') MB installed;" \
    "/opt/massage-timer is $(du -sm "$root/opt/massage-timer" | cut -f1) MB"
  smoke_test "$root"
  daemon_test "$root"
  upgrade_test "$root" "$arch"
  unmount_all
  say "$arch: passed"
}

mkdir -p "$CACHE"
arches=("$@")
[ ${#arches[@]} -gt 0 ] || mapfile -t arches < <(default_arches)
for arch in "${arches[@]}"; do test_arch "$arch"; done
say "all passed: ${arches[*]}"
