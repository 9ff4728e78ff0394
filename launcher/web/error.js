/* The error page: says what failed (one sentence from the launcher) and offers Retry / switch user. */
'use strict';

(function () {
  var retry = document.getElementById('retry');
  var retryLabel = document.getElementById('retry-label');
  var other = document.getElementById('switch');
  var message = document.getElementById('message');
  var heading = document.getElementById('heading');

  function setBusy(button, on) {
    retry.disabled = on;
    other.disabled = on;
    button.setAttribute('aria-busy', on ? 'true' : 'false');
    if (button === retry) retryLabel.textContent = on ? 'Retrying…' : 'Retry';
  }

  function call(button, name) {
    setBusy(button, true);
    window.launcherBridge.whenReady().then(function (api) { return api[name](); }).then(function (answer) {
      if (!answer || !answer.ok) {
        setBusy(button, false);
        if (answer && answer.message) message.textContent = answer.message;
      }
    }).catch(function (error) {
      setBusy(button, false);
      message.textContent = error.message;
    });
  }

  retry.addEventListener('click', function () { call(retry, 'retry'); });
  other.addEventListener('click', function () { call(other, 'sign_in_as_someone_else'); });

  window.launcherBridge.whenReady().then(function (api) { return api.context(); }).then(function (ctx) {
    window.launcherBridge.applyBrand(ctx);
    document.title = ctx.title || 'Rocket.Chat could not open';
    heading.textContent = ctx.title || 'Rocket.Chat could not open';
    message.textContent = ctx.message || 'Something went wrong.';
    retry.hidden = ctx.can_retry === false;
    (retry.hidden ? other : retry).focus();
    document.body.setAttribute('data-ready', 'true');
  }).catch(function (error) {
    message.textContent = error.message;
  });

  retry.focus();
})();
