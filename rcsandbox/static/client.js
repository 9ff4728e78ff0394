// The sandbox web client: the parts of Rocket.Chat's client the launcher depends on, in plain JS.
// It is loaded by loader.js only after the start delay, like RC's lazy chunks; nothing here runs
// before that. What it copies is described in docs/rocketchat-contract.md. Not Rocket.Chat code.
(function () {
  "use strict";

  // ROOT_URL's path ("/chat"), or "" at the domain root; every URL the page builds starts with it.
  var BASE = document.documentElement.getAttribute("data-path-prefix") || "";
  // Meteor's storage keys: plain at the domain root; under a ROOT_URL path, accounts-base appends
  // ":" + the connection's URL + ":" + the path (docs/rcsandbox.md#path-prefix).
  var KEY_SUFFIX = BASE ? ":" + location.origin + BASE + "/:" + BASE : "";
  var TOKEN_KEY = "Meteor.loginToken" + KEY_SUFFIX;
  var USER_ID_KEY = "Meteor.userId" + KEY_SUFFIX;
  var EXPIRES_KEY = "Meteor.loginTokenExpires" + KEY_SUFFIX;
  var STATUSES = ["online", "away", "busy", "offline"];
  var STATUS_NAMES = { online: "Online", away: "Away", busy: "Busy", offline: "Offline" };

  var settings = null;       // public settings, after the real fetch
  var version = [8, 0, 0];   // the Rocket.Chat version played, from the same fetch
  var session = null;        // {userId, token, me}
  var knownToken = null;     // what _pollStoredLoginToken compares against
  var iframeLoginUrl = null; // Accounts_iframe_url shown instead of the form
  var status = "online";
  var updates = { timer: null, cursor: 0, first: true, unread: null, messages: [], rooms: {} };

  // ---- side door reporting: RC only logs these to the console; tests read them from the log ----
  function report(kind, fields) {
    var body = JSON.stringify(Object.assign({ kind: kind }, fields || {}));
    if (!(navigator.sendBeacon && navigator.sendBeacon(BASE + "/sandbox/client-log", body))) {
      fetch(BASE + "/sandbox/client-log", { method: "POST", body: body, keepalive: true }).catch(function () {});
    }
  }

  // ---- fireGlobalEvent: CustomEvent always; parent.postMessage only when send is enabled ----
  function fireGlobalEvent(name, detail) {
    window.dispatchEvent(new CustomEvent(name, { detail: detail }));
    if (!settings || !settings.Iframe_Integration_send_enable) { return; }
    try {
      parent.postMessage({ eventName: name, data: detail }, settings.Iframe_Integration_send_target_origin);
    } catch (err) {
      console.error("Could not post event", name, err);
    }
  }

  // ---- REST ----
  function api(method, path, body, headers) {
    var init = { method: method, headers: Object.assign({}, headers || {}) };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        return { status: response.status, json: json, headers: response.headers };
      });
    });
  }

  function authHeaders() {
    return session ? { "X-User-Id": session.userId, "X-Auth-Token": session.token } : {};
  }

  // A Meteor.Error's message is "<reason> [<error>]".
  function loginError(json) {
    var reason = json.message || json.error || "Login failed";
    return new Error(json.error !== undefined ? reason + " [" + json.error + "]" : reason);
  }

  function afterLogin(result) {
    if (result.status !== 200) { throw loginError(result.json); }
    var data = result.json.data;
    storeLogin(data.userId, data.authToken, result.headers.get("X-Sandbox-Token-Expires"), data.me);
    return data;
  }

  // DDP answers one connection's login methods in the order they were called; the sandbox's logins are
  // separate requests, so each starts once the one before it (and whatever its caller did then) is done.
  var loginQueue = Promise.resolve();
  function queuedLogin(body, headers) {
    var result = loginQueue.then(function () { return api("POST", BASE + "/api/v1/login", body, headers); }).then(afterLogin);
    loginQueue = result.then(function () {}, function () {});
    return result;
  }

  // Meteor.loginWithToken over REST `login {resume}`, the sandbox's DDP. `method` only labels the event log.
  function loginWithToken(token, method) {
    return queuedLogin({ resume: token }, { "X-Sandbox-Login-Method": method });
  }

  function loginWithPassword(user, password) {
    return queuedLogin({ user: user, password: password });
  }

  // {iframe: true, token}: RC's `iframe` login handler; fails unless the sandbox knows the token.
  function loginWithIframeToken(token) {
    return queuedLogin({ iframe: true, token: token }, { "X-Sandbox-Login-Method": "iframe-auth" });
  }

  // ---- storage, cookies, logged-in state (docs/rocketchat-contract.md#meteor-storage-keys) ----
  function setCookie(name, value, remove) {
    var secure = location.protocol === "https:" ? "; Secure" : "";
    var expires = remove ? "; expires=Thu, 01 Jan 1970 00:00:00 GMT" : "";
    document.cookie = name + "=" + encodeURIComponent(value) + "; path=/; SameSite=Lax" + secure + expires;
  }

  function storeLogin(userId, token, expiresIso, me) {
    localStorage.setItem(USER_ID_KEY, userId);
    localStorage.setItem(TOKEN_KEY, token);
    if (expiresIso) { localStorage.setItem(EXPIRES_KEY, String(new Date(expiresIso))); }
    knownToken = token;
    // useStoreCookiesOnLogin: non-HttpOnly rc_uid / rc_token.
    setCookie("rc_uid", userId);
    setCookie("rc_token", token);
    var changed = !session || session.userId !== userId;
    var wasPending = Boolean(session && session.pending);
    session = { userId: userId, token: token, me: me, pending: false };
    status = "online";
    iframeLoginUrl = null;
    // effect on [uid]: an accepted optimistic id is no change, so no second event.
    if (changed) { fireGlobalEvent("Custom_Script_Logged_In"); }
    if (changed || wasPending) { startUpdates(); }
    render();
  }

  // Meteor's accounts client at start: with a stored token and user id, the user id is set before the
  // server answered the resume login, so Logged_In fires for it (docs/rocketchat-contract.md#optimistic-login).
  function presentOptimisticUser(userId, token) {
    session = { userId: userId, token: token, me: null, pending: true };
    fireGlobalEvent("Custom_Script_Logged_In");
    render();
  }

  function unstoreLoginToken() {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(USER_ID_KEY);
    localStorage.removeItem(EXPIRES_KEY);
    knownToken = null;
  }

  // Meteor's makeClientLoggedOut: forget the token locally; the Accounts-iframe flow then tries again.
  function makeClientLoggedOut() {
    unstoreLoginToken();
    setCookie("rc_uid", "", true);
    setCookie("rc_token", "", true);
    stopUpdates();
    var was = session;
    session = null;
    if (was) { fireGlobalEvent("Custom_Script_Logged_Out"); }
    render();
    if (iframeEnabled()) { tryIframeLogin(); }
  }

  function logout() {
    var headers = authHeaders();
    var done = function () { makeClientLoggedOut(); };
    if (!session) { done(); return Promise.resolve(); }
    return api("POST", BASE + "/api/v1/logout", undefined, headers).then(done, done);
  }

  // Meteor: at start, drop a stored token that expires within min(10% of its lifetime, 1 h).
  function storedTokenExpiresSoon() {
    var stored = localStorage.getItem(EXPIRES_KEY);
    if (!stored) { return false; }
    var days = Number(settings.Accounts_LoginExpiration);
    var lifetimeMs = (days > 0 ? days : 90) * 86400000;
    var minMs = Math.min(0.1 * lifetimeMs, 3600000);
    return Date.now() > new Date(stored).getTime() - minMs;
  }

  function autoLogin() {
    if (storedTokenExpiresSoon()) { unstoreLoginToken(); }
    var token = localStorage.getItem(TOKEN_KEY);
    var userId = localStorage.getItem(USER_ID_KEY);
    knownToken = token;
    if (!token) { return Promise.resolve(); }
    if (userId) { presentOptimisticUser(userId, token); }
    return loginWithToken(token, "resume").catch(function (err) {
      console.error("Stored login token refused:", err.message);
      // A later login (a command, a link) that already succeeded wins: DDP would have answered this first.
      if (session && !session.pending && session.token !== token) { return; }
      makeClientLoggedOut();
    });
  }

  // setInterval(_pollStoredLoginToken, 3000): another tab (or an injected script) changed the storage.
  function pollStoredLoginToken() {
    var current = localStorage.getItem(TOKEN_KEY);
    if (current === knownToken) { return; }
    knownToken = current;
    if (current) {
      loginWithToken(current, "resume").catch(function () { makeClientLoggedOut(); });
    } else if (session) {
      logout();
    }
  }

  function atLeast(major, minor) {
    return version[0] > major || (version[0] === major && version[1] >= minor);
  }

  // ---- the user's status: the status menu or the set-user-status command ----
  // 7.0 and later announce a status descriptor; older clients the bare status string.
  function setStatus(value, how) {
    if (STATUSES.indexOf(value) === -1) { return; }
    status = value;
    report("user-status", { status: status, how: how });
    var detail = atLeast(7, 0)
      ? { id: status, name: STATUS_NAMES[status], statusType: status, localizeName: true }
      : status;
    fireGlobalEvent("user-status-manually-set", detail);
    render();
  }

  function statusMenu() {
    var select = el("select", { id: "status-menu", "aria-label": "Status" });
    STATUSES.forEach(function (value) {
      var option = el("option", { value: value, text: STATUS_NAMES[value] });
      if (value === status) { option.selected = true; }
      select.appendChild(option);
    });
    select.addEventListener("change", function () { setStatus(select.value, "menu"); });
    return select;
  }

  // ---- messages: polling stands in for DDP subscriptions; drives unread-changed / notification ----
  function startUpdates() {
    stopUpdates();
    updates = { timer: null, cursor: 0, first: true, unread: null, messages: [], rooms: {} };
    pollUpdates();
    updates.timer = setInterval(pollUpdates, 1000);
  }

  function stopUpdates() {
    if (updates.timer) { clearInterval(updates.timer); }
    updates.timer = null;
  }

  function pollUpdates() {
    if (!session) { return; }
    var mine = updates;
    api("GET", BASE + "/sandbox/client/updates?since=" + mine.cursor, undefined, authHeaders()).then(function (result) {
      if (mine !== updates || !session) { return; }
      if (result.status === 401) {  // token removed on the server: "logged out by the server"
        makeClientLoggedOut();
        return;
      }
      if (result.status !== 200) { return; }
      var json = result.json;
      mine.cursor = json.cursor;
      json.notifications.forEach(function (notification) {
        mine.messages.push(notification);
        if (!mine.first) {
          fireGlobalEvent("notification", { notification: notification, fromOpenedRoom: false, hasFocus: document.hasFocus() });
        }
      });
      mine.first = false;
      var alerted = false;
      (json.subscriptions || []).forEach(function (sub) {
        alerted = alerted || sub.alert;
        var seen = JSON.stringify([sub.unread, sub.alert]);
        if (mine.rooms[sub.rid] === seen) { return; }
        mine.rooms[sub.rid] = seen;  // useUnread: only when the subscription's unread fields change
        fireGlobalEvent("unread-changed-by-subscription", { rid: sub.rid, name: sub.name, unread: sub.unread, alert: sub.alert, unreadAlert: "default" });
      });
      var total = unreadBadge(json.unread, alerted);
      if (total !== mine.unread) {
        mine.unread = total;
        fireGlobalEvent("unread-changed", total);
      }
      render();
    }, function () {});
  }

  // What `unread-changed` carries. Since 7.8 the total count, a number, and rooms unread without a count
  // are only in `unread-changed-by-subscription`; before, the Session value: a count ("999+" over 999),
  // "•" when only such rooms are unread, "" when nothing is.
  function unreadBadge(count, alerted) {
    if (atLeast(7, 8)) { return count; }
    if (count > 999) { return "999+"; }
    return count > 0 ? count : alerted ? "•" : "";
  }

  function markRead() {
    api("POST", BASE + "/sandbox/client/read", undefined, authHeaders()).then(pollUpdates);
  }

  // ---- Accounts -> Iframe auth (docs/rocketchat-contract.md#accounts-iframe-sso) ----
  function iframeEnabled() {
    return Boolean(settings && settings.Accounts_iframe_enabled && settings.Accounts_iframe_url &&
      settings.Accounts_Iframe_api_url && settings.Accounts_Iframe_api_method);
  }

  function accountIframeUrl() {
    var url = settings.Accounts_iframe_url;
    if (navigator.userAgent.indexOf("Electron") > -1) { url += (url.indexOf("?") > -1 ? "&" : "?") + "client=electron"; }
    return url;
  }

  // useIframe's loginWithToken: {loginToken} -> resume; {token} (or a bare string) -> iframe login.
  // Independent ifs: both keys mean two logins, as in RC.
  function loginWithTokenData(tokenData, callback) {
    if (typeof tokenData === "string") { tokenData = { token: tokenData }; }
    if (!tokenData || typeof tokenData !== "object") { return; }
    var done = function () { callback(); };
    if (tokenData.loginToken) { loginWithToken(tokenData.loginToken, "iframe-auth").then(done, callback); }
    if (tokenData.token) { loginWithIframeToken(tokenData.token).then(done, callback); }
  }

  // tryLogin: fetch(api_url, {method, credentials:'include'}) with no headers (a simple CORS request).
  function tryIframeLogin(callback) {
    var url = accountIframeUrl();
    var init = { method: settings.Accounts_Iframe_api_method, headers: undefined, credentials: "include" };
    fetch(settings.Accounts_Iframe_api_url, init).then(function (result) {
      if (!result.ok || result.status !== 200) {
        iframeLoginUrl = url;
        render();
        if (callback) { callback(new Error()); }
        return;
      }
      return result.json().then(function (data) {
        loginWithTokenData(data, function (error) {
          iframeLoginUrl = error ? url : null;
          render();
          if (callback) { callback(error); }
        });
      });
    }).catch(function (err) {
      // RC leaves this rejection unhandled: no iframe, the default login form stays.
      console.error("Accounts iframe API call failed", err);
      report("client-error", { where: "iframe-auth", message: String(err && err.message) });
    });
  }

  function iframeLoginListener(e) {
    var data = e.data;
    if (!data || typeof data !== "object" || typeof data.event !== "string") { return; }
    var reply = function (error) {
      if (error && e.source) { e.source.postMessage({ event: "login-error", response: error.message }, { targetOrigin: e.origin }); }
    };
    switch (data.event) {  // no origin check here, as in RC
      case "try-iframe-login": tryIframeLogin(reply); break;
      case "login-with-token": loginWithTokenData(data, reply); break;
    }
  }

  // ---- ?resumeToken= (docs/rocketchat-contract.md#resume-token-link) ----
  function stripQueryLogin() {
    var params = new URLSearchParams(location.search);
    params.delete("resumeToken");
    params.delete("userId");
    var search = params.toString();
    history.replaceState(history.state, "", location.pathname + (search ? "?" + search : "") + location.hash);
  }

  function loginViaQuery() {
    var token = new URLSearchParams(location.search).get("resumeToken");
    if (!token) { return; }
    loginWithToken(token, "resume-token-url").then(stripQueryLogin, function (err) {
      console.error("Failed to login with token", err.message);
      unstoreLoginToken();  // a failure also clears the stored token
      stripQueryLogin();
    });
  }

  // The router's path: the browser's, without ROOT_URL's path (as RC's `go` strips ROOT_URL_PATH_PREFIX).
  function routePath(pathname) {
    return BASE && pathname.indexOf(BASE) === 0 ? pathname.slice(BASE.length) || "/" : pathname;
  }

  // ---- external commands (docs/rocketchat-contract.md#iframe-login-command, #other-iframe-commands) ----
  function go(data) {
    if (typeof data.path !== "string" || data.path.trim().length === 0) { return; }
    var url = new URL(document.baseURI.replace(/\/+$/, "") + "/" + data.path.replace(/^\/+/, ""));
    var search = new URLSearchParams(location.search);
    url.searchParams.forEach(function (value, key) { search.set(key, value); });
    var query = search.toString();
    history.pushState(null, "", url.pathname + (query ? "?" + query : ""));
    report("navigated", { path: routePath(url.pathname) });
    render();
  }

  var commands = {
    "login-with-token": function (data) {
      if (typeof data.token === "string") {
        loginWithToken(data.token, "iframe-command").catch(function (err) {
          console.error(err.message);
          // RC logs `data` itself here, token included; the sandbox keeps tokens out of the console.
          console.log("Iframe command [login-with-token]: result", { externalCommand: "login-with-token", token: "[redacted]" });
        });
      }
    },
    logout: function () {
      logout().then(function () { history.pushState(null, "", BASE + "/home"); render(); });
    },
    go: go,
    "set-user-status": function (data) { setStatus(data.status, "command"); },
  };

  function commandListener(event) {
    var data = event.data;
    if (typeof data === "string" && data.indexOf("externalCommand") > -1) {
      // RC ignores it silently; the side door notes it so tests can see the refusal.
      report("command-rejected", { origin: event.origin, reason: "not-an-object" });
      return;
    }
    // RC's exact test: typeof null is "object", so a null message throws here as it does in RC.
    if (typeof data !== "object" || typeof data.externalCommand !== "string") { return; }
    var allowed = settings.Iframe_Integration_receive_origin;
    if (typeof allowed !== "string") { allowed = "*"; }
    // '*' only as the whole value; split on ',' with no trim (docs/rocketchat-contract.md#origin-check).
    if (allowed !== "*" && allowed.split(",").indexOf(event.origin) === -1) {
      console.error("Origin not allowed", event.origin);
      report("origin-rejected", { origin: event.origin, command: data.externalCommand });
      return;
    }
    if (!Object.prototype.hasOwnProperty.call(commands, data.externalCommand)) {
      console.error("Command not allowed", data.externalCommand);
      report("command-rejected", { origin: event.origin, command: data.externalCommand, reason: "unknown-command" });
      return;
    }
    commands[data.externalCommand](data, event);
  }

  // ---- rendering ----
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; } else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  // ---- what a working day uses: attachments, a message field, calls (the launcher's desktop tests) ----
  function mediaButton(id, text, ask) {
    var button = el("button", { id: id, type: "button", text: text });
    // The results outlive a re-render (the page is redrawn on every update).
    var results = window.sandboxMedia = window.sandboxMedia || {};
    button.addEventListener("click", function () {
      results[id] = "pending";
      ask().then(function (stream) {
        stream.getTracks().forEach(function (track) { track.stop(); });
        results[id] = "granted";
      }, function (err) { results[id] = "denied:" + err.name; });
    });
    return button;
  }

  // Rocket.Chat's upload: each file in its own multipart request to rooms.media, then rooms.mediaConfirm.
  // Pasted images get Rocket.Chat's "Clipboard - <date>" name. Results go to #uploads.
  function uploadFiles(files, how) {
    var list = document.getElementById("uploads");
    Array.prototype.forEach.call(files, function (file) {
      var name = file.name && file.name !== "image.png" ? file.name : "Clipboard - " + new Date().toISOString() + ".png";
      var item = el("li", { "data-how": how, "data-status": "uploading", text: name + " (uploading)" });
      list.appendChild(item);
      var form = new FormData();
      form.append("file", file, name);
      fetch(BASE + "/api/v1/rooms.media/GENERAL", { method: "POST", headers: authHeaders(), body: form })
        .then(function (r) { return r.json(); })
        .then(function (json) {
          if (!json.success) { throw new Error(json.error || "upload failed"); }
          return api("POST", BASE + "/api/v1/rooms.mediaConfirm/GENERAL/" + json.file._id, { msg: "" }, authHeaders());
        })
        .then(function (result) {
          if (!result.json.success) { throw new Error(result.json.error || "confirm failed"); }
          item.setAttribute("data-status", "sent");
          item.textContent = name + " (" + file.size + " bytes, " + how + ")";
        })
        .catch(function (err) {
          item.setAttribute("data-status", "failed");
          item.textContent = name + " failed: " + err.message;
        });
    });
  }

  function composer() {
    var field = el("textarea", { id: "composer", rows: "2", cols: "40", spellcheck: "true", "aria-label": "Message" });
    field.addEventListener("paste", function (event) {
      var files = event.clipboardData ? event.clipboardData.files : [];
      if (files.length) {
        event.preventDefault();
        uploadFiles(files, "paste");
      }
    });
    return field;
  }

  function uploadArea() {
    var input = el("input", { id: "upload-input", type: "file", multiple: "multiple", hidden: "hidden" });
    input.addEventListener("change", function () { uploadFiles(input.files, "picker"); input.value = ""; });
    var button = el("button", { id: "attach", type: "button", text: "Attach files" });
    button.addEventListener("click", function () { input.click(); });
    var zone = el("div", { id: "drop-zone", text: "Drop files here to send them" });
    zone.addEventListener("dragover", function (event) { event.preventDefault(); zone.setAttribute("data-over", "1"); });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      uploadFiles(event.dataTransfer.files, "drop");
    });
    return el("div", {}, [input, button, zone, el("ul", { id: "uploads" })]);
  }

  function workday() {
    var media = navigator.mediaDevices;
    var blob = el("button", { id: "save-notes", type: "button", text: "Save notes" });
    blob.addEventListener("click", function () {
      var a = el("a", { href: URL.createObjectURL(new Blob(["notes from the page\n"], { type: "text/plain" })), download: "meeting notes.txt" });
      document.body.appendChild(a);
      a.click();
      a.remove();
    });
    return el("section", { id: "workday" }, [
      el("p", {}, [
        el("a", { id: "file-preview", href: BASE + "/file-upload/report/Quarterly%20report.txt", target: "_blank", text: "Quarterly report.txt" }),
        el("span", { text: " · " }),
        el("a", { id: "file-download", href: BASE + "/file-upload/report/Quarterly%20report.txt?download", text: "Download" }),
        el("span", { text: " · " }),
        el("a", { id: "file-big", href: BASE + "/file-upload/big/archive?download", text: "Archive" }),
        el("span", { text: " · " }),
        el("a", { id: "file-cut", href: BASE + "/file-upload/cut/cut.bin?download", text: "Broken file" }),
        el("span", { text: " · " }),
        el("a", { id: "file-slow", href: BASE + "/file-upload/slow/slow.bin?download", text: "Large file" }),
      ]),
      blob,
      el("p", {}, [composer()]),
      uploadArea(),
      el("p", {}, [
        mediaButton("ask-microphone", "Record a voice message", function () { return media.getUserMedia({ audio: true }); }),
        mediaButton("ask-camera", "Start video", function () { return media.getUserMedia({ video: true }); }),
        mediaButton("share-screen", "Share screen", function () { return media.getDisplayMedia({ video: true }); }),
      ]),
    ]);
  }

  // Like Rocket.Chat's composer, the working area outlives the status updates that re-render the rest:
  // what a person is typing stays, and so does the field's focus and its spelling marks.
  function showWorkday(app, on) {
    var host = document.getElementById("workday-host");
    if (!host) {
      host = el("div", { id: "workday-host" });
      app.parentNode.insertBefore(host, app.nextSibling);
    }
    if (on && !host.firstChild) { host.appendChild(workday()); }
    if (!on) { host.textContent = ""; }
  }

  function render() {
    var app = document.getElementById("app");
    var unread = session && updates.unread ? updates.unread : 0;  // a count, "999+" or "•" (unreadBadge)
    document.title = (unread ? "(" + unread + ") " : "") + "Chat sandbox";
    var pending = Boolean(session && session.pending);
    document.body.setAttribute("data-state", pending ? "connecting" : session ? "logged-in" : "logged-out");
    app.textContent = "";
    app.appendChild(el("p", { id: "route", text: "Route: " + routePath(location.pathname) }));
    if (pending) {
      app.appendChild(el("p", { id: "connecting", text: "Connecting…" }));
      showWorkday(app, false);
      return;
    }
    if (session) {
      app.appendChild(el("p", {}, [el("span", { text: "Signed in as " }), el("strong", { id: "user-name", text: session.me.name })]));
      app.appendChild(el("p", {}, [el("span", { id: "user-status", text: "Status: " + status }), statusMenu()]));
      app.appendChild(el("p", {}, [el("span", { text: "Unread: " }), el("span", { id: "unread", class: "badge", text: String(unread) })]));
      var list = el("ul", { id: "messages" });
      updates.messages.forEach(function (n) {
        list.appendChild(el("li", { text: n.payload.name + " · " + n.title + ": " + n.text }));
      });
      app.appendChild(list);
      var read = el("button", { id: "mark-read", type: "button", text: "Mark all read" });
      read.addEventListener("click", markRead);
      var out = el("button", { id: "logout-button", type: "button", text: "Log out" });
      out.addEventListener("click", function () { logout(); });
      app.appendChild(read);
      app.appendChild(out);
      showWorkday(app, true);
      return;
    }
    showWorkday(app, false);
    if (iframeLoginUrl) {
      app.appendChild(el("iframe", { id: "iframe-login", title: "Login", src: iframeLoginUrl }));
      return;
    }
    var form = el("form", { id: "login-form" }, [
      el("label", { text: "Username" }, [el("input", { id: "username", name: "username", autocomplete: "username" })]),
      el("label", { text: "Password" }, [el("input", { id: "password", name: "password", type: "password", autocomplete: "current-password" })]),
      el("button", { id: "login-button", type: "submit", text: "Log in" }),
      el("p", { id: "login-error", role: "alert" }),
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var error = document.getElementById("login-error");
      error.textContent = "";
      loginWithPassword(form.username.value, form.password.value).catch(function (err) {
        error.textContent = err.message;
      });
    });
    app.appendChild(form);
  }

  // ---- start: settings first (a real fetch), then the hooks in AppLayout's order ----
  // (docs/rocketchat-contract.md#startup-race)
  // Rocket.Chat's client gets its public settings over DDP; the sandbox's stand-in is a side-door route.
  function loadSettings() {
    return api("GET", BASE + "/sandbox/client/settings").then(function (result) {
      if (result.status !== 200) { throw new Error("the settings answered " + result.status); }
      version = String(result.json.version || "8.0.0").split(".").map(function (n) { return parseInt(n, 10) || 0; });
      return result.json.settings;
    });
  }

  function start() {
    loadSettings().then(function (values) {
      settings = values;
      // Not awaited: the layout mounts while the resume login is in flight, as in Rocket.Chat.
      autoLogin();
    }).then(function () {
      if (iframeEnabled()) {
        window.addEventListener("message", iframeLoginListener);  // useIframeLoginListener
        if (!session) { tryIframeLogin(); }
      }
      loginViaQuery();                                           // useLoginViaQuery
      fireGlobalEvent("startup", true);                          // useStartupEvent
      if (settings.Iframe_Integration_receive_enable) {          // useIframeCommands
        window.addEventListener("message", commandListener);
      }
      setInterval(pollStoredLoginToken, 3000);
      window.addEventListener("popstate", render);
      render();
      document.documentElement.setAttribute("data-client", "started");
    }).catch(function (err) {
      console.error("Sandbox client could not start, retrying:", err.message);
      setTimeout(start, 1000);
    });
  }

  start();
})();
