/// The hub console's page templates (see Templates for the layout).
enum HubTemplates {
    static let conflicts = #"""
    <h1>撞单队列</h1>
    <h2>未决（{{openCount}}，最早的在前）</h2>
    {{^open}}<p class="muted">没有未决的撞单。</p>{{/open}}
    {{#hasOpen}}
    <table id="open-conflicts">
    <thead><tr><th>编号</th><th>投资方</th><th>当事区县</th><th>打开时间</th><th>已等待</th><th></th></tr></thead>
    <tbody>
    {{#open}}<tr{{#old}} class="overdue"{{/old}}><td>#{{id}}</td><td>{{investor}}</td><td>{{offices}}</td><td>{{opened}}</td>
      <td>{{age}}</td><td><a class="button" href="/conflicts/{{id}}">查看与裁决</a></td></tr>{{/open}}
    </tbody></table>
    <p class="hint">等待超过 7 天的标红。</p>
    {{/hasOpen}}
    <h2>已裁决（{{decidedCount}}）</h2>
    {{^decided}}<p class="muted">还没有裁决过的撞单。</p>{{/decided}}
    {{#hasDecided}}
    <table id="decided-conflicts">
    <thead><tr><th>编号</th><th>投资方</th><th>当事区县</th><th>状态</th><th>裁决记录（新的在前）</th></tr></thead>
    <tbody>
    {{#decided}}<tr><td><a href="/conflicts/{{id}}">#{{id}}</a></td><td>{{investor}}</td><td>{{offices}}</td><td>{{status}}</td>
      <td><ul>{{#decisions}}<li>{{at}} {{coordinator}}：{{summary}}{{#current}} <span class="badge decided">现行</span>{{/current}}<br><span class="muted">理由：{{reason}}</span></li>{{/decisions}}</ul></td></tr>{{/decided}}
    </tbody></table>
    {{/hasDecided}}
    """#

    static let conflict = #"""
    <h1>撞单 #{{id}} <span class="badge {{#isOpen}}contested{{/isOpen}}{{^isOpen}}decided{{/isOpen}}">{{status}}</span></h1>
    <p class="muted">打开于 {{opened}}，已 {{age}}</p>
    {{#nameCodeMismatch}}<p class="recommend" id="name-code-mismatch">{{nameCodeMismatch}}</p>{{/nameCodeMismatch}}
    <section class="side">
    {{#parties}}
    <article class="card {{#holder}}holder{{/holder}}{{^holder}}challenger{{/holder}}" data-claim="{{claim}}">
      <h2>{{office}} · 报备 #{{claim}} {{#holder}}<span class="badge held">占有方</span>{{/holder}}</h2>
      <dl class="fields">
        <dt>投资方</dt><dd>{{{name}}}</dd>
        <dt>信用代码</dt><dd>{{code}}</dd>
        <dt>项目</dt><dd>{{project}}</dd>
        <dt>行业</dt><dd>{{industry}}</dd>
        <dt>总投资</dt><dd>{{investment}}</dd>
        <dt>首报（协同中心收到）</dt><dd>{{reported}}</dd>
        <dt>区县填报日期</dt><dd>{{countyReported}} <span class="muted">（仅供参考，不决定首报）</span></dd>
        <dt>阶段</dt><dd>{{stage}}</dd>
        <dt>保护期至</dt><dd>{{until}}{{#lapsed}} <span class="badge warn">已失效</span>{{/lapsed}}</dd>
      </dl>
      <ul class="history">{{#history}}<li>{{stage}} {{at}}</li>{{/history}}</ul>
    </article>
    {{/parties}}
    </section>
    <section class="card">
      <h2>名称比对</h2>
      {{#comparisons}}
      <p>#{{a}} {{{nameA}}} 与 #{{b}} {{{nameB}}}：<strong>{{verdict}}</strong>（相似度 {{score}}）{{#sameCode}} <span class="badge warn">信用代码相同</span>{{/sameCode}}</p>
      <ul class="reasons">{{#reasons}}<li>{{.}}</li>{{/reasons}}</ul>
      {{/comparisons}}
      {{^comparisons}}<p class="muted">只剩一方。</p>{{/comparisons}}
      <p class="hint">黄色标出的是用于识别企业的字号部分。</p>
    </section>
    <section class="recommend card">
      <h2>规则建议：{{recommendation.name}}</h2>
      <p>{{recommendation.summary}}</p>
      <ul>{{#recommendation.reasons}}<li>{{.}}</li>{{/recommendation.reasons}}</ul>
    </section>
    <section class="card">
      <h2>裁决记录</h2>
      {{^decisions}}<p class="muted">尚未裁决。</p>{{/decisions}}
      <ol>{{#decisions}}<li>#{{id}} {{at}} {{coordinator}}：{{summary}}{{#current}} <span class="badge decided">现行</span>{{/current}}{{#supersedes}}（取代 {{supersedes}}）{{/supersedes}}<br><span class="muted">理由：{{reason}}</span></li>{{/decisions}}</ol>
    </section>
    {{#canAct}}
    <section class="card">
      <h2>{{#isOpen}}裁决{{/isOpen}}{{^isOpen}}以新裁决取代现行裁决{{/isOpen}}</h2>
      <form method="post" action="/conflicts/{{id}}/decide" class="stack" id="decide-form">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        {{^isOpen}}<input type="hidden" name="supersedes" value="{{current}}">{{/isOpen}}
        <label>裁决类型
          <select name="kind" id="decision_kind" required>{{#kinds}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/kinds}}</select>
        </label>
        <div class="row">
          <label data-kind="award">判归区县 <select name="office">{{#offices}}<option value="{{office}}"{{#first}} selected{{/first}}>{{label}}</option>{{/offices}}</select></label>
          <label data-kind="transfer">转出区县 <select name="from">{{#offices}}<option value="{{office}}"{{#first}} selected{{/first}}>{{label}}</option>{{/offices}}</select></label>
          <label data-kind="transfer">转入区县 <select name="to">{{#offices}}<option value="{{office}}">{{label}}</option>{{/offices}}</select></label>
          <label data-kind="reject">驳回报备 <select name="claim">{{#claims}}<option value="{{claim}}">#{{claim}}（{{office}}）</option>{{/claims}}</select></label>
        </div>
        <fieldset data-kind="joint"><legend>联合招引的区县</legend>{{#offices}}<label class="inline"><input type="checkbox" name="offices" value="{{office}}" checked> {{label}}</label> {{/offices}}</fieldset>
        <div class="row">
          <label data-kind="transfer joint">分成比例（如 50:50） <input name="split" placeholder="50:50"></label>
          <label data-kind="transfer">分成年限 <input name="years" type="number" min="1" max="20" value="5"></label>
        </div>
        <label>理由（必填，将通知各当事区县并记入审计链） <textarea name="reason" required></textarea></label>
        <button type="submit">提交裁决</button>
      </form>
    </section>
    {{/canAct}}
    {{^canAct}}<p class="hint">您是只读用户，不能裁决。</p>{{/canAct}}
    """#

    static let dispatch = #"""
    <h1>市级派单</h1>
    <h2>市级线索</h2>
    {{^leads}}<p class="muted">还没有市级线索。</p>{{/leads}}
    <table id="city-leads">
    <thead><tr><th>编号</th><th>投资方</th><th>行业</th><th>产业链</th><th>用地（亩）</th><th>登记</th><th>状态</th><th></th></tr></thead>
    <tbody>{{#leads}}<tr><td>{{short}}</td><td>{{investor}}</td><td>{{industry}}</td><td>{{chain}}</td><td>{{land}}</td><td>{{filed}}</td>
      <td>{{status}}</td><td><a class="button{{^pool}} secondary{{/pool}}" href="/dispatch/{{id}}">{{#pool}}推荐与派单{{/pool}}{{^pool}}查看推荐{{/pool}}</a></td></tr>{{/leads}}</tbody>
    </table>
    <h2>派单与期限（逾期 {{overdueCount}} 个）</h2>
    {{^assignments}}<p class="muted">还没有派单。</p>{{/assignments}}
    <table id="assignments">
    <thead><tr><th>派单</th><th>区县</th><th>投资方</th><th>派出</th><th>答复期限</th><th>评估期限</th><th>状态</th><th>答复</th></tr></thead>
    <tbody>{{#assignments}}<tr{{#overdue}} class="overdue"{{/overdue}}><td>#{{id}}</td><td>{{county}}</td><td>{{investor}}</td><td>{{assigned}}</td>
      <td>{{respondBy}}</td><td>{{assessBy}}</td><td>{{status}}{{#overdue}} <span class="badge warn">逾期未答复</span>{{/overdue}}</td>
      <td>{{responded}}{{#reason}}<br><span class="muted">理由：{{reason}}</span>{{/reason}}</td></tr>{{/assignments}}</tbody>
    </table>
    {{#canAct}}
    <section class="card">
    <h2>登记市级线索</h2>
    <form method="post" action="/dispatch/leads" class="stack">
      <input type="hidden" name="_csrf" value="{{csrf}}">
      <div class="row"><label>投资方名称（必填） <input name="investor_name" required></label><label>统一社会信用代码 <input name="credit_code"></label></div>
      <div class="row"><label>项目名称 <input name="project_name"></label><label>行业 <input name="industry"></label><label>产业链 <input name="chain"></label></div>
      <div class="row"><label>总投资（万元） <input name="investment_wan" inputmode="decimal"></label><label>用地（亩） <input name="land_mu" inputmode="decimal"></label>
        <label>能耗（吨标煤） <input name="energy_tce" inputmode="decimal"></label><label>环境容量需求 <input name="environment" inputmode="decimal"></label></div>
      <button type="submit">登记</button>
    </form>
    </section>
    {{/canAct}}
    """#

    static let dispatchLead = #"""
    <h1>市级线索：{{investor}} <span class="badge">{{status}}</span></h1>
    <section class="card">
    <dl class="fields">
      <dt>项目</dt><dd>{{project}}</dd><dt>信用代码</dt><dd>{{code}}</dd><dt>行业</dt><dd>{{industry}}</dd><dt>产业链</dt><dd>{{chain}}</dd>
      <dt>总投资</dt><dd>{{investment}} 万元</dd><dt>用地</dt><dd>{{land}} 亩</dd><dt>能耗</dt><dd>{{energy}} 吨标煤</dd>
    </dl>
    </section>
    <h2>已在跟进该企业的区县</h2>
    {{^hasPursuits}}<p class="muted" id="pursuits-none">登记簿中没有区县在跟进该企业（按信用代码与名称查重，同报备匹配规则）。</p>{{/hasPursuits}}
    {{#hasPursuits}}<table id="pursuits"><thead><tr><th>区县</th><th>状态</th><th>首报时间</th><th>匹配理由</th></tr></thead>
    <tbody>{{/hasPursuits}}{{#pursuits}}<tr><td>{{office}}{{#holder}} <span class="badge held">占有方</span>{{/holder}}{{^same}} <span class="badge duplicate">疑似同一企业</span>{{/same}}</td>
      <td>{{state}}</td><td>{{since}}</td><td><ul>{{#reasons}}<li>{{.}}</li>{{/reasons}}</ul></td></tr>{{/pursuits}}{{#hasPursuits}}</tbody></table>{{/hasPursuits}}
    {{#holder}}<p class="recommend" id="holder-note">{{holder}} 已在跟进该企业（首报首谈）：应派给该区县。派给其他区县须写明改派理由，区县接受后记为由 {{holder}} 流转的裁决，并通知双方。</p>{{/holder}}
    <h2>推荐区县（按推荐分排序，每项加减分都有说明）</h2>
    {{^ranked}}<p class="muted">还没有区县画像：请先用 <code>concord county profile set</code> 设置。</p>{{/ranked}}
    {{#noneFits}}<p class="error" id="none-fits">没有区县达到最低匹配（推荐分 ≥ {{minimum}}，且主导产业与线索行业相符），不标首选：请核实线索行业或更新区县画像后再派单。</p>{{/noneFits}}
    <table id="ranking">
    <thead><tr><th>名次</th><th>区县</th><th>推荐分</th><th>理由</th>{{#canAct}}{{#pool}}<th>派单</th>{{/pool}}{{/canAct}}</tr></thead>
    <tbody>{{#ranked}}<tr><td>{{rank}}</td><td>{{label}}{{#top}} <span class="badge held">首选</span>{{/top}}{{#pursuit}}<br><span class="badge contested">{{pursuit}}</span>{{/pursuit}}</td><td>{{score}}</td>
      <td><ul>{{#factors}}<li{{#negative}} class="error"{{/negative}}>{{points}} {{explanation}}</li>{{/factors}}</ul></td>
      {{#canAct}}{{#pool}}<td><form method="post" action="/dispatch/{{id}}/assign" class="stack">
        <input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="county" value="{{county}}">
        <label>附言 <input name="note" placeholder="如：请 3 日内完成评估"></label>
        {{#needsOverride}}<label>改派理由（必填：该企业已有区县在跟进） <input name="override" required placeholder="如：项目用地只能落在该县园区"></label>{{/needsOverride}}
        <button type="submit">派给 {{label}}</button></form></td>{{/pool}}{{/canAct}}
    </tr>{{/ranked}}</tbody>
    </table>
    <p><a href="/dispatch">返回派单列表</a></p>
    """#

    static let projects = #"""
    <h1>项目</h1>
    <form method="get" action="/projects" class="filters">
      <label>名称或信用代码 <input name="q" value="{{q}}" placeholder="如 观途 或 91110000600037341L"></label>
      <label>区县 <select name="county"><option value="">全部</option>{{#counties}}<option value="{{county}}"{{#selected}} selected{{/selected}}>{{label}}（{{total}}）</option>{{/counties}}</select></label>
      <label>阶段 <select name="stage"><option value="">全部</option>{{#stages}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/stages}}</select></label>
      <button type="submit">查找</button>
    </form>
    <h2>各区县各阶段</h2>
    <table id="stage-matrix"><thead><tr><th>区县</th>{{#stageHeads}}<th>{{label}}</th>{{/stageHeads}}</tr></thead>
    <tbody>{{#byCounty}}<tr><td>{{county}}</td>{{#cells}}<td>{{count}}</td>{{/cells}}</tr>{{/byCounty}}</tbody></table>
    <h2>找到 {{count}} 个{{#limited}}（只显示最新的 200 个，请缩小范围）{{/limited}}</h2>
    <table id="projects">
    <thead><tr><th>报备</th><th>区县</th><th>投资方</th><th>信用代码</th><th>项目</th><th>阶段</th><th>协同状态</th><th>联审</th><th>审批意见</th></tr></thead>
    <tbody>{{#projects}}<tr><td>#{{claim}}<br><span class="muted">{{reported}}</span></td><td>{{office}}</td><td>{{investor}}</td><td>{{code}}</td><td>{{project}}</td>
      <td>{{stage}}</td><td>{{status}}</td>
      <td>{{#pending}}<span class="badge pending">{{name}} 待答复 {{waited}}</span> {{/pending}}{{#answered}}<span class="badge held">{{name}} {{verdict}}</span> {{/answered}}</td>
      <td>{{#opinions}}<p>{{at}} {{department}}：<strong>{{verdict}}</strong>——{{text}}{{#conditions}}（条件：{{conditions}}）{{/conditions}}</p>{{/opinions}}</td></tr>{{/projects}}</tbody>
    </table>
    """#

    static let cockpit = #"""
    <h1>招商驾驶舱</h1>
    <form method="get" action="/cockpit" class="filters">
      <label>起始日期（含） <input type="date" name="from" value="{{from}}"></label>
      <label>截止日期（不含） <input type="date" name="to" value="{{to}}"></label>
      <button type="submit">更新</button>
    </form>
    <div class="charts">
    <section class="card" id="funnel"><h2>阶段漏斗</h2>{{{funnelChart}}}
      <table><thead><tr><th>阶段</th><th>企业数</th></tr></thead><tbody>{{#funnel}}<tr><td>{{label}}</td><td>{{value}}</td></tr>{{/funnel}}</tbody></table>
      <p><a href="/cockpit/funnel.csv?{{range}}">下载 CSV</a></p></section>
    <section class="card" id="counties"><h2>各区县企业数</h2>{{{countyChart}}}
      <table><thead><tr><th>区县</th><th>企业数</th></tr></thead><tbody>{{#county}}<tr><td>{{label}}</td><td>{{value}}</td></tr>{{/county}}</tbody></table>
      <p><a href="/cockpit/counties.csv?{{range}}">下载 CSV</a></p></section>
    <section class="card" id="response"><h2>派单答复时长分布</h2>{{{responseChart}}}
      <table><thead><tr><th>答复时长</th><th>派单数</th></tr></thead><tbody>{{#response}}<tr><td>{{label}}</td><td>{{value}}</td></tr>{{/response}}</tbody></table>
      <p><a href="/cockpit/response.csv?{{range}}">下载 CSV</a></p></section>
    <section class="card" id="conflicts-over-time"><h2>每月新增撞单</h2>{{{conflictChart}}}
      <table><thead><tr><th>月份</th><th>新增撞单</th></tr></thead><tbody>{{#conflicts}}<tr><td>{{label}}</td><td>{{value}}</td></tr>{{/conflicts}}</tbody></table>
      <p><a href="/cockpit/conflicts.csv?{{range}}">下载 CSV</a></p></section>
    </div>
    <h2>各区县指标 <a href="/cockpit/metrics.csv?{{range}}" class="button secondary">下载 CSV</a></h2>
    <div class="scroll"><table id="metrics"><thead><tr>{{#heads}}<th>{{name}}</th>{{/heads}}</tr></thead>
    <tbody>{{#rows}}<tr>{{#cells}}<td>{{#total}}<strong>{{/total}}{{value}}{{#total}}</strong>{{/total}}</td>{{/cells}}</tr>{{/rows}}</tbody></table></div>
    <section id="definitions"><h2>口径说明 <a href="/cockpit/definitions.csv?{{range}}" class="button secondary">下载 CSV</a></h2>
    <dl class="fields">{{#definitions}}<dt>{{term}}</dt><dd>{{text}}</dd>{{/definitions}}</dl></section>
    <h2>联审进度（待答复最久的在前） <a href="/cockpit/reviews.csv?{{range}}" class="button secondary">下载 CSV</a></h2>
    {{^reviews}}<p class="muted">还没有项目推送给审批部门。</p>{{/reviews}}
    <table id="reviews"><thead><tr><th>项目</th><th>区县</th><th>投资方</th><th>已答复</th><th>待答复</th><th>最久等待</th></tr></thead>
    <tbody>{{#reviews}}<tr><td>#{{claim}}</td><td>{{office}}</td><td>{{investor}}</td><td>{{answered}}</td><td>{{pending}}</td><td>{{#hasPending}}{{longest}}{{/hasPending}}</td></tr>{{/reviews}}</tbody></table>
    """#

    static let tenants = #"""
    <h1>租户与密钥</h1>
    {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
    <table id="tenants">
    <thead><tr><th>代码</th><th>类别</th><th>名称</th><th>公钥</th><th>登记</th><th>状态</th><th>订阅授权</th>{{#canAct}}<th>操作</th>{{/canAct}}</tr></thead>
    <tbody>{{#tenants}}<tr><td>{{id}}</td><td>{{kind}}</td><td>{{name}}</td><td><code>{{key}}</code></td><td>{{created}}</td>
      <td>{{#active}}<span class="badge held">有效</span>{{/active}}{{^active}}<span class="badge warn">已吊销 {{revoked}}</span>{{/active}}</td>
      <td>{{#department}}<code>{{grants}}</code>
        {{#canAct}}{{#active}}<form method="post" action="/tenants/{{id}}/grants" class="inline">
          <input type="hidden" name="_csrf" value="{{csrf}}"><input name="patterns" placeholder="stage.signed dispatch.*" size="16">
          <select name="mode"><option value="grant">授予</option><option value="revoke">收回</option></select><button type="submit" class="secondary">更新</button></form>{{/active}}{{/canAct}}
      {{/department}}</td>
      {{#canAct}}<td>{{#active}}<form method="post" action="/tenants/{{id}}/revoke" class="inline" data-confirm="吊销 {{id}} 的公钥？其下次连接即被拒绝。">
        <input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit" class="danger">吊销</button></form>{{/active}}</td>{{/canAct}}
    </tr>{{/tenants}}</tbody>
    </table>
    {{#canAct}}
    <section class="card">
    <h2>登记新租户</h2>
    <p class="hint">生成密钥对并登记公钥；配置文件（含私钥）只在下一页显示一次，请安全地交给对方。</p>
    <form method="post" action="/tenants" class="stack">
      <input type="hidden" name="_csrf" value="{{csrf}}">
      <div class="row">
        <label>类别 <select name="kind">{{#kinds}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/kinds}}</select></label>
        <label>代码（区县用 GB/T 2260 代码，如 360402） <input name="code" value="{{code}}" required pattern="[0-9a-z][0-9a-z._-]{0,62}"></label>
        <label>名称 <input name="name" value="{{name}}" required></label>
      </div>
      <div class="row">
        <label>对方连接协同中心的地址 <input name="hub_endpoint" value="{{endpoint}}" required></label>
        <label>对方自己的数据库（区县节点必填） <input name="database_url" value="{{databaseURL}}" placeholder="postgres://concord@127.0.0.1:5432/concord_node"></label>
      </div>
      <button type="submit">登记并生成配置</button>
    </form>
    </section>
    {{/canAct}}
    """#

    static let tenantIssued = #"""
    <h1>已登记 {{name}}（{{code}}，{{kind}}）</h1>
    <p class="notice">公钥已登记：<code>{{publicKey}}</code></p>
    <p class="error">下面的配置文件含有对方的私钥，<strong>只显示这一次</strong>，协同中心不保存。请下载后安全交付，文件权限设为 600。</p>
    <p><a class="button" id="download-config" href="{{download}}" download="{{filename}}">下载 {{filename}}</a></p>
    <pre class="config" id="issued-config">{{config}}</pre>
    {{#node}}<p class="hint">区县在其服务器上运行 <code>concord node run --config {{filename}}</code>，并用 <code>concord user add</code> 创建本区县的控制台用户。</p>{{/node}}
    <p><a href="/tenants">返回租户列表</a></p>
    """#
}
