// glassnet playground: the page. It draws what the server's glassnet model computes
// and sends the controls' changes; it trains nothing itself. Messages: see
// glassnet/playground/protocol.py. No libraries, no build step.
"use strict";

const SVG = "http://www.w3.org/2000/svg";  // a namespace name, not fetched
const DOMAIN = 6;
const NEG = [245, 147, 34], MID = [232, 234, 235], POS = [8, 119, 189];
const PALETTE = [[245, 147, 34], [8, 119, 189], [46, 160, 67], [214, 39, 40],
  [148, 103, 189], [140, 86, 75], [227, 119, 194], [23, 190, 207]];
const FEATURE_LABELS = { x1: "x\u2081", x2: "x\u2082", x1sq: "x\u2081\u00b2",
  x2sq: "x\u2082\u00b2", x1x2: "x\u2081x\u2082", sinx1: "sin x\u2081", sinx2: "sin x\u2082" };
const NODE = 40, ROW = 50, COL = 110;

const $ = (id) => document.getElementById(id);
const st = {
  config: null, task: "binary", classes: 2, sizes: [], train: [], test: [],
  theta: null, dtheta: null, playing: false, history: [], norms: [],
  frame: null, ws: null, neuronCtx: [], inputCtx: [], links: [],
};

// ---- colours --------------------------------------------------------------------
function mix(a, b, t) { return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t)); }
function diverging(v) {  // v in [-1, 1]: orange, white-grey, blue
  return v < 0 ? mix(MID, NEG, Math.min(1, -v)) : mix(MID, POS, Math.min(1, v));
}
const LUT = Array.from({ length: 256 }, (_, b) => diverging(b / 127.5 - 1));
function css(rgb, alpha) { return `rgba(${rgb[0]},${rgb[1]},${rgb[2]},${alpha ?? 1})`; }
function bytes(b64) { return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)); }
function floats(b64) { return new Float32Array(bytes(b64).buffer); }
function fmt(x, digits = 3) {
  if (x === null || x === undefined) return "–";
  return Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(digits) : x.toExponential(2);
}
function num(x) { return x === null || x === undefined ? "–" : Number(x).toPrecision(3); }

// ---- the connection ---------------------------------------------------------------
function send(msg) {
  if (st.ws && st.ws.readyState === WebSocket.OPEN) st.ws.send(JSON.stringify(msg));
}
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/ws`);
  st.ws = ws;
  ws.onopen = () => {
    const fromUrl = readHash();
    if (fromUrl) send({ type: "config", config: fromUrl });
  };
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    const handler = HANDLERS[msg.type];
    if (handler) handler(msg);
  };
  ws.onclose = () => showError("the connection to the server closed; reload the page to start again.");
}

const HANDLERS = {
  data(msg) {
    const shapeChanged = JSON.stringify(msg.sizes) !== JSON.stringify(st.sizes) ||
      !st.config || JSON.stringify(msg.config.features) !== JSON.stringify(st.config.features);
    Object.assign(st, { config: msg.config, task: msg.task, classes: msg.classes,
      sizes: msg.sizes, train: msg.train, test: msg.test });
    syncControls();
    if (shapeChanged) { buildNetwork(); st.norms = []; }
    writeHash();
  },
  frame(msg) {
    st.frame = msg;
    st.theta = floats(msg.theta);
    st.dtheta = floats(msg.dtheta);
    if (st.history.length && msg.step < st.history[st.history.length - 1].step) {
      st.history = []; st.norms = [];  // a new run
    }
    st.history.push({ step: msg.step, epoch: msg.epoch, train: msg.train_loss, test: msg.test_loss });
    if (msg.grad_norms.some((v) => v)) st.norms.push(msg.grad_norms);  // not before a step
    if (st.history.length > 2000) { st.history.splice(0, 1000); st.norms.splice(0, 1000); }
    if (msg.gradcheck !== undefined) showGradcheck(msg.gradcheck);
    drawFrame(msg);
  },
  gradcheck(msg) { showGradcheck(msg.result); },
  sample(msg) { showSample(msg); },
  export(msg) { download(msg); },
  error(msg) { showError(msg.message); },
};

function showError(text) {
  const el = $("error");
  el.textContent = text; el.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => { el.hidden = true; }, 8000);
}

// ---- the URL holds the whole setup ----------------------------------------------
function writeHash() {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(st.config)) params.set(k, JSON.stringify(v));
  history.replaceState(null, "", "#" + params.toString());
}
function readHash() {
  if (location.hash.length < 2) return null;
  const out = {};
  for (const [k, v] of new URLSearchParams(location.hash.slice(1))) {
    try { out[k] = JSON.parse(v); } catch { /* the server names a bad field */ out[k] = v; }
  }
  return out;
}

// ---- controls ---------------------------------------------------------------------
function setConfig(changes) {
  Object.assign(st.config, changes);
  writeHash();
  send({ type: "config", config: changes });
}
function selectValue(el, value) {
  const v = String(value);
  if (![...el.options].some((o) => o.value === v)) el.add(new Option(v, v));
  el.value = v;
}
function syncControls() {
  const c = st.config;
  selectValue($("learning-rate"), c.learning_rate);
  selectValue($("reg-rate"), c.reg_rate);
  for (const [id, key] of [["activation", "activation"], ["optimizer", "optimizer"],
    ["regularization", "regularization"], ["dataset", "dataset"]]) $(id).value = c[key];
  selectValue($("classes"), c.classes);
  selectValue($("n-samples"), c.n_samples);
  $("batch-size").value = c.batch_size;
  $("seed").value = c.seed;
  $("train-ratio").value = c.train_ratio; $("train-ratio-out").textContent = c.train_ratio;
  $("noise").value = c.noise; $("noise-out").textContent = c.noise;
  const labels = $("add-label");
  labels.replaceChildren();
  if (st.task === "regression") { for (const v of [-1, -0.5, 0, 0.5, 1]) labels.add(new Option(v, v)); }
  else for (let k = 0; k < Math.max(2, st.classes); k++) labels.add(new Option(k, k));
  const box = $("features");
  box.replaceChildren();
  for (const [name, label] of Object.entries(FEATURE_LABELS)) {
    const l = document.createElement("label");
    const cb = document.createElement("input");
    cb.type = "checkbox"; cb.checked = c.features.includes(name);
    cb.dataset.testid = `feature-${name}`;
    cb.addEventListener("change", () => {
      const names = Object.keys(FEATURE_LABELS).filter((n) =>
        n === name ? cb.checked : st.config.features.includes(n));
      if (!names.length) { cb.checked = true; showError("keep at least one input feature."); return; }
      setConfig({ features: names });
    });
    l.append(cb, label);
    box.append(l);
  }
  $("layer-count").textContent = `${c.layers.length} hidden layer${c.layers.length === 1 ? "" : "s"}`;
}

function bindControls() {
  $("play").addEventListener("click", () => {
    st.playing = !st.playing;
    send({ type: st.playing ? "play" : "pause" });
    $("play").textContent = st.playing ? "\u275a\u275a pause" : "\u25b6 play";
  });
  $("step").addEventListener("click", () => send({ type: "step" }));
  $("reset").addEventListener("click", () => send({ type: "reset" }));
  $("regenerate").addEventListener("click", () => send({ type: "regenerate" }));
  const number = (id, key, parse) => $(id).addEventListener("change", (e) => {
    const v = parse(e.target.value);
    if (Number.isFinite(v)) setConfig({ [key]: v });
  });
  number("learning-rate", "learning_rate", Number);
  number("reg-rate", "reg_rate", Number);
  number("batch-size", "batch_size", (v) => parseInt(v, 10));
  number("seed", "seed", (v) => parseInt(v, 10));
  number("classes", "classes", (v) => parseInt(v, 10));
  number("n-samples", "n_samples", (v) => parseInt(v, 10));
  number("train-ratio", "train_ratio", (v) => parseInt(v, 10));
  number("noise", "noise", Number);
  for (const [id, key] of [["activation", "activation"], ["optimizer", "optimizer"],
    ["regularization", "regularization"]]) {
    $(id).addEventListener("change", (e) => setConfig({ [key]: e.target.value }));
  }
  $("dataset").addEventListener("change", (e) => {
    if (e.target.value === "custom") { $("upload").click(); return; }
    setConfig({ dataset: e.target.value });
  });
  $("upload").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    if (file.size > 200000) { showError("the CSV is larger than 200 kB."); return; }
    send({ type: "upload", csv: await file.text() });
    e.target.value = "";
  });
  $("add-layer").addEventListener("click", () => {
    const layers = [...st.config.layers];
    layers.push(layers.length ? layers[layers.length - 1] : 4);
    setConfig({ layers });
  });
  $("remove-layer").addEventListener("click", () => {
    if (st.config.layers.length) setConfig({ layers: st.config.layers.slice(0, -1) });
  });
  $("show-grads").addEventListener("change", () => st.frame && drawLinks());
  $("show-test").addEventListener("change", () => st.frame && drawBoundary(st.frame));
  $("gradcheck-now").addEventListener("click", () => send({ type: "gradcheck" }));
  $("step-sample").addEventListener("click", () => send({
    type: "sample", set: $("sample-set").value, index: parseInt($("sample-index").value, 10) || 0,
  }));
  $("export-model").addEventListener("click", () => send({ type: "export", what: "model" }));
  $("export-script").addEventListener("click", () => send({ type: "export", what: "script" }));
  $("boundary").addEventListener("click", (e) => {
    const r = e.target.getBoundingClientRect();
    const x1 = ((e.clientX - r.left) / r.width) * 2 * DOMAIN - DOMAIN;
    const x2 = DOMAIN - ((e.clientY - r.top) / r.height) * 2 * DOMAIN;
    send({ type: "point", x1: +x1.toFixed(3), x2: +x2.toFixed(3), label: Number($("add-label").value) });
  });
  $("editor").addEventListener("submit", (e) => {
    e.preventDefault();
    const v = Number($("editor-value").value);
    if (Number.isFinite(v) && st.editing) send({ type: "parameter", ...st.editing, value: v });
    $("editor").hidden = true;
  });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") $("editor").hidden = true; });
}

// ---- the network: nodes with heatmaps, links with weights ---------------------------
function offsets() {  // where each Dense layer's W and b start in θ
  const out = [];
  let at = 0;
  for (let l = 1; l < st.sizes.length; l++) {
    const nIn = st.sizes[l - 1], nOut = st.sizes[l];
    out.push({ W: at, b: at + nIn * nOut, nIn, nOut });
    at += nIn * nOut + nOut;
  }
  return out;
}
function nodeXY(col, j) {
  const top = Math.max(...st.sizes.slice(0, -1), 1);
  const n = st.sizes[col];
  const y = 48 + j * ROW + ((top - n) * ROW) / 2;
  return { x: 10 + col * COL, y };
}
function buildNetwork() {
  const net = $("network");
  net.querySelectorAll(".node, .colhead").forEach((el) => el.remove());
  const svg = $("links");
  svg.replaceChildren();
  st.neuronCtx = []; st.inputCtx = []; st.links = [];
  const L = st.sizes.length;
  const height = 56 + Math.max(...st.sizes) * ROW;
  net.style.height = `${height}px`;
  net.style.width = `${20 + (L - 1) * COL + NODE}px`;
  svg.setAttribute("width", 20 + (L - 1) * COL + NODE);
  svg.setAttribute("height", height);
  offsets().forEach((o, li) => {
    for (let j = 0; j < o.nOut; j++) {
      for (let i = 0; i < o.nIn; i++) {
        const a = nodeXY(li, i), b = nodeXY(li + 1, j);
        const x0 = a.x + NODE, y0 = a.y + NODE / 2, x1 = b.x, y1 = b.y + NODE / 2;
        const p = document.createElementNS(SVG, "path");
        const mx = (x0 + x1) / 2;
        p.setAttribute("d", `M${x0},${y0} C${mx},${y0} ${mx},${y1} ${x1},${y1}`);
        p.dataset.testid = `link-${li + 1}-${j + 1}-${i + 1}`;
        const where = { layer: li + 1, row: j, col: i };
        p.addEventListener("mousemove", (e) => tip(e, linkText(where)));
        p.addEventListener("mouseleave", hideTip);
        p.addEventListener("click", (e) => edit(e, where));
        svg.append(p);
        st.links.push({ el: p, index: o.W + j * o.nIn + i });
      }
    }
  });
  for (let col = 0; col < L; col++) {
    const head = document.createElement("div");
    head.className = "colhead";
    head.style.left = `${nodeXY(col, 0).x - 15}px`; head.style.top = "0px";
    if (col === 0) head.textContent = "inputs";
    else if (col === L - 1) head.textContent = "output";
    else {
      const l = col;
      head.append(`${st.sizes[col]} neurons `);
      for (const [label, d] of [["+", 1], ["\u2212", -1]]) {
        const btn = document.createElement("button");
        btn.textContent = label;
        btn.dataset.testid = `${d > 0 ? "add" : "remove"}-neuron-${l}`;
        btn.addEventListener("click", () => {
          const layers = [...st.config.layers];
          layers[l - 1] = Math.max(1, layers[l - 1] + d);
          setConfig({ layers });
        });
        head.append(btn);
      }
    }
    net.append(head);
    for (let j = 0; j < st.sizes[col]; j++) {
      const node = document.createElement("div");
      const { x, y } = nodeXY(col, j);
      node.className = col === L - 1 ? "node output" : "node";
      node.style.left = `${x}px`; node.style.top = `${y}px`;
      if (col < L - 1) {
        const c = document.createElement("canvas");
        c.width = 20; c.height = 20;
        if (col === 0) {
          c.dataset.testid = `input-${st.config.features[j]}`;
          node.title = FEATURE_LABELS[st.config.features[j]];
          st.inputCtx.push(c.getContext("2d"));
        } else {
          c.dataset.testid = `neuron-${col}-${j + 1}`;
          st.neuronCtx.push(c.getContext("2d"));
        }
        node.append(c);
      }
      if (col > 0) {
        const where = { layer: col, row: j, col: null };
        node.addEventListener("mousemove", (e) => tip(e, biasText(where)));
        node.addEventListener("mouseleave", hideTip);
        node.addEventListener("click", (e) => edit(e, where));
      }
      net.append(node);
    }
  }
}
function param(where) {
  const o = offsets()[where.layer - 1];
  const i = where.col === null ? o.b + where.row : o.W + where.row * o.nIn + where.col;
  return { w: st.theta ? st.theta[i] : NaN, g: st.dtheta ? st.dtheta[i] : NaN };
}
function linkText(where) {
  const { w, g } = param(where);
  return `W[${where.layer}][${where.row + 1},${where.col + 1}] = ${num(w)}\ndL/dW = ${num(g)}\nclick to edit`;
}
function biasText(where) {
  const { w, g } = param(where);
  return `b[${where.layer}][${where.row + 1}] = ${num(w)}\ndL/db = ${num(g)}\nclick to edit`;
}
function tip(e, text) {
  const t = $("tip");
  t.textContent = text; t.hidden = false;
  t.style.left = `${e.clientX + 12}px`; t.style.top = `${e.clientY + 12}px`;
}
function hideTip() { $("tip").hidden = true; }
function edit(e, where) {
  st.editing = where;
  const f = $("editor");
  $("editor-label").textContent = where.col === null ? `b[${where.layer}][${where.row + 1}]`
    : `W[${where.layer}][${where.row + 1},${where.col + 1}]`;
  $("editor-value").value = num(param(where).w);
  f.style.left = `${e.clientX + 8}px`; f.style.top = `${e.clientY + 8}px`;
  f.hidden = false;
  $("editor-value").focus();
}
function drawLinks() {
  const grads = $("show-grads").checked;
  const values = grads ? st.dtheta : st.theta;
  let scale = 1;
  if (grads) {
    let top = 1e-12;
    for (const l of st.links) top = Math.max(top, Math.abs(values[l.index]));
    scale = 1 / top;
  }
  for (const l of st.links) {
    const v = values[l.index] * scale;
    l.el.setAttribute("stroke", css(v < 0 ? NEG : POS, 0.85));
    l.el.setAttribute("stroke-width", Math.min(grads ? 4 : 6, 0.4 + Math.abs(v) * (grads ? 4 : 1.5)).toFixed(2));
  }
}
function paintMap(ctx, data, offset, n) {
  const img = ctx.createImageData(n, n);
  for (let p = 0; p < n * n; p++) {
    const rgb = LUT[data[offset + p]];
    img.data[4 * p] = rgb[0]; img.data[4 * p + 1] = rgb[1]; img.data[4 * p + 2] = rgb[2];
    img.data[4 * p + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// ---- the output: boundary, numbers, curves --------------------------------------------
const mainMap = document.createElement("canvas");
mainMap.width = 100; mainMap.height = 100;
function drawBoundary(f) {
  const ctx = mainMap.getContext("2d");
  const v = bytes(f.heatmap);
  const img = ctx.createImageData(100, 100);
  const cls = f.classes ? bytes(f.classes) : null;
  for (let p = 0; p < 10000; p++) {
    let rgb;
    if (cls) {  // multiclass: the winner's colour, paler where it is less sure
      const conf = v[p] / 255, lo = 1 / Math.max(2, st.classes);
      rgb = mix(MID, PALETTE[cls[p] % PALETTE.length], Math.max(0, (conf - lo) / (1 - lo)) * 0.8);
    } else rgb = LUT[v[p]];
    img.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * p);
  }
  ctx.putImageData(img, 0, 0);
  const c = $("boundary"), g = c.getContext("2d");
  g.imageSmoothingEnabled = true;
  g.drawImage(mainMap, 0, 0, c.width, c.height);
  const px = (x) => ((x + DOMAIN) / (2 * DOMAIN)) * c.width;
  const py = (y) => ((DOMAIN - y) / (2 * DOMAIN)) * c.height;
  const sets = [[st.train, "#fff"]];
  if ($("show-test").checked) sets.push([st.test, "#000"]);
  for (const [pts, edge] of sets) {
    for (const [x1, x2, y] of pts) {
      g.beginPath();
      g.arc(px(x1), py(x2), 3.2, 0, 2 * Math.PI);
      g.fillStyle = css(pointColour(y));
      g.fill(); g.strokeStyle = edge; g.lineWidth = 1; g.stroke();
    }
  }
}
function pointColour(y) {
  if (st.task === "regression") return diverging(y);
  if (st.task === "binary") return y >= 0.5 ? POS : NEG;
  return PALETTE[y % PALETTE.length];
}
function drawFrame(f) {
  $("epoch").textContent = f.epoch;
  $("train-loss").textContent = fmt(f.train_loss);
  $("test-loss").textContent = fmt(f.test_loss);
  $("train-accuracy").textContent = f.train_accuracy === null ? "–" : fmt(f.train_accuracy);
  $("test-accuracy").textContent = f.test_accuracy === null ? "–" : fmt(f.test_accuracy);
  if (!st.links.length && st.sizes.length) buildNetwork();
  drawBoundary(f);
  const neurons = f.neurons ? bytes(f.neurons) : new Uint8Array(0);
  st.neuronCtx.forEach((ctx, k) => paintMap(ctx, neurons, k * 400, 20));
  const inputs = bytes(f.inputs);
  st.inputCtx.forEach((ctx, k) => paintMap(ctx, inputs, k * 400, 20));
  drawLinks();
  drawCurve();
  drawNorms();
  drawConfusion(f.confusion);
}
function drawCurve() {
  const c = $("curve"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  const h = st.history;
  if (h.length < 2) return;
  const top = Math.max(1e-9, ...h.map((p) => Math.max(p.train ?? 0, p.test ?? 0)));
  for (const [key, colour] of [["train", "#999"], ["test", "#000"]]) {
    g.beginPath();
    h.forEach((p, i) => {
      const x = (i / (h.length - 1)) * c.width, y = c.height - ((p[key] ?? 0) / top) * (c.height - 4);
      i ? g.lineTo(x, y) : g.moveTo(x, y);
    });
    g.strokeStyle = colour; g.lineWidth = 1.5; g.stroke();
  }
}
// a power of ten as an axis label: 1e-3, 0.01, 0.1, 1, 10, 100, 1e3
function powerLabel(k) { return Math.abs(k) <= 2 ? String(10 ** k) : `1e${k}`; }
function drawNorms() {
  const c = $("grad-norms"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  const h = st.norms;
  if (h.length < 2) return;
  const logs = h.map((row) => row.map((v) => Math.log10(Math.max(v ?? 1e-12, 1e-12))));
  const flat = logs.flat();
  // the axis runs between whole powers of ten, labelled at each (every other one
  // when there are many); the legend has its own column right of the plot
  const lo = Math.floor(Math.min(...flat)), hi = Math.max(lo + 1, Math.ceil(Math.max(...flat)));
  const left = 34, right = c.width - 58, top = 6, bottom = c.height - 6;
  const yOf = (v) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);
  g.font = "10px sans-serif"; g.textBaseline = "middle";
  const every = hi - lo > 6 ? 2 : 1;
  for (let k = lo; k <= hi; k += every) {
    const y = yOf(k);
    g.strokeStyle = "#eee"; g.lineWidth = 1;
    g.beginPath(); g.moveTo(left, y); g.lineTo(right, y); g.stroke();
    g.fillStyle = "#777"; g.textAlign = "right"; g.fillText(powerLabel(k), left - 4, y);
  }
  const layers = h[0].length;
  for (let l = 0; l < layers; l++) {
    g.beginPath();
    logs.forEach((row, i) => {
      const x = left + (i / (h.length - 1)) * (right - left), y = yOf(row[l]);
      i ? g.lineTo(x, y) : g.moveTo(x, y);
    });
    g.strokeStyle = css(PALETTE[l % PALETTE.length]); g.lineWidth = 1.2; g.stroke();
  }
  const row = Math.min(12, (bottom - top) / layers);
  g.textAlign = "left";
  for (let l = 0; l < layers; l++) {
    const y = top + row * (l + 0.5);
    g.fillStyle = css(PALETTE[l % PALETTE.length]);
    g.fillRect(right + 8, y - 1, 10, 2);
    g.fillText(`layer ${l + 1}`, right + 22, y);
  }
}
function drawConfusion(cm) {
  const t = $("confusion");
  t.replaceChildren();
  if (!cm) return;
  const head = t.insertRow();
  head.append(document.createElement("th"));
  cm.forEach((_, k) => { const th = document.createElement("th"); th.textContent = `→${k}`; head.append(th); });
  cm.forEach((row, k) => {
    const r = t.insertRow();
    const th = document.createElement("th"); th.textContent = `${k}`; r.append(th);
    row.forEach((n) => { r.insertCell().textContent = n; });
  });
}
function showGradcheck(r) {
  const el = $("gradcheck");
  el.className = "badge";
  if (!r) { el.textContent = "too many parameters to check live"; return; }
  if (r.max_error === null) { el.textContent = "gradient check: not finite (the run diverged)"; el.classList.add("bad"); return; }
  const e = r.max_error;
  el.classList.add(e < 1e-6 ? "ok" : e < 1e-3 ? "warn" : "bad");
  el.textContent = `relative error ${e.toExponential(2)} — backprop vs central differences, ` +
    `${r.samples} samples of the batch, ${r.parameters} parameters, step ${r.step}`;
}
function showSample(msg) {
  const rows = [`point ${msg.set}[${msg.index}] = (${msg.point.map(num).join(", ")}), ` +
    `target ${JSON.stringify(msg.target)}, loss ${num(msg.loss)}; then one step on it alone`];
  const vec = (v) => "[" + v.map(num).join(", ") + "]";
  msg.layers.forEach((l, k) => {
    rows.push(`layer ${k + 1}`);
    rows.push(`  Z  = ${vec(l.Z)}`);
    rows.push(`  A  = ${vec(l.A)}`);
    rows.push(`  dZ = ${vec(l.dZ)}`);
    rows.push(`  db = ${vec(l.db)}`);
    l.dW.forEach((r, j) => rows.push(`  dW[${j + 1},:] = ${vec(r)}`));
  });
  $("sample-view").textContent = rows.join("\n");
}
function download(msg) {
  const blob = msg.what === "model"
    ? new Blob([bytes(msg.base64)], { type: "application/octet-stream" })
    : new Blob([msg.text], { type: "text/x-python" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = msg.filename;
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

bindControls();
connect();
