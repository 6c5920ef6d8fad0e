// The branch picker (templates/branches/_picker.html): "Nearest to me", Enter in the search box,
// the "Picking up at ..." line, and saying what changed. Progressive enhancement only: the
// picker works without this file.
// Listeners are delegated from the document, so pickers swapped in by htmx work too.
(function () {
  "use strict";
  if (document.documentElement.hasAttribute("data-branch-picker-js")) return; // loaded twice
  document.documentElement.setAttribute("data-branch-picker-js", "");

  var REASONS = { 1: "permission denied", 2: "position unavailable", 3: "it took too long" };

  function pickerOf(node) {
    return node && node.closest ? node.closest("[data-branch-picker]") : null;
  }

  // `quiet`: for screen readers only (the same words are already on screen).
  function say(picker, message, quiet) {
    var status = picker.querySelector("[data-branch-status]");
    if (!status) return;
    status.classList.toggle("visually-hidden", !!quiet);
    status.textContent = message;
  }

  function search(picker) {
    var input = picker.querySelector("[data-branch-q]");
    if (window.htmx && input) {
      window.htmx.trigger(input, "search");
      return;
    }
    // No htmx: submit the enclosing form the way the no-JavaScript button would.
    var form = picker.closest("form");
    if (form) {
      var button = picker.querySelector("button[type=submit]");  // still one: no htmx here
      if (form.requestSubmit) form.requestSubmit(button || undefined);
      else form.submit();
    }
  }

  function enhance(root) {
    if (!root || !root.querySelectorAll) return;
    if ("geolocation" in navigator) {
      root.querySelectorAll("[data-branch-nearest], [data-branch-geo-hint]").forEach(function (el) {
        el.hidden = false;
      });
    }
    // The no-JavaScript "Search branches" button is hidden now, but as the first submit button
    // of checkout's form it would still be the one Enter presses in any field: make it a plain
    // button so Enter submits the form with its real button.
    if (window.htmx) {
      root.querySelectorAll("[data-branch-nojs]").forEach(function (button) {
        button.type = "button";
      });
    }
  }

  function locate(picker, button) {
    var input = picker.querySelector("[data-branch-q]");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    say(picker, "Finding your location…");

    function done() {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }

    navigator.geolocation.getCurrentPosition(
      function (position) {
        done();
        var near = picker.querySelector("[data-branch-near]");
        if (near) {
          near.value =
            position.coords.latitude.toFixed(5) + "," + position.coords.longitude.toFixed(5);
        }
        picker.setAttribute("data-announce-near", "");
        say(picker, "Finding the branches nearest to you…");
        search(picker);
      },
      function (error) {
        done();
        var why = REASONS[error && error.code] || "location unavailable";
        say(
          picker,
          "We couldn't get your location (" + why + "). " +
            "Search by name, city or branch code instead."
        );
        if (input) input.focus();
      },
      { timeout: 10000, maximumAge: 300000 }
    );
  }

  // "Picking up at <name>, <city>": the checked radio, said in the polite line by the legend.
  // Written only when it changes, so a search that keeps the choice announces nothing.
  function showChosen(picker) {
    var line = picker.querySelector("[data-branch-chosen]");
    if (!line) return;
    var radio = picker.querySelector("[data-branch-results] input[type=radio]:checked");
    var name = radio ? radio.getAttribute("data-branch-name") : "";
    var city = radio ? radio.getAttribute("data-branch-city") : "";
    var wanted = radio ? "Picking up at " + name + ", " + city : "";
    if (line.textContent.replace(/\s+/g, " ").trim() === wanted) return;
    line.textContent = "";
    if (!radio) return;
    var strong = document.createElement("strong");
    strong.textContent = name;
    line.append("Picking up at ", strong, ", " + city);
  }

  document.addEventListener("change", function (event) {
    var radio = event.target;
    if (!radio || radio.type !== "radio") return;
    var picker = pickerOf(radio);
    if (picker && radio.closest("[data-branch-results]")) showChosen(picker);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-branch-nearest]");
    var picker = pickerOf(button);
    if (button && picker && "geolocation" in navigator) locate(picker, button);
  });

  // Enter in the search box searches; it must never submit the checkout form around it.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.isComposing) return;
    var input = event.target.closest && event.target.closest("[data-branch-q]");
    var picker = pickerOf(input);
    if (!input || !picker || !window.htmx) return;
    event.preventDefault();
    search(picker);
  });

  // After new results arrive, say how many (the list itself is not a live region).
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.hasAttribute || !target.hasAttribute("data-branch-results")) return;
    var picker = pickerOf(target);
    var summary = target.querySelector("[data-branch-summary]");
    var problem = target.querySelector("[role=alert]");
    if (!picker) return;
    showChosen(picker);
    var message = problem ? problem.textContent : summary ? summary.textContent : "";
    message = message.replace(/\s+/g, " ").trim();
    var near = picker.hasAttribute("data-announce-near");
    picker.removeAttribute("data-announce-near");
    if (near && !problem) {
      say(picker, "Showing branches nearest to you.");
    } else {
      say(picker, message, true);
    }
  });

  function failed(event) {
    var picker = pickerOf(event.detail && event.detail.elt);
    if (picker) say(picker, "We couldn't search just now. Check your connection and try again.");
  }
  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("htmx:responseError", failed);

  document.addEventListener("htmx:load", function (event) {
    enhance(event.target);
  });
  enhance(document);
})();
