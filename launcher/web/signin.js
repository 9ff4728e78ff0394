/* The sign-in form: validates locally, asks the launcher (Python) to sign in, shows one-line errors. */
'use strict';

(function () {
  var form = document.getElementById('signin');
  var username = document.getElementById('username');
  var password = document.getElementById('password');
  var remember = document.getElementById('remember');
  var submit = document.getElementById('submit');
  var submitLabel = document.getElementById('submit-label');
  var errorBox = document.getElementById('error');
  var status = document.getElementById('status');
  var reveal = document.getElementById('reveal');
  var notice = document.getElementById('notice');
  var busy = false;

  function showError(message, field) {
    errorBox.textContent = message;
    errorBox.classList.add('visible');
    username.setAttribute('aria-invalid', field === 'username' ? 'true' : 'false');
    password.setAttribute('aria-invalid', field === 'password' ? 'true' : 'false');
    var target = field === 'username' ? username : password;
    target.focus();
    if (target.value) target.select();
  }

  function clearError() {
    errorBox.textContent = '';
    errorBox.classList.remove('visible');
    username.removeAttribute('aria-invalid');
    password.removeAttribute('aria-invalid');
  }

  function setBusy(on) {
    busy = on;
    submit.disabled = on;
    submit.setAttribute('aria-busy', on ? 'true' : 'false');
    form.setAttribute('aria-busy', on ? 'true' : 'false');
    submitLabel.textContent = on ? 'Signing in…' : 'Sign in';
    status.textContent = on ? 'Signing in, please wait.' : '';
    [username, password, remember, reveal].forEach(function (el) { el.disabled = on; });
  }

  reveal.addEventListener('click', function () {
    var show = password.type === 'password';
    password.type = show ? 'text' : 'password';
    reveal.textContent = show ? 'Hide' : 'Show';
    reveal.setAttribute('aria-pressed', show ? 'true' : 'false');
    reveal.setAttribute('aria-label', show ? 'Hide password' : 'Show password');
    password.focus();
  });
  reveal.setAttribute('aria-label', 'Show password');

  [username, password].forEach(function (el) {
    el.addEventListener('input', function () { if (errorBox.textContent) clearError(); });
  });

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (busy) return;
    clearError();
    notice.classList.remove('visible');
    var user = username.value.trim();
    if (!user) { showError('Enter your username.', 'username'); return; }
    if (!password.value) { showError('Enter your password.', 'password'); return; }
    setBusy(true);
    window.launcherBridge.whenReady().then(function (api) {
      return api.sign_in(user, password.value, remember.checked);
    }).then(function (answer) {
      if (answer && answer.ok) {
        submitLabel.textContent = 'Opening Rocket.Chat…';
        status.textContent = 'Signed in. Opening Rocket.Chat.';
        return;  // the launcher now navigates the window to Rocket.Chat
      }
      setBusy(false);
      showError((answer && answer.message) || 'Sign-in failed: try again.', answer && answer.field);
    }).catch(function (error) {
      setBusy(false);
      showError(error && error.message ? error.message : 'Sign-in failed: try again.', null);
    });
  });

  window.launcherBridge.whenReady().then(function (api) {
    return api.context();
  }).then(function (ctx) {
    if (!ctx) return;
    window.launcherBridge.applyBrand(ctx);
    if (ctx.username) username.value = ctx.username;
    remember.checked = ctx.remember !== false;
    if (ctx.notice) { notice.textContent = ctx.notice; notice.classList.add('visible'); }
    if (ctx.message) showError(ctx.message, ctx.field || null);
    else if (username.value && !password.value) password.focus();
    else if (username.value && password.value) submit.focus();
    else username.focus();
    document.body.setAttribute('data-ready', 'true');
  }).catch(function (error) {
    showError(error.message, null);
  });

  username.focus();
})();
