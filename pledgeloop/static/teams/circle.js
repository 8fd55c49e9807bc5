/* The 15-minute service circle as a scatter of plain coordinates (Apache ECharts, no map
   tiles): positions, compounds within the circle and compounds beyond it. Reads the points
   from <script type="application/json" id="circle-data"> (json_script), no inline script. */
(function () {
  "use strict";
  var source = document.getElementById("circle-data");
  var box = document.getElementById("circle-chart");
  if (!source || !box || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var l = data.labels;
  var chart = window.echarts.init(box);
  function series(name, points, color, symbol, size) {
    return { name: name, type: "scatter", data: points, symbol: symbol, symbolSize: size,
             itemStyle: { color: color } };
  }
  chart.setOption({
    animation: !window.matchMedia("(prefers-reduced-motion: reduce)").matches,
    legend: { top: 0 },
    grid: { left: 56, right: 16, top: 36, bottom: 32 },
    tooltip: {
      trigger: "item",
      formatter: function (p) {
        var v = p.value;
        return v[2] + (v[3] === null || v[3] === undefined ? "" : "<br>" + v[3] + " " + l.minutes);
      }
    },
    xAxis: { type: "value", scale: true, name: "E", axisLabel: { formatter: function (v) { return v.toFixed(3); } } },
    yAxis: { type: "value", scale: true, name: "N", axisLabel: { formatter: function (v) { return v.toFixed(3); } } },
    series: [
      series(l.positions, data.positions, "#c8161d", "pin", 26),
      series(l.covered, data.covered, "#1a7f37", "circle", 10),
      series(l.gaps, data.gaps, "#59636e", "diamond", 14)
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
