#!/usr/bin/env bash
# Converts the system's Hunspell dictionaries into Chromium's .bdic format in build/dictionaries/, for
# the window's spell check (Qt WebEngine reads only .bdic). Languages: SPELL_LANGUAGES (default en_US).
# Needs qt6-webengine-dev-tools (the converter) and hunspell-<lang> packages (scripts/install-system-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=build/dictionaries
mkdir -p "$OUT"
CONVERT=""
for candidate in /usr/lib/qt6/libexec/qwebengine_convert_dict "$(command -v convert-bdic || true)" \
                 "$(command -v qwebengine_convert_dict || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then CONVERT="$candidate"; break; fi
done
if [ -z "$CONVERT" ]; then
  echo "No dictionary converter: install qt6-webengine-dev-tools (scripts/install-system-deps.sh)." >&2
  exit 1
fi
for lang in ${SPELL_LANGUAGES:-en_US}; do
  dic="/usr/share/hunspell/$lang.dic"
  out="$OUT/${lang/_/-}.bdic"
  if [ ! -f "$dic" ]; then
    echo "No Hunspell dictionary for $lang ($dic): install its hunspell package." >&2
    exit 1
  fi
  if [ ! -f "$out" ] || [ "$dic" -nt "$out" ]; then
    "$CONVERT" "$dic" "$out" >/dev/null
  fi
done
