#!/usr/bin/env bash
# with-desktop-session.sh [--if-no-display] CMD...
#
# Runs CMD inside a private desktop session: its own D-Bus session bus, an unlocked throw-away
# gnome-keyring, and a private Xvfb display, all torn down when CMD exits. The keyring is unlocked before anything
# touches it: a locked one would wait on a password prompt nobody can see.
# With --if-no-display, a session that already has a display (DISPLAY set) runs CMD directly, on the
# person's own screen and keyring. Used by `make demo` and handy for smoke tests on headless machines.
set -u

if [ "${1:-}" = "--if-no-display" ]; then
  shift
  if [ -n "${DISPLAY:-}" ]; then
    exec "$@"
  fi
fi
if [ $# -eq 0 ]; then
  echo "usage: $0 [--if-no-display] COMMAND [ARGS...]" >&2
  exit 2
fi
for tool in dbus-run-session gnome-keyring-daemon Xvfb; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$tool is missing: run scripts/install-system-deps.sh (or make system-deps), then try again." >&2
    exit 1
  fi
done

exec dbus-run-session -- bash -c '
  set -u
  export NO_AT_BRIDGE=1
  case " ${QTWEBENGINE_CHROMIUM_FLAGS:-} " in
    *" --no-sandbox "*) ;;
    *) if [ "$(id -u)" = 0 ]; then export QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox ${QTWEBENGINE_CHROMIUM_FLAGS:-}"; fi ;;
  esac
  runtime=$(mktemp -d); chmod 700 "$runtime"
  export XDG_RUNTIME_DIR="$runtime"
  # a throw-away HOME: a keyring left by an earlier run with another password would be locked
  export HOME="$runtime/home"; mkdir -p "$HOME"
  unset XDG_DATA_HOME XDG_CONFIG_HOME XDG_CACHE_HOME XDG_STATE_HOME
  # unlock before anything touches the keyring, or the first call hangs on an invisible prompt
  head -c 24 /dev/urandom | base64 | tr -d "\n" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp 5>"$runtime/display" 2>/dev/null &
  xvfb=$!
  for _ in $(seq 100); do [ -s "$runtime/display" ] && break; sleep 0.05; done
  if [ ! -s "$runtime/display" ]; then
    echo "Xvfb did not start; run scripts/install-system-deps.sh, then try again." >&2
    kill "$xvfb" 2>/dev/null; rm -rf "$runtime"; exit 1
  fi
  export DISPLAY=":$(cat "$runtime/display")"
  "$@"; rc=$?
  kill "$xvfb" 2>/dev/null; wait "$xvfb" 2>/dev/null
  rm -rf "$runtime"
  exit $rc
' with-desktop-session "$@"
