/* Confirmation pages: the deadline countdown and the charts (data from json_script blocks; no inline script). */
(function () {
  "use strict";

  function countdown() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var end = new Date(el.getAttribute("data-countdown"));
      var ms = end - new Date();
      if (isNaN(ms)) return;
      if (ms < 0) ms = 0;
      var days = Math.floor(ms / 86400000);
      var hours = Math.floor((ms % 86400000) / 3600000);
      el.textContent = el.getAttribute("data-format").replace("{d}", days).replace("{h}", hours);
    });
  }

  function charts() {
    if (typeof Chart === "undefined") return;
    Chart.defaults.font.family = "Sarabun, system-ui, sans-serif";
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) return;
      var source = document.getElementById(canvas.getAttribute("data-source"));
      if (!source) return;
      var data = JSON.parse(source.textContent);
      var kind = canvas.getAttribute("data-chart");
      var datasets;
      if (data.series) {
        datasets = data.series.map(function (s) { return { label: s.label, data: s.data, backgroundColor: s.color }; });
      } else if (kind === "progress") {
        datasets = [
          { label: data.done_label, data: data.done, backgroundColor: "#00703c" },
          { label: data.todo_label, data: data.todo, backgroundColor: "#f47738" }
        ];
      } else {
        datasets = [
          { label: data.male_label, data: data.male, backgroundColor: "#1d70b8" },
          { label: data.female_label, data: data.female, backgroundColor: "#d53880" }
        ];
      }
      new Chart(canvas, {
        type: "bar",
        data: { labels: data.labels, datasets: datasets },
        options: {
          indexAxis: kind === "progress" ? "y" : "x",
          animation: false,
          maintainAspectRatio: false,
          responsive: true,
          // counts are whole numbers on either axis; long Thai names are cut so the bars keep their room
          scales: {
            x: { stacked: true, ticks: { precision: 0 } },
            y: {
              stacked: true,
              ticks: {
                precision: 0,
                callback: function (value) {
                  var label = this.getLabelForValue(value);
                  return typeof label === "string" && label.length > 28 ? label.slice(0, 27) + "…" : label;
                }
              }
            }
          },
          plugins: { legend: { position: "bottom" } }
        }
      });
      canvas.dataset.drawn = "1";
    });
  }

  function init() { countdown(); charts(); }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", init);
  setInterval(countdown, 60000);
})();
