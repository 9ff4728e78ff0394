"""The JavaScript the launcher runs inside the Rocket.Chat page, built from data, never from user text.

Every script that carries the token checks, inside the page and right before posting, that the page is
still on Rocket.Chat's origin (`location.origin !== RC_ORIGIN` -> do nothing), and posts with
targetOrigin = that origin, never '*'. Values are embedded with json.dumps, so no
quote in an organization name or token can break out of the string.
"""

from __future__ import annotations

import json
from pathlib import Path

from launcher.web import WEB_DIR

_COVER_TEMPLATE = WEB_DIR / "cover.js"
_CONFIG_LINE = 'var CONFIG = {"rcOrigin": "", "organization": "", "cover": false};  /*@CONFIG@*/'


def cover_script(rc_origin: str, organization: str, cover: bool, template: Path = _COVER_TEMPLATE) -> str:
    """The document-creation script for the Rocket.Chat page, configured for this organization."""
    source = template.read_text(encoding="utf-8")
    if _CONFIG_LINE not in source:
        raise RuntimeError("assets/cover.js lost its CONFIG line; the cover cannot be configured")
    config = json.dumps({"rcOrigin": rc_origin, "organization": organization, "cover": cover})
    return source.replace(_CONFIG_LINE, f"var CONFIG = {config};")


# Reads Rocket.Chat's own sign-in state: the Meteor.* keys, plain or namespaced, in localStorage
# or sessionStorage (Accounts_ForgetUserSessionOnWindowClose), plus what cover.js saw. With cover.js
# installed at document start, the proof of a sign-in is Meteor writing the login token in this
# document (it does so only once the server accepted a login); Rocket.Chat's logged-in event and the
# stored user id are there before that, for an optimistic resume the server may still refuse.
# Installed late (other backends), the stored token equal to the one handed over must do.
# See docs/rocketchat-contract.md#server-confirmed-sign-in and #meteor-storage-keys.
_READ_STATE = """
function __rclState(userId, token) {
  var seen = window.__rcLauncher || {};
  function read(store, key) { return seen.read ? seen.read(store, key) : store.getItem(key); }
  function scan(store) {
    var found = {uid: null, tok: null};
    try {
      for (var i = 0; i < store.length; i++) {
        var key = store.key(i);
        if (key === 'Meteor.userId' || key.indexOf('Meteor.userId:') === 0) found.uid = read(store, key);
        if (key === 'Meteor.loginToken' || key.indexOf('Meteor.loginToken:') === 0) found.tok = read(store, key);
      }
    } catch (e) {}
    return found;
  }
  var a = scan(window.localStorage), b = scan(window.sessionStorage);
  var uid = a.uid || b.uid, tok = a.tok || b.tok;
  var early = seen.early === true;
  var userMatches = uid === userId;
  var serverAccepted = (seen.stored || 0) > 0 && (seen.storedAt || 0) >= (seen.removedAt || 0);
  return {
    userMatches: userMatches,
    otherUser: Boolean(uid) && !userMatches,
    tokenMatches: token !== null && tok === token,
    event: seen.loggedIn === true,
    early: early,
    // the client is running (it read its stored login); installed late, the loaded document must do
    clientStarted: early ? seen.clientStarted === true : document.readyState === 'complete',
    hasToken: Boolean(tok),
    dropped: (seen.removed || 0) > 0 && (seen.removedAt || 0) >= (seen.storedAt || 0),
    droppedMine: token !== null && Boolean(seen.dropped) && seen.dropped(token),
    signedIn: userMatches && Boolean(tok) && (early ? serverAccepted : tok === token),
    cover: seen.coverVisible === true,
    doc: performance.timeOrigin  // one per document: a reload starts the client, and the wait, anew
  };
}
"""


#: The console marker cover.js writes when Rocket.Chat fires startup / logged-in / logged-out (a wake-up only).
WAKE_MARKER = "rocketchat-launcher:wake:"

# The in-page poster: posts `login-with-token` at once, again right after Rocket.Chat's `startup` event
# (its command listener is attached in the same task: hence setTimeout 0), and then until the
# page is signed in as the expected user or the wait is over: every INTERVAL ms while Rocket.Chat has not
# started (a post nobody listens to is lost and costs nothing), every RETRY ms once it has, or once it
# took longer than FAST_FOR ms to say so (`startup` may never come), because then every post is
# a login attempt that Rocket.Chat rate-limits. The token lives only in this closure;
# window.__rcLauncherPoster holds the attempt id and stop(), nothing secret. The origin is checked right
# before every post, and the target is Rocket.Chat's origin, never '*'.
# See docs/rocketchat-contract.md#startup-race and #rate-limits.
_POSTER = """
function __rclPoster(RC_ORIGIN, TOKEN, USER_ID, ATTEMPT, TIMES) {
  var me = {attempt: ATTEMPT, stopped: false, posts: 0}, timer = null, started = Date.now(), last = 0;
  var deadline = started + TIMES.wait;
  function onStartup() { setTimeout(post, 0); }
  function stop() {
    me.stopped = true;
    if (timer !== null) clearInterval(timer);
    window.removeEventListener('startup', onStartup);
  }
  function tick() {
    if (Date.now() > deadline || __rclState(USER_ID, TOKEN).signedIn) { stop(); return; }
    var seen = window.__rcLauncher || {};
    var slow = seen.startedUp === true || Date.now() - started > TIMES.fastFor;
    if (!slow || Date.now() - last >= TIMES.retry) post();
  }
  function post() {
    if (me.stopped) return;
    if (Date.now() > deadline || __rclState(USER_ID, TOKEN).signedIn) { stop(); return; }
    if (location.origin !== RC_ORIGIN) { stop(); return; }
    window.postMessage({externalCommand: 'login-with-token', token: TOKEN}, RC_ORIGIN);
    me.posts += 1;
    last = Date.now();
  }
  me.stop = stop;
  Object.defineProperty(window, '__rcLauncherPoster', {value: me, configurable: true, writable: true});
  window.addEventListener('startup', onStartup);
  timer = setInterval(tick, TIMES.interval);
  post();
  return me;
}
"""


def login_tick(
    rc_origin: str,
    token: str,
    user_id: str,
    post: bool,
    attempt: str = "",
    wait_s: float = 12.0,
    interval_s: float = 0.12,
    retry_s: float = 2.0,
    fast_for_s: float = 5.0,
) -> str:
    """One look at the sign-in: report the page's sign-in state and, if asked and not yet signed in, make
    sure this document runs the in-page poster of `attempt` (a page load ends it; the next tick starts
    it again). A page found signed in gets its cover lifted in the same step (`lifted`). Returns
    {origin, onRocketChat, signedIn, lifted, posting, posted, ...} to Python; never the token."""
    times = {
        "wait": round(wait_s * 1000),
        "interval": round(interval_s * 1000),
        "retry": round(retry_s * 1000),
        "fastFor": round(fast_for_s * 1000),
    }
    args = ", ".join(json.dumps(v) for v in (rc_origin, token, user_id, post, attempt, times))
    return (
        "(function (RC_ORIGIN, TOKEN, USER_ID, POST, ATTEMPT, TIMES) {"
        + _READ_STATE
        + _POSTER
        + """
  if (location.origin !== RC_ORIGIN) return {origin: location.origin, onRocketChat: false};
  var s = __rclState(USER_ID, TOKEN);
  s.origin = location.origin; s.onRocketChat = true; s.posted = false; s.posting = false;
  s.ready = document.readyState;
  s.resumeParam = location.search.indexOf('resumeToken=') >= 0;
  var running = window.__rcLauncherPoster;
  if (s.signedIn && window.__rcLauncher) { window.__rcLauncher.hideCover(); s.lifted = true; }
  if (s.signedIn || !POST) {
    if (running && !running.stopped) running.stop();
  } else if (running && running.attempt === ATTEMPT && !running.stopped) {
    s.posting = true;
  } else {
    if (running && !running.stopped) running.stop();
    s.posted = __rclPoster(RC_ORIGIN, TOKEN, USER_ID, ATTEMPT, TIMES).posts > 0;
    s.posting = true;
  }
  return s;
})("""
        + args
        + ")"
    )


def stop_login(rc_origin: str) -> str:
    """End the in-page poster of this document, if any (the attempt is over or was cancelled)."""
    return (
        "(function (o) { if (location.origin !== o) return false; var p = window.__rcLauncherPoster;"
        " if (p && !p.stopped) p.stop(); return true; })(" + json.dumps(rc_origin) + ")"
    )


def page_session(rc_origin: str, user_id: str) -> str:
    """Whether the page signed itself in (its own stored session) as `user_id`: Meteor.userId is that user
    AND the server accepted the resume (Meteor wrote the token in this document, seen by cover.js from
    document start); if so the cover is lifted in the same step. No token."""
    return _user_state_script(
        rc_origin,
        user_id,
        """
  var signedIn = s.signedIn && s.early;
  if (signedIn) seen.hideCover();
  return {origin: location.origin, onRocketChat: true, userMatches: s.userMatches, event: s.event,
          early: s.early, clientStarted: s.clientStarted, doc: s.doc, dropped: s.dropped, hasToken: s.hasToken,
          loggedOut: seen.loggedOut === true, startedUp: seen.startedUp === true,
          signedIn: signedIn, lifted: signedIn};""",
    )


def signed_in_check(rc_origin: str, user_id: str) -> str:
    """After the sign-in: is the page still signed in as `user_id`? {signedOut: true} once the client
    dropped its login (an admin logged the user out, the session was revoked or expired);
    {otherAccount: true} once it holds another user's login (a script or frame in the page logged it in
    with a token of its own). No token."""
    return _user_state_script(
        rc_origin,
        user_id,
        """
  return {origin: location.origin, onRocketChat: true, clientStarted: s.clientStarted,
          hasToken: s.hasToken, userMatches: s.userMatches,
          otherAccount: s.clientStarted && s.hasToken && s.otherUser,
          signedOut: s.clientStarted && !s.hasToken && (s.dropped || seen.loggedOut === true)};""",
    )


def _user_state_script(rc_origin: str, user_id: str, body: str) -> str:
    """A script that, on Rocket.Chat's origin only, reads the page's sign-in state for `user_id` into `s`
    (and cover.js's record into `seen`), then runs `body`, which returns the answer. No token."""
    return (
        "(function (RC_ORIGIN, USER_ID) {"
        + _READ_STATE
        + """
  if (location.origin !== RC_ORIGIN) return {origin: location.origin, onRocketChat: false};
  var s = __rclState(USER_ID, null);
  var seen = window.__rcLauncher || {};"""
        + body
        + "\n})("
        + json.dumps(rc_origin)
        + ", "
        + json.dumps(user_id)
        + ")"
    )


def show_cover(rc_origin: str) -> str:
    """Cover the page again (it fell to Rocket.Chat's login form and is being signed in again)."""
    return (
        f"(function (o) {{ if (location.origin === o && window.__rcLauncher) window.__rcLauncher.showCover(); "
        f"return true; }})({json.dumps(rc_origin)})"
    )


def hide_cover(rc_origin: str) -> str:
    return (
        f"(function (o) {{ if (location.origin === o && window.__rcLauncher) window.__rcLauncher.hideCover(); "
        f"return true; }})({json.dumps(rc_origin)})"
    )


def sign_out(rc_origin: str) -> str:
    """Ask Rocket.Chat to log out (iframe `logout` command), then wipe its storage for this origin:
    Meteor keys, the rc_uid/rc_token cookies, IndexedDB and caches
    (docs/rocketchat-contract.md#signing-out-cleanly)."""
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


_DESKTOP_TEMPLATE = WEB_DIR / "desktop.js"
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
