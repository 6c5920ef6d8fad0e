// The kiosk (issue #10, point 5): a print button shows only where printing can work (with JS);
// a result page moves the focus to its heading, so a screen reader starts there.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  var heading = document.querySelector("[data-focus]");
  if (heading) heading.focus();
});
