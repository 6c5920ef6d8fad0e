// The DC screen (issue #10, point 3): after each scan the input is cleared and focused again,
// so the next scan goes straight in; a refusal (404 too) is shown in place.
document.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.elt.closest && event.detail.elt.closest(".dcscan") && event.detail.xhr.status < 500) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.detail.elt.closest && event.detail.elt.closest(".dcscan");
  if (!form) return;
  var input = form.querySelector(".dcscan__input");
  if (event.detail.successful || event.detail.xhr.status < 500) {
    if (form.classList.contains("dcinspect") && event.detail.xhr.status === 200) form.reset();
    else if (!form.classList.contains("dcinspect")) input.value = "";
  }
  input.focus();
});
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});
