/* Shared by the launcher's own pages: wait for pywebview's bridge, then hand it to the page. */
'use strict';

window.launcherBridge = (function () {
  var ready = null;

  function whenReady() {
    if (ready) return ready;
    ready = new Promise(function (resolve, reject) {
      function check() {
        var p = window.pywebview;
        // on Qt the calls travel over QWebChannel, which connects a moment after the API object exists
        return !!(p && p.api && typeof p.api.context === 'function' &&
                  (p.platform !== 'qtwebengine' || p._QWebChannel));
      }
      if (check()) { resolve(window.pywebview.api); return; }
      var timer = setInterval(function () {
        if (check()) { clearInterval(timer); resolve(window.pywebview.api); }
      }, 50);
      window.addEventListener('pywebviewready', function () {
        if (check()) { clearInterval(timer); resolve(window.pywebview.api); }
      });
      setTimeout(function () {
        clearInterval(timer);
        if (!check()) reject(new Error('The launcher is not responding: close the window and start it again.'));
      }, 20000);
    });
    return ready;
  }

  function applyBrand(ctx) {
    var name = ctx.organization || 'Rocket.Chat';
    document.title = name;
    document.querySelectorAll('[data-org-name]').forEach(function (el) { el.textContent = name; });
    var logo = document.getElementById('logo');
    if (logo) {
      if (ctx.logo) logo.src = ctx.logo;
      logo.alt = name + ' logo';
    }
  }

  return { whenReady: whenReady, applyBrand: applyBrand };
})();
