/* pledgeloop indicators: draws the dashboard's charts with Apache ECharts (the bundle of
   frontend/echarts.js: bar, line and pie charts; grid, plain legend and tooltip).
   Reads the figures from <script type="application/json" id="stats-data"> (json_script), so
   no inline script is needed under the site's Content Security Policy. The tooltip is drawn
   on the canvas (renderMode "richText"): ECharts' HTML tooltip writes style="" attributes,
   which that policy refuses.

   Every label must be whole and clear of the others on a 360 px phone as on the 1920 × 1080
   wall display (stats/tests/test_browser_stats.py reads the drawn texts back):
   - legends sit above the plot, which starts below as many legend rows as the names need
     (measured with the chart's own font), and the grid keeps axis labels and names inside
     the chart (ECharts' outer bounds);
   - the category mix names each slice in its legend, with its share, instead of labels
     around the ring, which ECharts cuts short ("…") in a narrow panel;
   - the community comparison lies on its side, so that every community's name is written
     out in full and level. */
(function () {
  "use strict";
  var source = document.getElementById("stats-data");
  var script = document.currentScript;
  if (!source || !script) { return; }
  var data = JSON.parse(source.textContent);
  var dark = document.body.classList.contains("stats-screen");
  var red = "#c8161d";
  var palette = [red, "#f5c242", "#3b7dd8", "#1a7f37", "#8250df", "#e16f24", "#59636e"];
  var text = dark ? "#e6edf3" : "#1f2328";
  var lineColor = dark ? "#6e7681" : "#aab4be";
  var fontSize = dark ? 15 : 12;
  var font = fontSize + "px sans-serif";
  var NARROW = 520;  // px: below this width the category mix puts its legend above the ring
  var LEGEND_ICON = 25, LEGEND_TEXT_GAP = 5, LEGEND_GAP = 10, LEGEND_PAD = 5;

  var measure = document.createElement("canvas").getContext("2d");
  function textWidth(s) {
    measure.font = font;
    return measure.measureText(String(s)).width;
  }

  // The height of a plain horizontal legend of these names across `width` px: ECharts
  // starts a new row when the next item does not fit.
  function legendHeight(names, width) {
    var room = width - 2 * LEGEND_PAD, rows = 1, x = 0;
    names.forEach(function (name) {
      var w = LEGEND_ICON + LEGEND_TEXT_GAP + textWidth(name);
      if (x > 0 && x + LEGEND_GAP + w > room) { rows += 1; x = w; } else { x += (x > 0 ? LEGEND_GAP : 0) + w; }
    });
    var rowHeight = Math.max(14, Math.ceil(fontSize * 1.2));
    return 2 * LEGEND_PAD + rows * rowHeight + (rows - 1) * LEGEND_GAP;
  }

  function legend(extra) {
    return Object.assign({
      type: "plain", top: 0, left: "center", padding: LEGEND_PAD, itemGap: LEGEND_GAP,
      itemWidth: LEGEND_ICON, itemHeight: 14, textStyle: { color: text, fontSize: fontSize }
    }, extra || {});
  }

  // A grid below a legend `top` px tall: ECharts shrinks it until the axis labels and names
  // fit between the legend and the chart's edges.
  function grid(top, room) {
    var gap = room || 0;
    return {
      left: 4, right: 4, top: top + fontSize + 14, bottom: 4,
      outerBoundsMode: "auto", outerBoundsContain: "all",
      outerBounds: { left: 0, right: 0, top: top + gap, bottom: 0 }
    };
  }

  function valueAxis(extra) {
    return Object.assign({
      type: "value",
      axisLabel: { color: text, fontSize: fontSize, hideOverlap: true },
      axisLine: { show: true, lineStyle: { color: lineColor } },
      splitLine: { lineStyle: { color: dark ? "#30363d" : "#e5e8eb" } },
      nameTextStyle: { color: text, fontSize: fontSize }
    }, extra || {});
  }

  function categoryAxis(names, extra) {
    return Object.assign({
      type: "category", data: names,
      axisLabel: { color: text, fontSize: fontSize, hideOverlap: true },
      axisLine: { lineStyle: { color: lineColor } }
    }, extra || {});
  }

  var builders = {
    trend: function (width) {
      var s = data.series, l = data.labels;
      var names = [l.hours, l.records, l.participants, l.done];
      var top = legendHeight(names, width);
      // The month still running (data.running, its index) holds only the days so far: its bar
      // is paler, its slot shaded and labelled, and the tooltip names it, so that the lines
      // falling towards it on the 1st do not read as the service stopping.
      var months = data.months.slice(), hours = s.hours.slice(), shaded;
      if (data.running !== null) {
        var now = data.running;
        months[now] = data.months[now] + "（" + l.so_far + "）";
        hours[now] = { value: s.hours[now], itemStyle: { opacity: 0.45 } };
        shaded = {
          silent: true,
          itemStyle: { color: dark ? "rgba(230, 237, 243, 0.08)" : "rgba(31, 35, 40, 0.06)" },
          label: { show: true, position: "insideTopRight", color: text, fontSize: fontSize },
          data: [[{ name: l.so_far, xAxis: months[now] }, { xAxis: months[now] }]]
        };
      }
      return {
        tooltip: { trigger: "axis" },
        legend: legend(),
        grid: grid(top),
        xAxis: categoryAxis(months),
        yAxis: [
          // the names grow inwards from their axes, so they stay inside the chart
          valueAxis({ name: l.hours, nameTextStyle: { color: text, fontSize: fontSize, align: "left" } }),
          // the lines' counts: the legend names them
          valueAxis({ splitLine: { show: false } })
        ],
        series: [
          { name: l.hours, type: "bar", data: hours, markArea: shaded },
          { name: l.records, type: "line", yAxisIndex: 1, data: s.records, smooth: true },
          { name: l.participants, type: "line", yAxisIndex: 1, data: s.participants, smooth: true },
          { name: l.done, type: "line", yAxisIndex: 1, data: s.done, smooth: true }
        ]
      };
    },
    categories: function (width, height) {
      var total = data.categories.reduce(function (sum, c) { return sum + c.value; }, 0);
      var share = {};
      data.categories.forEach(function (c) {
        share[c.name] = total ? (100 * c.value / total).toFixed(1) + "%" : "—";
      });
      function named(name) { return name + " " + share[name]; }
      var names = data.categories.map(function (c) { return named(c.name); });
      var wide = width >= NARROW;
      if (wide) {
        // beside the ring: the legend takes the right-hand side, in one column
        var column = LEGEND_ICON + LEGEND_TEXT_GAP + Math.max.apply(null, names.map(textWidth).concat([0])) + 2 * LEGEND_PAD;
        var ringWidth = width - column - 16;
        var radius = Math.max(40, Math.min(ringWidth, height) / 2 - 8);
        return {
          tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
          legend: legend({ orient: "vertical", left: null, right: 8, top: "middle", formatter: named }),
          series: [{
            type: "pie", radius: [Math.round(radius * 0.55), Math.round(radius)],
            center: [Math.round(ringWidth / 2 + 8), "50%"], data: data.categories, label: { show: false }
          }]
        };
      }
      var top = legendHeight(names, width);
      var ring = Math.max(40, Math.min(width, height - top) / 2 - 8);
      return {
        tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
        legend: legend({ formatter: named }),
        series: [{
          type: "pie", radius: [Math.round(ring * 0.55), Math.round(ring)],
          center: ["50%", Math.round(top + (height - top) / 2)], data: data.categories,
          label: { show: false }
        }]
      };
    },
    communities: function (width) {
      // on its side, so that every community's name is written out in full and level: the
      // communities down the left, hours along the bottom, the participation rate along the top
      var c = data.communities;
      var top = legendHeight([c.label_hours, c.label_participation], width);
      return {
        tooltip: { trigger: "axis" },
        legend: legend(),
        grid: grid(top, fontSize + 6),
        yAxis: categoryAxis(c.names, { inverse: true, axisLabel: { color: text, fontSize: fontSize, interval: 0 } }),
        xAxis: [
          valueAxis({ name: c.label_hours, nameLocation: "middle", nameGap: fontSize + 12 }),
          valueAxis({ max: 100, position: "top", splitLine: { show: false } })
        ],
        series: [
          { name: c.label_hours, type: "bar", data: c.hours, barMaxWidth: 28 },
          { name: c.label_participation, type: "line", xAxisIndex: 1, data: c.participation }
        ]
      };
    },
    rates: function () {
      return {
        tooltip: { trigger: "item", formatter: "{b}: {c}%" },
        grid: { left: 4, right: 4, top: 8, bottom: 4, outerBoundsMode: "auto", outerBoundsContain: "all" },
        xAxis: valueAxis({ max: 100 }),
        yAxis: categoryAxis(data.rates.map(function (r) { return r.name; }), { inverse: true, axisLabel: { color: text, fontSize: fontSize, interval: 0 } }),
        series: [{
          type: "bar", barMaxWidth: 48,
          // inside the end of a long bar, so that 100 % does not run past the chart's edge;
          // after a short one, which has no room for it
          data: data.rates.map(function (r) {
            var inside = r.value !== null && r.value >= 30;
            return { value: r.value, label: { position: inside ? "insideRight" : "right", color: inside ? "#fff" : text } };
          }),
          label: { show: true, fontSize: fontSize, formatter: "{c}%" }
        }]
      };
    }
  };

  var base = {
    color: palette,
    backgroundColor: "transparent",
    textStyle: { color: text, fontSize: fontSize },
    animation: !window.matchMedia("(prefers-reduced-motion: reduce)").matches
  };

  function draw(chart, build, el) {
    var option = Object.assign({}, base, build(el.clientWidth, el.clientHeight));
    option.tooltip = Object.assign({ renderMode: "richText", confine: true }, option.tooltip);
    chart.setOption(option, true);
  }

  // ECharts (150 KB compressed, and its start-up) runs only when a chart comes on screen: a
  // phone opening the public page shows the figures first, at once, and draws the charts as
  // the reader scrolls to them; the wall display, all charts in view, at once.
  var charts = [];
  var loading = null;
  function withECharts(then) {
    if (window.echarts) { then(); return; }
    if (!loading) {
      loading = [];
      var tag = document.createElement("script");
      tag.src = script.getAttribute("data-echarts");
      tag.onload = function () { loading.forEach(function (f) { f(); }); };
      document.head.appendChild(tag);
    }
    loading.push(then);
  }
  // A period with no service: the category mix has no shares to draw (ECharts would split
  // an empty ring into equal slices, as if every category had a sixth), so the panel says so.
  function nothingToDraw(name) {
    return name === "categories" &&
      data.categories.every(function (c) { return !c.value; });
  }
  function start(el) {
    var build = builders[el.getAttribute("data-chart")];
    if (!build) { return; }
    if (nothingToDraw(el.getAttribute("data-chart"))) {
      el.textContent = data.labels.none;
      el.classList.add("stats-chart-empty");
      return;
    }
    withECharts(function () {
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      draw(chart, build, el);
      charts.push({ chart: chart, build: build, el: el });
    });
  }
  var containers = document.querySelectorAll("[data-chart]");
  if ("IntersectionObserver" in window) {
    var watcher = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) { watcher.unobserve(entry.target); start(entry.target); }
      });
    }, { rootMargin: "0px" });
    containers.forEach(function (el) { watcher.observe(el); });
    // fetched (not run) once the page has loaded, so that it is at hand when the reader scrolls
    window.addEventListener("load", function () {
      if (window.echarts || loading) { return; }
      var hint = document.createElement("link");
      hint.rel = "prefetch";
      hint.href = script.getAttribute("data-echarts");
      document.head.appendChild(hint);
    });
  } else {
    containers.forEach(start);
  }
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      charts.forEach(function (c) { c.chart.resize(); draw(c.chart, c.build, c.el); });
    }, 100);
  });
})();
