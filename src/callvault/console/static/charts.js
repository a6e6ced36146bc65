/* callvault console: small accessible SVG charts, no library, no build step.

   cvCharts.xy(container, spec)       bars and/or lines over shared x labels
   cvCharts.heatmap(container, spec)  a grid of cells shaded by value (weekday × hour)

   Every chart is an <svg role="img"> whose <title> and <desc> say what it shows; each bar,
   point and cell carries a <title> (the browser's tooltip, read by screen readers), and a
   <details> table below holds the same figures for those who prefer numbers. A chart with
   nothing to show says so (spec.empty) instead of drawing empty axes. Colours come from
   console.css classes (cv-series-N, cv-heat); no inline styles, so the CSP holds. */
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  let counter = 0;

  function svg(tag, attributes, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined) node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child !== null && child !== undefined) {
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
    }
    return node;
  }

  const title = (text) => svg("title", {}, text);

  /* A round upper bound for an axis: 1, 2, 2.5 or 5 × 10^n at or above max. */
  function niceMax(max) {
    if (!(max > 0)) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(max)));
    for (const step of [1, 2, 2.5, 5, 10]) {
      if (step * power >= max) return step * power;
    }
    return 10 * power;
  }

  /* The figures as a table in a <details>: the chart's accessible fallback. */
  function dataTable(caption, head, rows) {
    const table = cv.el("table", { class: "striped" },
      cv.el("thead", {}, cv.el("tr", {}, ...head.map((h, i) =>
        cv.el("th", { scope: "col", class: i ? "cv-num" : null }, h)))),
      cv.el("tbody", {}, ...rows.map((row) => cv.el("tr", {}, ...row.map((cell, i) =>
        i ? cv.el("td", { class: "cv-num" }, cell) : cv.el("th", { scope: "row" }, cell))))));
    return cv.el("details", { class: "cv-chart-table" },
      cv.el("summary", {}, caption), cv.el("div", { class: "overflow-auto" }, table));
  }

  function start(container, spec, hasData) {
    container.replaceChildren();
    container.removeAttribute("data-drawn");
    container.toggleAttribute("data-empty", !hasData);
    if (!hasData) {
      container.append(cv.el("p", { class: "cv-empty" }, spec.empty || ""));
      return false;
    }
    return true;
  }

  function frame(spec, width, height) {
    const id = `cv-chart-${++counter}`;
    return svg("svg", {
      viewBox: `0 0 ${width} ${height}`, role: "img", class: "cv-chart",
      "aria-labelledby": `${id}-t ${id}-d`, preserveAspectRatio: "xMidYMid meet",
    }, svg("title", { id: `${id}-t` }, spec.title), svg("desc", { id: `${id}-d` }, spec.summary || ""));
  }

  /* spec: {title, summary, empty, labels: [..], series: [{name, values, kind: "bar"|"line",
     format}], tableCaption, height}. Values may be null (no figure: no bar, a gap in a line). */
  function xy(container, spec) {
    const series = spec.series || [];
    const labels = spec.labels || [];
    const all = series.flatMap((s) => s.values).filter((v) => v !== null && v !== undefined);
    if (!start(container, spec, labels.length > 0 && all.some((v) => v !== 0))) return;
    const width = 800, height = spec.height || 260;
    const left = 52, right = 12, top = 12, bottom = 40;
    const plotW = width - left - right, plotH = height - top - bottom;
    const max = niceMax(Math.max(...all));
    const y = (v) => top + plotH - (v / max) * plotH;
    const step = plotW / labels.length;
    const root = frame(spec, width, height);
    const axis = svg("g", { class: "cv-axis", "aria-hidden": "true" });
    for (let i = 0; i <= 4; i += 1) {
      const value = (max / 4) * i;
      axis.append(svg("line", { x1: left, x2: width - right, y1: y(value), y2: y(value), class: "cv-grid-line" }));
      axis.append(svg("text", { x: left - 6, y: y(value) + 4, "text-anchor": "end" }, cv.number(value)));
    }
    const every = Math.max(1, Math.ceil(labels.length / 14));
    labels.forEach((label, i) => {
      if (i % every === 0) {
        axis.append(svg("text", { x: left + step * (i + 0.5), y: height - bottom + 16, "text-anchor": "middle" }, label));
      }
    });
    root.append(axis);
    const bars = series.filter((s) => (s.kind || "bar") === "bar");
    const barW = (step * 0.8) / Math.max(1, bars.length);
    series.forEach((s, index) => {
      const group = svg("g", { class: `cv-series cv-series-${index}`, "data-series": s.name });
      const format = s.format || cv.number;
      if ((s.kind || "bar") === "bar") {
        const slot = bars.indexOf(s);
        s.values.forEach((v, i) => {
          if (v === null || v === undefined) return;
          const x = left + step * i + step * 0.1 + slot * barW;
          group.append(svg("rect", { x, y: y(v), width: Math.max(1, barW - 1), height: Math.max(0, top + plotH - y(v)), "data-value": v },
            title(`${labels[i]} · ${s.name}: ${format(v)}`)));
        });
      } else {
        let path = "", pen = false;
        s.values.forEach((v, i) => {
          if (v === null || v === undefined) { pen = false; return; }
          const x = left + step * (i + 0.5);
          path += `${pen ? "L" : "M"}${x.toFixed(1)},${y(v).toFixed(1)}`;
          pen = true;
          group.append(svg("circle", { cx: x, cy: y(v), r: 3.5, "data-value": v },
            title(`${labels[i]} · ${s.name}: ${format(v)}`)));
        });
        group.prepend(svg("path", { d: path, class: "cv-line", fill: "none" }));
      }
      root.append(group);
    });
    const legend = cv.el("ul", { class: "cv-legend", "aria-hidden": "true" },
      ...series.map((s, index) => cv.el("li", { class: `cv-series-${index}` }, cv.el("span", { class: "cv-swatch" }), s.name)));
    const rows = labels.map((label, i) => [label, ...series.map((s) => (s.format || cv.number)(s.values[i]))]);
    container.append(root, legend,
      dataTable(spec.tableCaption || spec.title, [spec.labelHeading || "", ...series.map((s) => s.name)], rows));
    container.dataset.drawn = "true";
  }

  /* spec: {title, summary, empty, rows: [names], columns: [names], values: [[..]],
     cellTitle(row, column, value), format, tableCaption}. */
  function heatmap(container, spec) {
    const values = spec.values || [];
    const flat = values.flat();
    if (!start(container, spec, flat.some((v) => v > 0))) return;
    const rows = spec.rows, columns = spec.columns;
    const left = 96, top = 22, cell = 28, gap = 2;
    const width = left + columns.length * cell + 4, height = top + rows.length * cell + 4;
    const max = Math.max(...flat);
    const root = frame(spec, width, height);
    const axis = svg("g", { class: "cv-axis", "aria-hidden": "true" });
    columns.forEach((name, c) => axis.append(svg("text", { x: left + c * cell + cell / 2, y: top - 8, "text-anchor": "middle" }, name)));
    rows.forEach((name, r) => axis.append(svg("text", { x: left - 8, y: top + r * cell + cell / 2 + 4, "text-anchor": "end" }, name)));
    root.append(axis);
    const grid = svg("g", { class: "cv-heat" });
    values.forEach((row, r) => row.forEach((v, c) => {
      const level = max > 0 ? v / max : 0;
      grid.append(svg("rect", {
        x: left + c * cell, y: top + r * cell, width: cell - gap, height: cell - gap, rx: 3,
        "fill-opacity": (0.06 + 0.94 * level).toFixed(3), "data-row": r, "data-column": c, "data-value": v,
        class: v > 0 ? null : "cv-heat-zero",
      }, title(spec.cellTitle(rows[r], columns[c], v))));
    }));
    root.append(grid);
    const format = spec.format || cv.number;
    container.append(root, dataTable(spec.tableCaption || spec.title, ["", ...columns],
      values.map((row, r) => [rows[r], ...row.map(format)])));
    container.dataset.drawn = "true";
  }

  window.cvCharts = { xy, heatmap, niceMax };
})();
