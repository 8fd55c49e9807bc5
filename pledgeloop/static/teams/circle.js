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
  // A tenth of the points' spread on every side, so that no pin sits on the frame.
  function padded(side) {
    return function (range) {
      var pad = (range.max - range.min) * 0.1 || 0.001;
      return side < 0 ? range.min - pad : range.max + pad;
    };
  }
  function axis(name) {
    return { type: "value", name: name, min: padded(-1), max: padded(1), splitNumber: 3,
             axisLabel: { hideOverlap: true, showMinLabel: false, showMaxLabel: false,
                          formatter: function (v) { return v.toFixed(3); } } };
  }
  chart.setOption({
    animation: !window.matchMedia("(prefers-reduced-motion: reduce)").matches,
    // The legend on its own rows above the plot (two on a phone), the labels inside the box.
    legend: { top: 0, left: "center", itemGap: 12 },
    grid: { left: 8, right: 28, top: 76, bottom: 8, containLabel: true },
    tooltip: {
      trigger: "item",
      formatter: function (p) {
        var v = p.value;
        return v[2] + (v[3] === null || v[3] === undefined ? "" : "<br>" + v[3] + " " + l.minutes);
      }
    },
    xAxis: axis("E"),
    yAxis: axis("N"),
    series: [
      series(l.positions, data.positions, "#c8161d", "pin", 26),
      series(l.covered, data.covered, "#1a7f37", "circle", 10),
      series(l.gaps, data.gaps, "#59636e", "diamond", 14)
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
