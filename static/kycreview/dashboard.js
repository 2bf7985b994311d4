/* The review dashboard's charts. Data comes from the json_script block #kyc-dashboard-data
 * (templates/admin/reviews/dashboard.html); the same numbers are in the page's tables.
 * Loaded with `defer` after vendor/chart.umd.js (Chart.js 4), so the DOM and Chart are ready. */
(function () {
  "use strict";

  var dataNode = document.getElementById("kyc-dashboard-data");
  if (!dataNode || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(dataNode.textContent);
  var Chart = window.Chart;

  var STATUS_COLORS = {
    incomplete: "#9e9e9e",
    pending: "#f0a202",
    approved: "#2e7d32",
    rejected: "#ba2121"
  };
  var style = getComputedStyle(document.documentElement);
  var textColor = style.getPropertyValue("--body-fg").trim() || "#333";
  var gridColor = style.getPropertyValue("--hairline-color").trim() || "#e8e8e8";
  Chart.defaults.color = textColor;
  Chart.defaults.borderColor = gridColor;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;

  function draw(canvasId, config) {
    var canvas = document.getElementById(canvasId);
    if (canvas) {
      new Chart(canvas, config);
    }
  }

  function percent(value) {
    return value === null ? null : Math.round(value * 1000) / 10;
  }

  draw("kyc-chart-volumes", {
    type: "bar",
    data: {
      labels: data.days,
      datasets: data.volumes.map(function (series) {
        return {
          label: series.label,
          data: series.counts,
          backgroundColor: STATUS_COLORS[series.status]
        };
      })
    },
    options: {
      scales: {
        x: { stacked: true },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }
      }
    }
  });

  draw("kyc-chart-decisions", {
    type: "bar",
    data: {
      labels: data.days,
      datasets: [
        { label: "Approved", data: data.decisions.approved, backgroundColor: STATUS_COLORS.approved, yAxisID: "y" },
        { label: "Rejected", data: data.decisions.rejected, backgroundColor: STATUS_COLORS.rejected, yAxisID: "y" },
        {
          type: "line",
          label: "Approval rate (%)",
          data: data.decisions.approvalRate.map(percent),
          borderColor: "#417690",
          backgroundColor: "#417690",
          spanGaps: true,
          yAxisID: "rate"
        }
      ]
    },
    options: {
      scales: {
        x: { stacked: true },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        rate: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } }
      }
    }
  });

  draw("kyc-chart-reject-codes", {
    type: "bar",
    data: {
      labels: data.rejectCodes.codes,
      datasets: [{ label: "Rejections", data: data.rejectCodes.counts, backgroundColor: STATUS_COLORS.rejected }]
    },
    options: {
      indexAxis: "y",
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }
    }
  });

  draw("kyc-chart-review-times", {
    type: "bar",
    data: {
      labels: data.days,
      datasets: [
        {
          type: "line",
          label: "Median (h)",
          data: data.reviewTimes.median,
          borderColor: "#417690",
          backgroundColor: "#417690",
          spanGaps: true,
          yAxisID: "hours"
        },
        {
          type: "line",
          label: "90th percentile (h)",
          data: data.reviewTimes.p90,
          borderColor: "#79aec8",
          backgroundColor: "#79aec8",
          spanGaps: true,
          yAxisID: "hours"
        },
        {
          label: "SLA breaches",
          data: data.reviewTimes.breaches,
          backgroundColor: STATUS_COLORS.rejected,
          yAxisID: "breaches"
        }
      ]
    },
    options: {
      scales: {
        hours: { position: "left", beginAtZero: true, title: { display: true, text: "hours" } },
        breaches: {
          position: "right",
          beginAtZero: true,
          ticks: { precision: 0 },
          grid: { drawOnChartArea: false },
          title: { display: true, text: "breaches" }
        }
      }
    }
  });
})();
