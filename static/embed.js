/*! CLiQQ Shop embed, interface version 1. No dependencies.
 * Turns every <div data-cliqq-app="KEY"></div> on the page (with data-cliqq-item="slug" to
 * open one item) into the shop's frame, sized to its content. Load it once per page:
 *   <script src="https://SHOP/embed.js" async></script>
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var shop = new URL(script.src, document.baseURI);
  var shopOrigin = shop.origin;
  var base = shop.href.replace(/\/embed\.js(\?.*)?$/, "");
  var KEY = /^[A-Za-z0-9_-]{1,32}$/;
  var SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
  var frames = [];

  // A random visitor id, kept in this page's own (first-party) localStorage: the shop counts
  // one click per visitor and app per period, whatever the browser does with its cookies.
  function visitorId() {
    var name = "cliqq_visitor";
    var id = null;
    try { id = window.localStorage.getItem(name); } catch (e) { id = null; }
    if (!id || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) {
      var bytes = new Uint8Array(16);
      window.crypto.getRandomValues(bytes);
      id = Array.prototype.map.call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      }).join("");
      try { window.localStorage.setItem(name, id); } catch (e) { /* private mode: one visit */ }
    }
    return id;
  }

  function mount(slot, visitor) {
    var key = slot.getAttribute("data-cliqq-app") || "";
    if (slot.getAttribute("data-cliqq-mounted") || !KEY.test(key)) return;
    slot.setAttribute("data-cliqq-mounted", "1");
    var query = new URLSearchParams({ visitor: visitor, origin: window.location.origin, v: "1" });
    var item = slot.getAttribute("data-cliqq-item");
    if (item && SLUG.test(item)) query.set("item", item);
    var frame = document.createElement("iframe");
    frame.src = base + "/embed/" + encodeURIComponent(key) + "/?" + query.toString();
    frame.title = slot.getAttribute("data-cliqq-title") || "CLiQQ Shop";
    frame.setAttribute("allow", "payment");
    frame.setAttribute("loading", "lazy");
    frame.style.display = "block";
    frame.style.width = "100%";
    frame.style.border = "0";
    frame.style.height = "640px";
    slot.appendChild(frame);
    frames.push(frame);
  }

  // The frame says how tall it is; only the shop's origin, and only from one of our frames.
  window.addEventListener("message", function (event) {
    if (event.origin !== shopOrigin) return;
    var data = event.data;
    if (!data || data.type !== "cliqq:height" || typeof data.height !== "number") return;
    for (var i = 0; i < frames.length; i += 1) {
      if (frames[i].contentWindow === event.source) {
        var height = Math.max(200, Math.min(Math.round(data.height), 20000));
        frames[i].style.height = height + "px";
        // A new page in the frame (the shopper followed a link or sent a form): if the frame's
        // top has scrolled out of sight, bring it back, as a page of its own would start.
        if (data.newPage === true && frames[i].getBoundingClientRect().top < 0) {
          frames[i].scrollIntoView({ block: "start" });
        }
      }
    }
  });

  function mountAll() {
    var slots = document.querySelectorAll("div[data-cliqq-app]");
    if (!slots.length) return;
    var visitor = visitorId();
    Array.prototype.forEach.call(slots, function (slot) { mount(slot, visitor); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mountAll);
  } else {
    mountAll();
  }
})();
