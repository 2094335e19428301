import Mustache

/// The consoles' Mustache templates, stylesheet and script, compiled into the binary so that a
/// deployed `concord` needs no template folder. `{{x}}` is HTML-escaped; `{{{x}}}` is only used
/// for HTML the server built itself (rendered page bodies, SVG charts whose text is escaped).
enum Templates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in sources {
            // A template that does not parse is a programming error caught by the route tests.
            try! library.register(text, named: name)
        }
        return library
    }()

    static let sources: [(String, String)] = [
        ("layout", layout), ("login", login), ("error", error),
        ("conflicts", HubTemplates.conflicts), ("conflict", HubTemplates.conflict),
        ("dispatch", HubTemplates.dispatch), ("dispatch_lead", HubTemplates.dispatchLead),
        ("projects", HubTemplates.projects), ("cockpit", HubTemplates.cockpit),
        ("tenants", HubTemplates.tenants), ("tenant_issued", HubTemplates.tenantIssued),
        ("leads", NodeTemplates.leads), ("lead", NodeTemplates.lead), ("lead_new", NodeTemplates.leadNew),
        ("import", NodeTemplates.importForm), ("assignments", NodeTemplates.assignments),
    ]

    static let layout = #"""
    <!DOCTYPE html>
    <html lang="zh-CN">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{pageTitle}} · {{console}}</title>
    <link rel="stylesheet" href="/static/console.css">
    <script src="/static/console.js" defer></script>
    </head>
    <body>
    <header class="top">
      <div class="brand">{{console}}<span class="office">{{office}}</span></div>
      {{#user}}
      <nav>{{#nav}}<a href="{{path}}"{{#active}} class="active" aria-current="page"{{/active}}>{{label}}</a>{{/nav}}</nav>
      <form method="post" action="/logout" class="logout">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <span class="who">{{name}}（{{role}}）</span> <button type="submit" class="link">退出</button>
      </form>
      {{/user}}
    </header>
    {{#banner}}<div class="banner offline" role="status" id="link-banner">{{banner}}</div>{{/banner}}
    <main>
    {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
    {{{body}}}
    </main>
    <footer>招商协同 Concord · 数据仅限本单位使用</footer>
    </body>
    </html>
    """#

    static let login = #"""
    <section class="login">
    <h1>登录</h1>
    {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
    <form method="post" action="/login">
      <input type="hidden" name="next" value="{{next}}">
      <input type="hidden" name="_csrf" value="{{loginToken}}">
      <label>用户名 <input name="username" value="{{username}}" autocomplete="username" required autofocus></label>
      <label>密码 <input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit">登录</button>
    </form>
    <p class="hint">账号由本单位管理员用 <code>concord user add</code> 创建。</p>
    </section>
    """#

    static let error = #"""
    <section class="error-page">
    <h1>无法完成（{{status}}）</h1>
    <p class="error" role="alert">{{message}} <code>[{{code}}]</code></p>
    <p><a href="/" data-back>返回上一页</a> · <a href="/">首页</a></p>
    </section>
    """#

    static let css = #"""
    :root { --ink:#1d2733; --muted:#5b6776; --line:#d8dee6; --bg:#f5f7fa; --accent:#1d5fa8; --warn:#b3261e; --ok:#1b7a3e; --hi:#fff3bf; }
    * { box-sizing: border-box; } [hidden] { display:none !important; }
    body { margin:0; font-family: "Noto Sans CJK SC","WenQuanYi Zen Hei","Microsoft YaHei",sans-serif; color:var(--ink); background:var(--bg); font-size:15px; line-height:1.5; }
    header.top { display:flex; flex-wrap:wrap; align-items:center; gap:1rem; background:#16324f; color:#fff; padding:.5rem 1rem; }
    header.top a { color:#dce8f5; text-decoration:none; padding:.3rem .6rem; border-radius:4px; }
    header.top a.active, header.top a:hover { background:#2b5077; color:#fff; }
    .brand { font-weight:bold; font-size:1.1rem; } .brand .office { font-weight:normal; margin-left:.6rem; opacity:.85; }
    nav { display:flex; gap:.2rem; flex-wrap:wrap; flex:1; }
    .logout { margin:0; } .who { opacity:.85; }
    button.link { background:none; border:none; color:#dce8f5; cursor:pointer; text-decoration:underline; padding:0; font:inherit; }
    main { max-width:1200px; margin:1rem auto; padding:0 1rem; }
    footer { text-align:center; color:var(--muted); font-size:.85rem; padding:2rem 0; }
    h1 { font-size:1.4rem; margin:.5rem 0 1rem; } h2 { font-size:1.15rem; margin:1.5rem 0 .6rem; }
    table { border-collapse:collapse; width:100%; background:#fff; border:1px solid var(--line); }
    th, td { text-align:left; padding:.45rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; }
    th { background:#eef2f6; font-weight:600; white-space:nowrap; }
    tr.overdue td { background:#fde8e6; } tr.overdue td:first-child { border-left:4px solid var(--warn); }
    .badge { display:inline-block; padding:0 .45rem; border-radius:3px; font-size:.85rem; background:#e4e9ef; white-space:nowrap; }
    .badge.held { background:#dff3e6; color:var(--ok); } .badge.contested { background:#fde8e6; color:var(--warn); }
    .badge.duplicate { background:var(--hi); } .badge.decided { background:#e1ecf8; color:var(--accent); } .badge.pending { background:#eee; }
    .badge.warn { background:#fde8e6; color:var(--warn); }
    .card { background:#fff; border:1px solid var(--line); border-radius:6px; padding:1rem; margin-bottom:1rem; }
    .side { display:grid; grid-template-columns:repeat(auto-fit,minmax(320px,1fr)); gap:1rem; }
    .side .holder { border-top:4px solid var(--ok); } .side .challenger { border-top:4px solid var(--warn); }
    dl.fields { display:grid; grid-template-columns:8em 1fr; gap:.2rem .8rem; margin:0; } dl.fields dt { color:var(--muted); }
    .reasons { background:var(--hi); border-left:4px solid #e0b000; padding:.6rem 1rem; margin:.6rem 0; }
    .reasons li { margin:.15rem 0; } mark { background:#ffe066; padding:0 .1rem; }
    .recommend { border-left:4px solid var(--accent); background:#eaf2fb; padding:.6rem 1rem; }
    form.stack label { display:block; margin:.5rem 0; } form.stack .row { display:flex; gap:1rem; flex-wrap:wrap; } form.stack .row label { flex:1; min-width:12em; }
    input, select, textarea { font:inherit; padding:.35rem .5rem; border:1px solid #b9c3ce; border-radius:4px; width:100%; background:#fff; }
    input[type=checkbox], input[type=radio] { width:auto; } textarea { min-height:5em; }
    button, .button { font:inherit; background:var(--accent); color:#fff; border:none; border-radius:4px; padding:.4rem 1rem; cursor:pointer; text-decoration:none; display:inline-block; }
    button.secondary { background:#fff; color:var(--accent); border:1px solid var(--accent); } button.danger { background:var(--warn); }
    .inline { display:inline; } .inline input { width:auto; }
    .notice { background:#dff3e6; border:1px solid #a9d9b8; padding:.5rem 1rem; border-radius:4px; }
    .error { color:var(--warn); } p.error { background:#fde8e6; padding:.5rem 1rem; border-radius:4px; }
    .banner.offline { background:#fff3bf; border-bottom:2px solid #e0b000; padding:.5rem 1rem; text-align:center; font-weight:600; }
    .hint, .muted { color:var(--muted); font-size:.9rem; }
    .login { max-width:360px; margin:3rem auto; background:#fff; padding:1.5rem 2rem; border:1px solid var(--line); border-radius:6px; }
    .login label { display:block; margin:.8rem 0; }
    .scroll { overflow-x:auto; } .scroll table { min-width:100%; }
    .charts { display:grid; grid-template-columns:repeat(auto-fit,minmax(560px,1fr)); gap:1rem; }
    svg.chart { max-width:100%; height:auto; font-size:12px; } svg.chart .bar { fill:#4a84c4; } svg.chart .funnel { fill:#2f9e6b; }
    svg.chart .value { fill:#1d2733; } svg.chart .tick { fill:#5b6776; } svg.chart .axis { stroke:#8895a3; }
    pre.config { background:#10202f; color:#e6edf3; padding:1rem; overflow:auto; border-radius:4px; }
    .filters { display:flex; gap:.6rem; flex-wrap:wrap; align-items:end; margin-bottom:1rem; } .filters label { min-width:10em; }
    .checkresult { margin:.4rem 0; } .checkresult.free { color:var(--ok); } .checkresult.pursued { color:var(--warn); }
    .history { list-style:none; padding:0; display:flex; flex-wrap:wrap; gap:.3rem; } .history li::after { content:" →"; color:var(--muted); } .history li:last-child::after { content:""; }
    """#

    /// Convenience only: every page works without it.
    static let script = #"""
    "use strict";
    document.addEventListener("DOMContentLoaded", function () {
      document.querySelectorAll("[data-back]").forEach(function (a) {
        a.addEventListener("click", function (e) { e.preventDefault(); history.back(); });
      });
      var code = document.getElementById("credit_code");
      var codeNote = document.getElementById("credit_code_note");
      if (code && codeNote) {
        var timer = null;
        code.addEventListener("input", function () {
          clearTimeout(timer);
          timer = setTimeout(function () {
            var value = code.value.trim();
            if (!value) { codeNote.textContent = ""; codeNote.className = "hint"; return; }
            fetch("/api/credit-code?code=" + encodeURIComponent(value), { credentials: "same-origin" })
              .then(function (r) { return r.json(); })
              .then(function (j) { codeNote.textContent = j.message; codeNote.className = j.valid ? "checkresult free" : "checkresult pursued"; })
              .catch(function () { codeNote.textContent = ""; });
          }, 250);
        });
      }
      var check = document.getElementById("check-button");
      var result = document.getElementById("check-result");
      if (check && result) {
        check.addEventListener("click", function (e) {
          e.preventDefault();
          var form = check.form;
          var body = new URLSearchParams();
          body.set("investor_name", form.elements["investor_name"].value);
          body.set("credit_code", form.elements["credit_code"].value);
          body.set("_csrf", form.elements["_csrf"].value);
          result.textContent = "正在询问协同中心…";
          fetch("/api/check", { method: "POST", credentials: "same-origin", body: body })
            .then(function (r) { return r.json(); })
            .then(function (j) { result.textContent = j.message; result.className = "checkresult " + j.verdict; })
            .catch(function () { result.textContent = "查询失败，请稍后再试"; });
        });
      }
      document.querySelectorAll("form[data-confirm]").forEach(function (f) {
        f.addEventListener("submit", function (e) { if (!confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); } });
      });
      var kind = document.getElementById("decision_kind");
      if (kind) {
        var show = function () {
          document.querySelectorAll("[data-kind]").forEach(function (el) {
            el.hidden = el.getAttribute("data-kind").split(" ").indexOf(kind.value) < 0;
          });
        };
        kind.addEventListener("change", show); show();
      }
    });
    """#
}
