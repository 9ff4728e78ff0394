// The Accounts_iframe_url page: Rocket.Chat shows it in place of its own login form.
// It signs the employee in to the token service (same origin, so the session cookie is set), then asks
// the Rocket.Chat page around it to call Accounts_Iframe_api_url again ({event: 'try-iframe-login'}).
// See docs/rocketchat-contract.md#accounts-iframe-sso.
"use strict";

(function () {
  const rcOrigin = document.querySelector('meta[name="rocketchat-origin"]').content;
  const form = document.getElementById("login-form");
  const button = document.getElementById("submit");
  const status = document.getElementById("status");
  const embedded = window.parent && window.parent !== window;

  function show(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "";
  }

  // Rocket.Chat answers a failed retry with {event: 'login-error', response}.
  window.addEventListener("message", function (event) {
    if (event.origin !== rcOrigin || !event.data || event.data.event !== "login-error") return;
    show("Signed in, but Rocket.Chat could not use the token. Please contact your administrator.", true);
    button.disabled = false;
  });

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const username = document.getElementById("username").value.trim();
    const password = document.getElementById("password").value;
    if (!username || !password) {
      show("Enter your username and password.", true);
      return;
    }
    button.disabled = true;
    show("Signing in…", false);
    let answer;
    try {
      const response = await fetch("/api/login", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: username, password: password }),
      });
      answer = { status: response.status, body: await response.json().catch(function () { return {}; }) };
    } catch (err) {
      show("The sign-in service cannot be reached. Check your connection and try again.", true);
      button.disabled = false;
      return;
    }
    document.getElementById("password").value = "";
    if (answer.status !== 200) {
      show(answer.body.message || "Sign-in failed (HTTP " + answer.status + ").", true);
      button.disabled = false;
      return;
    }
    if (embedded) {
      show("Signed in. Opening chat…", false);
      window.parent.postMessage({ event: "try-iframe-login" }, rcOrigin);
    } else {
      show("Signed in. You can now open chat.", false);
      button.disabled = false;
    }
  });
})();
