// Evaluated in the page by test_browser_stats.py: reads back every text ECharts drew in each
// chart (from its zrender display list: the text pieces actually painted, after ECharts hid
// or shortened any) and reports the ones cut short ("…"), running outside the chart, or
// overlapping another text.
() => {
  const problems = [];
  const charts = [];
  document.querySelectorAll("[data-chart]").forEach((el) => {
    const chart = window.echarts.getInstanceByDom(el);
    if (!chart) { problems.push(`${el.id}: not drawn`); return; }
    const width = el.clientWidth, height = el.clientHeight;
    const texts = [];
    chart.getZr().storage.getDisplayList(true).forEach((shape) => {
      if (shape.type !== "tspan" || shape.invisible) { return; }
      const content = String(shape.style.text || "");
      if (!content.trim()) { return; }
      const rect = shape.getBoundingRect().clone();
      if (shape.transform) { rect.applyTransform(shape.transform); }
      texts.push({ content, x: rect.x, y: rect.y, w: rect.width, h: rect.height, owner: shape.parent || shape });
    });
    charts.push({ id: el.id, width, height, texts: texts.length });
    texts.forEach((t, i) => {
      if (t.content.includes("…") || t.content.includes("...")) {
        problems.push(`${el.id}: "${t.content}" cut short`);
      }
      if (t.x < -1 || t.y < -1 || t.x + t.w > width + 1 || t.y + t.h > height + 1) {
        problems.push(`${el.id}: "${t.content}" outside the chart (${Math.round(t.x)},${Math.round(t.y)} ${Math.round(t.w)}×${Math.round(t.h)} in ${width}×${height})`);
      }
      texts.slice(i + 1).forEach((u) => {
        if (u.owner === t.owner) { return; }
        const across = Math.min(t.x + t.w, u.x + u.w) - Math.max(t.x, u.x);
        const down = Math.min(t.y + t.h, u.y + u.h) - Math.max(t.y, u.y);
        if (across > 1 && down > 1) {
          problems.push(`${el.id}: "${t.content}" overlaps "${u.content}"`);
        }
      });
    });
  });
  return { problems, charts };
}
