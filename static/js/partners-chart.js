// The publisher console: the dashboard's chart (uPlot, static/vendor/uplot) drawn from the JSON
// block the page carries (no inline script: CSP script-src 'self'), and the snippet's copy
// button. Without JavaScript the page shows the same numbers as a table and a readonly textarea.
(function () {
  "use strict";

  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      var status = document.querySelector('[data-copied="' + button.getAttribute("data-copy") + '"]');
      if (!source) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        function done(ok) {
          if (status) status.textContent = ok ? "Copied." : "Select the text and copy it.";
        }
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(source.value).then(function () { done(true); }, function () {
            source.select();
            done(false);
          });
        } else {
          source.select();
          var ok = false;
          try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
          done(ok);
        }
      });
    });
  }

  function manilaSeconds(day) {
    return Date.parse(day + "T00:00:00+08:00") / 1000;
  }

  function peso(centavos) {
    var sign = centavos < 0 ? "-" : "";
    return sign + "\u20b1" + (Math.abs(centavos) / 100).toLocaleString("en-PH", {
      minimumFractionDigits: 2, maximumFractionDigits: 2
    });
  }

  function chart() {
    var holder = document.getElementById("board-chart");
    var source = document.getElementById("board-chart-data");
    if (!holder || !source || typeof window.uPlot !== "function") return;
    var data;
    try { data = JSON.parse(source.textContent); } catch (e) { return; }
    if (!data || !data.days || !data.days.length) return;
    var uPlot = window.uPlot;
    var x = data.days.map(manilaSeconds);
    function width() { return Math.max(280, holder.clientWidth); }
    var options = {
      width: width(),
      height: 260,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Asia/Manila"); },
      cursor: { points: { size: 6 } },
      legend: { live: true },
      scales: { x: { time: true }, n: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
      axes: [
        {},
        { scale: "n", label: "Clicks, orders", size: 50 },
        { scale: "php", side: 1, label: "Commission", size: 70, grid: { show: false },
          values: function (u, ticks) { return ticks.map(function (t) { return peso(Math.round(t * 100)); }); } }
      ],
      series: [
        { label: "Day", value: "{YYYY}-{MM}-{DD}" },
        { label: "Clicks", scale: "n", stroke: "#1d5fa8", width: 2 },
        { label: "Orders", scale: "n", stroke: "#f58220", width: 2 },
        { label: "Commission", scale: "php", stroke: "#00704a", width: 2, fill: "rgba(0,112,74,0.08)",
          value: function (u, v) { return v == null ? "\u2014" : peso(Math.round(v * 100)); } }
      ]
    };
    var plot = new uPlot(options, [
      x, data.clicks, data.orders, data.commission.map(function (c) { return c / 100; })
    ], holder);
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) cancelAnimationFrame(pending);
      pending = requestAnimationFrame(function () { plot.setSize({ width: width(), height: 260 }); });
    });
  }

  function start() {
    copyButtons();
    chart();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
