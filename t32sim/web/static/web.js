// t32sim web helpers shared by the live dashboard and the monitor: a fetch wrapper that
// understands the {error, detail, field} body, toasts, and canvas line charts with a
// colour-blind-safe palette (Okabe & Ito) where every series also has its own dash and
// marker. No framework, no external asset. Loaded as /static/web/web.js; sets window.T32Web.
"use strict";
(() => {
  // Okabe-Ito, reordered so neighbours differ in lightness too; readable on a dark panel.
  const PALETTE = ["#56B4E9", "#E69F00", "#009E73", "#F0E442", "#CC79A7", "#D55E00", "#0072B2", "#FFFFFF"];
  const DASHES = [[], [8, 4], [2, 4], [10, 3, 2, 3]];
  const MARKERS = ["circle", "square", "triangle", "diamond"];

  /** Series n's look: its colour, dash and marker (stable for a given n). */
  function look(n) {
    const i = Math.max(0, n | 0);
    return { color: PALETTE[i % PALETTE.length], dash: DASHES[Math.floor(i / PALETTE.length) % DASHES.length],
      marker: MARKERS[i % MARKERS.length] };
  }

  function el(tag, attrs = {}, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v;
      else if (k.startsWith("data-") || k.startsWith("aria-")) node.setAttribute(k, v);
      else node[k] = v;
    }
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** An error answer: message is the server's detail, field the parameter it names. */
  class ApiFailure extends Error {
    constructor(status, body) {
      super((body && body.detail) || `HTTP ${status}`);
      this.status = status;
      this.error = body && body.error;
      this.field = body && body.field;
    }
  }

  /** fetch() as JSON: resolves to the parsed body, rejects with ApiFailure on 4xx/5xx. */
  async function api(method, path, { body, contentType, headers = {} } = {}) {
    const all = Object.assign({}, headers);
    if (body !== undefined && contentType) all["Content-Type"] = contentType;
    const response = await fetch(path, { method, headers: all, body, credentials: "same-origin", cache: "no-store" });
    let data = null;
    const text = await response.text();
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = text; }
    if (!response.ok) throw new ApiFailure(response.status, data);
    return data;
  }

  let toastTimer = null;
  /** Show text in the element #toast (role=status); errors stay longer and show [field]. */
  function toast(text, { field, error = false, id = "toast" } = {}) {
    const box = document.getElementById(id);
    if (!box) return;
    box.replaceChildren(document.createTextNode(text));
    if (field) box.append(document.createTextNode(" "), el("span", { class: "field" }, `[${field}]`));
    box.className = "toast show" + (error ? " error" : "");
    box.dataset.kind = error ? "error" : "ok";
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.className = "toast"; }, error ? 7000 : 3000);
  }

  function marker(ctx, shape, x, y, r) {
    ctx.beginPath();
    if (shape === "square") ctx.rect(x - r, y - r, 2 * r, 2 * r);
    else if (shape === "triangle") { ctx.moveTo(x, y - r * 1.2); ctx.lineTo(x + r * 1.1, y + r * 0.8); ctx.lineTo(x - r * 1.1, y + r * 0.8); ctx.closePath(); }
    else if (shape === "diamond") { ctx.moveTo(x, y - r * 1.3); ctx.lineTo(x + r, y); ctx.lineTo(x, y + r * 1.3); ctx.lineTo(x - r, y); ctx.closePath(); }
    else ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fill();
  }

  function niceStep(top, integer) {
    const raw = top / 4, mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
    return integer ? Math.max(1, Math.ceil(step)) : step;
  }

  /**
   * A line chart on a canvas. series: [{label, color, dash, marker, step, width, points: [[x, y]]}].
   * opts: {yMax, integer, empty, xLabel: (x) => text, fontSize}. The legend is drawn at the top.
   * canvas.drawn keeps the series as drawn (styles resolved), so a test can read the chart.
   */
  function lineChart(canvas, series, opts = {}) {
    // what was drawn, for tests and the curious: label, colour, dash, marker and points
    canvas.drawn = series.map((s, n) => {
      const style = Object.assign(look(n), s);
      return { label: s.label, color: style.color, dash: style.dash || [], marker: style.marker || null, points: s.points };
    });
    const dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
    if (!w || !h) return;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    }
    const ctx = canvas.getContext("2d");
    const font = opts.fontSize || 15;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const pad = { l: 8 + font * 3, r: 12, t: font + 12, b: font + 8 };
    const pts = series.flatMap((s) => s.points);
    ctx.font = `${font}px sans-serif`;
    if (!pts.length) {
      ctx.fillStyle = "#a9bfd3";
      ctx.fillText(opts.empty || "no data yet", pad.l, h / 2);
      return;
    }
    const xs = pts.map((p) => p[0]);
    const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
    const top = Math.max(opts.yMax || 0, ...pts.map((p) => p[1]), opts.integer ? 1 : 0.1);
    const step = niceStep(top, opts.integer), yMax = Math.ceil(top / step) * step * 1.08;
    const X = (x) => pad.l + (x - x0) / (x1 - x0) * (w - pad.l - pad.r);
    const Y = (y) => h - pad.b - y / yMax * (h - pad.t - pad.b);
    ctx.strokeStyle = "#1e3550"; ctx.fillStyle = "#a9bfd3"; ctx.lineWidth = 1;
    for (let v = 0; v <= yMax + 1e-9; v += step) {
      const y = Y(v);
      ctx.beginPath(); ctx.moveTo(pad.l, y); ctx.lineTo(w - pad.r, y); ctx.stroke();
      const label = step >= 1 ? String(Math.round(v)) : v.toFixed(Math.min(3, Math.ceil(-Math.log10(step))));
      ctx.fillText(label, pad.l - 6 - ctx.measureText(label).width, y + font / 3);
    }
    const xl = opts.xLabel || ((x) => `${Math.round(x)} s`);
    ctx.fillText(xl(x0), pad.l, h - 4);
    const right = xl(x1);
    ctx.fillText(right, w - pad.r - ctx.measureText(right).width, h - 4);
    let lx = pad.l;
    series.forEach((s, n) => {
      const style = Object.assign(look(n), s);
      ctx.strokeStyle = style.color; ctx.fillStyle = style.color;
      ctx.lineWidth = style.width || 3; ctx.setLineDash(style.dash || []);
      ctx.beginPath();
      s.points.forEach(([x, y], i) => {
        if (i === 0) ctx.moveTo(X(x), Y(y));
        else if (s.step) { ctx.lineTo(X(x), Y(s.points[i - 1][1])); ctx.lineTo(X(x), Y(y)); }
        else ctx.lineTo(X(x), Y(y));
      });
      ctx.stroke(); ctx.setLineDash([]);
      const every = Math.max(1, Math.ceil(s.points.length / 8));
      s.points.forEach(([x, y], i) => {
        if (style.marker && (i % every === 0 || i === s.points.length - 1)) marker(ctx, style.marker, X(x), Y(y), 3.5);
      });
      ctx.font = `bold ${font}px sans-serif`;
      if (style.marker) marker(ctx, style.marker, lx + 5, font * 0.65, 4.5);
      ctx.fillText(s.label, lx + 14, font);
      lx += ctx.measureText(s.label).width + 30;
      ctx.font = `${font}px sans-serif`;
    });
  }

  window.T32Web = { api, ApiFailure, toast, lineChart, look, el, PALETTE, DASHES, MARKERS };
})();
