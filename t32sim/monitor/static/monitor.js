// t32sim monitor dashboard: polls the JSON API, draws the latency chart as inline SVG (one dot
// per check, coloured by the version it asked, failed checks ringed red, failovers marked),
// and sends actions as same-origin JSON POSTs. Text is always set with textContent.
"use strict";
(function () {
  const root = document.body.dataset.root || "";
  const isAdmin = document.body.dataset.role === "admin";
  const SVG = "http://www.w3.org/2000/svg";
  const VERSIONED = ["v1", "v2", "v3"];
  let pollMs = 1000;
  let stopped = false;
  let polls = 0;
  let last = { status: null, health: [] };
  let sliderFor = null;          // the target whose server value the slider shows

  const $ = (id) => document.getElementById(id);
  const versionClass = (v) => (VERSIONED.includes(v) ? v : "other");

  async function getJSON(path) {
    const response = await fetch(root + path, { credentials: "same-origin", cache: "no-store" });
    if (response.status === 401 || response.status === 429) {
      stopped = true;
      throw new Error("not signed in (" + response.status + "): reload the page");
    }
    if (!response.ok) throw new Error(path + " -> HTTP " + response.status);
    return response.json();
  }

  function cell(row, text, cls) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (cls) td.className = cls;
    row.appendChild(td);
  }

  function fillTable(id, rows, columns) {
    const body = $(id).querySelector("tbody");
    const fresh = document.createElement("tbody");
    for (const item of rows) {
      const tr = document.createElement("tr");
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
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    if (parent) parent.appendChild(el);
    return el;
  }

  // -- the chart ---------------------------------------------------------------------------
  function drawChart(rows, status) {
    const box = $("chart");
    const W = Math.max(300, box.clientWidth), H = Math.max(160, box.clientHeight);
    const font = parseFloat(getComputedStyle(document.body).fontSize) * 0.75;
    const L = font * 4.2, R = font * 0.8, T = font * 1.6, B = font * 1.8;
    const points = rows.slice().reverse();                    // oldest first
    const timeoutMs = status ? status.timeout * 1000 : 1000;
    const maxLatency = Math.max(timeoutMs * 1.1, ...points.map((p) => p.latency_ms));
    const step = maxLatency > 2000 ? 1000 : maxLatency > 500 ? 250 : 100;
    const top = Math.ceil(maxLatency / step) * step;
    const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H,
                               "font-size": font.toFixed(1) });
    const x = (i) => L + (points.length <= 1 ? 0 : (i * (W - L - R)) / (points.length - 1));
    const y = (v) => T + (H - T - B) * (1 - Math.min(v, top) / top);
    for (const v of [0, top / 2, top]) {
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
        const dot = svg("circle", { cx: x(i), cy: y(p.latency_ms), r: radius,
                                    class: "check " + versionClass(p.target) }, chart);
        svg("title", {}, dot).textContent = shortTime(p.time) + " " + p.target + ": " +
          (p.ok ? "ok" : p.error) + " (" + p.latency_ms + " ms)";
        if (!p.ok) svg("circle", { cx: x(i), cy: y(p.latency_ms), r: radius + 3, class: "fail" }, chart);
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

  function drawLegend(status) {
    const legend = $("legend");
    if (legend.childElementCount || !status) return;
    for (const v of status.versions) {
      const item = document.createElement("span");
      const dot = document.createElement("i");
      dot.className = "swatch " + versionClass(v);
      item.append(dot, v);
      legend.appendChild(item);
    }
    const fail = document.createElement("span");
    const ring = document.createElement("i");
    ring.className = "swatch fail";
    fail.append(ring, "failed check");
    legend.appendChild(fail);
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
    $("active").textContent = s.active;
    $("active").className = "big " + versionClass(s.active);
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
      for (const v of s.versions) {
        const option = document.createElement("option");
        option.value = v; option.textContent = v;
        select.appendChild(option);
      }
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
    const notes = $("notes");
    const fresh = document.createElement("ol");
    fresh.id = "notes"; fresh.className = "notes";
    for (const note of s.notes.slice(0, 8)) {
      const li = document.createElement("li");
      li.className = note.kind;
      const when = document.createElement("span");
      when.className = "when";
      when.textContent = clock(note.time) + (note.who !== "monitor" ? " " + note.who : "");
      li.append(when, note.text);
      fresh.appendChild(li);
    }
    notes.replaceWith(fresh);
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
        $("verify").textContent = verify.ok ? "chain intact (" + verify.rows + " rows)" : "CHAIN BROKEN: " + verify.reason;
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
    const response = await fetch(root + "/api/" + action, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    let data = {};
    try { data = await response.json(); } catch (e) { /* empty body */ }
    if (response.ok) {
      const said = data.message || (action === "failover" ? "Switched from " + data.from + " to " + data.active + "."
        : action === "reset" ? "Every service reset; " + data.active + " is active again." : action + ": done.");
      showMessage(said, true);
    } else {
      showMessage(action + ": " + (data.detail || ("HTTP " + response.status)), false);
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
