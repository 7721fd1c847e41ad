/* Draws the per-month chart of the statistics page from its JSON data block.
   The numbers are also in the table beside it; the chart is only a picture of them. */
(function () {
  "use strict";
  var chart = null;

  function draw() {
    var canvas = document.getElementById("monthly-chart");
    var source = document.getElementById("monthly-chart-data");
    if (chart) {
      chart.destroy();
      chart = null;
    }
    if (!canvas || !source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var colours = ["#9aa5b1", "#1d4ed8"];
    chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.datasets.map(function (dataset, index) {
          return {
            label: dataset.label,
            data: dataset.data,
            backgroundColor: colours[index % colours.length],
          };
        }),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { title: { display: true, text: data.title } },
        scales: { y: { beginAtZero: true } },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "statistics-results") {
      draw();
    }
  });
})();
