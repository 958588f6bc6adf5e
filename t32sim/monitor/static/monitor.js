// t32sim monitor dashboard: polls the JSON API, draws the latency chart as inline SVG (one mark
// per check in the colour and shape of the version it asked, failed checks ringed red,
// failovers marked), and sends actions as same-origin JSON POSTs. Fetching, colours and
// markers come from the shared /static/web/web.js (window.T32Web). Text is set with textContent.
"use strict";
(function () {
  const root = document.body.dataset.root || "";
  const isAdmin = document.body.dataset.role === "admin";
  const SVG = "http://www.w3.org/2000/svg";
  const { api, ApiFailure, look, el } = window.T32Web;
  let versions = ["v1", "v2", "v3"];
  let pollMs = 1000;
  let stopped = false;
  let polls = 0;
  let last = { status: null, health: [] };
  let sliderFor = null;          // the target whose server value the slider shows

  const $ = (id) => document.getElementById(id);
  const styleOf = (v) => look(Math.max(0, versions.indexOf(v)));   // colour, marker per version

  async function getJSON(path) {
    try {
      return await api("GET", root + path);
    } catch (err) {
      if (err instanceof ApiFailure && (err.status === 401 || err.status === 429)) {
        stopped = true;
        throw new Error("not signed in (" + err.status + "): reload the page");
      }
      throw err;
    }
  }

  function cell(row, text, cls) {
    row.appendChild(el("td", cls ? { class: cls } : {}, text === null || text === undefined ? "" : String(text)));
  }

  function fillTable(id, rows, columns) {
    const body = $(id).querySelector("tbody");
    const fresh = el("tbody");
    for (const item of rows) {
      const tr = el("tr");
      for (const [key, cls] of columns) {
        const value = typeof key === "function" ? key(item) : item[key];
        cell(tr, value, typeof cls === "function" ? cls(item) : cls);
      }
      fresh.appendChild(tr);
    }
    body.replaceWith(fresh);
  }

  const shortTime = (iso) => (iso ? iso.replace("T", " ").replace("+00:00", "") : "");
  const clock = (iso) => (iso ? iso.slice(11, 19) : "");

  function svg(tag, attrs, parent) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (parent) parent.appendChild(node);
    return node;
  }

  // -- the chart ---------------------------------------------------------------------------
  function drawChart(rows, status) {
    const box = $("chart");
    const W = Math.max(300, box.clientWidth), H = Math.max(160, box.clientHeight);
    const font = parseFloat(getComputedStyle(document.body).fontSize) * 0.75;
    const points = rows.slice().reverse();                    // oldest first
    const timeoutMs = status ? status.timeout * 1000 : 1000;
    const maxLatency = Math.max(timeoutMs * 1.1, ...points.map((p) => p.latency_ms));
    const step = niceStep(maxLatency / 3);
    const top = Math.ceil(maxLatency / step) * step;
    const ticks = [];
    for (let v = 0; v <= top + 1e-9; v += step) ticks.push(+v.toFixed(3));
    const L = font * (0.62 * Math.max(...ticks.map((v) => (v + " ms").length)) + 0.8);
    const R = font * 0.8, T = font * 1.6, B = font * 1.8;
    const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H,
                               "font-size": font.toFixed(1) });
    const x = (i) => L + (points.length <= 1 ? 0 : (i * (W - L - R)) / (points.length - 1));
    const y = (v) => T + (H - T - B) * (1 - Math.min(v, top) / top);
    for (const v of ticks) {
      svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "axis" }, chart);
      svg("text", { x: L - font * 0.4, y: y(v) + font * 0.35, "text-anchor": "end" }, chart)
        .textContent = v + " ms";
    }
    svg("line", { x1: L, x2: W - R, y1: y(timeoutMs), y2: y(timeoutMs), class: "timeout" }, chart);
    if (points.length) {
      svg("polyline", { class: "line", points: points.map((p, i) =>
        x(i).toFixed(1) + "," + y(p.latency_ms).toFixed(1)).join(" ") }, chart);
      const radius = Math.max(3, Math.min(font * 0.42, (W - L - R) / points.length / 2.2));
      points.forEach((p, i) => {
        const mark = shape(styleOf(p.target), x(i), y(p.latency_ms), radius, chart);
        mark.setAttribute("data-version", p.target);
        svg("title", {}, mark).textContent = shortTime(p.time) + " " + p.target + ": " +
          (p.ok ? "ok" : p.error) + " (" + p.latency_ms + " ms)";
        if (!p.ok) svg("circle", { cx: x(i), cy: y(p.latency_ms), r: radius + 3.5, class: "fail" }, chart);
      });
      const first = points[0].time, lastTime = points[points.length - 1].time;
      for (const s of (status ? status.switches : [])) {
        if (s.time < first || s.time > lastTime) continue;
        let i = points.findIndex((p) => p.time >= s.time);
        if (i < 0) i = points.length - 1;
        const at = i > 0 ? (x(i - 1) + x(i)) / 2 : x(i);
        svg("line", { x1: at, x2: at, y1: T - font * 0.2, y2: H - B, class: "switch" }, chart);
        svg("text", { x: at, y: T - font * 0.45, "text-anchor": "middle", class: "switch-label" },
            chart).textContent = s.from + " → " + s.to;
      }
      svg("text", { x: L, y: H - font * 0.4 }, chart).textContent = clock(first);
      svg("text", { x: L + font * 0.4, y: y(timeoutMs) - font * 0.45, class: "timeout-label" },
          chart).textContent = "timeout " + (timeoutMs / 1000) + " s";   // drawn over the dots
      svg("text", { x: W - R, y: H - font * 0.4, "text-anchor": "end" }, chart).textContent = clock(lastTime);
    }
    box.replaceChildren(chart);
  }

  /** The smallest of 1, 2, 2.5, 5 x 10^n that is at least ``raw``. */
  function niceStep(raw) {
    const mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
    return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  }

  /** One check's mark: the version's shape (circle, square, triangle, diamond) and colour. */
  function shape(style, cx, cy, r, parent) {
    const attrs = { fill: style.color, class: "check" };
    if (style.marker === "square") return svg("rect", { ...attrs, x: cx - r, y: cy - r, width: 2 * r, height: 2 * r }, parent);
    if (style.marker === "triangle") return svg("polygon", { ...attrs, points: `${cx},${cy - r * 1.25} ${cx + r * 1.15},${cy + r * 0.85} ${cx - r * 1.15},${cy + r * 0.85}` }, parent);
    if (style.marker === "diamond") return svg("polygon", { ...attrs, points: `${cx},${cy - r * 1.3} ${cx + r},${cy} ${cx},${cy + r * 1.3} ${cx - r},${cy}` }, parent);
    return svg("circle", { ...attrs, cx, cy, r }, parent);
  }

  function drawLegend(status) {
    const legend = $("legend");
    if (legend.childElementCount || !status) return;
    for (const v of status.versions) {
      const mark = svg("svg", { viewBox: "-6 -6 12 12", class: "swatch" });
      shape(styleOf(v), 0, 0, 4.5, mark);
      legend.appendChild(el("span", {}, "")).append(mark, v);
    }
    const ring = el("i", { class: "swatch fail" });
    legend.appendChild(el("span", {}, "")).append(ring, "failed check");
  }

  // -- the cards, the reason line, the controls ---------------------------------------------
  function describe(v, s) {
    const chaos = s.chaos[v] || {};
    const proc = s.processes[v];
    const parts = [v + ": CPU " + (chaos.cpu_load ?? 0) + " %", chaos.is_corrupted ? "data CORRUPTED" : "data ok"];
    if (proc) parts.push("process " + proc.state + (proc.restart_in != null ? " (starts in " + proc.restart_in.toFixed(0) + " s)" : ""));
    return parts.join(" · ");
  }

  function renderReason(s) {
    const reason = $("reason");
    const note = s.notes[0];
    const noteAge = note ? (Date.now() - Date.parse(note.time)) / 1000 : Infinity;
    if (s.last_check && !s.last_check.ok) {
      reason.textContent = s.last_check.target + ": " + s.last_check.error;
      reason.className = "reason bad";
    } else if (note && noteAge < 60) {
      reason.textContent = note.text;
      reason.className = "reason note";
    } else {
      reason.textContent = s.last_reason || "";
      reason.className = "reason ok";
    }
  }

  function renderStatus(s) {
    versions = s.versions;
    $("active").textContent = s.active;
    $("active").style.color = styleOf(s.active).color;
    $("status").textContent = s.status;
    $("status").className = "big pill " + s.status;
    const p = s.policy;
    $("failures").textContent = s.failures_in_window + " / " + p.threshold;
    $("failures").className = "big" + (s.failures_in_window >= p.threshold ? " hot" : s.failures_in_window ? " warm" : "");
    $("failures-bar").style.width = Math.min(100, (100 * s.failures_in_window) / p.threshold) + "%";
    $("failures-bar").className = s.failures_in_window >= p.threshold ? "full" : "";
    $("cooldown").textContent = s.cooldown_remaining > 0 ? s.cooldown_remaining.toFixed(1) + " s" : "none";
    $("cooldown").className = "big" + (s.cooldown_remaining > 0 ? " warm" : "");
    $("rule").textContent = "check every " + s.interval + " s · timeout " + s.timeout + " s · failover after " +
      p.threshold + " failures within " + p.window + " s · cooldown " + p.cooldown + " s";
    renderReason(s);
    pollMs = Math.max(1000, s.interval * 1000);
    const select = $("target");
    if (select.options.length === 1) {
      for (const v of s.versions) select.appendChild(el("option", { value: v }, v));
    }
    const target = select.value || s.active;
    $("target-state").textContent = describe(target, s);
    if (sliderFor !== target) {                  // show the server's value, once per target
      sliderFor = target;
      setSlider((s.chaos[target] || {}).cpu_load || 0);
    }
    const rows = s.versions.map((v) => {
      const chaos = s.chaos[v] || {};
      const proc = s.processes[v] || { state: s.spawned ? "" : "not spawned" };
      return { version: v, url: s.targets[v], cpu: (chaos.cpu_load ?? 0) + " %",
               data: chaos.is_corrupted ? "CORRUPTED" : "ok",
               state: proc.state + (proc.restart_in != null ? " (starts in " + proc.restart_in.toFixed(0) + " s)" : ""),
               pid: proc.pid, restarts: proc.restarts };
    });
    fillTable("services", rows, [["version"], ["url"], ["cpu"], ["data", (r) => (r.data === "ok" ? "ok" : "bad")],
                                 ["state", (r) => (r.state.startsWith("running") ? "" : "warn")], ["pid"], ["restarts"]]);
    const fresh = el("ol", { id: "notes", class: "notes" });
    for (const note of s.notes.slice(0, 8)) {
      const when = el("span", { class: "when" }, clock(note.time) + (note.who !== "monitor" ? " " + note.who : ""));
      fresh.appendChild(el("li", { class: note.kind })).append(when, note.text);
    }
    $("notes").replaceWith(fresh);
  }

  function setSlider(value) {
    $("level").value = String(value);
    $("level-out").textContent = value + " %";
  }

  async function refresh() {
    try {
      const wantVerify = polls % 10 === 0;
      polls += 1;
      const [status, health, audit, verify] = await Promise.all([
        getJSON("/api/status"), getJSON("/api/health?limit=60"), getJSON("/api/audit?limit=25"),
        wantVerify ? getJSON("/api/audit/verify") : Promise.resolve(null)]);
      last = { status, health: health.rows };
      renderStatus(status);
      drawLegend(status);
      drawChart(health.rows, status);
      fillTable("health", health.rows.slice(0, 20), [
        [(r) => shortTime(r.time)], ["target"], [(r) => (r.ok ? "ok" : "FAIL"), (r) => (r.ok ? "ok" : "bad")],
        ["status_code"], ["latency_ms"], ["decision"], ["error", "detail"]]);
      fillTable("audit", audit.rows, [
        ["id"], [(r) => shortTime(r.time)], ["who"], ["source"], ["action"], ["target"],
        ["result", (r) => (r.result === "ok" ? "ok" : "bad")], ["detail", "detail"]]);
      if (verify) {
        $("verify").textContent = verify.ok ? `chain intact (${verify.rows} row${verify.rows === 1 ? "" : "s"})` : "CHAIN BROKEN: " + verify.reason;
        $("verify").className = verify.ok ? "ok" : "bad";
      }
    } catch (err) {
      showMessage(err.message, false);
    }
    if (!stopped) setTimeout(refresh, pollMs);
  }

  function showMessage(text, ok) {
    $("message").textContent = text;
    $("message").className = "message " + (ok ? "ok" : "error");
  }

  async function act(action) {
    const body = {};
    const target = $("target").value;
    if (action.startsWith("chaos/") && target) body.target = target;
    if (action === "chaos/cpu") body.level = Number($("level").value);
    if (action === "chaos/crash") body.down_for = Number($("down-for").value);
    if (action === "failover" && target) body.to = target;
    try {
      const data = await api("POST", root + "/api/" + action,
                             { body: JSON.stringify(body), contentType: "application/json" });
      showMessage(data.message || (action === "failover" ? "Switched from " + data.from + " to " + data.active + "."
        : action === "reset" ? "Every service reset; " + data.active + " is active again." : action + ": done."), true);
    } catch (err) {
      showMessage(action + ": " + err.message + (err.field ? " [" + err.field + "]" : ""), false);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("level").addEventListener("input", () => { $("level-out").textContent = $("level").value + " %"; });
    $("target").addEventListener("change", () => { sliderFor = null; if (last.status) renderStatus(last.status); });
    for (const button of document.querySelectorAll("button[data-action]")) {
      button.addEventListener("click", () => {
        if (!isAdmin) return;
        button.disabled = true;
        act(button.dataset.action).catch((e) => showMessage(e.message, false))
          .finally(() => { button.disabled = false; });
      });
    }
    window.addEventListener("resize", () => { if (last.status) drawChart(last.health, last.status); });
    refresh();
  });
})();
