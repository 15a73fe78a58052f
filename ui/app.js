// app.js - the gale web UI: polls the REST API (docs/rest.md) every two
// seconds and draws the topology, its components, throughput and
// checkpoints. No libraries: it is compiled into the gale binary.
"use strict";

const api = "/api/v1/topology/";
const colours = ["#e76f51", "#2a9d8f", "#264653", "#f4a261", "#8338ec",
  "#3a86ff", "#ff006e", "#6a994e"];
let topoId = null;

function el(tag, attrs, text) {
  const ns = ["svg", "line", "rect", "text", "polyline", "g", "path"]
    .includes(tag) ? "http://www.w3.org/2000/svg" : null;
  const e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}

function fmt(n, digits) {
  if (typeof n !== "number") return String(n);
  if (digits !== undefined) return n.toFixed(digits);
  if (n >= 1e9) return (n / 1e9).toFixed(2) + "G";
  if (n >= 1e6) return (n / 1e6).toFixed(2) + "M";
  if (n >= 1e4) return (n / 1e3).toFixed(1) + "k";
  return String(Math.round(n));
}

function fillRows(id, rows) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren();
  for (const r of rows) {
    const tr = el("tr", r.attrs);
    for (const c of r.cells) tr.appendChild(el("td", c.attrs, c.text));
    body.appendChild(tr);
  }
}

// Green at 0 to red at 1 and above (capacity, a channel's fill).
function capColour(c) {
  const x = Math.max(0, Math.min(1, c || 0));
  return "hsl(" + Math.round(120 * (1 - x)) + ", 65%, 55%)";
}

function drawGraph(t) {
  const svg = document.getElementById("graph");
  svg.replaceChildren();
  const comps = t.spouts.concat(t.bolts);
  const depth = {};
  for (const c of comps) depth[c.id] = 0;
  // Longest path from a spout: the DSL rejects cycles, so this ends.
  for (let i = 0; i < comps.length; i++)
    for (const s of t.streams)
      depth[s.to] = Math.max(depth[s.to], depth[s.from] + 1);
  const cols = {};
  for (const c of comps) (cols[depth[c.id]] = cols[depth[c.id]] || []).push(c);
  const ncol = Object.keys(cols).length, pos = {};
  const w = 900, h = 220, bw = 130, bh = 44;
  for (const d in cols)
    cols[d].forEach((c, i) => {
      pos[c.id] = { x: 20 + d * ((w - bw - 40) / Math.max(1, ncol - 1)),
        y: (i + 1) * h / (cols[d].length + 1) - bh / 2 };
    });
  for (const s of t.streams) {
    const a = pos[s.from], b = pos[s.to];
    if (!a || !b) continue;
    // How full the stream's channels are: the receivers' queues over
    // their windows (0 when none reported, e.g. no channel in a process).
    const fill = s.windowFrames > 0 ? s.queuedFrames / s.windowFrames : 0;
    svg.appendChild(el("line", { x1: a.x + bw, y1: a.y + bh / 2, x2: b.x,
      y2: b.y + bh / 2, stroke: capColour(fill),
      "stroke-width": 2 + 4 * Math.min(1, fill), "class": "stream",
      "data-from": s.from, "data-to": s.to, "data-fill": fill.toFixed(3) }));
    svg.appendChild(el("text", { x: (a.x + bw + b.x) / 2,
      y: (a.y + b.y + bh) / 2 - 6, "font-size": 11, "text-anchor": "middle",
      fill: "#555" }, s.grouping + " " + s.queuedFrames + "/" + s.windowFrames));
  }
  for (const c of comps) {
    const p = pos[c.id], g = el("g", { "class": "node", "data-component": c.id });
    g.appendChild(el("rect", { x: p.x, y: p.y, width: bw, height: bh, rx: 6,
      fill: c.type === "spout" ? "#a8dadc" : capColour(c.capacity),
      stroke: "#1d3557" }));
    g.appendChild(el("text", { x: p.x + bw / 2, y: p.y + 18,
      "text-anchor": "middle", "font-weight": "bold" }, c.id));
    const rate = c.type === "spout" ? c.emitRate : c.executeRate;
    g.appendChild(el("text", { x: p.x + bw / 2, y: p.y + 35,
      "text-anchor": "middle", "font-size": 11 },
      fmt(rate) + "/s" + (c.type === "bolt" ? " cap " + fmt(c.capacity, 2) : "")));
    svg.appendChild(g);
  }
}

function drawChart(t) {
  const svg = document.getElementById("chart"), legend = document.getElementById("legend");
  svg.replaceChildren();
  legend.replaceChildren();
  const pts = t.throughput, w = 900, h = 200;
  if (pts.length < 2) return;
  const comps = t.spouts.concat(t.bolts).map(c => c.id);
  let max = 1;
  for (const p of pts) for (const id of comps) max = Math.max(max, p.rates[id] || 0);
  const t0 = pts[0].t, t1 = pts[pts.length - 1].t;
  comps.forEach((id, i) => {
    const line = pts.map(p => (10 + (w - 20) * (p.t - t0) / Math.max(1, t1 - t0))
      .toFixed(1) + "," + (h - 10 - (h - 20) * (p.rates[id] || 0) / max).toFixed(1));
    svg.appendChild(el("polyline", { points: line.join(" "), fill: "none",
      stroke: colours[i % colours.length], "stroke-width": 2 }));
    legend.appendChild(el("span", { style: "color:" + colours[i % colours.length] },
      "■ " + id));
  });
  svg.appendChild(el("text", { x: 12, y: 16, "font-size": 11 }, fmt(max) + "/s"));
}

function render(t) {
  document.getElementById("topo-name").textContent = t.name;
  const st = document.getElementById("topo-status");
  st.textContent = t.status;
  st.className = "status " + t.status;
  document.getElementById("topo-facts").textContent = t.guarantee + ", " +
    t.workersTotal + " worker(s), " + t.tasksTotal + " tasks, up " +
    fmt(t.uptimeSeconds, 0) + " s, " + t.recoveries + " recoveries";
  fillRows("topologies", [{ attrs: { "data-topology": t.id }, cells: [
    { text: t.name }, { text: t.status }, { text: fmt(t.uptimeSeconds, 0) + " s" },
    { text: t.tasksTotal }, { text: t.workersTotal }, { text: fmt(t.emitted) },
    { text: fmt(t.executed) }, { text: t.lastCheckpoint }] }]);
  fillRows("components", t.spouts.concat(t.bolts).map(c => {
    const rate = c.type === "spout" ? c.emitRate : c.executeRate;
    const bolt = c.type === "bolt";
    const p50 = bolt ? c.processLatencyP50Ms : c.completeLatencyP50Ms;
    const p99 = bolt ? c.processLatencyP99Ms : c.completeLatencyP99Ms;
    const n = bolt ? c.processLatencyCount : c.completeLatencyCount;
    return { attrs: { id: "comp-" + c.id, "data-component": c.id,
      "data-rate": rate.toFixed(1), "data-emitted": c.emitted,
      "data-executed": c.executed, "data-queued": c.queuedTuples,
      "data-queued-frames": c.queuedFrames,
      "data-credits": c.outputCredits,
      "data-backpressure": c.backpressureSeconds.toFixed(3),
      "data-exec-p99": bolt ? c.executeLatencyP99Ms.toFixed(4) : "",
      "data-proc-p99": n > 0 ? p99.toFixed(4) : "" }, cells: [
      { text: c.id }, { text: c.type }, { text: c.executors }, { text: c.tasks },
      { text: fmt(c.emitted) }, { text: fmt(c.transferred) },
      { text: fmt(c.executed) }, { attrs: { "class": "rate" }, text: fmt(rate) },
      { text: c.type === "bolt" ? fmt(c.capacity, 3) : "" },
      { text: c.type === "bolt" ? fmt(c.executeLatencyP50Ms, 4) : "" },
      { text: c.type === "bolt" ? fmt(c.executeLatencyP99Ms, 4) : "" },
      { attrs: { "class": "proc-p50" }, text: n > 0 ? fmt(p50, 2) : "" },
      { attrs: { "class": "proc-p99" }, text: n > 0 ? fmt(p99, 2) : "" },
      { attrs: { "class": "queue" }, text: bolt ? fmt(c.queuedTuples) +
        (c.transitTuples > 0 ? " +" + fmt(c.transitTuples) + " net" : "") : "" },
      { attrs: { "class": "queue-frames" }, text: c.queueWindowFrames > 0 ?
        c.queuedFrames + "/" + c.queueWindowFrames : "" },
      { attrs: { "class": "credits" }, text: c.outputWindowFrames > 0 ?
        c.outputCredits + "/" + c.outputWindowFrames : "" },
      { attrs: { "class": "backpressure" }, text: fmt(c.backpressureSeconds, 2) },
      { text: c.errors },
      { attrs: { "class": "counters" }, text: Object.entries(c.userCounters || {})
        .map(([k, v]) => k + "=" + v).join(" ") }] };
  }));
  fillRows("hosts", (t.hosts || []).map(h => ({
    attrs: { "data-host": h.host, "data-executed": h.executed,
      "data-emitted": h.emitted }, cells: [
      { text: h.host }, { text: h.workers.join(" ") }, { text: h.tasks },
      { text: fmt(h.emitted) }, { text: fmt(h.transferred) },
      { text: fmt(h.executed) }, { text: fmt(h.executeLatencyP50Ms, 4) },
      { text: fmt(h.executeLatencyP99Ms, 4) }, { text: fmt(h.queuedTuples) },
      { text: fmt(h.backpressureSeconds, 2) }, { text: h.errors }] })));
  const cs = t.checkpointStats;
  document.getElementById("ckpt-stats").textContent = cs ? "(" + cs.completed +
    " completed, " + cs.declined + " declined, " + fmt(cs.bytes) + " bytes, " +
    "slowest " + fmt(cs.durationMsMax, 1) + " ms)" : "(no checkpoints: guarantee none)";
  fillRows("checkpoints", t.checkpoints.slice(-15).reverse().map(k => ({
    attrs: { "data-checkpoint": k.id, "data-outcome": k.outcome }, cells: [{ text: k.id }, { text: k.attempt }, { text: k.outcome },
      { text: fmt(k.durationMs, 1) }, { text: fmt(k.alignmentMs, 2) },
      { text: fmt(k.bytes) }] })));
  drawGraph(t);
  drawChart(t);
}

async function refresh() {
  try {
    if (topoId === null) {
      const s = await (await fetch(api + "summary")).json();
      topoId = s.topologies[0].id;
    }
    const r = await fetch(api + encodeURIComponent(topoId));
    render(await r.json());
  } catch (e) {
    const st = document.getElementById("topo-status");
    st.textContent = "gone";
    st.className = "status gone";
  }
}

async function act(action) {
  if (topoId === null) return;
  const init = { method: "POST" };
  if (action === "kill" && !confirm("Kill " + topoId + "?")) return;
  if (action === "kill") init.body = JSON.stringify({ wait: 0 });
  const r = await fetch(api + encodeURIComponent(topoId) + "/" + action, init);
  const j = await r.json();
  document.getElementById("message").textContent = action + ": " +
    (j.reply || j.status || j.errorMessage || r.status);
  refresh();
}

for (const b of document.querySelectorAll("button[data-action]"))
  b.addEventListener("click", () => act(b.dataset.action));
refresh();
setInterval(refresh, 2000);
