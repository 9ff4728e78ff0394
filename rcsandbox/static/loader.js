// The page's only eager script: after the configured delay it loads the "bundle" (client.js), the way
// Rocket.Chat's lazily loaded chunks mount the listeners late (docs/rocketchat-contract.md#startup-race).
// Nothing listens before that.
(function () {
  "use strict";
  var delay = parseInt(document.documentElement.getAttribute("data-start-delay-ms"), 10) || 0;
  setTimeout(function () {
    var script = document.createElement("script");
    script.src = (document.documentElement.getAttribute("data-path-prefix") || "") + "/static/client.js";
    document.head.appendChild(script);
  }, delay);
})();
