// The API reference page (/api/docs): Redoc, vendored in static/vendor/redoc, draws the spec
// the page names, in the shop's colours and system fonts (it loads no font from elsewhere).
(function () {
  "use strict";
  var root = document.getElementById("redoc");
  if (!root || !window.Redoc) return;
  var font = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
  var header = document.querySelector(".docs-top");
  window.Redoc.init(
    root.getAttribute("data-spec-url"),
    {
      scrollYOffset: header ? header.offsetHeight : 0,
      hideHostname: false,
      expandResponses: "200,201",
      requiredPropsFirst: true,
      sortPropsAlphabetically: false,
      pathInMiddlePanel: true,
      theme: {
        colors: { primary: { main: "#00704a" }, text: { primary: "#1b2420" } },
        typography: {
          fontFamily: font,
          headings: { fontFamily: font },
          code: { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" },
        },
        sidebar: { backgroundColor: "#f7f5f0" },
        rightPanel: { backgroundColor: "#1b2420" },
      },
    },
    root
  );
})();
