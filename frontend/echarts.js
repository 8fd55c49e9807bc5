// The ECharts the indicator pages (stats/charts.js) and the 15-minute circle's map
// (teams/circle.js) use, built by esbuild into
// pledgeloop/static/vendor/echarts.min.js during `make setup` (see the Makefile).
// Only the chart types and components drawn are registered, from ECharts' tree-shakable
// modules: the full build is 1.1 MB, this one a fraction of it. A chart or component added
// to charts.js must be registered here too, or ECharts logs that it is missing.
import { getInstanceByDom, init, use } from "echarts/core";
import { BarChart, LineChart, PieChart, ScatterChart } from "echarts/charts";
import {
  GridComponent,
  LegendPlainComponent,
  MarkAreaComponent,
  TooltipComponent,
} from "echarts/components";
import { LabelLayout } from "echarts/features";
import { CanvasRenderer } from "echarts/renderers";

use([
  BarChart,
  LineChart,
  PieChart,
  ScatterChart,
  GridComponent,
  LegendPlainComponent,
  MarkAreaComponent,
  TooltipComponent,
  LabelLayout,
  CanvasRenderer,
]);

window.echarts = { init, getInstanceByDom };
