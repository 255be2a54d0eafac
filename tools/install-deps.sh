#!/bin/sh
# Installs every build and test dependency of Chorus on Debian 12 (bookworm).
# Run as root (CI runs as root) or through sudo.
set -eu

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive

PACKAGES="
  build-essential pkg-config meson ninja-build gettext
  clang libclang-rt-14-dev clang-format
  libglib2.0-dev libglib2.0-bin
  libgtk-4-dev libadwaita-1-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-nice gstreamer1.0-tools
  libnice-dev libgnutls28-dev gnutls-bin libsoup-3.0-dev libsqlite3-dev libxml2-dev libosip2-dev libjson-glib-dev
  libqrencode-dev libgdk-pixbuf-2.0-dev zbar-tools coturn
  sip-tester baresip-core
  iproute2 iptables
  desktop-file-utils appstream libxml2-utils
  tshark
  flatpak-builder
  xvfb xauth dbus-x11 at-spi2-core python3-pyatspi gir1.2-atspi-2.0
"

# Skip apt entirely when everything is already there (a developer's second run).
missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -n "$missing" ]; then
  echo "install-deps: installing:$missing"
  $SUDO apt-get update -q
  # tshark asks whether non-root users may capture: answer no, quietly.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -q --no-install-recommends $missing
else
  echo "install-deps: all dependencies present"
fi
