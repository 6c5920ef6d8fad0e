// Inside a partner app's frame (base.html loads this only there): tell the partner's page how
// tall this document is, so embed.js sizes the iframe to it. The target origin is the partner
// page's origin, rendered by the server into data-cliqq-parent only when it is one of the
// app's origins: with none, nothing is posted (and nobody else can read the message).
(function () {
  "use strict";
  var parentOrigin = document.documentElement.getAttribute("data-cliqq-parent");
  if (!parentOrigin || window.parent === window) return;
  var last = 0;
  var fresh = true; // the first message of this page: the partner's page shows its top
  function post() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    var message = { type: "cliqq:height", version: 1, height: height, newPage: fresh };
    fresh = false;
    window.parent.postMessage(message, parentOrigin);
  }
  if (typeof ResizeObserver === "function") {
    new ResizeObserver(post).observe(document.documentElement);
  }
  window.addEventListener("load", post);
  document.addEventListener("htmx:afterSettle", post);
  post();
})();
