// t32sim live dashboard: state over Server-Sent Events, controls over the HTTP API.
// No framework and no external asset: a classroom without internet gets the same page.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const MAX_EVENTS = 400, SHOWN_EVENTS = 150, SHOWN_PODS = 240, HISTORY = 900;
  const VERSION_COLORS = ["#19e3ff", "#ff9d1c", "#c59bff", "#3cf08f", "#ff4d6d", "#ffd23f"];

  const model = {
    state: null, events: [], server: {}, history: new Map(), lbTally: {},
    selected: "", eventsDirty: true,
  };

  // ---- state deltas (the same format as t32sim/server/delta.py) ----------------------
  function applyDelta(old, delta) {
    const state = Object.assign({}, old);
    for (const key of delta.del || []) delete state[key];
    Object.assign(state, delta.set || {});
    for (const [key, patch] of Object.entries(delta.patch || {})) {
      const before = state[key];
      if (patch.kind === "map") {
        const after = {};
        const removed = new Set(patch.del || []);
        for (const [k, v] of Object.entries(before)) if (!removed.has(k)) after[k] = v;
        Object.assign(after, patch.set || {});
        state[key] = after;
      } else {
        const k = patch.key, removed = new Set(patch.del || []), replaced = new Map();
        for (const item of patch.set || []) replaced.set(item[k], item);
        let items = before.filter((it) => !removed.has(it[k])).map((it) => replaced.get(it[k]) || it);
        items = items.concat(patch.append || []);
        if (patch.order) {
          const byKey = new Map(items.map((it) => [it[k], it]));
          items = patch.order.map((name) => byKey.get(name));
        }
        state[key] = items;
      }
    }
    return state;
  }

  // ---- the live stream ----------------------------------------------------------------
  let source = null;
  function connect() {
    setConn("connecting");
    source = new EventSource("/events");
    source.addEventListener("snapshot", (e) => {
      const msg = JSON.parse(e.data);
      model.state = msg.state;
      model.server = msg.server || {};
      mergeEvents(msg.events || []);
      sample();
      setConn("live");
      schedule();
    });
    source.addEventListener("update", (e) => {
      if (!model.state) return;
      const msg = JSON.parse(e.data);
      model.state = applyDelta(model.state, msg.delta || {});
      if (msg.server) model.server = msg.server;
      mergeEvents(msg.events || []);
      sample();
      setConn("live");
      schedule();
    });
    source.onopen = () => setConn("live");
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        setConn("down");
        setTimeout(connect, 2000);
      } else {
        setConn("connecting");
      }
    };
  }

  function setConn(state) {
    const el = $("conn");
    if (el.dataset.state === state) return;
    el.dataset.state = state;
    el.querySelector(".text").textContent =
      state === "live" ? "live" : state === "down" ? "disconnected" : "reconnecting…";
  }

  function mergeEvents(events) {
    if (!events.length) return;
    const last = model.events.length ? model.events[model.events.length - 1].seq : -1;
    const fresh = events.filter((ev) => ev.seq > last);
    if (!fresh.length) return;
    model.events = model.events.concat(fresh).slice(-MAX_EVENTS);
    model.eventsDirty = true;
  }

  // ---- time series for the charts -----------------------------------------------------
  function pick(obj, names) {
    for (const name of names) {
      if (obj && obj[name] !== undefined && obj[name] !== null) return obj[name];
    }
    return null;
  }

  function sample() {
    const s = model.state;
    const traffic = s.traffic || {};
    for (const [name, svc] of Object.entries(s.services || {})) {
      const status = svc.status || {}, spec = (svc.spec && svc.spec.spec) || {};
      const auto = spec.autoscale || {}, hpa = svc.autoscaler || {}, load = svc.load || {};
      const point = {
        t: s.time, desired: status.desired, ready: status.ready,
        cpu: pick(load, ["cpu"]) ?? pick(hpa, ["current_cpu"]),
        target: pick(hpa, ["target_cpu"]) ?? pick(auto, ["targetCPU"]),
        requests: traffic[name] || null,
      };
      let h = model.history.get(name);
      if (!h) model.history.set(name, (h = []));
      if (h.length && h[h.length - 1].t > s.time) h.length = 0; // a restarted server
      h.push(point);
      if (h.length > HISTORY) h.splice(0, h.length - HISTORY);
    }
  }

  // ---- rendering ----------------------------------------------------------------------
  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; render(); });
  }

  function render() {
    const s = model.state;
    if (!s) return;
    $("sim-time").textContent = Number(s.time).toFixed(1);
    renderPacing();
    renderServices(s);
    renderPods(s);
    if (model.eventsDirty) renderEvents();
    renderCharts();
  }

  function renderPacing() {
    const srv = model.server;
    const pause = $("pause");
    pause.textContent = srv.paused ? "▶ Resume" : "❚❚ Pause";
    pause.classList.toggle("active", !!srv.paused);
    for (const b of document.querySelectorAll(".btn.speed")) {
      b.classList.toggle("active", Number(b.dataset.speed) === srv.speed);
    }
    $("api-key").hidden = !srv.api_key;
  }

  function el(tag, attrs = {}, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v;
      else if (k.startsWith("data-")) node.setAttribute(k, v);
      else node[k] = v;
    }
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function serviceCard(name) {
    const card = el("div", { class: "svc", "data-service": name });
    const head = el("div", { class: "svc-head" });
    head.append(el("span", { class: "svc-name" }, name), el("span", { class: "svc-image", "data-f": "image" }),
      el("span", { class: "badge", "data-f": "phase" }));
    const counts = el("div", { class: "counts" });
    for (const [f, label] of [["ready", "ready / desired"], ["available", "available"], ["updated", "updated"], ["revision", "revision"]]) {
      const c = el("div", { class: "count", "data-c": f });
      c.append(el("b", { "data-f": f }), el("span", {}, label));
      counts.append(c);
    }
    const actions = el("div", { class: "svc-actions" });
    const button = (label, cls, handler, testid) => {
      const b = el("button", { class: "btn " + cls, "data-testid": testid }, label);
      b.addEventListener("click", handler);
      actions.append(b);
    };
    const q = "service=" + encodeURIComponent(name);
    button("−1", "", () => post(`/scale?${q}&delta=-1`, "scaled"), `scale-down-${name}`);
    button("+1", "", () => post(`/scale?${q}&delta=1`, "scaled"), `scale-up-${name}`);
    button("kill 1", "danger", () => post(`/chaos/kill?${q}&count=1`, "killed"), `kill1-${name}`);
    button("kill 3", "danger", () => post(`/chaos/kill?${q}&count=3`, "killed"), `kill3-${name}`);
    button("promote", "", () => post(`/promote?${q}`, "promoted"), `promote-${name}`);
    button("undo", "", () => post(`/undo?${q}`, "rolled back"), `undo-${name}`);
    const load = el("label", { class: "load" });
    const slider = el("input", { type: "range", min: 0, max: 100, step: 5, value: 0, "data-testid": `load-${name}` });
    const out = el("output", {}, "0%");
    let timer = null;
    slider.addEventListener("input", () => {
      out.textContent = slider.value + "%";
      clearTimeout(timer);
      timer = setTimeout(() => post(`/load?${q}&cpu=${slider.value}`, "load set"), 250);
    });
    load.append(el("span", {}, "CPU load"), slider, out);
    card.append(head, counts, actions, load, el("div", { class: "revisions", "data-f": "revisions" }));
    return card;
  }

  function renderServices(s) {
    const box = $("services");
    const names = Object.keys(s.services || {});
    if (!names.length) {
      if (!box.querySelector(".empty")) box.replaceChildren(el("p", { class: "empty" }, "No service yet: apply a spec below."));
      return;
    }
    box.querySelector(".empty")?.remove();
    for (const card of [...box.children]) if (!names.includes(card.dataset.service)) card.remove();
    for (const name of names) {
      let card = box.querySelector(`[data-service="${CSS.escape(name)}"]`);
      if (!card) box.append((card = serviceCard(name)));
      const svc = s.services[name], st = svc.status || {}, spec = (svc.spec && svc.spec.spec) || {};
      const set = (f, text) => { const n = card.querySelector(`[data-f="${f}"]`); if (n.textContent !== String(text)) n.textContent = text; };
      set("image", spec.image || "");
      set("ready", `${st.ready ?? "?"} / ${st.desired ?? "?"}`);
      set("available", st.available ?? "?");
      set("updated", st.updated ?? "?");
      set("revision", st.revision ?? "?");
      const phase = card.querySelector('[data-f="phase"]');
      const strategy = (spec.rollout && spec.rollout.strategy) || "";
      let phaseText = st.phase || "";
      if (st.step !== null && st.step !== undefined) phaseText += ` · step ${st.step + 1}`;
      if (strategy === "Canary" && st.phase !== "Healthy") phaseText += ` · ${st.weight}% canary`;
      if (phase.textContent !== phaseText) { phase.textContent = phaseText; phase.className = "badge " + (st.phase || ""); }
      card.querySelector('[data-c="ready"]').className = "count " + (st.ready >= st.desired ? "ok" : "short");
      const revs = (svc.revisions || []).filter((r) => r.pods || r.replicas)
        .map((r) => `rev ${r.revision} ${r.version}: ${r.pods}/${r.replicas}`).join(" · ");
      const load = svc.load || {}, hpa = svc.autoscaler;
      const loadText = load.rps ? ` · ${Number(load.rps).toFixed(0)} rps, CPU ${Number(load.cpu).toFixed(0)}%` : "";
      const hpaText = hpa ? ` · HPA ${hpa.min_replicas}..${hpa.max_replicas} @ ${hpa.target_cpu}%` : "";
      set("revisions", `${strategy} · ${revs}${loadText}${hpaText}${st.message ? " · " + st.message : ""}`);
    }
    const select = $("chart-service");
    const options = [...select.options].map((o) => o.value);
    if (options.join() !== names.join()) {
      select.replaceChildren(...names.map((n) => el("option", { value: n }, n)));
      if (!names.includes(model.selected)) model.selected = names[0];
      select.value = model.selected;
    }
  }

  function podClass(p) {
    if (p.phase === "Terminating") return "terminating";
    if (["CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff"].includes(p.phase)) return "failing";
    if (p.phase === "Running") return p.ready ? "ready" : "notready";
    return "starting";
  }

  let lastPods = "";
  function renderPods(s) {
    const pods = s.pods || [];
    const key = JSON.stringify(pods.map((p) => [p.name, p.phase, p.ready, p.restarts]));
    if (key === lastPods) return;
    lastPods = key;
    const ready = pods.filter((p) => p.ready).length;
    $("pod-count").textContent = `${ready} ready of ${pods.length}`;
    const tiles = pods.slice(0, SHOWN_PODS).map((p) => {
      const tile = el("div", { class: "pod " + podClass(p), title: `${p.name}\n${p.phase}${p.ready ? ", ready" : ""}`,
        "data-pod": p.name, "data-phase": p.phase, "data-ready": String(!!p.ready) });
      const short = p.name.split("-").pop();
      tile.append(el("div", { class: "pname" }, short),
        el("div", { class: "pphase" }, p.phase === "Running" && !p.ready ? "Not ready" : p.phase),
        el("div", { class: "pmeta" }, `${p.service} ${p.version || ""} · r${p.restarts || 0}`));
      return tile;
    });
    if (pods.length > SHOWN_PODS) tiles.push(el("div", { class: "pod more" }, `+${pods.length - SHOWN_PODS} more`));
    $("pods").replaceChildren(...tiles);
  }

  function renderEvents() {
    model.eventsDirty = false;
    const filter = $("event-filter").value.trim().toLowerCase();
    const warningsOnly = $("warnings-only").checked;
    const shown = [];
    for (let i = model.events.length - 1; i >= 0 && shown.length < SHOWN_EVENTS; i--) {
      const ev = model.events[i];
      if (warningsOnly && ev.level !== "Warning") continue;
      if (filter) {
        const text = `${ev.reason} ${ev.service} ${ev.pod} ${ev.message} ${ev.explain}`.toLowerCase();
        if (!text.includes(filter)) continue;
      }
      const li = el("li", { class: "event " + ev.level, "data-reason": ev.reason, "data-seq": ev.seq });
      li.append(el("span", { class: "etime" }, Number(ev.time).toFixed(1) + "s"),
        el("span", { class: "ereason" }, ev.reason),
        el("span", { class: "eobj" }, ev.pod || ev.service),
        el("span", { class: "emsg" }, ev.message),
        el("span", { class: "ewhy" }, ev.explain));
      shown.push(li);
    }
    $("events").replaceChildren(...shown);
  }

  // ---- charts (canvas, no library) ----------------------------------------------------
  function chart(canvas, series, opts = {}) {
    const dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
    if (!w || !h) return;
    if (canvas.width !== Math.round(w * dpr)) { canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr); }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const pad = { l: 40, r: 10, t: 22, b: 18 };
    const pts = series.flatMap((s) => s.points);
    if (!pts.length) {
      ctx.fillStyle = "#6f8aa3"; ctx.font = "14px sans-serif";
      ctx.fillText(opts.empty || "no data yet", pad.l, h / 2);
      return;
    }
    const x0 = Math.min(...pts.map((p) => p[0])), x1 = Math.max(...pts.map((p) => p[0]), x0 + 1);
    const yMax = Math.max(opts.yMax || 0, ...pts.map((p) => p[1]), 1) * 1.1;
    const X = (x) => pad.l + (x - x0) / (x1 - x0) * (w - pad.l - pad.r);
    const Y = (y) => h - pad.b - y / yMax * (h - pad.t - pad.b);
    ctx.strokeStyle = "#13233a"; ctx.fillStyle = "#8aa2b8"; ctx.font = "12px sans-serif"; ctx.lineWidth = 1;
    const top = yMax / 1.1, step = opts.integer ? Math.max(1, Math.ceil(top / 4)) : top / 4;
    for (let v = 0; v <= top + 1e-9; v += step) {
      const y = Y(v);
      ctx.beginPath(); ctx.moveTo(pad.l, y); ctx.lineTo(w - pad.r, y); ctx.stroke();
      ctx.fillText(v >= 10 ? Math.round(v) : v.toFixed(1), 4, y + 4);
    }
    ctx.fillText(`${x0.toFixed(0)}s`, pad.l, h - 3);
    ctx.fillText(`${x1.toFixed(0)}s`, w - pad.r - 40, h - 3);
    let lx = pad.l;
    for (const s of series) {
      ctx.strokeStyle = s.color; ctx.lineWidth = s.width || 2.5; ctx.setLineDash(s.dash || []);
      ctx.beginPath();
      s.points.forEach(([x, y], i) => {
        if (i === 0) ctx.moveTo(X(x), Y(y));
        else if (s.step) { ctx.lineTo(X(x), Y(s.points[i - 1][1])); ctx.lineTo(X(x), Y(y)); }
        else ctx.lineTo(X(x), Y(y));
      });
      ctx.stroke(); ctx.setLineDash([]);
      ctx.fillStyle = s.color; ctx.font = "bold 13px sans-serif";
      ctx.fillText(s.label, lx, 15);
      lx += ctx.measureText(s.label).width + 16;
    }
  }

  function versionColor(version, index) {
    const m = /(\d+)$/.exec(version || "");
    return VERSION_COLORS[(m ? Number(m[1]) - 1 : index) % VERSION_COLORS.length];
  }

  function renderCharts() {
    const name = model.selected || $("chart-service").value;
    const h = model.history.get(name) || [];
    chart($("chart-replicas"), [
      { label: "desired", color: "#ff9d1c", dash: [6, 4], step: true, points: h.map((p) => [p.t, p.desired]) },
      { label: "ready", color: "#3cf08f", step: true, points: h.map((p) => [p.t, p.ready]) },
    ], { integer: true });
    const cpu = h.filter((p) => p.cpu !== null);
    chart($("chart-cpu"), [
      { label: "CPU", color: "#19e3ff", points: cpu.map((p) => [p.t, p.cpu]) },
      { label: "target", color: "#ff4d6d", dash: [6, 4], points: h.filter((p) => p.target !== null).map((p) => [p.t, p.target]) },
    ], { yMax: 100, empty: "no CPU figures from the engine yet (set a load)" });
    const withRequests = h.filter((p) => p.requests && Object.keys(p.requests).length);
    const versions = [...new Set(withRequests.flatMap((p) => Object.keys(p.requests)))].sort();
    const series = versions.map((v, i) => ({ label: `${v} (total)`, color: versionColor(v, i), step: true,
      points: withRequests.map((p) => [p.t, p.requests[v] || 0]) }));
    chart($("chart-requests"), series, { integer: true, empty: "send requests from the load-balancer panel" });
  }

  // ---- commands -----------------------------------------------------------------------
  function apiKey() { return localStorage.getItem("t32sim-api-key") || ""; }

  async function call(method, path, body, contentType) {
    const headers = { "X-Actor": "dashboard" };
    if (apiKey()) headers["X-API-Key"] = apiKey();
    if (body !== undefined) headers["Content-Type"] = contentType;
    const response = await fetch(path, { method, headers, body });
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    if (!response.ok) {
      const error = new Error((data && data.detail) || `${response.status} ${response.statusText}`);
      error.field = data && data.field;
      error.status = response.status;
      if (response.status === 401) $("api-key").hidden = false;
      throw error;
    }
    return { data, response };
  }

  async function post(path, what, body, contentType) {
    try {
      const { data } = await call("POST", path, body, contentType);
      const extra = data && data.killed ? `: ${data.killed.join(", ")}` :
        data && data.replicas !== undefined ? ` to ${data.replicas}` : "";
      toast(`${what}${extra}`);
      return data;
    } catch (error) {
      toast(error.message, error.field, true);
      return null;
    }
  }

  let toastTimer = null;
  function toast(text, field, isError) {
    const t = $("toast");
    t.replaceChildren(document.createTextNode(text));
    if (field) t.append(document.createTextNode(" "), el("span", { class: "field" }, `[${field}]`));
    t.className = "toast show" + (isError ? " error" : "");
    t.dataset.kind = isError ? "error" : "ok";
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.className = "toast"; }, isError ? 6000 : 2500);
  }

  async function loadExamples() {
    try {
      const { data } = await call("GET", "/examples");
      const select = $("examples");
      for (const name of data.examples) select.append(el("option", { value: name }, name));
    } catch (_) { /* no examples folder: the editor still works */ }
  }

  function wire() {
    $("apply").addEventListener("click", () => post("/apply", "applied", $("yaml").value, "application/yaml"));
    $("yaml").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); $("apply").click(); }
    });
    $("examples").addEventListener("change", async (e) => {
      if (!e.target.value) return;
      const response = await fetch("/examples/" + encodeURIComponent(e.target.value));
      if (response.ok) $("yaml").value = await response.text();
    });
    $("pause").addEventListener("click", () =>
      model.server.paused ? post("/resume", "resumed") : post("/pause", "paused"));
    for (const b of document.querySelectorAll(".btn.speed")) {
      b.addEventListener("click", () => post(`/speed?value=${b.dataset.speed}`, `speed ${b.textContent}`));
    }
    $("advance").addEventListener("click", () => post("/advance?seconds=30", "jumped 30 s"));
    $("api-key").value = apiKey();
    $("api-key").addEventListener("change", (e) => localStorage.setItem("t32sim-api-key", e.target.value.trim()));
    $("event-filter").addEventListener("input", () => { model.eventsDirty = true; schedule(); });
    $("warnings-only").addEventListener("change", () => { model.eventsDirty = true; schedule(); });
    $("chart-service").addEventListener("change", (e) => { model.selected = e.target.value; schedule(); });
    $("lb-select").addEventListener("click", lbSelect);
    $("lb-send").addEventListener("click", lbSend);
    $("lb-clear").addEventListener("click", () => { model.lbTally = {}; renderTally(); });
    window.addEventListener("resize", schedule);
  }

  // ---- load balancer ------------------------------------------------------------------
  function lbService() { return model.selected || $("chart-service").value; }

  async function lbSelect() {
    const name = lbService();
    if (!name) return toast("apply a service first", "service", true);
    try {
      const { data } = await call("GET", `/lb/select?service=${encodeURIComponent(name)}`);
      $("lb-pick").textContent = `${data.pod}  (${data.version})`;
      tally(name, data.pod, data.version);
    } catch (error) {
      $("lb-pick").textContent = "—";
      toast(error.message, error.field, true);
    }
  }

  async function lbSend() {
    const name = lbService();
    if (!name) return toast("apply a service first", "service", true);
    const data = await post(`/send?service=${encodeURIComponent(name)}&count=20`, "20 requests sent");
    if (!data) return;
    for (const [pod, n] of Object.entries(data.by_pod || {})) model.lbTally[pod] = (model.lbTally[pod] || 0) + n;
    const versions = Object.entries(data.by_version || {}).map(([v, n]) => `${v}: ${n}`).join(", ");
    $("lb-pick").textContent = `20 requests → ${versions || "no Ready pod"}` + (data.errors ? ` (${data.errors} errors)` : "");
    renderTally();
  }

  function tally(service, pod, version) {
    model.lbTally[pod] = (model.lbTally[pod] || 0) + 1;
    renderTally();
  }

  function renderTally() {
    const entries = Object.entries(model.lbTally).sort();
    const max = Math.max(1, ...entries.map((e) => e[1]));
    const pods = new Map((model.state?.pods || []).map((p) => [p.name, p.version]));
    $("lb-dist").replaceChildren(...entries.map(([pod, n]) => {
      const row = el("div", { class: "bar-row " + (pods.get(pod) || "") });
      const fill = el("div", { class: "bar-fill" });
      fill.style.width = `${(100 * n / max).toFixed(1)}%`;
      const track = el("div", {});
      track.append(fill);
      row.append(el("span", { class: "bar-label", title: pod }, pod.split("-").pop()), track, el("span", {}, String(n)));
      return row;
    }));
  }

  wire();
  loadExamples();
  connect();
  window.t32sim = { model, applyDelta };
})();
