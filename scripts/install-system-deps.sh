#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the launcher and its tests need, only when some are missing.
# Qt WebEngine runtime libraries, Xvfb for a real window without a screen, D-Bus and gnome-keyring
# for a real Secret Service, ImageMagick for screenshots, desktop-file-utils for autostart checks; slapd and
# redis-server for the token service's directory and shared-state tests, icu-devtools, gcc and binutils to
# build the bundle's smaller ICU data library (build/trim_icu.py), tinyproxy-bin (a forward proxy, no
# system service) for the page's proxy tests (the tests start their own throw-away
# instances on 127.0.0.1; the packages' system instances are never used).
# See docs/platform-notes.md#linux-test-session. Never installs dbus-x11 (it leaves stray buses behind).
set -euo pipefail

PACKAGES=(
  xvfb xauth dbus gnome-keyring imagemagick desktop-file-utils xdg-utils
  libegl1 libgl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libnss3 libnspr4 libasound2 libgbm1
  libxkbcommon0 libxkbcommon-x11-0 libxcomposite1 libxdamage1 libxtst6 libxrandr2 libxkbfile1
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
  libxcb-render0 libxcb-shape0 libxcb-util1 libxcb-xkb1 libxcb-randr0 libxcb-xinerama0
  fonts-dejavu-core python3-venv
  qt6-webengine-dev-tools hunspell-en-us
  icu-devtools gcc binutils
  slapd ldap-utils redis-server tinyproxy-bin
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing system packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# slapd asks debconf questions and starts a system instance; the tests never use it.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
