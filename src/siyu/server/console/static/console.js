/* siyu console: the audience builder (live count, mix chart, explain, save) and the 全站推 advisor job.
 * Plain JavaScript, no dependencies but plotly.js (served by the app). Every POST carries the session's CSRF token
 * in the X-CSRF-Token header; data from the server is written with textContent, never as HTML. */
(function () {
  "use strict";

  var body = document.body;
  var tenant = body.getAttribute("data-tenant") || "";
  var lang = body.getAttribute("data-lang") || "zh";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var base = "/console/" + encodeURIComponent(tenant);
  var numberFmt = new Intl.NumberFormat(lang === "zh" ? "zh-CN" : "en-US");
  var PLOT_CONFIG = { displaylogo: false, responsive: true };
  var FONT = { family: "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif" };

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function asOf() {
    return new URLSearchParams(window.location.search).get("as_of") || null;
  }

  /* fetch JSON; rejects with the API's error message on a non-2xx answer */
  function request(method, url, data) {
    var opts = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (method !== "GET") {
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-CSRF-Token"] = csrf;
      opts.body = JSON.stringify(data || {});
    }
    return fetch(url, opts).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (j) {
        if (!r.ok) {
          var msg = j && j.error ? j.error.message : "HTTP " + r.status;
          if (r.status === 401) { window.location.assign("/console/login?note=expired"); }
          throw new Error(msg);
        }
        return j;
      });
    });
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(function () { timer = null; fn.apply(null, args); }, ms);
    };
  }

  function show(el, text) {
    if (!el) { return; }
    el.textContent = text || "";
    el.hidden = !text;
  }

  function fmtNum(v) { return v === null || v === undefined ? "–" : numberFmt.format(v); }
  function fmtMoney(v) { return v === null || v === undefined ? "–" : "¥" + numberFmt.format(Math.round(v)); }
  function fmtShare(v) { return v === null || v === undefined ? "–" : (100 * v).toFixed(1) + "%"; }
  function valueText(v) {
    if (v === null || v === undefined) { return "null"; }
    return typeof v === "object" ? JSON.stringify(v) : String(v);
  }

  /* --- the audience builder -------------------------------------------------------------------------------- */
  function initBuilder() {
    var cfg = readJson("console-builder");
    var box = document.getElementById("aud-query");
    if (!cfg || !box) { return; }
    var t = function (k) { return (cfg.i18n && cfg.i18n[k]) || k; };
    var seq = 0;
    var shown = 0;
    var els = {
      count: document.getElementById("aud-count"), universe: document.getElementById("aud-universe"),
      share: document.getElementById("aud-share"), canonical: document.getElementById("aud-canonical"),
      error: document.getElementById("aud-error"), busy: document.getElementById("aud-busy"),
      mix: document.getElementById("aud-mix")
    };

    function drawMix(mix, total) {
      var aipl = mix.aipl || {}, pools = mix.customer_pool || {};
      var share = function (n) { return total ? n / total : 0; };
      var stages = cfg.stages.map(function (s) { return aipl[s.code] || 0; });
      var poolN = cfg.pools.map(function (p) { return pools[p.code] || 0; });
      var traces = [
        { type: "bar", name: t("aud.mix_aipl"), x: cfg.stages.map(function (s) { return s.label; }),
          y: stages.map(share), customdata: stages, marker: { color: cfg.stages.map(function (s) { return s.color; }) },
          text: stages.map(fmtNum), textposition: "outside", cliponaxis: false,
          hovertemplate: "%{x}: %{customdata:,} (%{y:.1%})<extra></extra>", xaxis: "x", yaxis: "y" },
        { type: "bar", name: t("aud.mix_pool"), x: cfg.pools.map(function (p) { return p.label; }),
          y: poolN.map(share), customdata: poolN, marker: { color: cfg.pools.map(function (p) { return p.color; }) },
          text: poolN.map(fmtNum), textposition: "outside", cliponaxis: false,
          hovertemplate: "%{x}: %{customdata:,} (%{y:.1%})<extra></extra>", xaxis: "x2", yaxis: "y2" }
      ];
      var layout = {
        template: "plotly_white", font: FONT, height: 280, showlegend: false, margin: { l: 44, r: 10, t: 40, b: 50 },
        title: { text: t("aud.mix"), x: 0.01, xanchor: "left", font: { size: 14 } },
        xaxis: { domain: [0, 0.54], type: "category", title: { text: t("aud.mix_aipl") } },
        xaxis2: { domain: [0.62, 1], type: "category", title: { text: t("aud.mix_pool") } },
        yaxis: { tickformat: ".0%", rangemode: "tozero", anchor: "x" },
        yaxis2: { tickformat: ".0%", rangemode: "tozero", anchor: "x2" }
      };
      window.Plotly.react(els.mix, traces, layout, PLOT_CONFIG);
    }

    function count() {
      var query = box.value;
      if (!query.trim()) { show(els.error, ""); return; }
      var mine = ++seq;
      els.busy.hidden = false;
      request("POST", base + "/audiences/count", { query: query, as_of: asOf() }).then(function (res) {
        if (mine < shown) { return; }  // an older answer arriving late never overwrites a newer one
        shown = mine;
        show(els.error, "");
        els.count.textContent = fmtNum(res.count);
        els.count.setAttribute("data-count", String(res.count));
        els.universe.textContent = fmtNum(res.universe);
        els.share.textContent = fmtShare(res.universe ? res.count / res.universe : null);
        els.canonical.textContent = res.query;
        drawMix(res.mix, res.count);
      }).catch(function (err) {
        if (mine >= shown) { shown = mine; show(els.error, err.message); }
      }).then(function () {
        if (mine === seq) { els.busy.hidden = true; }
      });
    }

    var later = debounce(count, 300);
    box.addEventListener("input", later);
    Array.prototype.forEach.call(document.querySelectorAll("#aud-examples .chip"), function (chip) {
      chip.addEventListener("click", function () {
        box.value = chip.getAttribute("data-query");
        count();
      });
    });

    var explainForm = document.getElementById("aud-explain-form");
    if (explainForm) {
      explainForm.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var user = document.getElementById("aud-user").value.trim();
        var table = document.getElementById("aud-explain-table");
        var verdict = document.getElementById("aud-explain-verdict");
        var err = document.getElementById("aud-explain-error");
        if (!user) { return; }
        request("POST", base + "/audiences/explain", { query: box.value, user_id: user, as_of: asOf() })
          .then(function (res) {
            show(err, "");
            verdict.textContent = res.user_id + " · " + res.as_of + " · " + (res.member ? t("aud.member") : t("aud.not_member"));
            verdict.className = res.member ? "ok" : "error";
            verdict.setAttribute("data-member", String(res.member));
            var tbody = table.querySelector("tbody");
            tbody.textContent = "";
            res.conditions.forEach(function (c) {
              var tr = document.createElement("tr");
              [c.text, valueText(c.value), c.pass ? "✓ " + t("aud.yes") : "✗ " + t("aud.no")].forEach(function (v, i) {
                var td = document.createElement("td");
                if (i === 0) { var code = document.createElement("code"); code.textContent = v; td.appendChild(code); }
                else { td.textContent = v; }
                if (i === 2) { td.className = c.pass ? "pass" : "fail"; }
                tr.appendChild(td);
              });
              tbody.appendChild(tr);
            });
            table.hidden = false;
          })
          .catch(function (e) { table.hidden = true; verdict.textContent = ""; show(err, e.message); });
      });
    }

    var saveForm = document.getElementById("aud-save-form");
    if (saveForm) {
      saveForm.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var status = document.getElementById("aud-save-status");
        var name = document.getElementById("aud-name").value.trim();
        request("POST", base + "/audiences/save", { name: name, query: box.value, as_of: asOf() })
          .then(function (res) {
            status.className = "ok";
            status.textContent = t("aud.saved_ok") + " " + res.name + " · " + fmtNum(res.members);
            setTimeout(function () { window.location.reload(); }, 600);
          })
          .catch(function (e) { status.className = "error"; status.textContent = e.message; });
      });
    }

    count();
  }

  /* --- the 全站推 advisor ------------------------------------------------------------------------------------ */
  function initAutobid() {
    var form = document.getElementById("ab-form");
    var i18n = readJson("console-autobid");
    if (!form || !i18n) { return; }
    var t = function (k) { return i18n[k] || k; };
    var els = {
      status: document.getElementById("ab-status"), progress: document.getElementById("ab-progress"),
      state: document.getElementById("ab-state"), step: document.getElementById("ab-step"),
      error: document.getElementById("ab-error"), result: document.getElementById("ab-result"),
      run: document.getElementById("ab-run")
    };

    function num(name) {
      var v = form.elements[name].value;
      return v === "" ? null : Number(v);
    }

    function kpi(label, value) {
      var d = document.createElement("div"); d.className = "kpi";
      var l = document.createElement("div"); l.className = "label"; l.textContent = label;
      var v = document.createElement("div"); v.className = "v"; v.textContent = value;
      d.appendChild(l); d.appendChild(v);
      return d;
    }

    function render(result) {
      var adv = result.advice, rec = adv.recommendation, p = rec.point;
      var kpis = document.getElementById("ab-kpis");
      kpis.textContent = "";
      kpis.appendChild(kpi(t("ab.target_roi"), String(rec.target_roi)));
      kpis.appendChild(kpi(t("ab.budget_per_day"), rec.budget_per_day === null ? t("ab.unlimited") : fmtMoney(rec.budget_per_day)));
      kpis.appendChild(kpi(t("ab.expected_gmv"), fmtMoney(p.expected_gmv)));
      kpis.appendChild(kpi(t("ab.realized_roi"), p.realized_roi === null ? "–" : p.realized_roi.toFixed(2)));
      kpis.appendChild(kpi(t("ab.compensation"), fmtMoney(p.compensation)));
      var reasons = document.getElementById("ab-reasons");
      reasons.textContent = "";
      (lang === "zh" ? rec.reasons_zh : rec.reasons_en).forEach(function (r) {
        var li = document.createElement("li"); li.textContent = r; reasons.appendChild(li);
      });
      var table = document.getElementById("ab-curve");
      table.textContent = "";
      var cols = [["target_roi", "ab.target_roi", String], ["expected_gmv", "ab.expected_gmv", fmtMoney],
                  ["spend", "ab.spend", fmtMoney], ["realized_roi", "ab.realized_roi", function (v) { return v === null ? "–" : v.toFixed(2); }],
                  ["compensation", "ab.compensation", fmtMoney], ["p_miss", "ab.p_miss", fmtShare]];
      var head = table.createTHead().insertRow();
      cols.forEach(function (c) { var th = document.createElement("th"); th.textContent = t(c[1]); head.appendChild(th); });
      var tb = table.createTBody();
      adv.curve.forEach(function (row) {
        var tr = tb.insertRow();
        if (row.target_roi === rec.target_roi) { tr.className = "ok"; }
        cols.forEach(function (c) { var td = tr.insertCell(); td.className = "num"; td.textContent = c[2](row[c[0]]); });
      });
      els.result.hidden = false;
      var fig = result.figure;
      window.Plotly.newPlot("ab-chart", fig.data, fig.layout, PLOT_CONFIG);
    }

    function poll(id) {
      request("GET", base + "/jobs/" + encodeURIComponent(id)).then(function (job) {
        els.progress.value = job.progress || 0;
        els.state.textContent = t("ab." + job.status);
        els.step.textContent = job.step || "";
        if (job.status === "done") {
          els.run.disabled = false;
          render(job.result);
        } else if (job.status === "failed") {
          els.run.disabled = false;
          show(els.error, job.error ? job.error.message : t("ab.failed"));
        } else {
          setTimeout(function () { poll(id); }, 500);
        }
      }).catch(function (e) { els.run.disabled = false; show(els.error, e.message); });
    }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      show(els.error, "");
      els.result.hidden = true;
      els.run.disabled = true;
      var data = { profile: form.elements.profile.value, goal: form.elements.goal.value, budget: num("budget"),
                   roi_floor: num("roi_floor"), margin: num("margin"), seeds: num("seeds") || 1 };
      request("POST", base + "/autobid/advise", data).then(function (job) {
        els.status.hidden = false;
        els.state.textContent = t("ab." + job.status);
        poll(job.id);
      }).catch(function (e) { els.run.disabled = false; show(els.error, e.message); });
    });
  }

  initBuilder();
  initAutobid();
})();
