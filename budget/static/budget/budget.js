/* Budget pages: the amount-per-item chart (data from a json_script block; no inline script). */
(function () {
  "use strict";

  function draw() {
    if (typeof Chart === "undefined") return;
    Chart.defaults.font.family = "Sarabun, system-ui, sans-serif";
    document.querySelectorAll("canvas[data-chart='budget']").forEach(function (canvas) {
      if (canvas.dataset.drawn) return;
      var source = document.getElementById(canvas.getAttribute("data-source"));
      if (!source) return;
      var data = JSON.parse(source.textContent);
      new Chart(canvas, {
        type: "bar",
        data: { labels: data.labels, datasets: [{ label: data.label, data: data.amounts, backgroundColor: "#1d70b8" }] },
        options: {
          animation: false,
          maintainAspectRatio: false,
          responsive: true,
          scales: { y: { ticks: { callback: function (v) { return Number(v).toLocaleString("th-TH"); } } } },
          plugins: {
            legend: { display: false },
            tooltip: { callbacks: { label: function (c) {
              return Number(c.parsed.y).toLocaleString("th-TH", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
            } } }
          }
        }
      });
      canvas.dataset.drawn = "1";
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
