"""The ``/admin`` dashboard: one self-contained page (no CDN, no build step).

It polls ``/admin/dashboard.json`` every second and draws, per method, three canvas charts:
requests/s, errors/s and latency (p50, p99). Each chart canvas carries ``data-last`` (the
newest value drawn) and ``data-points`` so a browser test can see it move.
"""

PAGE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Aviary admin</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:12px 24px;display:flex;gap:24px;align-items:baseline}
header h1{font-size:18px;margin:0}header span{opacity:.75}
main{padding:16px 24px}section{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:12px 16px;margin-bottom:16px}
h2{font-size:15px;margin:0 0 8px}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f4}
.method{margin:12px 0}.method h3{font-size:13px;margin:4px 0;font-family:monospace}
.charts{display:flex;gap:12px;flex-wrap:wrap}.chart{background:#fbfcfd;border:1px solid #eef0f4;border-radius:4px}
.ok{color:#137333}.bad{color:#b3261e}.muted{color:#6b7280}
</style></head><body>
<header><h1>Aviary</h1><span id="uptime"></span><span id="telemetry"></span></header>
<main>
<section><h2>Services</h2><table id="services"><tr><th>service</th><th>IDL</th><th>endpoints</th><th>methods</th></tr></table></section>
<section><h2>Discovery</h2><div id="zk" class="muted">loading…</div></section>
<section><h2>Calls per method</h2><div id="methods" class="muted">no calls yet</div></section>
</main>
<script>
"use strict";
const charts = {};
function esc(s){return String(s).replace(/[&<>"]/g,c=>({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c]));}
function draw(canvas, pts, lines, unit){
  const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height, pad = 28;
  ctx.clearRect(0,0,W,H);
  let max = 0; for (const p of pts) for (const l of lines) max = Math.max(max, p[l.i]);
  const top = max > 0 ? max * 1.15 : 1;
  ctx.strokeStyle="#e3e6ec"; ctx.fillStyle="#6b7280"; ctx.font="10px sans-serif";
  for (let k=0;k<=2;k++){ const y = pad/2 + (H-pad)*(k/2); ctx.beginPath(); ctx.moveTo(pad,y); ctx.lineTo(W-4,y); ctx.stroke();
    ctx.fillText((top*(1-k/2)).toPrecision(2), 2, y+3); }
  const n = pts.length, x = i => pad + (W-pad-4) * (n > 1 ? i/(n-1) : 1);
  for (const l of lines){ ctx.strokeStyle = l.color; ctx.lineWidth = 2; ctx.beginPath();
    pts.forEach((p,i)=>{ const y = pad/2 + (H-pad)*(1 - p[l.i]/top); i ? ctx.lineTo(x(i),y) : ctx.moveTo(x(i),y); }); ctx.stroke(); }
  const last = pts.length ? pts[pts.length-1] : null;
  ctx.fillStyle="#1d2330"; ctx.font="11px sans-serif";
  ctx.fillText(lines.map(l => l.label + " " + (last ? last[l.i] : 0) + unit).join("  "), pad, H-4);
  canvas.dataset.points = pts.length; canvas.dataset.last = last ? last[lines[0].i] : 0;
}
function chart(id, parent){
  if (!charts[id]) { const c = document.createElement("canvas"); c.width = 300; c.height = 120; c.className = "chart"; c.id = id;
    c.dataset.points = 0; c.dataset.last = 0; parent.appendChild(c); charts[id] = c; }
  return charts[id];
}
async function tick(){
  let d; try { d = await (await fetch("/admin/dashboard.json")).json(); } catch (e) { return; }
  document.getElementById("uptime").textContent = "up " + d.uptime_s + " s";
  document.getElementById("telemetry").textContent = d.telemetry ? "" : "telemetry off";
  const rows = d.services.map(s => "<tr class='service'><td><b>"+esc(s.name)+"</b></td><td>"+esc(s.idl)+"</td><td>"+
    Object.entries(s.endpoints).map(([k,v])=>esc(k)+" "+esc(v)).join("<br>")+"</td><td>"+s.methods.map(esc).join(", ")+"</td></tr>");
  document.getElementById("services").innerHTML = "<tr><th>service</th><th>IDL</th><th>endpoints</th><th>methods</th></tr>" + rows.join("") +
    (d.admin.http ? "<tr><td>admin</td><td></td><td>http "+esc(d.admin.http)+"</td><td></td></tr>" : "");
  const zk = document.getElementById("zk");
  zk.innerHTML = d.announcers.length ? d.announcers.map(a => "<pre>"+esc(JSON.stringify(a, null, 1))+"</pre>").join("")
    : "<span class='muted'>not announced (zk = "+esc(d.zk)+")</span>";
  const box = document.getElementById("methods");
  const keys = Object.keys(d.series).sort();
  if (keys.length && box.classList.contains("muted")) { box.classList.remove("muted"); box.textContent = ""; }
  for (const key of keys){
    const id = key.replace(/[^A-Za-z0-9]/g, "_");
    let m = document.getElementById("m_" + id);
    if (!m) { m = document.createElement("div"); m.className = "method"; m.id = "m_" + id;
      m.innerHTML = "<h3>"+esc(key)+"</h3><div class='charts'></div>"; box.appendChild(m); }
    const holder = m.querySelector(".charts"), pts = d.series[key];
    draw(chart("rate_"+id, holder), pts, [{i:1, color:"#1a73e8", label:"req/s"}], "");
    draw(chart("errors_"+id, holder), pts, [{i:2, color:"#d93025", label:"err/s"}], "");
    draw(chart("latency_"+id, holder), pts, [{i:3, color:"#188038", label:"p50"}, {i:4, color:"#e37400", label:"p99"}], " ms");
  }
  document.body.dataset.ticks = (+(document.body.dataset.ticks || 0)) + 1;
}
tick(); setInterval(tick, 1000);
</script></body></html>
"""
