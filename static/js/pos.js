// The counter (POS) screen (issue #10, point 4). Everything works without it; with it:
// - a refusal (4xx) is swapped in place like any answer;
// - the focus always goes where the next input goes: the panel's [autofocus] input after a
//   panel is swapped in, else the code box (cleared after a release, selected after a refusal);
// - a scan box (arrivals, drop-off) is cleared and focused again after each scan;
// - the AR prints itself when it appears; [data-print] prints again;
// - the signature pad: pointer events on a canvas, the drawing kept as a PNG data: URL.
(function () {
  "use strict";

  function inPos(elt) {
    return elt && elt.closest && elt.closest(".pos");
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (inPos(event.detail.elt) && event.detail.xhr.status < 500) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function codeBox() {
    return document.getElementById("pos-code");
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || !inPos(target)) return;
    if (target.id === "pos-panel") {
      var next = target.querySelector("[autofocus]");
      var code = codeBox();
      if (next) {
        next.focus();
        if (next.select) next.select();
      } else if (code) {
        if (target.querySelector("[data-pos=released], [data-pos=voided]")) code.value = "";
        code.focus();
        code.select();
      }
      setUpPads(target);
      var print = target.querySelector("[data-autoprint]");
      if (print && !navigator.webdriver) window.print();
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest(".pos__scan");
    if (!form) return;
    var input = form.querySelector(".dcscan__input");
    if (event.detail.xhr.status < 500) input.value = "";
    input.focus();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });

  // The signature pad.
  function setUpPads(root) {
    var pads = root.querySelectorAll("[data-signature-pad]");
    Array.prototype.forEach.call(pads, setUpPad);
  }

  function setUpPad(canvas) {
    if (canvas.dataset.ready) return;
    canvas.dataset.ready = "1";
    var form = canvas.closest("form");
    var value = form.querySelector("[data-signature-value]");
    var clear = form.querySelector("[data-signature-clear]");
    var context = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;
    context.lineWidth = 3;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#000";

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return {
        x: ((event.clientX - box.left) * canvas.width) / box.width,
        y: ((event.clientY - box.top) * canvas.height) / box.height,
      };
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      var p = point(event);
      context.beginPath();
      context.moveTo(p.x, p.y);
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var p = point(event);
      context.lineTo(p.x, p.y);
      context.stroke();
      drawn = true;
    });
    function stop() {
      if (!drawing) return;
      drawing = false;
      if (drawn) value.value = canvas.toDataURL("image/png");
      var next = form.querySelector("[autofocus]");
      if (next) next.focus();
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    if (clear) {
      clear.addEventListener("click", function () {
        context.clearRect(0, 0, canvas.width, canvas.height);
        value.value = "";
        drawn = false;
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpPads(document);
  });
})();
