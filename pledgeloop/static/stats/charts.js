/* pledgeloop indicators: draws the dashboard's charts with Apache ECharts.
   Reads the figures from <script type="application/json" id="stats-data"> (json_script), so
   no inline script is needed under the site's Content Security Policy. */
(function () {
  "use strict";
  var source = document.getElementById("stats-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var dark = document.body.classList.contains("stats-screen");
  var red = "#c8161d";
  var palette = [red, "#f5c242", "#3b7dd8", "#1a7f37", "#8250df", "#e16f24", "#59636e"];
  var text = dark ? "#e6edf3" : "#1f2328";
  var base = {
    color: palette,
    backgroundColor: "transparent",
    textStyle: { color: text },
    animation: !window.matchMedia("(prefers-reduced-motion: reduce)").matches
  };

  function axisStyle() {
    return { axisLabel: { color: text }, axisLine: { lineStyle: { color: dark ? "#6e7681" : "#aab4be" } } };
  }

  var builders = {
    trend: function () {
      var s = data.series, l = data.labels;
      return {
        tooltip: { trigger: "axis" },
        legend: { top: 0, textStyle: { color: text } },
        grid: { left: 48, right: 48, top: 40, bottom: 40 },
        xAxis: Object.assign({ type: "category", data: data.months }, axisStyle()),
        yAxis: [
          Object.assign({ type: "value", name: l.hours }, axisStyle()),
          Object.assign({ type: "value", name: l.records, splitLine: { show: false } }, axisStyle())
        ],
        series: [
          { name: l.hours, type: "bar", data: s.hours },
          { name: l.records, type: "line", yAxisIndex: 1, data: s.records, smooth: true },
          { name: l.participants, type: "line", yAxisIndex: 1, data: s.participants, smooth: true },
          { name: l.done, type: "line", yAxisIndex: 1, data: s.done, smooth: true }
        ]
      };
    },
    categories: function () {
      return {
        tooltip: { trigger: "item" },
        series: [{
          type: "pie", radius: ["35%", "65%"], data: data.categories,
          label: { color: text, formatter: "{b}\n{d}%" }
        }]
      };
    },
    communities: function () {
      var c = data.communities;
      return {
        tooltip: { trigger: "axis" },
        legend: { top: 0, textStyle: { color: text } },
        grid: { left: 48, right: 48, top: 40, bottom: 60 },
        xAxis: Object.assign({ type: "category", data: c.names, axisLabel: { color: text, rotate: c.names.length > 5 ? 30 : 0 } }),
        yAxis: [
          Object.assign({ type: "value", name: c.label_hours }, axisStyle()),
          Object.assign({ type: "value", name: "%", max: 100, splitLine: { show: false } }, axisStyle())
        ],
        series: [
          { name: c.label_hours, type: "bar", data: c.hours },
          { name: c.label_participation, type: "line", yAxisIndex: 1, data: c.participation }
        ]
      };
    },
    rates: function () {
      return {
        tooltip: { trigger: "item", formatter: "{b}: {c}%" },
        grid: { left: 90, right: 40, top: 20, bottom: 30 },
        xAxis: Object.assign({ type: "value", max: 100 }, axisStyle()),
        yAxis: Object.assign({ type: "category", data: data.rates.map(function (r) { return r.name; }) }, axisStyle()),
        series: [{
          type: "bar", data: data.rates.map(function (r) { return r.value; }),
          label: { show: true, position: "right", color: text, formatter: "{c}%" }
        }]
      };
    }
  };

  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var build = builders[el.getAttribute("data-chart")];
    if (!build) { return; }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(Object.assign({}, base, build()));
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
