/// The node console's page templates (see Templates for the layout).
enum NodeTemplates {
    static let leads = #"""
    <h1>我的线索（{{count}}）</h1>
    {{#hasWaiting}}<p class="hint">待上报协同中心 {{waiting}} 条（最早 {{oldest}} 秒前）。</p>{{/hasWaiting}}
    {{#canAct}}<p><a class="button" href="/leads/new">报备线索</a> <a class="button secondary" href="/import">批量导入 CSV</a></p>{{/canAct}}
    {{^leads}}<p class="muted">还没有线索。</p>{{/leads}}
    <table id="leads">
    <thead><tr><th>编号</th><th>投资方</th><th>项目</th><th>阶段</th><th>协同状态</th><th>报备时间</th></tr></thead>
    <tbody>{{#leads}}<tr><td><a href="/leads/{{id}}">{{short}}</a></td><td><a href="/leads/{{id}}">{{investor}}</a></td><td>{{project}}</td><td>{{stage}}</td>
      <td><span class="badge {{badge}}">{{badgeLabel}}</span><br><span class="muted">{{status}}</span></td><td>{{filed}}</td></tr>{{/leads}}</tbody>
    </table>
    """#

    static let lead = #"""
    <h1>{{investor}} <span class="badge {{badge}}">{{badgeLabel}}</span></h1>
    <section class="card">
    <dl class="fields">
      <dt>编号</dt><dd><code>{{id}}</code></dd>
      <dt>信用代码</dt><dd>{{code}}{{#codeIssue}} <span class="badge warn">{{codeIssue}}，按名称匹配</span>{{/codeIssue}}</dd>
      <dt>项目</dt><dd>{{project}}</dd><dt>行业</dt><dd>{{industry}}</dd><dt>总投资</dt><dd>{{investment}}</dd>
      <dt>经办人</dt><dd>{{officer}}</dd><dt>报备时间</dt><dd>{{filed}}</dd><dt>阶段</dt><dd>{{stage}}</dd>
      <dt>协同状态</dt><dd>{{status}}</dd>
    </dl>
    </section>
    <section class="card">
      <h2>阶段历史</h2>
      <ul class="history">{{#history}}<li>{{stage}} {{at}}</li>{{/history}}</ul>
      {{#canMove}}
      <form method="post" action="/leads/{{id}}/stage" class="inline" id="stage-form">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label>变更为 <select name="stage">{{#next}}<option value="{{value}}">{{label}}</option>{{/next}}</select></label>
        <button type="submit">变更阶段并上报</button>
      </form>
      {{/canMove}}
      {{#locked}}<p class="muted" id="stage-locked">{{locked}}</p>{{/locked}}
      {{#refusal}}<p class="badge warn" id="hub-refusal">协同中心未接受：{{text}}（{{code}}，{{at}}）</p>{{/refusal}}
    </section>
    <section class="card" id="notices">
      <h2>协同中心的通知</h2>
      {{#holder}}<p>占有方：{{office}}，自 {{since}} 起跟进。</p>{{/holder}}
      {{#decision}}<p class="recommend">市级裁决 #{{id}}：{{summary}}<br>理由：{{reason}}</p>{{/decision}}
      {{#duplicates}}<div class="reasons"><p>疑似重复：{{office}}（相似度 {{score}}）</p><ul>{{#reasons}}<li>{{.}}</li>{{/reasons}}</ul></div>{{/duplicates}}
      {{^holder}}{{^decision}}<p class="muted">{{status}}</p>{{/decision}}{{/holder}}
    </section>
    <section class="card">
      <h2>联审进度</h2>
      {{^reviews}}<p class="muted">尚无审批部门收到该项目。</p>{{/reviews}}
      <ul>{{#reviews}}<li{{#pending}} class="muted"{{/pending}}>{{line}}</li>{{/reviews}}</ul>
      <h2>审批部门意见</h2>
      {{^opinions}}<p class="muted">暂无。</p>{{/opinions}}
      {{#opinions}}<p>{{at}} {{department}}：<strong>{{verdict}}</strong>——{{text}}{{#conditions}}（条件：{{conditions}}）{{/conditions}}</p>{{/opinions}}
    </section>
    <p><a href="/leads">返回我的线索</a></p>
    """#

    static let leadNew = #"""
    <h1>报备线索</h1>
    {{#hasProblems}}<div class="error" role="alert"><p>未能报备，请改正：</p><ul>{{#problems}}<li>{{.}}</li>{{/problems}}</ul></div>{{/hasProblems}}
    <form method="post" action="/leads" class="stack" id="lead-form">
      <input type="hidden" name="_csrf" value="{{csrf}}">
      <div class="row">
        <label>投资方名称（必填） <input name="investor_name" id="investor_name" value="{{form.investor_name}}" required maxlength="200"></label>
        <label>统一社会信用代码 <input name="credit_code" id="credit_code" value="{{form.credit_code}}" maxlength="30" autocomplete="off">
          <span id="credit_code_note" class="hint" aria-live="polite">{{codeNote}}</span></label>
      </div>
      <p><button type="submit" name="action" value="check" class="secondary" id="check-button">先向协同中心查重</button>
        <span id="check-result" class="checkresult {{check.verdict}}" aria-live="polite">{{check.message}}</span></p>
      {{#check.hasReasons}}<ul class="reasons">{{#check.reasons}}<li>{{.}}</li>{{/check.reasons}}</ul>{{/check.hasReasons}}
      <div class="row">
        <label>项目名称 <input name="project_name" value="{{form.project_name}}"></label>
        <label>行业 <input name="industry" value="{{form.industry}}"></label>
        <label>产业链 <input name="industry_chain" value="{{form.industry_chain}}"></label>
      </div>
      <div class="row">
        <label>总投资（万元） <input name="investment_wan" value="{{form.investment_wan}}" inputmode="decimal"></label>
        <label>用地（亩） <input name="land_mu" value="{{form.land_mu}}" inputmode="decimal"></label>
        <label>能耗（吨标煤） <input name="energy_tce" value="{{form.energy_tce}}" inputmode="decimal"></label>
      </div>
      <div class="row">
        <label>引荐人 <input name="referrer" value="{{form.referrer}}"></label>
        <label>经办人 <input name="officer" value="{{form.officer}}" placeholder="默认为您本人"></label>
        <label>首次接触日期 <input name="first_contact" type="date" value="{{form.first_contact}}"></label>
        <label>阶段 <select name="stage">{{#stages}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/stages}}</select></label>
      </div>
      <label>备注 <textarea name="notes">{{form.notes}}</textarea></label>
      <button type="submit" name="action" value="file" id="file-button">报备</button>
      <p class="hint">报备先存入本区县数据库，再由节点送到协同中心；协同中心断开时照常报备，恢复后自动上报。</p>
    </form>
    """#

    static let importForm = #"""
    <h1>批量导入 CSV</h1>
    {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
    {{#hasReport}}
    <section class="card" id="import-report">
      {{#done}}<p class="notice">已导入 {{imported}} 条，已进入待上报队列。</p>{{/done}}
      {{^done}}<p class="error">{{refused}} 行有误，全部未导入；请改正后重新导入。</p>{{/done}}
      <table><thead><tr><th>行</th><th>投资方</th><th>结果</th></tr></thead>
      <tbody>{{#report}}<tr{{^ok}} class="overdue"{{/ok}}><td>{{line}}</td><td>{{name}}</td>
        <td>{{#ok}}{{#id}}已导入 <a href="/leads/{{id}}">{{short}}</a>{{/id}}{{^id}}可导入{{/id}}{{/ok}}{{^ok}}拒绝：{{problems}}{{/ok}}{{#warning}}<br><span class="muted">{{warning}}</span>{{/warning}}</td></tr>{{/report}}</tbody></table>
    </section>
    {{/hasReport}}
    <form method="post" action="/import" enctype="multipart/form-data" class="stack" id="import-form">
      <input type="hidden" name="_csrf" value="{{csrf}}">
      <label>CSV 文件（UTF-8，第一行为列名） <input type="file" name="file" accept=".csv,text/csv"></label>
      <label>或把 CSV 内容粘贴在这里 <textarea name="csv" rows="6" placeholder="investor_name,credit_code,project_name,industry"></textarea></label>
      <button type="submit">检查并导入</button>
    </form>
    <p class="hint">必需的列：investor_name；可用的列：{{columns}}。任何一行有误则全部不导入，逐行说明原因。</p>
    """#

    static let assignments = #"""
    <h1>市级派单</h1>
    {{^offers}}<p class="muted">还没有收到市级派单。</p>{{/offers}}
    {{#offers}}
    <section class="card{{#overdue}} overdue{{/overdue}}" id="offer-{{id}}">
      <h2>#{{id}} {{investor}} <span class="badge{{#overdue}} warn{{/overdue}}">{{status}}{{#overdue}}，已逾期{{/overdue}}</span></h2>
      <dl class="fields"><dt>项目</dt><dd>{{project}}</dd><dt>行业</dt><dd>{{industry}}</dd><dt>用地</dt><dd>{{land}} 亩</dd>
        <dt>派出</dt><dd>{{offered}}</dd><dt>答复期限</dt><dd>{{respondBy}}</dd><dt>评估期限</dt><dd>{{assessBy}}</dd>
        {{#note}}<dt>附言</dt><dd>{{note}}</dd>{{/note}}{{#explanation}}<dt>推荐理由</dt><dd>{{explanation}}</dd>{{/explanation}}</dl>
      {{#lead}}<p><a href="/leads/{{lead}}">查看由此建立的线索</a></p>{{/lead}}
      {{#canAct}}{{#open}}
      <form method="post" action="/assignments/{{id}}/accept" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit">接受</button></form>
      <form method="post" action="/assignments/{{id}}/decline" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}">
        <input name="reason" placeholder="拒绝理由（必填）" required size="30"><button type="submit" class="danger">拒绝</button></form>
      {{/open}}{{/canAct}}
    </section>
    {{/offers}}
    """#
}
