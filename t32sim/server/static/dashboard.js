// t32sim live dashboard: state over Server-Sent Events, commands over the HTTP API, charts
// from the server's samples. Every number shown is the server's (rounded for display only);
// controls show the server's current values. Uses window.T32Web (/static/web/web.js).
"use strict";
(() => {
  const { api, toast, lineChart, look, el } = window.T32Web;
  const $ = (id) => document.getElementById(id);
  const MAX_EVENTS = 400, SHOWN_EVENTS = 120, SHOWN_PODS = 60, KEEP_SAMPLES = 600;

  const model = { state: null, events: [], server: {}, samples: new Map(), lbTally: {},
    selected: "", eventsDirty: true, editorDirty: false, editorFor: "" };

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
  function connect() {
    setConn("connecting");
    const source = new EventSource("/events");
    const receive = (msg, full) => {
      const before = model.state ? model.state.time : -Infinity;
      model.state = full ? msg.state : applyDelta(model.state, msg.delta || {});
      if (model.state.time < before) { model.samples.clear(); colours.clear(); }  // a restart
      if (msg.server) model.server = msg.server;
      mergeEvents(msg.events || []);
      mergeSamples(model.state.samples || {});
      setConn("live");
      schedule();
    };
    source.addEventListener("snapshot", (e) => {
      const msg = JSON.parse(e.data);
      receive(msg, true);
      loadHistory();
    });
    source.addEventListener("update", (e) => { if (model.state) receive(JSON.parse(e.data), false); });
    source.onopen = () => setConn("live");
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) { setConn("down"); setTimeout(connect, 2000); }
      else setConn("connecting");
    };
  }

  function setConn(state) {
    const node = $("conn");
    if (node.dataset.state === state) return;
    node.dataset.state = state;
    node.querySelector(".text").textContent =
      state === "live" ? "live" : state === "down" ? "disconnected" : "reconnecting…";
  }

  function mergeEvents(events) {
    const last = model.events.length ? model.events[model.events.length - 1].seq : -1;
    const fresh = events.filter((ev) => ev.seq > last);
    if (!fresh.length) return;
    model.events = model.events.concat(fresh).slice(-MAX_EVENTS);
    model.eventsDirty = true;
  }

  // ---- chart samples: the server's, one per simulated second ----------------------------
  function mergeSamples(byService) {
    for (const [name, samples] of Object.entries(byService)) {
      let series = model.samples.get(name);
      if (!series) model.samples.set(name, (series = []));
      for (const s of samples) {
        if (!series.length || s.t > series[series.length - 1].t) series.push(s);
        colourOf(name, Object.keys(s.by_template || {}));
      }
      if (series.length > KEEP_SAMPLES) series.splice(0, series.length - KEEP_SAMPLES);
    }
  }

  // one colour (and dash and marker) per ReplicaSet, by pod-template hash, in the order
  // the charts first met them: an undo renumbers a revision but keeps its colour
  const colours = new Map();
  function colourOf(service, hashes) {
    let known = colours.get(service);
    if (!known) colours.set(service, (known = new Map()));
    for (const h of hashes) if (!known.has(h)) known.set(h, known.size);
    return hashes.length === 1 ? look(known.get(hashes[0])) : null;
  }

  async function loadHistory() {
    for (const name of Object.keys((model.state && model.state.services) || {})) {
      try {
        const data = await api("GET", `/history?service=${encodeURIComponent(name)}`);
        const known = model.samples.get(name) || [];
        const first = known.length ? known[0].t : Infinity;
        model.samples.set(name, data.samples.filter((s) => s.t < first).concat(known));
        colours.delete(name);
        for (const s of model.samples.get(name)) colourOf(name, Object.keys(s.by_template || {}));
      } catch (_) { /* the live samples still fill the charts */ }
    }
    schedule();
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
    fillEditor();
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

  /** The badge: phase, and while a canary runs its step and weight (the engine's numbers). */
  function phaseText(svc) {
    const st = svc.status || {};
    let text = st.phase || "";
    if (st.step !== null && st.step !== undefined) {
      text += ` · step ${st.step}/${svc.canary_steps}`;
      text += ` · ${st.weight} % canary`;
    }
    return text;
  }

  /** Serving vs old pods, by revision: "serving 3 × rev 2 (v2) · old 3 × rev 1 (v1)". */
  function trafficText(s, name, svc) {
    const serving = new Set(svc.serving || []);
    const pods = (s.pods || []).filter((p) => p.service === name && !p.deleted_at);
    const group = (list) => {
      const by = new Map();
      for (const p of list) by.set(revisionOf(s, p), (by.get(revisionOf(s, p)) || 0) + 1);
      const version = new Map((svc.revisions || []).map((r) => [r.revision, r.version]));
      return [...by].sort((a, b) => b[0] - a[0]).map(([rev, n]) => `${n} × rev ${rev} (${version.get(rev) || "?"})`).join(", ");
    };
    const live = pods.filter((p) => !isTerminating(p));
    const on = live.filter((p) => serving.has(p.name));
    const idle = live.filter((p) => p.ready && !serving.has(p.name)), waiting = live.filter((p) => !p.ready);
    const old = [idle.length ? `ready, no traffic ${group(idle)}` : "", waiting.length ? `not ready ${waiting.length}` : ""];
    return { serving: on.length, text: on.length ? `serving ${group(on)}` : "nothing serving",
      old: old.filter(Boolean).join(" · ") };
  }

  function serviceCard(name) {
    const card = el("div", { class: "svc", "data-service": name });
    const head = el("div", { class: "svc-head" });
    head.append(el("span", { class: "svc-name" }, name), el("span", { class: "badge", "data-f": "phase" }),
      el("span", { class: "svc-image", "data-f": "image" }));
    const counts = el("div", { class: "counts" });
    for (const [f, label] of [["serving", "serving/desired"], ["ready", "ready"], ["updated", "updated"],
      ["revision", "revision"], ["cpu", "cpu"], ["rps", "load rps"]]) {
      const c = el("div", { class: "count", "data-c": f });
      c.append(el("b", { "data-f": f }), el("span", {}, label));
      counts.append(c);
    }
    const line = el("div", { class: "traffic-line" });
    line.append(el("span", { "data-f": "traffic" }), el("span", { class: "old", "data-f": "old" }));
    const actions = el("div", { class: "svc-actions" });
    const button = (label, cls, handler, testid, title) => {
      const b = el("button", { class: "btn " + cls, "data-testid": testid, title: title || "" }, label);
      b.addEventListener("click", handler);
      actions.append(b);
    };
    const q = "service=" + encodeURIComponent(name);
    button("−1", "", () => post(`/scale?${q}&delta=-1`, (d) => `scaled ${name} to ${d.replicas}`), `scale-down-${name}`, "one replica less");
    button("+1", "", () => post(`/scale?${q}&delta=1`, (d) => `scaled ${name} to ${d.replicas}`), `scale-up-${name}`, "one replica more");
    button("kill 1", "danger", () => post(`/chaos/kill?${q}&count=1`, (d) => `killed ${d.killed.join(", ")}`), `kill1-${name}`);
    button("kill 3", "danger", () => post(`/chaos/kill?${q}&count=3`, (d) => `killed ${d.killed.join(", ")}`), `kill3-${name}`);
    button("promote", "", () => post(`/promote?${q}`, (d) => `promote ${name}: ${d.result}`), `promote-${name}`);
    button("undo", "", () => post(`/undo?${q}`, (d) => d.message || `undo ${name}: revision ${d.revision}'s template, now revision ${d.new_revision}`), `undo-${name}`);
    const load = el("label", { class: "load" });
    const slider = el("input", { type: "range", min: 0, max: 100, step: 1, value: 0, "data-testid": `load-${name}` });
    const out = el("output", { "data-testid": `load-value-${name}` }, "0%");
    let timer = null;
    slider.addEventListener("input", () => {
      slider.dataset.editing = "1";
      out.textContent = slider.value + "%";
      clearTimeout(timer);
      timer = setTimeout(async () => {
        await post(`/load?${q}&cpu=${slider.value}`, (d) => d.message || `load set to ${slider.value} % CPU`);
        delete slider.dataset.editing;
      }, 300);
    });
    load.append(el("span", {}, "CPU load"), slider, out);
    card.append(head, counts, line, actions, load, el("div", { class: "svc-detail", "data-f": "detail" }));
    return card;
  }

  function renderServices(s) {
    const box = $("services");
    const names = Object.keys(s.services || {});
    if (!names.length) {
      if (!box.querySelector(".empty")) box.replaceChildren(el("p", { class: "empty" }, "No service yet: apply a spec (YAML tab)."));
    } else box.querySelector(".empty")?.remove();
    for (const card of [...box.children]) if (card.dataset.service && !names.includes(card.dataset.service)) card.remove();
    for (const name of names) {
      let card = box.querySelector(`[data-service="${CSS.escape(name)}"]`);
      if (!card) box.append((card = serviceCard(name)));
      const svc = s.services[name], st = svc.status || {}, spec = (svc.spec && svc.spec.spec) || {};
      const load = svc.load || {}, hpa = svc.autoscaler;
      const set = (f, text) => { const n = card.querySelector(`[data-f="${f}"]`); if (n.textContent !== String(text)) n.textContent = text; };
      const traffic = trafficText(s, name, svc);
      set("image", spec.image || "");
      set("serving", `${traffic.serving} / ${st.desired ?? "?"}`);
      set("ready", st.ready ?? "?");
      set("updated", st.updated ?? "?");
      set("revision", st.revision ?? "?");
      set("cpu", `${Math.round(load.cpu || 0)}%`);
      set("rps", Math.round(load.rps || 0));
      set("traffic", traffic.text);
      set("old", traffic.old ? ` · ${traffic.old}` : "");
      const phase = card.querySelector('[data-f="phase"]');
      const text = phaseText(svc);
      if (phase.textContent !== text) { phase.textContent = text; phase.className = "badge " + (st.phase || ""); }
      const settled = traffic.serving >= st.desired && !traffic.old;
      card.querySelector('[data-c="serving"]').className = "count " + (settled ? "ok" : "short");
      const strategy = (spec.rollout && spec.rollout.strategy) || "RollingUpdate";
      const hpaText = hpa ? `HPA ${hpa.min_replicas}..${hpa.max_replicas} at ${hpa.target_cpu} % CPU` : "no autoscaler";
      set("detail", [strategy, hpaText, st.message].filter(Boolean).join(" · "));
      const slider = card.querySelector("input[type=range]");
      if (!slider.dataset.editing && document.activeElement !== slider) {
        const value = Math.min(100, Math.round(load.cpu || 0));
        if (Number(slider.value) !== value) slider.value = value;
        card.querySelector("output").textContent = `${value}%`;
      }
    }
    const select = $("chart-service");
    if ([...select.options].map((o) => o.value).join() !== names.join()) {
      select.replaceChildren(...names.map((n) => el("option", { value: n }, n)));
      if (!names.includes(model.selected)) model.selected = names[0] || "";
      select.value = model.selected;
    }
  }

  function isTerminating(p) { return p.status === "Terminating" || p.phase === "Terminating" || p.deletion_timestamp != null; }
  function statusWord(p) { return p.status || p.phase; }     // kubectl's STATUS column

  function podClass(p, serving) {
    if (isTerminating(p)) return "terminating";
    if (["CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff", "Error", "Failed"].includes(statusWord(p))) return "failing";
    if (p.ready) return serving.has(p.name) ? "serving" : "idle";
    if (statusWord(p) === "Running") return "notready";
    return "starting";
  }

  /** A pod's revision: its ReplicaSet's current number (an undo renumbers it). */
  function revisionOf(s, p) {
    const svc = (s.services || {})[p.service];
    const rs = svc && (svc.revisions || []).find((r) => r.template_hash === p.template_hash);
    return rs ? rs.revision : p.revision;
  }

  let lastPods = "";
  function renderPods(s) {
    const pods = s.pods || [];
    const serving = new Set(Object.values(s.services || {}).flatMap((svc) => svc.serving || []));
    const grid = $("pods");
    const key = JSON.stringify([pods.map((p) => [p.name, statusWord(p), p.ready, p.restarts, revisionOf(s, p)]), [...serving],
      grid.clientHeight, grid.clientWidth]);
    if (key === lastPods) return;
    lastPods = key;
    $("pod-count").textContent = `${serving.size} serving · ${pods.filter((p) => p.ready).length} ready of ${pods.length}`;
    const tiles = pods.slice(0, SHOWN_PODS).map((p) => {
      const cls = podClass(p, serving);
      const word = cls === "notready" ? "Not ready" : cls === "idle" ? "Ready, no traffic" : statusWord(p);
      const tile = el("div", { class: "pod " + cls, title: `${p.name}\n${statusWord(p)}${p.ready ? ", ready" : ""}`,
        "data-pod": p.name, "data-status": statusWord(p), "data-ready": String(!!p.ready), "data-serving": String(serving.has(p.name)) });
      tile.append(el("div", { class: "pname" }, p.name.split("-").pop()), el("div", { class: "pphase" + (/^\S{13,}$/.test(word) ? " long" : "") }, word),
        el("div", { class: "pmeta" }, `rev ${revisionOf(s, p)} ${p.version || ""} · ${p.restarts || 0} restarts`));
      return tile;
    });
    if (pods.length > SHOWN_PODS) tiles.push(el("div", { class: "pod more" }, `+${pods.length - SHOWN_PODS} more`));
    grid.replaceChildren(...tiles);
    fitPods(grid, pods.length);
  }

  /** Tiles the panel cannot show whole become one "+N more" tile: none is cut in half. */
  function fitPods(grid, total) {
    const bottom = grid.getBoundingClientRect().bottom + 1;
    const tiles = [...grid.querySelectorAll(".pod[data-pod]")];
    const cut = tiles.findIndex((t) => t.getBoundingClientRect().bottom > bottom);
    if (cut < 0) return;
    const keep = Math.max(0, cut - 1);
    for (const t of tiles.slice(keep)) t.remove();
    grid.querySelector(".pod.more")?.remove();
    grid.append(el("div", { class: "pod more", "data-testid": "pods-more" }, `+${total - keep} more`));
  }

  function renderEvents() {
    model.eventsDirty = false;
    const filter = $("event-filter").value.trim().toLowerCase();
    const warningsOnly = $("warnings-only").checked;
    const shown = [];
    for (let i = model.events.length - 1; i >= 0 && shown.length < SHOWN_EVENTS; i--) {
      const ev = model.events[i];
      if (warningsOnly && ev.level !== "Warning") continue;
      if (filter && !`${ev.reason} ${ev.service} ${ev.pod} ${ev.message} ${ev.explain}`.toLowerCase().includes(filter)) continue;
      const li = el("li", { class: "event " + ev.level, "data-reason": ev.reason, "data-seq": ev.seq });
      li.append(el("span", { class: "etime" }, Number(ev.time).toFixed(1) + " s"), el("span", { class: "ereason" }, ev.reason),
        el("span", { class: "eobj" }, ev.pod || ev.service), el("span", { class: "emsg" }, ev.message),
        el("span", { class: "ewhy" }, ev.explain));
      shown.push(li);
    }
    $("events").replaceChildren(...shown);
  }

  // ---- charts ---------------------------------------------------------------------------
  function chartFont() {
    return Math.round(parseFloat(getComputedStyle(document.documentElement).fontSize) * 0.85);
  }

  function renderCharts() {
    if ($("chart-replicas").closest("[hidden]")) return;
    const name = model.selected || $("chart-service").value;
    const h = model.samples.get(name) || [];
    const svc = (model.state.services || {})[name] || {};
    lineChart($("chart-replicas"), [
      { label: "desired", step: true, points: h.map((p) => [p.t, p.desired]), ...look(1) },
      { label: "ready", step: true, points: h.map((p) => [p.t, p.ready]), ...look(2), dash: [2, 4], marker: "square" },
      { label: "serving", step: true, points: h.map((p) => [p.t, p.serving]), ...look(0), marker: "circle" },
    ], { integer: true, fontSize: chartFont() });
    const hpa = !!svc.autoscaler;
    $("cpu-caption").textContent = hpa ? "CPU of the serving pods vs the HPA's target (%)" : "CPU of the serving pods (%) · no autoscaler";
    const cpu = [{ label: "CPU", points: h.map((p) => [p.t, p.cpu]), ...look(5) }];
    if (hpa) cpu.push({ label: "target", points: h.filter((p) => p.target !== null).map((p) => [p.t, p.target]), ...look(3), dash: [8, 5], marker: null });
    lineChart($("chart-cpu"), cpu, { yMax: 100, integer: true, fontSize: chartFont() });
    const names = new Map((svc.revisions || []).map((r) => [r.template_hash, `rev ${r.revision} ${r.version}`]));
    const hashes = [...(colours.get(name) || new Map()).keys()];
    const requests = [{ label: "offered", points: h.map((p) => [p.t, p.rps]), color: "#f2f8ff", dash: [6, 5], marker: null, width: 2 }];
    for (const hash of hashes) {
      requests.push({ label: names.get(hash) || "old revision", points: h.map((p) => [p.t, (p.by_template || {})[hash] || 0]),
        ...colourOf(name, [hash]) });
    }
    lineChart($("chart-requests"), requests, { empty: "set a load or send requests", fontSize: chartFont() });
  }

  // ---- commands -----------------------------------------------------------------------
  function headers() {
    const key = localStorage.getItem("t32sim-api-key");
    return key ? { "X-API-Key": key } : {};
  }

  async function call(method, path, body, contentType) {
    try {
      return await api(method, path, { body, contentType, headers: headers() });
    } catch (error) {
      if (error.status === 401) $("api-key").hidden = false;
      throw error;
    }
  }

  async function post(path, say, body, contentType) {
    try {
      const data = await call("POST", path, body, contentType);
      toast(typeof say === "function" ? say(data) : say);
      return data;
    } catch (error) {
      toast(error.message, { field: error.field, error: true });
      return null;
    }
  }

  // ---- the editor: the applied spec of the chosen service (also after an apply from elsewhere),
  //      until the user edits it ---------------------------------------------------------
  async function fillEditor(force) {
    const name = model.selected;
    const svc = ((model.state || {}).services || {})[name];
    const key = `${name}\n${JSON.stringify(svc ? svc.spec : null)}`;   // refilled when the spec changes
    if (!name || (model.editorFor === key && !force) || (model.editorDirty && !force)) return;
    model.editorFor = key;
    try {
      const data = await call("GET", `/spec?service=${encodeURIComponent(name)}`);
      if (model.editorDirty && !force) return;
      $("yaml").value = data.yaml;
      $("examples").value = "";
      $("editor-note").textContent = `running: ${name} as the cluster stores it`;
      model.editorDirty = false;
    } catch (_) { model.editorFor = ""; }
  }

  async function loadExamples() {
    try {
      const data = await call("GET", "/examples");
      for (const name of data.examples) $("examples").append(el("option", { value: name }, name));
      if (!$("yaml").value && data.examples.length) {
        const first = data.examples.includes("api-v1.yaml") ? "api-v1.yaml" : data.examples[0];
        await showExample(first);
        model.editorDirty = false;         // only a suggestion: a running service's spec replaces it
      }
    } catch (_) { /* no examples folder: the editor still works */ }
  }

  async function showExample(name) {
    const response = await fetch("/examples/" + encodeURIComponent(name), { headers: headers() });
    if (!response.ok) return;
    $("yaml").value = await response.text();
    $("examples").value = name;
    $("editor-note").textContent = `${name}: not applied yet`;
    model.editorDirty = true;
  }

  function showTab(which) {
    for (const tab of document.querySelectorAll(".tab")) {
      const on = tab.dataset.tab === which;
      tab.classList.toggle("active", on);
      tab.setAttribute("aria-selected", String(on));
    }
    for (const body of document.querySelectorAll(".tab-body")) body.hidden = body.dataset.body !== which;
    schedule();
  }

  function wire() {
    for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
    $("apply").addEventListener("click", async () => {
      const data = await post("/apply", (d) => d.message, $("yaml").value, "application/yaml");
      if (data) { model.selected = data.service; model.editorDirty = false; model.editorFor = ""; fillEditor(true); }
    });
    $("yaml").addEventListener("input", () => { model.editorDirty = true; $("editor-note").textContent = "edited: not applied yet"; });
    $("yaml").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); $("apply").click(); }
    });
    $("examples").addEventListener("change", (e) => { if (e.target.value) showExample(e.target.value); });
    $("pause").addEventListener("click", () =>
      model.server.paused ? post("/resume", "time runs again") : post("/pause", "time paused"));
    for (const b of document.querySelectorAll(".btn.speed")) {
      b.addEventListener("click", () => post(`/speed?value=${b.dataset.speed}`, `speed ${b.textContent}`));
    }
    $("advance").addEventListener("click", () => post("/advance?seconds=30", "jumped 30 simulated seconds"));
    $("api-key").value = localStorage.getItem("t32sim-api-key") || "";
    $("api-key").addEventListener("change", (e) => localStorage.setItem("t32sim-api-key", e.target.value.trim()));
    $("event-filter").addEventListener("input", () => { model.eventsDirty = true; schedule(); });
    $("warnings-only").addEventListener("change", () => { model.eventsDirty = true; schedule(); });
    $("chart-service").addEventListener("change", (e) => { model.selected = e.target.value; model.editorFor = ""; schedule(); });
    $("lb-select").addEventListener("click", lbSelect);
    $("lb-send").addEventListener("click", lbSend);
    $("lb-clear").addEventListener("click", () => { model.lbTally = {}; renderTally(); });
    window.addEventListener("resize", schedule);
  }

  // ---- load balancer ------------------------------------------------------------------
  async function lbSelect() {
    const name = model.selected;
    if (!name) return toast("apply a service first", { field: "service", error: true });
    try {
      const data = await call("GET", `/lb/select?service=${encodeURIComponent(name)}`);
      $("lb-pick").textContent = `${data.pod}  (rev ${data.revision}, ${data.version})`;
      model.lbTally[data.pod] = (model.lbTally[data.pod] || 0) + 1;
      renderTally();
    } catch (error) {
      $("lb-pick").textContent = "—";
      toast(error.message, { field: error.field, error: true });
    }
  }

  async function lbSend() {
    const name = model.selected;
    if (!name) return toast("apply a service first", { field: "service", error: true });
    const data = await post(`/send?service=${encodeURIComponent(name)}&count=20`, "20 requests sent");
    if (!data) return;
    for (const [pod, n] of Object.entries(data.by_pod || {})) model.lbTally[pod] = (model.lbTally[pod] || 0) + n;
    const versions = Object.entries(data.by_version || {}).map(([v, n]) => `${v}: ${n}`).join(", ");
    $("lb-pick").textContent = `20 requests → ${versions || "no Ready pod"}` + (data.errors ? ` (${data.errors} errors)` : "");
    renderTally();
  }

  function renderTally() {
    const entries = Object.entries(model.lbTally).sort();
    const max = Math.max(1, ...entries.map((e) => e[1]));
    const pods = new Map((model.state?.pods || []).map((p) => [p.name, [p.service, p.template_hash]]));
    $("lb-dist").replaceChildren(...entries.map(([pod, n]) => {
      const row = el("div", { class: "bar-row" });
      const fill = el("div", { class: "bar-fill" });
      fill.style.width = `${(100 * n / max).toFixed(1)}%`;
      const [service, hash] = pods.get(pod) || ["", ""];
      fill.style.background = (colourOf(service, [hash]) || look(0)).color;
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
