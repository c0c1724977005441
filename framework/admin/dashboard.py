"""The ``/admin`` dashboard: one self-contained page (no CDN, no build step, no network).

It polls ``/admin/dashboard.json`` every second and leads with what an operator asks first:

1. the process's request rate, error rate and p50/p99 latency (last 10 s, with units);
2. the same per service, with lifetime totals and endpoints;
3. ZooKeeper: the session's health, and each service's members as ZooKeeper has them
   (host:port, status, owning session; this process's marked);
4. recent internal errors by error id (what a caller was told), newest first; the log line
   with that id has the message and traceback;
5. per-method charts (requests/s, errors/s, p50/p99 ms), each labelled;
6. links (docs, metrics.json, the services' own pages such as the event log) and the admin
   routes; the raw JSON behind one click (a ``<details>``).

Figures are semantic tables and description lists with their units in the headers. Each chart
canvas carries ``data-last`` (the newest value drawn) and ``data-points`` so a browser test can
see it move.
"""

PAGE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Aviary admin</title>
<style>
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#f4f5f8;color:#1d2330}
header{background:#1d2330;color:#fff;padding:10px 20px;display:flex;flex-wrap:wrap;gap:6px 20px;align-items:baseline}
header h1{font-size:18px;margin:0}header .fact{opacity:.8}
.pill{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px}
.pill.ok{background:#d6f5df;color:#0d5a26}.pill.bad{background:#fde0dc;color:#8c1d13}.pill.warn{background:#fdf0cf;color:#7a4d00}.pill.off{background:#e5e7eb;color:#374151}
main{padding:14px 20px;max-width:1400px}
section{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:12px 16px;margin-bottom:14px}
h2{font-size:15px;margin:0 0 8px}h3{font-size:13px;margin:10px 0 4px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin:0}
.tile{border:1px solid #e3e6ec;border-radius:6px;padding:8px 12px;background:#fbfcfd}
.tile dt{font-size:12px;color:#4b5563;margin:0}.tile dd{margin:2px 0 0;font-size:24px;font-weight:600;font-variant-numeric:tabular-nums}
.tile .unit{font-size:13px;font-weight:400;color:#4b5563;margin-left:3px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:6px 0 4px;font-size:13px}
td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f4;vertical-align:baseline;white-space:nowrap}
th{font-size:12px;color:#4b5563;font-weight:600}th[scope=row]{position:sticky;left:0;background:#fff;color:#1d2330;font-size:14px}td.num,th.num{text-align:right}
.mono{font-family:ui-monospace,monospace;font-size:12.5px}
dl.facts{display:flex;flex-wrap:wrap;gap:4px 24px;margin:0 0 8px}dl.facts div{display:flex;gap:6px;align-items:baseline}
dl.facts dt{color:#4b5563}dl.facts dd{margin:0;overflow-wrap:anywhere}
.ep{display:inline-block;margin-right:10px}tr.mine td{background:#f0f6ff}
.method{margin:10px 0}.method h3{font-family:ui-monospace,monospace}
.charts{display:flex;gap:12px;flex-wrap:wrap}
figure{margin:0}figcaption{font-size:12px;color:#4b5563}
.chart{background:#fbfcfd;border:1px solid #eef0f4;border-radius:4px;max-width:100%}
.ok{color:#137333}.bad{color:#b3261e}.warn{color:#8a5a00}.muted{color:#6b7280}
ul.links{display:flex;flex-wrap:wrap;gap:6px 18px;padding:0;margin:0 0 8px;list-style:none}
a{color:#1a56c4}
details summary{cursor:pointer;font-weight:600}
@media (max-width:600px){header{padding:8px 12px}main{padding:10px}section{padding:10px 12px}
.tiles{grid-template-columns:repeat(2,1fr);gap:8px}.tile dd{font-size:20px}dl.facts{flex-direction:column}}
pre{background:#f6f7f9;border:1px solid #eef0f4;padding:8px;overflow:auto;max-height:70vh;font-size:12px}
</style></head><body>
<header><h1>Aviary admin</h1><span class="fact" id="facts"></span><span id="zk-pill" class="pill off">ZooKeeper …</span><span class="fact" id="telemetry"></span></header>
<main>
<section id="overview" aria-labelledby="overview-h"><h2 id="overview-h">This process, last <span id="window">10</span> s</h2>
<dl class="tiles">
<div class="tile"><dt>Requests</dt><dd><span id="overall-rps">–</span><span class="unit">req/s</span></dd></div>
<div class="tile"><dt>Errors</dt><dd><span id="overall-eps">–</span><span class="unit">err/s</span></dd></div>
<div class="tile"><dt>Error rate</dt><dd><span id="overall-error-rate">–</span><span class="unit">%</span></dd></div>
<div class="tile"><dt>Latency p50</dt><dd><span id="overall-p50">–</span><span class="unit">ms</span></dd></div>
<div class="tile"><dt>Latency p99</dt><dd><span id="overall-p99">–</span><span class="unit">ms</span></dd></div>
</dl></section>

<section id="services-section" aria-labelledby="services-h"><h2 id="services-h">Services</h2>
<div class="scroll" role="region" aria-labelledby="services-h" tabindex="0"><table id="services">
<thead><tr><th scope="col">service</th><th scope="col" class="num">requests/s</th><th scope="col" class="num">errors/s</th><th scope="col" class="num">error rate (%)</th>
<th scope="col" class="num">p50 (ms)</th><th scope="col" class="num">p99 (ms)</th><th scope="col" class="num">requests (total)</th><th scope="col" class="num">failures (total)</th>
<th scope="col">endpoints</th></tr></thead><tbody></tbody></table></div></section>

<section id="zookeeper" aria-labelledby="zk-h"><h2 id="zk-h">ZooKeeper</h2>
<div id="zk-session" class="muted">loading…</div><div id="serversets"></div></section>

<section id="errors-section" aria-labelledby="errors-h"><h2 id="errors-h">Recent errors <span class="muted" id="errors-total"></span></h2>
<div id="errors-empty" class="muted">no internal errors since start</div>
<div class="scroll" role="region" aria-labelledby="errors-h" tabindex="0"><table id="errors" hidden>
<thead><tr><th scope="col">time (UTC)</th><th scope="col">error id</th><th scope="col">call</th><th scope="col">type</th><th scope="col">trace</th></tr></thead>
<tbody></tbody></table></div></section>

<section id="methods-section" aria-labelledby="methods-h"><h2 id="methods-h">Calls per method <span class="muted">(one point a second, last 2 minutes)</span></h2>
<div id="methods" class="muted">no calls yet</div></section>

<section id="links-section" aria-labelledby="links-h"><h2 id="links-h">Links</h2>
<ul class="links" id="links"></ul>
<div class="scroll" role="region" aria-label="admin routes" tabindex="0"><table id="admin-routes"><caption>Admin routes</caption>
<thead><tr><th scope="col">route</th><th scope="col">answer</th></tr></thead><tbody>
<tr><td class="mono"><a href="/health">/health</a></td><td>OK while serving; a line per problem follows</td></tr>
<tr><td class="mono"><a href="/admin/ping">/admin/ping</a></td><td>pong</td></tr>
<tr><td class="mono"><a href="/admin/server_info">/admin/server_info</a></td><td>version, pid, start time, uptime, services</td></tr>
<tr><td class="mono"><a href="/admin/registry.json">/admin/registry.json</a></td><td>resolved settings (secrets redacted), IDL sources, endpoints</td></tr>
<tr><td class="mono"><a href="/admin/announcer">/admin/announcer</a></td><td>what was announced where, and the ZooKeeper session</td></tr>
<tr><td class="mono"><a href="/admin/dtab">/admin/dtab</a></td><td>the base dtab</td></tr>
<tr><td class="mono"><a href="/admin/metrics.json?pretty=true">/admin/metrics.json</a></td><td>every metric, Finagle's flat map</td></tr>
<tr><td class="mono"><a href="/metrics">/metrics</a></td><td>the same in Prometheus text format</td></tr>
<tr><td class="mono"><a href="/admin/dashboard.json">/admin/dashboard.json</a></td><td>what this page draws</td></tr>
<tr><td class="mono">POST /quitquitquit</td><td>graceful drain, as SIGTERM (from loopback or <span class="mono">admin_allow</span> only)</td></tr>
<tr><td class="mono">POST /abortabortabort</td><td>exit at once (from loopback or <span class="mono">admin_allow</span> only)</td></tr>
</tbody></table></div></section>

<section><details id="raw"><summary>Raw JSON (what this page draws)</summary><pre id="raw-json"></pre></details></section>
</main>
<script>
"use strict";
const charts = {};
function esc(s){return String(s ?? "").replace(/[&<>"']/g,c=>({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));}
function ms(v){return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);}
function rate(v){return v >= 100 ? v.toFixed(0) : v.toFixed(1);}
function pct(v){return v.toFixed(v && v < 1 ? 2 : 1);}
function text(id, v){const e = document.getElementById(id); if (e.textContent !== String(v)) e.textContent = v;}
// Rebuilt only when changed: a selection, a focus or a test's element survives an unchanged tick.
const drawn = new WeakMap();
function html(el, h){if (drawn.get(el) !== h) { el.innerHTML = h; drawn.set(el, h); }}
function draw(canvas, pts, lines, unit){
  const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height, pad = 30;
  ctx.clearRect(0,0,W,H);
  let max = 0; for (const p of pts) for (const l of lines) max = Math.max(max, p[l.i]);
  const top = max > 0 ? max * 1.15 : 1;
  ctx.strokeStyle="#e3e6ec"; ctx.fillStyle="#6b7280"; ctx.font="10px sans-serif";
  for (let k=0;k<=2;k++){ const y = pad/2 + (H-pad)*(k/2); ctx.beginPath(); ctx.moveTo(pad,y); ctx.lineTo(W-4,y); ctx.stroke();
    const v = top*(1-k/2); ctx.fillText(v >= 100 ? String(Math.round(v)) : v.toPrecision(2), 2, y+3); }
  const n = pts.length, x = i => pad + (W-pad-4) * (n > 1 ? i/(n-1) : 1);
  for (const l of lines){ ctx.strokeStyle = l.color; ctx.lineWidth = 2; ctx.beginPath();
    pts.forEach((p,i)=>{ const y = pad/2 + (H-pad)*(1 - p[l.i]/top); i ? ctx.lineTo(x(i),y) : ctx.moveTo(x(i),y); }); ctx.stroke(); }
  const last = pts.length ? pts[pts.length-1] : null;
  const now = lines.map(l => l.label + " " + (last ? last[l.i] : 0) + " " + unit).join(", ");
  ctx.fillStyle="#1d2330"; ctx.font="11px sans-serif"; ctx.fillText(now, pad, H-4);
  canvas.setAttribute("aria-label", canvas.dataset.title + ": now " + now);
  canvas.dataset.points = pts.length; canvas.dataset.last = last ? last[lines[0].i] : 0;
}
function chart(id, parent, title){
  if (!charts[id]) { const f = document.createElement("figure"), c = document.createElement("canvas");
    c.width = 300; c.height = 120; c.className = "chart"; c.id = id; c.setAttribute("role", "img"); c.dataset.title = title;
    c.dataset.points = 0; c.dataset.last = 0; f.innerHTML = "<figcaption>" + esc(title) + "</figcaption>"; f.appendChild(c); parent.appendChild(f); charts[id] = c; }
  return charts[id];
}
function statusClass(s){return s === "ALIVE" ? "ok" : (s === "STOPPED" || s === "STOPPING" || s === "STARTING" || s === "WARNING") ? "warn" : "bad";}
function renderSummary(d){
  const s = d.summary, o = s.overall;
  text("window", Math.round(s.window_s) || 0);
  text("overall-rps", rate(o.requests_per_s)); text("overall-eps", rate(o.errors_per_s));
  text("overall-error-rate", pct(o.error_rate_pct)); text("overall-p50", ms(o.p50_ms)); text("overall-p99", ms(o.p99_ms));
  document.getElementById("overall-error-rate").className = o.error_rate_pct > 0 ? "bad" : "";
  const rows = d.services.map(svc => { const f = s.services[svc.name] || {};
    const eps = Object.entries(svc.endpoints).map(([k,v]) => "<span class='ep'>" + esc(k) + " <span class='mono'>" + esc(v) + "</span></span>").join("");
    return "<tr data-service='" + esc(svc.name) + "'><th scope='row' title='" + esc(svc.idl) + "'>" + esc(svc.name) + "</th><td class='num'>" + rate(f.requests_per_s || 0) +
      "</td><td class='num'>" + rate(f.errors_per_s || 0) + "</td><td class='num" + (f.error_rate_pct > 0 ? " bad" : "") + "'>" + pct(f.error_rate_pct || 0) +
      "</td><td class='num'>" + ms(f.p50_ms || 0) + "</td><td class='num'>" + ms(f.p99_ms || 0) + "</td><td class='num'>" + (f.requests || 0) +
      "</td><td class='num'>" + (f.failures || 0) + "</td><td>" + eps + "</td></tr>"; });
  if (d.admin.http) rows.push("<tr><th scope='row' class='muted'>admin</th><td colspan='7'></td><td>http <span class='mono'>" + esc(d.admin.http) + "</span></td></tr>");
  html(document.querySelector("#services tbody"), rows.join(""));
}
function renderZooKeeper(d){
  const pill = document.getElementById("zk-pill"), box = document.getElementById("zk-session");
  const zks = d.announcers.filter(a => "session" in a || "error" in a);
  if (!zks.length) { pill.className = "pill off"; pill.textContent = "ZooKeeper: not used";
    box.className = "muted"; box.textContent = "not announced: no announcer runs (zk = " + d.zk + ")"; }
  else {
    const a = zks[0], live = a.session === "connected";
    pill.className = "pill " + (a.announced ? "ok" : live ? "warn" : "bad");
    pill.textContent = "ZooKeeper: " + (a.announced ? "announced" : live ? "connected, not announced" : "no session");
    box.className = "";
    const fact = (dt, dd, cls, id) => "<div><dt>" + dt + "</dt><dd" + (id ? " id='" + id + "'" : "") + (cls ? " class='" + cls + "'" : "") + ">" + dd + "</dd></div>";
    html(box, zks.map(a => "<dl class='facts' aria-label='ZooKeeper session'>" +
      fact("ensemble", "<span class='mono'>" + esc(a.zookeeper) + "</span>") +
      fact("session", esc(a.session) + (a.session_id ? " <span class='mono'>" + esc(a.session_id) + "</span>" : ""), a.session === "connected" ? "ok" : "bad", "zk-state") +
      fact("announced", a.announced ? "yes" : "no", a.announced ? "ok" : "bad") +
      (a.without_session_s != null ? fact("without a session for", a.without_session_s + " s", "bad") : "") +
      fact("failed connection attempts", (a.failed_attempts || 0) + (a.last_failure ? " (last: " + esc(a.last_failure) + ")" : "")) +
      fact("new sessions since start", a.new_sessions || 0) +
      (a.last_error ? fact("last announcing error", esc(a.last_error), "bad") : "") +
      (a.error ? fact("error", esc(a.error), "bad") : "") + "</dl>").join(""));
  }
  html(document.getElementById("serversets"), d.serversets.map(set => {
    if (!set.path) return "<p class='bad'>" + esc(set.extension) + ": " + esc(set.error) + "</p>";
    const rows = set.members.map(m => "<tr class='member" + (m.this_process ? " mine" : "") + "'><td class='mono'>" + esc(m.endpoint || "?") +
      "</td><td class='" + statusClass(m.status) + "'>" + esc(m.status) + "</td><td class='mono'>" + esc(m.session) + "</td><td class='num'>" + esc(m.shard ?? "") +
      "</td><td class='mono'>" + Object.entries(m.endpoints).map(([k,v]) => "<span class='ep'>" + esc(k) + " " + esc(v) + "</span>").join("") + "</td><td class='mono'>" + esc(m.znode) +
      "</td><td>" + (m.this_process ? "this process" : "") + "</td></tr>").join("");
    return "<div class='scroll' role='region' tabindex='0' aria-label='members of " + esc(set.service) + "'><table class='members' data-service='" + esc(set.service) + "'><caption>" + esc(set.service) +
      " <span class='mono muted'>" + esc(set.path) + "</span> — " + set.members.length + " member" + (set.members.length === 1 ? "" : "s") + "</caption>" +
      "<thead><tr><th scope='col'>host:port</th><th scope='col'>status</th><th scope='col'>session</th><th scope='col' class='num'>shard</th><th scope='col'>endpoints</th><th scope='col'>znode</th><th scope='col'></th></tr></thead><tbody>" +
      (rows || "<tr><td colspan='7' class='muted'>" + esc(set.error || "no members") + "</td></tr>") + "</tbody></table></div>";
  }).join(""));
}
function renderErrors(d){
  const r = d.recent_errors, table = document.getElementById("errors");
  text("errors-total", r.total ? "(" + r.total + " since start" + (r.total > r.errors.length ? ", newest " + r.errors.length + " shown" : "") + ")" : "");
  document.getElementById("errors-empty").hidden = r.errors.length > 0; table.hidden = r.errors.length === 0;
  html(table.tBodies[0], r.errors.map(e => "<tr data-error-id='" + esc(e.error_id) + "'><td>" + esc(e.time.replace("T", " ").replace("Z", "")) +
    "</td><td class='mono'>" + esc(e.error_id) + "</td><td class='mono'>" + esc(e.service + "." + e.method) + "</td><td class='bad'>" + esc(e.type) +
    "</td><td class='mono'>" + esc(e.trace || "–") + "</td></tr>").join(""));
}
function renderLinks(d){
  html(document.getElementById("links"), d.links.map(l => {
    const href = l.port ? location.protocol + "//" + location.hostname + ":" + l.port + l.href : l.href;
    return "<li><a href='" + esc(href) + "' data-link='" + esc(l.label) + "'>" + esc(l.label) + "</a>" + (l.service ? " <span class='muted'>(" + esc(l.service) + ")</span>" : "") + "</li>"; }).join("") +
    (d.links.some(l => l.label === "event log") ? "" : "<li class='muted'>no event log in this process (<span class='mono'>aviary run eventlog</span> serves one)</li>"));
}
function renderMethods(d){
  const box = document.getElementById("methods"), keys = Object.keys(d.series).sort();
  if (keys.length && box.classList.contains("muted")) { box.classList.remove("muted"); box.textContent = ""; }
  for (const key of keys){
    const id = key.replace(/[^A-Za-z0-9]/g, "_");
    let m = document.getElementById("m_" + id);
    if (!m) { m = document.createElement("div"); m.className = "method"; m.id = "m_" + id;
      m.innerHTML = "<h3>" + esc(key) + "</h3><div class='charts'></div>"; box.appendChild(m); }
    const holder = m.querySelector(".charts"), pts = d.series[key];
    draw(chart("rate_" + id, holder, "requests per second (req/s)"), pts, [{i:1, color:"#1a73e8", label:"req/s"}], "");
    draw(chart("errors_" + id, holder, "errors per second (err/s)"), pts, [{i:2, color:"#d93025", label:"err/s"}], "");
    draw(chart("latency_" + id, holder, "latency p50 (green) and p99 (orange), ms"), pts, [{i:3, color:"#188038", label:"p50"}, {i:4, color:"#e37400", label:"p99"}], "ms");
  }
}
let busy = false;  // one request at a time: a slow ZooKeeper must not pile them up
async function tick(){
  if (busy) return;
  busy = true;
  let d; try { d = await (await fetch("/admin/dashboard.json")).json(); } catch (e) { return; } finally { busy = false; }
  text("facts", d.services.map(s => s.name).join(", ") + " · up " + Math.round(d.uptime_s) + " s");
  text("telemetry", d.telemetry ? "" : "telemetry off: no rates or latencies");
  for (const render of [renderSummary, renderZooKeeper, renderErrors, renderLinks, renderMethods]) {
    try { render(d); } catch (e) { console.error(render.name, e); }
  }
  if (document.getElementById("raw").open) text("raw-json", JSON.stringify(d, null, 2));
  document.body.dataset.ticks = (+(document.body.dataset.ticks || 0)) + 1;
}
document.getElementById("raw").addEventListener("toggle", tick);
tick(); setInterval(tick, 1000);
</script></body></html>
"""
