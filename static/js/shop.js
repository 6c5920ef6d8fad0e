// Progressive enhancement only: every page works without this file.
document.documentElement.classList.add("js");
document.querySelectorAll("[data-print][hidden]").forEach((button) => { button.hidden = false; });

// Buttons that print the page (the order page): no inline handlers under our CSP.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
