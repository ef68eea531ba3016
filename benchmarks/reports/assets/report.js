/* report.html: tables and SVG charts drawn from the JSON block #report-data. Our own code, no library.
   Per-sequence charts are drawn only when their row is opened. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var SVG = "http://www.w3.org/2000/svg";
  var trackers = D.trackers;

  // ---------------------------------------------------------------- DOM helpers
  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }
  function s(tag, attrs, parent) {
    var node = document.createElementNS(SVG, tag);
    setAttrs(node, attrs);
    if (parent) parent.appendChild(node);
    return node;
  }
  function setAttrs(node, attrs) {
    for (var key in attrs || {}) {
      if (attrs[key] === null || attrs[key] === undefined) continue;
      if (key === "text") node.textContent = attrs[key];
      else if (key === "class" && !(node instanceof SVGElement)) node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    }
  }
  function append(node, children) {
    (Array.isArray(children) ? children : children === undefined ? [] : [children]).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
  }
  function text(parent, x, y, content, attrs) {
    var node = s("text", Object.assign({x: x, y: y}, attrs || {}), parent);
    node.textContent = content;
    return node;
  }
  function fmt(value, digits) {
    return value === null || value === undefined || isNaN(value) ? "\u2013" : Number(value).toFixed(digits);
  }
  function swatch(color, extra) {
    return h("span", {class: "swatch" + (extra ? " " + extra : ""), style: color ? "background:" + color : null});
  }
  var measure = document.createElement("canvas").getContext("2d");
  function textWidth(content, size) {   // charts are built before they are attached, so measure on a canvas
    measure.font = size + "px " + getComputedStyle(document.body).fontFamily;
    return measure.measureText(content).width;
  }
  function decode(b64) {
    var raw = atob(b64), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  // ---------------------------------------------------------------- scales and axes
  function niceTicks(lo, hi, count) {
    var span = hi - lo || 1, step = Math.pow(10, Math.floor(Math.log10(span / count))), err = span / count / step;
    step *= err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1;
    var ticks = [];
    for (var v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(+v.toFixed(10));
    return ticks;
  }
  function linear(d0, d1, r0, r1) {
    var f = function (v) { return r0 + (v - d0) / (d1 - d0 || 1) * (r1 - r0); };
    f.domain = [d0, d1];
    return f;
  }
  function logScale(d0, d1, r0, r1) {
    var a = Math.log10(d0), b = Math.log10(d1);
    var f = function (v) { return r0 + (Math.log10(v) - a) / (b - a || 1) * (r1 - r0); };
    f.domain = [d0, d1];
    f.log = true;
    return f;
  }
  function logTicks(lo, hi) {
    var ticks = [];
    for (var e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      [1, 2, 5].forEach(function (m) { var v = m * Math.pow(10, e); if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v); });
    }
    return ticks;
  }

  /* A plot frame: returns {svg, plot, x, y, box}. */
  function frame(opts) {
    var W = opts.width || 440, H = opts.height || 330, m = Object.assign({l: 54, r: 14, t: 12, b: 46}, opts.margin || {});
    var svg = s("svg", {class: "chart", viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": opts.label || ""});
    var box = {l: m.l, r: W - m.r, t: m.t, b: H - m.b};
    var x = (opts.xlog ? logScale : linear)(opts.xlim[0], opts.xlim[1], box.l, box.r);
    var y = linear(opts.ylim[0], opts.ylim[1], box.b, box.t);
    var grid = s("g", {class: "grid"}, svg), ticks = s("g", {class: "tick"}, svg);
    var xt = opts.xticks || (opts.xlog ? logTicks(opts.xlim[0], opts.xlim[1]) : niceTicks(opts.xlim[0], opts.xlim[1], opts.xcount || 6));
    xt.forEach(function (v) {
      var px = x(v);
      s("line", {x1: px, x2: px, y1: box.t, y2: box.b}, grid);
      text(ticks, px, box.b + 15, opts.xformat ? opts.xformat(v) : String(v), {"text-anchor": "middle"});
    });
    niceTicks(opts.ylim[0], opts.ylim[1], opts.ycount || 5).forEach(function (v) {
      var py = y(v);
      s("line", {x1: box.l, x2: box.r, y1: py, y2: py}, grid);
      text(ticks, box.l - 6, py + 3.5, opts.yformat ? opts.yformat(v) : String(v), {"text-anchor": "end"});
    });
    s("rect", {class: "frame", x: box.l, y: box.t, width: box.r - box.l, height: box.b - box.t}, svg);
    if (opts.xlabel) text(svg, (box.l + box.r) / 2, H - 8, opts.xlabel, {class: "axis-label", "text-anchor": "middle"});
    if (opts.ylabel) text(svg, 0, 0, opts.ylabel, {class: "axis-label", "text-anchor": "middle",
      transform: "translate(" + 13 + "," + (box.t + box.b) / 2 + ") rotate(-90)"});
    var clip = "clip" + Math.random().toString(36).slice(2);
    s("rect", {x: box.l, y: box.t, width: box.r - box.l, height: box.b - box.t}, s("clipPath", {id: clip}, svg));
    var plot = s("g", {"clip-path": "url(#" + clip + ")"}, svg);
    return {svg: svg, plot: plot, x: x, y: y, box: box};
  }

  /* Polyline through (xs[i], ys[i]); null values break the line. */
  function pathData(xs, ys, x, y) {
    var d = "", pen = false;
    for (var i = 0; i < ys.length; i++) {
      if (ys[i] === null || ys[i] === undefined || isNaN(ys[i])) { pen = false; continue; }
      d += (pen ? "L" : "M") + x(xs[i]).toFixed(1) + " " + y(ys[i]).toFixed(1);
      pen = true;
    }
    return d;
  }

  function legend(svg, box, corner, title, entries) {
    var rowH = 17, pad = 7, width = 0;
    var g = s("g", {class: "legend"}, svg);
    entries.forEach(function (e) { width = Math.max(width, textWidth(e.label, 12)); });
    width = Math.max(width + 34, title ? 60 : 0) + pad;
    var height = entries.length * rowH + pad * 2 + (title ? 14 : 0);
    var left = corner.indexOf("left") >= 0 ? box.l + 8 : box.r - 8 - width;
    var top = corner.indexOf("upper") >= 0 ? box.t + 8 : box.b - 8 - height;
    s("rect", {class: "legend-box", x: left, y: top, width: width, height: height, rx: 4}, g);
    var y0 = top + pad + (title ? 12 : 0);
    if (title) text(g, left + pad, top + pad + 8, title, {class: "legend-title"});
    entries.forEach(function (e, i) {
      var cy = y0 + i * rowH + rowH / 2;
      if (e.marker) s("circle", {cx: left + pad + 11, cy: cy, r: 4.5, fill: e.color}, g);
      else s("line", {x1: left + pad, x2: left + pad + 22, y1: cy, y2: cy, stroke: e.color, "stroke-width": 2.5, "stroke-dasharray": e.dash || null}, g);
      text(g, left + pad + 28, cy + 4, e.label);
    });
  }

  function card(title, sub, body) {
    return h("div", {class: "card chart-card"}, [h("h3", {text: title}), sub ? h("p", {class: "sub", text: sub}) : null, body]);
  }

  // ---------------------------------------------------------------- header and summary
  var byTracker = {};
  D.summary.rows.forEach(function (row) { byTracker[row.tracker] = row; });

  function scoreOf(index, metric) {
    var row = byTracker[index], k = D.summary.metrics.indexOf(metric);
    return row && k >= 0 ? row.cells[k] : [null, null];
  }
  function scoreLabel(index, metric) {
    var cell = scoreOf(index, metric);
    var value = fmt(cell[0], 1) + (cell[1] !== null && cell[1] !== undefined ? " \u00b1 " + fmt(cell[1], 1) : "");
    return trackers[index].name + " [" + value + "]";
  }

  function header() {
    var seq = D.sequences, frames = seq.frames.reduce(function (a, b) { return a + b; }, 0);
    document.getElementById("title").textContent = D.title;
    document.getElementById("facts").textContent = [
      seq.names.length.toLocaleString("en") + " sequences", frames.toLocaleString("en") + " frames",
      trackers.length + (trackers.length === 1 ? " tracker" : " trackers"), "generated " + D.generated].join("  \u00b7  ");
    var p = document.getElementById("protocol");
    append(p, [h("b", {text: "Protocol: " + D.protocol.key + ". "}), D.protocol.description]);
  }

  function summaryTable() {
    var metricsShown = D.summary.metrics, multi = D.summary.rows.some(function (r) { return r.runs > 1; });
    var best = metricsShown.map(function (_, k) {
      var values = D.summary.rows.map(function (r) { return r.cells[k][0]; }).filter(function (v) { return v !== null; });
      return values.length > 1 ? Math.max.apply(null, values) : null;
    });
    var head = h("tr", {}, [h("th", {text: "Tracker"})].concat(metricsShown.map(function (m) {
      return h("th", {text: m + (m === "FPS" ? "" : " [%]"), title: m === D.protocol.main ? "main score" : null});
    })).concat(multi ? [h("th", {text: "Runs"})] : []));
    var body = D.summary.rows.map(function (row) {
      var t = trackers[row.tracker];
      var cells = [h("td", {}, [swatch(t.color), h("span", {class: "tracker-name", text: t.name})])];
      row.cells.forEach(function (cell, k) {
        var ci = cell.length > 3 && cell[2] !== null && cell[3] !== null;
        cells.push(h("td", {class: best[k] !== null && cell[0] === best[k] ? "best" : null},
          [fmt(cell[0], 1), cell[1] !== null ? h("span", {class: "std", text: "\u00b1 " + fmt(cell[1], 1)}) : null,
           ci ? h("span", {class: "ci", text: "[" + fmt(cell[2], 1) + ", " + fmt(cell[3], 1) + "]"}) : null]));
      });
      if (multi) cells.push(h("td", {text: String(row.runs)}));
      return h("tr", {}, cells);
    });
    var table = h("table", {class: "data summary", id: "summary-scores"}, [h("thead", {}, head), h("tbody", {}, body)]);
    var holder = document.getElementById("summary-table");
    holder.appendChild(table);
    if (D.summary.intervals) holder.appendChild(h("p", {class: "sub ci-note", text: D.summary.intervals + (multi ? "; \u00b1: standard deviation over runs" : "")}));
    if (D.notes && D.notes.length) {
      var notes = h("ul", {class: "notes", id: "summary-notes"});
      D.notes.forEach(function (note) { notes.appendChild(h("li", {text: note})); });
      holder.appendChild(notes);
    }
  }

  function comparisonTable() {
    var section = document.getElementById("comparisons");
    if (!D.comparisons) { section.remove(); return; }
    var head = h("tr", {}, ["Tracker A", "Tracker B", "Score", "A [%]", "B [%]", "A \u2212 B [low, high]", "p", "p (Holm)", "Sequences"].map(function (t) { return h("th", {text: t}); }));
    var pText = function (p) { return p === null ? "\u2013" : p < 0.001 ? "<0.001" : p.toFixed(3); };
    var signed = function (v) { return (v > 0 ? "+" : v < 0 ? "\u2212" : "") + fmt(Math.abs(v), 1); };
    var body = D.comparisons.rows.map(function (r) {
      var ci = r.low === null ? "" : " [" + signed(r.low) + ", " + signed(r.high) + "]";
      return h("tr", {class: r.p !== null && r.p < 0.05 ? "significant" : null}, [
        h("td", {}, [swatch(trackers[r.a].color), trackers[r.a].name]), h("td", {}, [swatch(trackers[r.b].color), trackers[r.b].name]),
        h("td", {text: r.metric}), h("td", {text: fmt(r.scoreA, 1)}), h("td", {text: fmt(r.scoreB, 1)}),
        h("td", {text: (r.diff === null ? "\u2013" : signed(r.diff)) + ci}), h("td", {text: pText(r.p)}), h("td", {text: pText(r.pHolm)}),
        h("td", {text: String(r.sequences)})]);
    });
    var holder = document.getElementById("comparison-table");
    holder.appendChild(h("table", {class: "data summary", id: "comparison-scores"}, [h("thead", {}, head), h("tbody", {}, body)]));
    holder.appendChild(h("p", {class: "sub", text: D.comparisons.method}));
  }

  // ---------------------------------------------------------------- plots
  function curveChart(curve) {
    var xs = curve.x, f = frame({width: 390, height: 320, margin: {l: 46}, xlim: [xs[0], xs[xs.length - 1]], ylim: [0, 1], xlabel: curve.xlabel,
      ylabel: curve.ylabel, label: curve.title, xformat: function (v) { return +v.toFixed(2) + ""; }});
    var ranked = curve.series.slice().sort(function (a, b) {
      var sa = scoreOf(a.tracker, curve.score)[0], sb = scoreOf(b.tracker, curve.score)[0];
      return (sb === null ? -1 : sb) - (sa === null ? -1 : sa);
    });
    ranked.slice().reverse().forEach(function (line) {
      var t = trackers[line.tracker];
      if (line.low && line.high) {
        var bandD = pathData(xs, line.high, f.x, f.y) + "L" + pathData(xs.slice().reverse(), line.low.slice().reverse(), f.x, f.y).slice(1) + "Z";
        s("path", {d: bandD, fill: t.color, opacity: 0.15, stroke: "none", class: "band"}, f.plot);
      }
      if (line.std) {
        var upper = line.mean.map(function (v, i) { return Math.min(1, v + line.std[i]); });
        var lower = line.mean.map(function (v, i) { return Math.max(0, v - line.std[i]); });
        var d = pathData(xs, upper, f.x, f.y) + "L" + pathData(xs.slice().reverse(), lower.slice().reverse(), f.x, f.y).slice(1) + "Z";
        s("path", {d: d, fill: t.color, opacity: 0.18, stroke: "none"}, f.plot);
      }
      s("path", {d: pathData(xs, line.mean, f.x, f.y), fill: "none", stroke: t.color, "stroke-width": 2.2,
        "stroke-dasharray": t.dash || null, "stroke-linejoin": "round", class: "curve"}, f.plot);
    });
    legend(f.svg, f.box, curve.corner, curve.score + " [%]", ranked.map(function (line) {
      var t = trackers[line.tracker];
      return {label: scoreLabel(line.tracker, curve.score), color: t.color, dash: t.dash};
    }));
    return card(curve.title + " on " + D.title, curve.score + " in the legend, trackers ranked by it", f.svg);
  }

  function attributeChart(chart) {
    var rows = chart.rows, T = trackers.length, bar = Math.max(5, Math.min(11, 30 / T)), rowH = bar * T + 10;
    var labelW = 190, W = 640, H = rows.length * rowH + 60;
    var f = frame({width: W, height: H, margin: {l: labelW, r: 18, t: 8, b: 40}, xlim: [0, 100], ylim: [0, 1],
      xlabel: chart.metric + " [%]", label: "attribute chart", ycount: 1});
    f.svg.querySelectorAll(".grid line").forEach(function (line) { if (line.getAttribute("y1") === line.getAttribute("y2")) line.remove(); });
    f.svg.querySelectorAll(".tick text").forEach(function (node) { if (node.getAttribute("text-anchor") === "end") node.remove(); });
    rows.forEach(function (row, r) {
      var top = f.box.t + 5 + r * rowH;
      text(f.svg, labelW - 8, top + rowH / 2, row.name + " (" + row.sequences + ")", {"text-anchor": "end", "font-size": 11.5});
      row.values.forEach(function (v, k) {
        if (v === null) return;
        var rect = s("rect", {x: f.x(0), y: top + k * bar, width: Math.max(0, f.x(v) - f.x(0)), height: bar - 1,
          fill: trackers[k].color, rx: 1.5}, f.svg);
        s("title", {}, rect).textContent = trackers[k].name + ": " + fmt(v, 1);
      });
    });
    legend(f.svg, f.box, "lower right", null, trackers.map(function (t) { return {label: t.name, color: t.color, marker: true}; }));
    return card(chart.metric + " per attribute", "sequences with the attribute in brackets", f.svg);
  }

  function speedChart(points) {
    var fps = points.map(function (p) { return p.fps; }), score = points.map(function (p) { return p.score; });
    var lo = Math.min.apply(null, fps), hi = Math.max.apply(null, fps), log = hi / lo > 20;
    var xlim = log ? [Math.pow(10, Math.floor(Math.log10(lo))), Math.pow(10, Math.ceil(Math.log10(hi)))] : [0, hi * 1.15 || 1];
    var ylo = Math.max(0, Math.floor((Math.min.apply(null, score) - 8) / 5) * 5), yhi = Math.min(100, Math.ceil((Math.max.apply(null, score) + 8) / 5) * 5);
    var f = frame({width: 560, height: 330, xlim: xlim, xlog: log, ylim: [ylo, yhi], xlabel: "Speed [frames/s]" + (log ? ", log scale" : ""),
      ylabel: D.protocol.main + " [%]", label: "speed chart"});
    points.forEach(function (p) {
      var t = trackers[p.tracker], cx = f.x(p.fps), cy = f.y(p.score);
      var right = cx > (f.box.l + f.box.r) / 2;
      s("circle", {cx: cx, cy: cy, r: 6.5, fill: t.color, stroke: "#fff", "stroke-width": 1.5}, f.svg);
      text(f.svg, cx + (right ? -10 : 10), cy + 4, t.name + " (" + fmt(p.fps, 1) + " fps, " + fmt(p.score, 1) + ")",
        {"font-size": 12, "text-anchor": right ? "end" : "start"});
    });
    return card("Speed vs. " + D.protocol.main, "frames per second from the time files", f.svg);
  }

  function plots() {
    var curves = document.getElementById("curve-charts");
    D.curves.forEach(function (curve) { curves.appendChild(curveChart(curve)); });
    var extra = document.getElementById("extra-charts");
    if (D.attributeChart) extra.appendChild(attributeChart(D.attributeChart));
    if (D.speed && D.speed.length) extra.appendChild(speedChart(D.speed));
    if (!extra.children.length) extra.remove();
  }

  // ---------------------------------------------------------------- per-sequence table
  var seq = D.sequences, attrNames = D.attributeNames;
  var state = {metric: seq.main, sort: null, dir: 1, query: "", attribute: -1, open: {}};
  var rows = [], details = {};

  function columns() {
    var cols = [
      {key: "index", label: "#", cls: "index", value: function (i) { return i + 1; }},
      {key: "name", label: "Sequence", cls: "name text", value: function (i) { return seq.names[i]; }, text: true},
      {key: "frames", label: "Frames", value: function (i) { return seq.frames[i]; }},
      {key: "absent", label: "Absent %", value: function (i) { return seq.absent[i]; }, digits: 1}];
    trackers.forEach(function (t, k) {
      cols.push({key: "t" + k, label: t.name, tracker: k, cls: "score",
        value: function (i) { return seq.scores[state.metric][k][i]; }, digits: 1});
    });
    if (trackers.length === 2) {
      cols.push({key: "delta", label: "\u0394 " + trackers[0].name + " \u2212 " + trackers[1].name, cls: "delta",
        value: function (i) {
          var a = seq.scores[state.metric][0][i], b = seq.scores[state.metric][1][i];
          return a === null || b === null ? null : a - b;
        }, digits: 1});
    }
    if (attrNames.length) cols.push({key: "attributes", label: "Attributes", cls: "tags", text: true,
      value: function (i) { return seq.attributes[i].map(function (a) { return attrNames[a].short; }).join(" "); }});
    return cols;
  }
  var COLS = columns();

  function buildHead() {
    var tr = h("tr");
    COLS.forEach(function (col) {
      var th = h("th", {class: "sortable" + (col.text ? " text" : ""), "data-key": col.key, "aria-sort": "none", tabindex: 0},
        col.tracker !== undefined ? [swatch(trackers[col.tracker].color), col.label] : col.label);
      th.addEventListener("click", function () { sortBy(col.key); });
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(col.key); } });
      tr.appendChild(th);
    });
    document.querySelector("#sequence-table thead").appendChild(tr);
  }

  function cell(col, i) {
    var v = col.value(i), td = h("td", {class: col.cls || null});
    if (col.key === "attributes") {
      seq.attributes[i].forEach(function (a) { td.appendChild(h("span", {class: "tag", title: attrNames[a].name, text: attrNames[a].short})); });
    } else if (col.tracker !== undefined) {
      td.textContent = fmt(v, 1);
      var width = v === null ? 0 : Math.max(0, Math.min(100, v));
      td.appendChild(h("span", {class: "bar"}, h("i", {style: "width:" + width + "%;background:" + trackers[col.tracker].color})));
    } else if (col.key === "delta") {
      td.textContent = v === null ? "\u2013" : (v > 0 ? "+" : "") + v.toFixed(1);
      if (v !== null && Math.abs(v) >= 0.05) td.classList.add(v > 0 ? "up" : "down");
    } else {
      td.textContent = col.digits !== undefined ? fmt(v, col.digits) : String(v);
    }
    return td;
  }

  function buildRows() {
    var tbody = document.querySelector("#sequence-table tbody");
    tbody.textContent = "";
    rows = seq.names.map(function (name, i) {
      var tr = h("tr", {class: "seq-row", "data-index": i, "data-name": name, tabindex: 0});
      COLS.forEach(function (col) { tr.appendChild(cell(col, i)); });
      tr.addEventListener("click", function () { toggle(i); });
      tr.addEventListener("keydown", function (e) { if (e.key === "Enter") toggle(i); });
      return tr;
    });
    layout();
  }

  function visible(i) {
    if (state.attribute >= 0 && seq.attributes[i].indexOf(state.attribute) < 0) return false;
    if (!state.query) return true;
    var q = state.query, hay = seq.names[i].toLowerCase();
    if (hay.indexOf(q) >= 0) return true;
    return seq.attributes[i].some(function (a) {
      return attrNames[a].name.toLowerCase().indexOf(q) >= 0 || attrNames[a].short.toLowerCase() === q;
    });
  }

  function order() {
    var idx = seq.names.map(function (_, i) { return i; });
    if (!state.sort) return idx;
    var col = COLS.filter(function (c) { return c.key === state.sort; })[0];
    var values = idx.map(function (i) { return col.value(i); });
    return idx.sort(function (a, b) {
      var va = values[a], vb = values[b];
      if (va === null || va === undefined) return vb === null || vb === undefined ? a - b : 1;   // no value: always last
      if (vb === null || vb === undefined) return -1;
      var c = col.text ? String(va).localeCompare(String(vb), "en", {numeric: true}) : va - vb;
      return c !== 0 ? c * state.dir : a - b;
    });
  }

  function layout() {
    var tbody = document.querySelector("#sequence-table tbody"), shown = 0, fragment = document.createDocumentFragment();
    order().forEach(function (i) {
      if (!visible(i)) return;
      shown++;
      fragment.appendChild(rows[i]);
      if (state.open[i]) fragment.appendChild(details[i]);
    });
    tbody.textContent = "";
    tbody.appendChild(fragment);
    document.getElementById("count").textContent = shown + " of " + seq.names.length + " sequences";
  }

  function refreshScores() {
    rows.forEach(function (tr, i) {
      COLS.forEach(function (col, c) {
        if (col.tracker !== undefined || col.key === "delta") tr.replaceChild(cell(col, i), tr.children[c]);
      });
    });
  }

  function sortBy(key) {
    state.dir = state.sort === key ? -state.dir : (key === "name" || key === "index" || key === "attributes" ? 1 : -1);
    state.sort = key;
    document.querySelectorAll("#sequence-table th").forEach(function (th) {
      th.setAttribute("aria-sort", th.getAttribute("data-key") === key ? (state.dir > 0 ? "ascending" : "descending") : "none");
    });
    layout();
  }

  function toolbar() {
    var filter = document.getElementById("filter");
    filter.addEventListener("input", function () { state.query = filter.value.trim().toLowerCase(); layout(); });
    var attr = document.getElementById("attribute-filter");
    if (!attrNames.length) attr.remove();
    else {
      attr.appendChild(h("option", {value: -1, text: "All attributes"}));
      attrNames.forEach(function (a, k) {
        var count = seq.attributes.filter(function (list) { return list.indexOf(k) >= 0; }).length;
        attr.appendChild(h("option", {value: k, text: a.name + " (" + count + ")"}));
      });
      attr.addEventListener("change", function () { state.attribute = +attr.value; layout(); });
    }
    var metric = document.getElementById("metric");
    seq.metrics.forEach(function (m) { metric.appendChild(h("option", {value: m, text: m, selected: m === state.metric ? "" : null})); });
    metric.addEventListener("change", function () { state.metric = metric.value; refreshScores(); layout(); });
    var withThumbs = D.thumbnails ? D.thumbnails.filter(function (t) { return t.length; }).length : 0;
    if (withThumbs) {
      document.getElementById("thumb-hint").textContent = withThumbs < seq.names.length ?
        " and, for the " + withThumbs + " sequences where the trackers fail or disagree most, thumbnails of the frames where they do" :
        " and thumbnails of the frames where the trackers fail or disagree most";
    }
  }

  // ---------------------------------------------------------------- per-frame detail
  function toggle(i) {
    state.open[i] = !state.open[i];
    rows[i].classList.toggle("open", state.open[i]);
    if (state.open[i] && !details[i]) details[i] = buildDetail(i);
    layout();
  }

  function frameSeries(i, kind) {
    var entry = D.series[i], L = D.frameLimits;
    return entry[kind].map(function (b64) {
      return Array.prototype.map.call(decode(b64), function (v) {
        if (v === L.noValue) return null;
        return kind === "iou" ? v / L.iouLevels : v;
      });
    });
  }

  function frameChart(i, kind, holder) {
    var entry = D.series[i], n = seq.frames[i], step = entry.step, values = frameSeries(i, kind);
    var xs = values[0].map(function (_, b) { return Math.min(n, b * step + (step + 1) / 2); });
    var ymax = 1, cap = D.frameLimits.centerCap;
    if (kind === "center") {
      var top = 0;
      values.forEach(function (list) { list.forEach(function (v) { if (v !== null) top = Math.max(top, Math.min(v, cap)); }); });
      ymax = Math.max(20, niceTicks(0, top * 1.08 || 20, 5).slice(-1)[0] || 20);
    }
    var f = frame({width: 1000, height: 230, margin: {l: 50, r: 12, t: 16, b: 36}, xlim: [1, Math.max(2, n)], ylim: [0, ymax],
      xlabel: "Frame", ylabel: kind === "iou" ? "IoU" : "Centre error [px]", label: "per-frame chart", xcount: 10, ycount: 4});
    entry.absent.forEach(function (span) {
      s("rect", {class: "absent", x: f.x(span[0] + 1) - 0.5, y: f.box.t, width: Math.max(1, f.x(span[1] + 1.5) - f.x(span[0] + 0.5)),
        height: f.box.b - f.box.t}, f.plot);
    });
    (D.thumbnails && D.thumbnails[i] || []).forEach(function (thumb, k) {
      var g = s("g", {class: "marker"}, f.svg), px = f.x(thumb.frame + 1);
      s("line", {x1: px, x2: px, y1: f.box.t, y2: f.box.b}, g);
      text(g, px, f.box.t - 4, String.fromCharCode(65 + k), {"text-anchor": "middle"});
    });
    values.forEach(function (list, k) {
      var clipped = kind === "center" ? list.map(function (v) { return v === null ? null : Math.min(v, ymax * 1.02); }) : list;
      s("path", {d: pathData(xs, clipped, f.x, f.y), fill: "none", stroke: trackers[k].color, "stroke-width": 1.5,
        "stroke-dasharray": trackers[k].dash || null, "stroke-linejoin": "round", class: "frame-line"}, f.plot);
    });
    var guide = s("line", {class: "guide", y1: f.box.t, y2: f.box.b, x1: -10, x2: -10}, f.svg);
    var tip = h("div", {class: "tooltip"});
    var overlay = s("rect", {x: f.box.l, y: f.box.t, width: f.box.r - f.box.l, height: f.box.b - f.box.t, fill: "transparent"}, f.svg);
    overlay.addEventListener("mousemove", function (e) {
      var rect = f.svg.getBoundingClientRect(), scale = 1000 / rect.width, px = (e.clientX - rect.left) * scale;
      var frameNo = f.x.domain[0] + (px - f.box.l) / (f.box.r - f.box.l) * (f.x.domain[1] - f.x.domain[0]);
      var b = Math.max(0, Math.min(values[0].length - 1, Math.floor((frameNo - 1) / step)));
      var first = b * step + 1, last = Math.min(n, (b + 1) * step);
      guide.setAttribute("x1", f.x(xs[b])); guide.setAttribute("x2", f.x(xs[b]));
      tip.textContent = "";
      append(tip, [h("div", {text: step > 1 ? "frames " + first + "\u2013" + last + " (mean)" : "frame " + first})]);
      values.forEach(function (list, k) {
        var v = list[b], shown = v === null ? "\u2013" : kind === "iou" ? v.toFixed(2) : v > cap ? "> " + cap + " px" : v.toFixed(0) + " px";
        append(tip, [h("div", {}, [swatch(trackers[k].color), trackers[k].name + "  " + shown])]);
      });
      tip.style.display = "block";
      var holderRect = holder.getBoundingClientRect();
      tip.style.left = Math.min(e.clientX - holderRect.left + 14, holderRect.width - 190) + "px";
      tip.style.top = (e.clientY - holderRect.top + 10) + "px";
    });
    overlay.addEventListener("mouseleave", function () { tip.style.display = "none"; guide.setAttribute("x1", -10); guide.setAttribute("x2", -10); });
    holder.textContent = "";
    holder.appendChild(f.svg);
    holder.appendChild(tip);
  }

  function buildDetail(i) {
    var td = h("td", {colspan: COLS.length});
    var tr = h("tr", {class: "detail", "data-index": i}, td);
    if (!D.series) {
      td.appendChild(h("p", {class: "note", text: "Per-frame values are not available for this evaluation."}));
      return tr;
    }
    var kinds = ["iou"].concat(D.series[i].center ? ["center"] : []), holder = h("div", {class: "frame-chart"});
    var buttons = h("span", {class: "segmented"});
    kinds.forEach(function (kind, k) {
      var b = h("button", {type: "button", class: k === 0 ? "on" : null, text: kind === "iou" ? "IoU" : "Centre error"});
      b.addEventListener("click", function (e) {
        e.stopPropagation();
        buttons.querySelectorAll("button").forEach(function (x) { x.classList.remove("on"); });
        b.classList.add("on");
        frameChart(i, kind, holder);
      });
      buttons.appendChild(b);
    });
    var head = h("div", {class: "detail-head"}, [h("h3", {text: seq.names[i]}), buttons]);
    trackers.forEach(function (t) { head.appendChild(h("span", {class: "legend-item"}, [swatch(t.color), t.name])); });
    if (D.series[i].absent.length) head.appendChild(h("span", {class: "legend-item absent-key", text: "target absent"}));
    if ((D.thumbnails && D.thumbnails[i] || []).length) head.appendChild(h("span", {class: "legend-item"}, [swatch(null, "gt"), "ground truth (thumbnails)"]));
    if (D.series[i].step > 1) head.appendChild(h("span", {class: "legend-item", text: "mean of every " + D.series[i].step + " frames"}));
    td.appendChild(head);
    td.appendChild(holder);
    frameChart(i, "iou", holder);
    var thumbs = D.thumbnails && D.thumbnails[i] || [];
    if (!thumbs.length && D.thumbnails && D.thumbnails.some(function (t) { return t.length; })) {
      td.appendChild(h("p", {class: "note", text: "No thumbnails for this sequence: the report keeps them for the " +
        D.thumbnailSequences + " sequences where the trackers fail or disagree most (python -m benchmarks.visualize " +
        "makes a video of any sequence)."}));
    }
    if (thumbs.length) {
      var strip = h("div", {class: "thumbs"});
      thumbs.forEach(function (thumb, k) {
        var caption = h("figcaption", {}, [h("b", {text: String.fromCharCode(65 + k) + " \u00b7 frame " + (thumb.frame + 1)}), " \u00b7 " + thumb.why, h("br")]);
        thumb.iou.forEach(function (v, t) {
          caption.appendChild(h("span", {class: "iou"}, [swatch(trackers[t].color), trackers[t].name + " " + (v === null ? "\u2013" : v.toFixed(2))]));
        });
        strip.appendChild(h("figure", {}, [h("img", {src: thumb.src, alt: seq.names[i] + " frame " + (thumb.frame + 1), width: 192, height: 144}), caption]));
      });
      td.appendChild(strip);
    }
    td.addEventListener("click", function (e) { e.stopPropagation(); });
    return tr;
  }

  function footer() {
    var foot = document.getElementById("foot");
    append(foot, [
      h("p", {text: "Per-frame values are those of each tracker's first run, after the " + D.protocol.key +
        " rules (frames they leave out are gaps; absent-target frames are shaded)." +
        (D.thumbnails && D.thumbnails.some(function (t) { return t.length; }) ? " Thumbnails: ground truth in white with a dark edge, trackers in their plot colours." : "")}),
      h("p", {}, ["Beside this file: ", h("code", {text: "summary.md/.csv/.tex"}), ", ", h("code", {text: "per_sequence.csv"}),
        ", the figures as PNG and PDF. Written by the SimTrack toolkit (", h("code", {text: "python -m benchmarks.evaluate"}), ")."])]);
  }

  header();
  summaryTable();
  comparisonTable();
  plots();
  buildHead();
  toolbar();
  buildRows();
  footer();
  document.body.setAttribute("data-ready", "1");
})();
