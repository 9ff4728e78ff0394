/* Runs in the Rocket.Chat page at document creation (before Rocket.Chat's own scripts).
 * It only (1) draws the "Signing you in…" cover while the launcher signs the page in, and
 * (2) remembers what Rocket.Chat's client did that a later check would miss: its startup and
 * logged-in/out CustomEvents, and its reads and writes of Meteor's login-token key. Those writes are
 * the proof of a sign-in: Meteor stores the token only after the server accepted a login, while the
 * logged-in event also fires for the optimistic user id of a resume still in flight
 * (docs/rocketchat-contract.md#server-confirmed-sign-in). It holds no token and posts nothing.
 * When one of those things happens it
 * writes a fixed marker to the console ("rocketchat-launcher:wake:<event>"): the Qt window catches it
 * and reads `__rcLauncher` at once instead of waiting for its next poll. A marker is only a wake-up
 * (any script could write one); the launcher decides from the page's state it reads itself.
 * The launcher replaces the CONFIG line below before installing the script. */
(function () {
  'use strict';
  var CONFIG = {"rcOrigin": "", "organization": "", "cover": false};  /*@CONFIG@*/
  if (window.top !== window || location.origin !== CONFIG.rcOrigin || window.__rcLauncher) return;

  var host = null;
  var ring = null;
  var spinTimer = null;
  // The ring turns only when the cover stays longer than SPIN_AFTER_MS: a turning ring is repainted every
  // frame (with a software renderer, about 15 MB more in the window's process and CPU taken from the page
  // being signed in), and most sign-ins are over before a person would wonder whether anything happens.
  var SPIN_AFTER_MS = 2000;
  var state = {
    loggedIn: false,
    loggedOut: false,
    startedUp: false,
    coverVisible: false,
    shownAt: null,
    hiddenAt: null,
    early: document.readyState === 'loading',  // installed before Rocket.Chat's scripts ran
    clientStarted: false,  // Meteor's accounts client read its stored login (or Rocket.Chat said startup)
    stored: 0,             // logins the server accepted in this document (Meteor wrote the token)
    removed: 0,            // times the client dropped a stored token (refused, expired, logged out)
    storedAt: 0,
    removedAt: 0,
    showCover: function () { mount(); },
    hideCover: function () { unmount(); },
    // The launcher's own reads go through the original getItem, so they never count as the client's.
    read: function (store, key) { return originalGet ? originalGet.call(store, key) : store.getItem(key); },
    // Whether the token the client dropped last (and has not replaced since) is `token`.
    dropped: function (token) { return lastDropped !== null && lastDropped === token && state.removedAt >= state.storedAt; }
  };
  var originalGet = null;
  var lastDropped = null;
  Object.defineProperty(window, '__rcLauncher', { value: state });

  function wake(what) { try { console.debug('rocketchat-launcher:wake:' + what); } catch (e) {} }
  function started() { if (!state.clientStarted) { state.clientStarted = true; wake('client'); } }
  function isTokenKey(key) {
    return typeof key === 'string' && (key === 'Meteor.loginToken' || key.indexOf('Meteor.loginToken:') === 0);
  }
  // Meteor keeps the login in localStorage (sessionStorage with "forget session on window close"), under
  // plain keys or keys namespaced for a ROOT_URL path; both go through Storage.prototype.
  (function watchStorage() {
    var proto = window.Storage && window.Storage.prototype;
    if (!proto) return;
    var get = proto.getItem, set = proto.setItem, remove = proto.removeItem;
    originalGet = get;
    proto.getItem = function (key) {
      if (isTokenKey(key)) started();
      return get.apply(this, arguments);
    };
    proto.setItem = function (key, value) {
      var result = set.apply(this, arguments);
      if (isTokenKey(key) && value) {
        started();
        state.stored += 1; state.storedAt = Date.now(); state.loggedOut = false; lastDropped = null;
        wake('stored');
      }
      return result;
    };
    proto.removeItem = function (key) {
      var before = isTokenKey(key) ? get.call(this, key) : null;
      var result = remove.apply(this, arguments);
      if (before !== null) {
        state.removed += 1; state.removedAt = Date.now(); lastDropped = before;
        wake('dropped');
      }
      return result;
    };
  })();
  window.addEventListener('startup', function () { state.startedUp = true; started(); wake('startup'); });
  window.addEventListener('Custom_Script_Logged_In', function () {
    state.loggedIn = true; state.loggedOut = false; wake('logged-in');
  });
  window.addEventListener('Custom_Script_Logged_Out', function () {
    state.loggedIn = false; state.loggedOut = true; wake('logged-out');
  });

  var CSS =
    ':host{all:initial;position:fixed;inset:0;z-index:2147483647;display:flex;align-items:center;' +
    'justify-content:center;background:#f3f5f9;color:#1f2329;transition:opacity .25s ease;' +
    'font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"DejaVu Sans",sans-serif}' +
    '@media (prefers-color-scheme:dark){:host{background:#16181c;color:#e4e7ea}}' +
    '.box{text-align:center;padding:24px}' +
    '.ring{width:44px;height:44px;margin:0 auto 20px;border-radius:50%;border:4px solid rgba(29,116,245,.2);' +
    'border-top-color:#1d74f5}.ring.spin{animation:spin .9s linear infinite}' +
    'h1{font-size:20px;font-weight:650;margin:0 0 6px}p{margin:0;font-size:14px;opacity:.7}' +
    '@keyframes spin{to{transform:rotate(360deg)}}';

  function build() {
    host = document.createElement('rocketchat-launcher-cover');
    host.setAttribute('role', 'status');
    host.setAttribute('aria-live', 'polite');
    var root = host.attachShadow({ mode: 'closed' });
    var style = document.createElement('style');
    style.textContent = CSS;
    var box = document.createElement('div');
    box.className = 'box';
    ring = document.createElement('div');
    ring.className = 'ring';
    var title = document.createElement('h1');
    title.textContent = 'Signing you in…';
    var org = document.createElement('p');
    org.textContent = CONFIG.organization ? CONFIG.organization + ' · Rocket.Chat' : 'Rocket.Chat';
    box.appendChild(ring); box.appendChild(title); box.appendChild(org);
    root.appendChild(style); root.appendChild(box);
  }

  function mount() {
    if (!host) build();
    state.coverVisible = true;
    state.shownAt = state.shownAt || Date.now();
    host.style.opacity = '1';
    if (spinTimer === null) {
      spinTimer = setTimeout(function () { if (state.coverVisible && ring) ring.className = 'ring spin'; }, SPIN_AFTER_MS);
    }
    var parent = document.documentElement;
    if (parent) { if (host.parentNode !== parent) parent.appendChild(host); return; }
    var observer = new MutationObserver(function () {
      if (document.documentElement && state.coverVisible) {
        observer.disconnect();
        document.documentElement.appendChild(host);
      }
    });
    observer.observe(document, { childList: true });
  }

  function unmount() {
    if (state.coverVisible) state.hiddenAt = Date.now();
    state.coverVisible = false;
    if (spinTimer !== null) { clearTimeout(spinTimer); spinTimer = null; }
    if (ring) ring.className = 'ring';
    if (!host || !host.parentNode) return;
    host.style.opacity = '0';
    var leaving = host;
    setTimeout(function () { if (!state.coverVisible && leaving.parentNode) leaving.parentNode.removeChild(leaving); }, 260);
  }

  if (CONFIG.cover) mount();
})();
