"""The JavaScript the launcher runs inside the Rocket.Chat page, built from data, never from user text.

Every script that carries the token checks, inside the page and right before posting, that the page is
still on Rocket.Chat's origin (`location.origin !== RC_ORIGIN` -> do nothing), and posts with
targetOrigin = that origin, never '*' (RC §2.4, §11.1). Values are embedded with json.dumps, so no
quote in an organization name or token can break out of the string.
"""

from __future__ import annotations

import json
from pathlib import Path

from launcher.navigation import ASSETS_DIR

_COVER_TEMPLATE = ASSETS_DIR / "cover.js"
_CONFIG_LINE = 'var CONFIG = {"rcOrigin": "", "organization": "", "cover": false};  /*@CONFIG@*/'


def cover_script(rc_origin: str, organization: str, cover: bool, template: Path = _COVER_TEMPLATE) -> str:
    """The document-creation script for the Rocket.Chat page, configured for this organization."""
    source = template.read_text(encoding="utf-8")
    if _CONFIG_LINE not in source:
        raise RuntimeError("assets/cover.js lost its CONFIG line; the cover cannot be configured")
    config = json.dumps({"rcOrigin": rc_origin, "organization": organization, "cover": cover})
    return source.replace(_CONFIG_LINE, f"var CONFIG = {config};")


# Reads Rocket.Chat's own sign-in state (RC §8): the Meteor.* keys, plain or namespaced, in localStorage
# or sessionStorage (Accounts_ForgetUserSessionOnWindowClose), plus the CustomEvents seen by cover.js.
_READ_STATE = """
function __rclState(userId, token) {
  function scan(store) {
    var found = {uid: null, tok: null};
    try {
      for (var i = 0; i < store.length; i++) {
        var key = store.key(i);
        if (key === 'Meteor.userId' || key.indexOf('Meteor.userId:') === 0) found.uid = store.getItem(key);
        if (key === 'Meteor.loginToken' || key.indexOf('Meteor.loginToken:') === 0) found.tok = store.getItem(key);
      }
    } catch (e) {}
    return found;
  }
  var a = scan(window.localStorage), b = scan(window.sessionStorage);
  var uid = a.uid || b.uid, tok = a.tok || b.tok;
  var seen = window.__rcLauncher || {};
  var userMatches = uid === userId;
  return {
    userMatches: userMatches,
    tokenMatches: tok === token,
    event: seen.loggedIn === true,
    // With cover.js installed at document start, Rocket.Chat's own event is the proof (stored keys alone
    // are there before its client even started); installed late (other backends), storage must do.
    signedIn: userMatches && (seen.loggedIn === true || (seen.early !== true && tok === token)),
    cover: seen.coverVisible === true
  };
}
"""


def login_tick(rc_origin: str, token: str, user_id: str, post: bool) -> str:
    """One step of the sign-in loop: report the page's sign-in state and, if asked and not yet signed in,
    post the `login-with-token` command once. Returns {origin, signedIn, posted, ...} to Python."""
    args = ", ".join(json.dumps(v) for v in (rc_origin, token, user_id, post))
    return (
        "(function (RC_ORIGIN, TOKEN, USER_ID, POST) {"
        + _READ_STATE
        + """
  if (location.origin !== RC_ORIGIN) return {origin: location.origin, onRocketChat: false};
  var s = __rclState(USER_ID, TOKEN);
  s.origin = location.origin; s.onRocketChat = true; s.posted = false;
  s.ready = document.readyState;
  s.resumeParam = location.search.indexOf('resumeToken=') >= 0;
  if (!s.signedIn && POST) {
    if (location.origin !== RC_ORIGIN) return s;
    window.postMessage({externalCommand: 'login-with-token', token: TOKEN}, RC_ORIGIN);
    s.posted = true;
  }
  return s;
})("""
        + args
        + ")"
    )


def hide_cover(rc_origin: str) -> str:
    return (
        f"(function (o) {{ if (location.origin === o && window.__rcLauncher) window.__rcLauncher.hideCover(); "
        f"return true; }})({json.dumps(rc_origin)})"
    )


def show_cover(rc_origin: str) -> str:
    return (
        f"(function (o) {{ if (location.origin === o && window.__rcLauncher) window.__rcLauncher.showCover(); "
        f"return true; }})({json.dumps(rc_origin)})"
    )


def sign_out(rc_origin: str) -> str:
    """Ask Rocket.Chat to log out (iframe `logout` command), then wipe its storage for this origin:
    Meteor keys, the rc_uid/rc_token cookies, IndexedDB and caches (RC §8, §11.1 item 8)."""
    return (
        "(function (RC_ORIGIN) {"
        + """
  if (location.origin !== RC_ORIGIN) return {origin: location.origin, cleared: false};
  try { window.postMessage({externalCommand: 'logout'}, RC_ORIGIN); } catch (e) {}
  try { window.localStorage.clear(); } catch (e) {}
  try { window.sessionStorage.clear(); } catch (e) {}
  try {
    document.cookie.split(';').forEach(function (c) {
      var name = c.split('=')[0].trim();
      if (name) document.cookie = name + '=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/';
    });
  } catch (e) {}
  try {
    if (window.indexedDB && indexedDB.databases) {
      indexedDB.databases().then(function (dbs) { dbs.forEach(function (d) { indexedDB.deleteDatabase(d.name); }); });
    }
  } catch (e) {}
  try { if (window.caches) caches.keys().then(function (ks) { ks.forEach(function (k) { caches.delete(k); }); }); }
  catch (e) {}
  return {origin: location.origin, cleared: true};
})("""
        + json.dumps(rc_origin)
        + ")"
    )


_DESKTOP_TEMPLATE = ASSETS_DIR / "desktop.js"
_DESKTOP_CONFIG_LINE = 'var CONFIG = {"rcOrigin": ""};  /*@CONFIG@*/'


def desktop_script(rc_origin: str, template: Path = _DESKTOP_TEMPLATE) -> str:
    """The document-creation script that collects Rocket.Chat's unread/notification/status events."""
    source = template.read_text(encoding="utf-8")
    if _DESKTOP_CONFIG_LINE not in source:
        raise RuntimeError("assets/desktop.js lost its CONFIG line; it cannot be configured")
    return source.replace(_DESKTOP_CONFIG_LINE, f"var CONFIG = {json.dumps({'rcOrigin': rc_origin})};")


def desktop_drain(rc_origin: str) -> str:
    """Collect (and empty) what desktop.js kept; {origin} only when the page is not Rocket.Chat."""
    return (
        "(function (o) { if (location.origin !== o) return {origin: location.origin};"
        " var d = window.__rcLauncherDesktop; if (!d) return {origin: o, missing: true,"
        " title: String(document.title || '').slice(0, 200)};"
        " var r = d.drain(); r.origin = o; return r; })(" + json.dumps(rc_origin) + ")"
    )


def open_room(rc_origin: str, path: str) -> str:
    """Ask Rocket.Chat to open a room with its own `go` iframe command, addressed to its origin only."""
    return (
        "(function (o, p) { if (location.origin !== o) return false;"
        " window.postMessage({externalCommand: 'go', path: p}, o); return true; })("
        + json.dumps(rc_origin)
        + ", "
        + json.dumps("/" + path.lstrip("/"))
        + ")"
    )
