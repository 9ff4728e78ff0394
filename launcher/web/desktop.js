/* Runs in the Rocket.Chat page at document creation, next to cover.js. It only listens to what
 * Rocket.Chat announces on `window`: `unread-changed`, `unread-changed-by-subscription` (since 7.8 the
 * only place where rooms unread without a count show up), `notification` and the user's status,
 * and keeps them in `__rcLauncherDesktop` until the launcher collects them (it polls with a script,
 * so the page gets no bridge and calls nothing). No DOM is read. The launcher replaces the CONFIG line. */
(function () {
  'use strict';
  var CONFIG = {"rcOrigin": ""};  /*@CONFIG@*/
  if (window.top !== window || location.origin !== CONFIG.rcOrigin || window.__rcLauncherDesktop) return;

  var MAX_QUEUE = 20;
  var MAX_ROOMS = 2000;
  var box = { unread: null, unreadSeen: false, status: null, notifications: [], dropped: 0 };
  var alerted = {};  // room id -> true while the room is unread without a count (alert, no unread)
  var alertedRooms = 0;

  function plain(value, depth) {
    // A small JSON copy: strings (cut), numbers, booleans, nested plain objects. Nothing else crosses over.
    if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
    if (typeof value === 'string') return value.slice(0, 2000);
    if (depth > 3 || typeof value !== 'object' || Array.isArray(value)) return null;
    var out = {};
    ['title', 'text', 'payload', 'rid', 'type', 'name', 'sender', 'username', 'message', 'msg',
     'notification', 'fromOpenedRoom', 'hasFocus'].forEach(function (key) {
      if (Object.prototype.hasOwnProperty.call(value, key)) out[key] = plain(value[key], depth + 1);
    });
    return out;
  }

  window.addEventListener('unread-changed', function (e) {
    var d = e.detail;
    if (typeof d === 'number' || typeof d === 'string') { box.unread = d; box.unreadSeen = true; }
  });
  window.addEventListener('unread-changed-by-subscription', function (e) {
    var d = e.detail;
    if (!d || typeof d !== 'object' || typeof d.rid !== 'string') return;
    var dot = d.alert === true && !(typeof d.unread === 'number' && d.unread > 0);
    if (dot && !alerted[d.rid] && alertedRooms < MAX_ROOMS) { alerted[d.rid] = true; alertedRooms++; }
    else if (!dot && alerted[d.rid]) { delete alerted[d.rid]; alertedRooms--; }
  });
  window.addEventListener('notification', function (e) {
    if (box.notifications.length >= MAX_QUEUE) { box.dropped++; return; }
    box.notifications.push(plain(e.detail, 0));
  });
  function status(value) { if (typeof value === 'string' && value.length < 20) box.status = value; }
  // Newer clients send a status descriptor {id, name, statusType, localizeName}; older ones a string.
  window.addEventListener('user-status-manually-set', function (e) {
    var d = e.detail; status(d && typeof d === 'object' ? (d.statusType || d.status) : d);
  });
  window.addEventListener('status-changed', function (e) { status(e.detail); });

  Object.defineProperty(window, '__rcLauncherDesktop', {
    value: {
      drain: function () {
        var out = { unread: box.unread, unreadSeen: box.unreadSeen, status: box.status, alertedRooms: alertedRooms,
                    title: String(document.title || '').slice(0, 200),
                    notifications: box.notifications, dropped: box.dropped };
        box.notifications = []; box.dropped = 0;
        return out;
      }
    }
  });
})();
