#!/usr/bin/env bash
# The macOS disk image: build/dist/Rocket.Chat Launcher.app (from build/pyinstaller.spec) and a link to
# /Applications, in build/dist/rocketchat-launcher-<version>.dmg. With MACOS_SIGN_IDENTITY set, the .app
# is signed first (Developer ID; notarize the .dmg with `xcrun notarytool` afterwards).
# Written for .github/workflows/windows-macos.yml; NEVER RUN here (no Mac). docs/it.md has the install.
set -euo pipefail

cd "$(dirname "$0")/../.."
APP="build/dist/Rocket.Chat Launcher.app"
VERSION="$(python -c 'import launcher; print(launcher.__version__)')"
DMG="build/dist/rocketchat-launcher-${VERSION}.dmg"

if [ ! -d "$APP" ]; then
  echo "$APP is missing: build the bundle first (pyinstaller build/pyinstaller.spec)" >&2
  exit 1
fi
if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --sign "$MACOS_SIGN_IDENTITY" "$APP"
fi

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "Rocket.Chat Launcher" -srcfolder "$STAGE" -ov -format UDZO "$DMG"
echo "$DMG"
