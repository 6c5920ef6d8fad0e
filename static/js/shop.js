// Progressive enhancement only: every page works without this file.
document.documentElement.classList.add("js");
document.querySelectorAll("[data-print][hidden]").forEach((button) => { button.hidden = false; });

// Buttons that print the page (the order page): no inline handlers under our CSP.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

// An htmx request that fails (no network, or the server answered 5xx, or an error htmx doesn't
// swap) says so where the shopper was looking: in the element it was about to replace, as an
// alert, instead of nothing happening.
function sayFailed(event, text) {
  const target = event.detail.target || event.detail.elt;
  if (!target) return;
  let note = target.querySelector(":scope > .swap-failed");
  if (!note) {
    note = document.createElement("p");
    note.className = "notice notice--error swap-failed";
    note.setAttribute("role", "alert");
    target.prepend(note);
  }
  note.textContent = text;
}
document.addEventListener("htmx:sendError", (event) => {
  sayFailed(event, "We couldn't reach the shop. Check your connection and try again.");
});
document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr ? event.detail.xhr.status : 0;
  sayFailed(event, status === 429
    ? "Too many tries in a short time. Wait a minute and try again."
    : "That didn't work on our side. Please try again in a moment.");
});

// On a phone, what is folded by default (the checkout's order summary: its total stays in the
// bar at the bottom) starts closed; on a wide screen, and without JavaScript, it stays open.
if (window.matchMedia("(max-width: 899px)").matches) {
  document.querySelectorAll("details[data-fold-on-phone][open]").forEach((fold) => {
    fold.open = false;
  });
}
