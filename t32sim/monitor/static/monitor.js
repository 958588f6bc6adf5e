// t32sim monitor dashboard: polls the JSON API, draws the latency chart as inline SVG,
// and sends actions as same-origin JSON POSTs. Text is always set with textContent.
"use strict";
(function () {
  const root = document.body.dataset.root || "";
  const isAdmin = document.body.dataset.role === "admin";
  const SVG = "http://www.w3.org/2000/svg";
  let pollMs = 1000;
  let stopped = false;

  const $ = (id) => document.getElementById(id);

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

  function shortTime(iso) { return iso ? iso.replace("T", " ").replace("+00:00", "") : ""; }

  function svg(tag, attrs, parent) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    if (parent) parent.appendChild(el);
    return el;
  }

  function drawChart(rows) {
    const points = rows.slice().reverse();            // oldest first
    const W = 600, H = 180, L = 44, R = 8, T = 10, B = 22;
    const chart = svg("svg", { viewBox: "0 0 " + W + " " + H, preserveAspectRatio: "none" });
    const maxLatency = Math.max(50, ...points.map((p) => p.latency_ms));
    const top = Math.ceil(maxLatency / 50) * 50;
    const x = (i) => L + (points.length <= 1 ? 0 : (i * (W - L - R)) / (points.length - 1));
    const y = (v) => T + (H - T - B) * (1 - v / top);
    for (const v of [0, top / 2, top]) {
      svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "axis" }, chart);
      svg("text", { x: 4, y: y(v) + 3 }, chart).textContent = v + " ms";
    }
    if (points.length) {
      svg("polyline", { class: "line",
        points: points.map((p, i) => x(i).toFixed(1) + "," + y(p.latency_ms).toFixed(1)).join(" ") }, chart);
      points.forEach((p, i) => {
        const dot = svg("circle", { cx: x(i), cy: y(p.latency_ms), r: p.ok ? 2 : 3.5,
                                    class: p.ok ? "ok" : "bad" }, chart);
        svg("title", {}, dot).textContent = shortTime(p.time) + " " + p.target + " " +
          (p.ok ? "ok" : p.error) + " (" + p.latency_ms + " ms)";
      });
      svg("text", { x: L, y: H - 6 }, chart).textContent = shortTime(points[0].time);
      svg("text", { x: W - R - 120, y: H - 6 }, chart).textContent = shortTime(points[points.length - 1].time);
    }
    $("chart").replaceChildren(chart);
  }

  function renderStatus(s) {
    $("active").textContent = s.active;
    $("status").textContent = s.status;
    $("status").className = "big pill " + s.status;
    $("failures").textContent = s.failures_in_window + " / " + s.policy.threshold;
    $("cooldown").textContent = s.cooldown_remaining > 0 ? s.cooldown_remaining.toFixed(1) + " s" : "none";
    $("reason").textContent = s.last_reason || "";
    pollMs = Math.max(1000, s.interval * 1000);
    const select = $("target");
    if (select.options.length === 1) {
      for (const v of s.versions) {
        const option = document.createElement("option");
        option.value = v; option.textContent = v;
        select.appendChild(option);
      }
    }
    const rows = s.versions.map((v) => Object.assign({ version: v, url: s.targets[v] },
                                                     s.processes[v] || { state: s.spawned ? "" : "not spawned" }));
    fillTable("processes", rows, [["version"], ["url"], ["pid"], ["state"], ["restarts"]]);
  }

  async function refresh() {
    try {
      const [status, health, audit, verify] = await Promise.all([
        getJSON("/api/status"), getJSON("/api/health?limit=60"),
        getJSON("/api/audit?limit=25"), getJSON("/api/audit/verify")]);
      renderStatus(status);
      drawChart(health.rows);
      fillTable("health", health.rows.slice(0, 20), [
        [(r) => shortTime(r.time)], ["target"], [(r) => (r.ok ? "ok" : "FAIL"), (r) => (r.ok ? "ok" : "bad")],
        ["status_code"], ["latency_ms"], ["decision"], ["error", "detail"]]);
      fillTable("audit", audit.rows, [
        ["id"], [(r) => shortTime(r.time)], ["who"], ["source"], ["action"], ["target"],
        ["result", (r) => (r.result === "ok" ? "ok" : "bad")], ["detail", "detail"]]);
      $("verify").textContent = verify.ok ? "chain intact (" + verify.rows + " rows)" : "CHAIN BROKEN: " + verify.reason;
      $("verify").className = verify.ok ? "ok" : "bad";
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
    if (action === "failover" && target) body.to = target;
    const response = await fetch(root + "/api/" + action, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    let data = {};
    try { data = await response.json(); } catch (e) { /* empty body */ }
    if (response.ok) showMessage(action + ": done" + (data.target ? " on " + data.target : "") +
                                 (data.active ? " (active " + data.active + ")" : ""), true);
    else showMessage(action + ": " + (data.detail || ("HTTP " + response.status)), false);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("level").addEventListener("input", () => { $("level-out").textContent = $("level").value; });
    for (const button of document.querySelectorAll("button[data-action]")) {
      button.addEventListener("click", () => {
        if (!isAdmin) return;
        button.disabled = true;
        act(button.dataset.action).catch((e) => showMessage(e.message, false))
          .finally(() => { button.disabled = false; });
      });
    }
    refresh();
  });
})();
