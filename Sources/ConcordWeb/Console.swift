import ConcordConfig
import ConcordStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import PostgresNIO

/// A refusal or failure shown to the user as a page, with a stable English code.
public struct ConsoleError: Error, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static let forbidden = ConsoleError(.forbidden, "ROLE_REFUSED", "您的角色不能执行此操作")
    static let csrf = ConsoleError(.forbidden, "CSRF_TOKEN_INVALID", "表单已失效（缺少或不匹配的校验令牌），请返回刷新页面后重试")
    static let notFound = ConsoleError(.notFound, "NOT_FOUND", "没有这个页面或记录")
}

/// One navigation entry of a console.
struct NavItem: Sendable {
    let path: String
    let label: String
    let roles: Set<ConsoleRole>?
}

/// What both consoles share: login, sessions, CSRF, role checks, the page layout and error pages.
/// The routes of each console are registered through `page` and `action`, which authorise on the
/// server before any handler runs.
public struct ConsoleShell: Sendable {
    public typealias Context = BasicRequestContext

    let title: String
    let officeName: String
    /// The session cookie's name, one per console (`concord_hub`, `concord_360402`): cookies are
    /// not kept apart by port, and the consoles of one machine must not overwrite each other's.
    public let cookieName: String
    /// The login form's CSRF token is also sent in this cookie (double submit): a form posted from
    /// another site cannot log the browser in as someone else.
    var loginCookieName: String { cookieName + "_login" }
    let roles: [ConsoleRole]
    let nav: [NavItem]
    let users: UserStore
    let throttle: LoginThrottle
    let client: PostgresClient
    let logger: Logger
    let templates: MustacheLibrary
    /// A notice at the top of every page (the node's offline banner), read per request.
    let banner: @Sendable () async -> String?

    init(title: String, officeName: String, cookieName: String, roles: [ConsoleRole], nav: [NavItem], client: PostgresClient,
         logger: Logger, passwordCost: UInt8, banner: @escaping @Sendable () async -> String? = { nil }) {
        self.title = title
        self.cookieName = cookieName
        self.officeName = officeName
        self.roles = roles
        self.nav = nav
        self.client = client
        self.logger = logger
        self.users = UserStore(client: client, logger: logger, cost: passwordCost)
        self.throttle = LoginThrottle()
        self.templates = Templates.library
        self.banner = banner
    }

    /// A console's routes as an HTTP server for the daemon's ServiceGroup.
    func application(_ router: Router<Context>, at address: ConsoleAddress, serverName: String) -> some ApplicationProtocol {
        Application(router: router, configuration: .init(address: .hostname(address.host, port: address.port), serverName: serverName),
                    logger: logger)
    }

    // MARK: Responses

    static func securityHeaders(_ contentType: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        return headers
    }

    static func text(_ body: String, contentType: String, status: HTTPResponse.Status = .ok, extra: HTTPFields = [:]) -> Response {
        var headers = securityHeaders(contentType)
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func redirect(_ location: String, extra: HTTPFields = [:]) -> Response {
        var headers = securityHeaders("text/plain; charset=utf-8")
        headers[.location] = location
        headers.append(contentsOf: extra)
        return Response(status: .seeOther, headers: headers)
    }

    static func csv(_ body: String, filename: String) -> Response {
        var extra = HTTPFields()
        extra[.contentDisposition] = "attachment; filename=\"\(filename)\""
        // A BOM so that spreadsheet programs read the file as UTF-8.
        return text("\u{FEFF}" + body, contentType: "text/csv; charset=utf-8", extra: extra)
    }

    /// Renders `template` inside the layout.
    func render(_ template: String, title: String, session: ConsoleSession?, active: String, data: [String: Any],
                status: HTTPResponse.Status = .ok, notice: String? = nil) async -> Response {
        var data = data
        data["csrf"] = session?.csrfToken ?? ""
        let body = templates.render(Self.present(data), withTemplate: template) ?? "模板缺失：\(template)"
        let items: [[String: Any]] = nav.filter { item in
            guard let session else { return false }
            return item.roles?.contains(session.user.role) ?? true
        }.map { ["path": $0.path, "label": $0.label, "active": $0.path == active] }
        let layout: [String: Any] = [
            "pageTitle": title, "console": self.title, "office": officeName, "nav": items, "body": body,
            "user": session.map { ["name": $0.user.displayName, "username": $0.user.username, "role": $0.user.role.chineseName] } as Any,
            "csrf": session?.csrfToken ?? "", "banner": await banner() as Any, "notice": notice as Any,
        ]
        let html = templates.render(Self.present(layout), withTemplate: "layout") ?? body
        return Self.text(html, contentType: "text/html; charset=utf-8", status: status)
    }

    /// The context with every nil optional removed and every present one unwrapped: a missing
    /// key is false in a template, while an `Optional` stored as `Any` would print as "nil".
    static func present(_ value: Any) -> Any {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return NSNull() }
            return present(wrapped)
        }
        if let dictionary = value as? [String: Any] {
            var out: [String: Any] = [:]
            for (key, element) in dictionary {
                let unwrapped = present(element)
                if !(unwrapped is NSNull) { out[key] = unwrapped }
            }
            return out
        }
        if let array = value as? [Any] { return array.map(present).filter { !($0 is NSNull) } }
        return value
    }

    func errorPage(_ error: ConsoleError, session: ConsoleSession?) async -> Response {
        await render("error", title: "无法完成", session: session, active: "",
                     data: ["code": error.code, "message": error.message, "status": Int(error.status.code)], status: error.status)
    }

    /// Turns what a handler threw into a page: refusals with their code, anything else logged and
    /// shown without internals.
    func failure(_ error: any Error, session: ConsoleSession?) async -> Response {
        switch error {
        case let error as PostgresTransactionError where error.closureError != nil:
            // A refusal raised inside a transaction is the refusal, not a database failure.
            return await failure(error.closureError!, session: session)
        case let error as ConsoleError:
            return await errorPage(error, session: session)
        case let error as HTTPError:
            // Hummingbird's own refusals: a path parameter of the wrong type, a body too large.
            let message = error.status == .contentTooLarge ? "提交的内容过大（上限 4 MB）" : "请求的地址或内容不正确"
            return await errorPage(ConsoleError(error.status, error.status == .contentTooLarge ? "BODY_TOO_LARGE" : "BAD_REQUEST", message),
                                   session: session)
        case let error as StoreError:
            let status: HTTPResponse.Status = switch error.code {
            case .notFound: .notFound
            case .notAllowed, .notCoordinator: .forbidden
            case .duplicate: .conflict
            default: .badRequest
            }
            return await errorPage(ConsoleError(status, error.code.rawValue, error.message), session: session)
        case let error as ArbitrationRefusal:
            return await errorPage(ConsoleError(.badRequest, error.error.code, error.error.explanation), session: session)
        default:
            logger.error("console request failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return await errorPage(ConsoleError(.internalServerError, "INTERNAL", "服务器内部错误，已记录日志；请稍后重试或联系管理员"),
                                   session: session)
        }
    }

    // MARK: Sessions and authorisation

    func session(of request: Request) async -> ConsoleSession? {
        guard let token = request.cookies[cookieName]?.value else { return nil }
        return try? await users.session(token: token)
    }

    static func safeNext(_ next: String?) -> String {
        // Browsers drop tabs and line breaks from a URL, so "/\t/evil.example" would become
        // "//evil.example": anything but printable ASCII after a single leading slash is refused.
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), next.count < 500,
              next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" }) else { return "/" }
        return next
    }

    static func query(_ request: Request) -> FormData { FormData.urlEncoded(request.uri.query ?? "") }

    /// A page any logged-in user of `roles` (nil: every role) may see.
    func page(_ router: Router<Context>, _ path: RouterPath, roles: Set<ConsoleRole>? = nil,
              _ handler: @escaping @Sendable (Request, Context, ConsoleSession) async throws -> Response) {
        router.get(path) { request, context -> Response in
            guard let session = await self.session(of: request) else {
                let next = request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
                return Self.redirect("/login?next=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")")
            }
            if let roles, !roles.contains(session.user.role) { return await self.errorPage(.forbidden, session: session) }
            do { return try await handler(request, context, session) } catch { return await self.failure(error, session: session) }
        }
    }

    /// A form submission: a live session, the session's CSRF token in the form, and a role in
    /// `roles`; only then the handler runs.
    func action(_ router: Router<Context>, _ path: RouterPath, roles: Set<ConsoleRole>,
                _ handler: @escaping @Sendable (Request, Context, ConsoleSession, FormData) async throws -> Response) {
        router.post(path) { request, context -> Response in
            guard let session = await self.session(of: request) else {
                return await self.errorPage(ConsoleError(.unauthorized, "NOT_LOGGED_IN", "登录已过期，请重新登录"), session: nil)
            }
            let form: FormData
            do { form = try await Self.form(request) } catch { return await self.failure(error, session: session) }
            let sent = form.fields["_csrf"]?.first ?? request.headers[HTTPField.Name("X-CSRF-Token")!] ?? ""
            guard Self.constantTimeEqual(sent, session.csrfToken) else {
                await self.audit(actor: session.user.username, action: "console.refused", subject: request.uri.path, ["reason": "csrf"])
                return await self.errorPage(.csrf, session: session)
            }
            guard roles.contains(session.user.role) else {
                await self.audit(actor: session.user.username, action: "console.refused", subject: request.uri.path, ["reason": "role"])
                return await self.errorPage(.forbidden, session: session)
            }
            do { return try await handler(request, context, session, form) } catch { return await self.failure(error, session: session) }
        }
    }

    static let maximumBody = 4 * 1024 * 1024

    static func form(_ request: Request) async throws -> FormData {
        let buffer = try await request.body.collect(upTo: maximumBody)
        let bytes = Array(buffer.readableBytesView)
        let contentType = request.headers[.contentType] ?? ""
        if let boundary = FormData.boundary(ofContentType: contentType) {
            guard let form = FormData.multipart(bytes, boundary: boundary) else {
                throw ConsoleError(.badRequest, "FORM_MALFORMED", "上传的表单格式不正确，请重试")
            }
            return form
        }
        return FormData.urlEncoded(String(decoding: bytes, as: UTF8.self))
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count, !x.isEmpty else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }

    /// Appends a console event to the audit chain in its own transaction (actions that change data
    /// append theirs inside the change's transaction instead).
    func audit(actor: String, action: String, subject: String, _ detail: [String: String]) async {
        do {
            _ = try await client.withTransaction(logger: logger) { connection in
                try await AuditChain.append(.init(actor: "web:\(actor)", action: action, subject: subject,
                                                  detailJSON: auditDetail(detail)), on: connection, logger: logger)
            }
        } catch {
            logger.error("could not append a console event to the audit chain", metadata: ["action": "\(action)"])
        }
    }

    // MARK: Login

    /// The login form with a fresh token in the form and in a cookie.
    func loginPage(next: String, username: String, status: HTTPResponse.Status, error: String?) async -> Response {
        let token = UserStore.randomToken()
        var response = await render("login", title: "登录", session: nil, active: "", data: [
            "next": next, "username": username, "error": error as Any, "loginToken": token,
        ], status: status)
        response.headers.append(HTTPField(name: .setCookie, value: Cookie(
            name: loginCookieName, value: token, maxAge: 3600, path: "/login", secure: false, httpOnly: true,
            sameSite: .strict).description))
        return response
    }

    func registerCommon(_ router: Router<Context>) {
        router.add(middleware: SecurityHeadersMiddleware())
        // Request counts and latencies per route (hb_requests, hb_request_duration) when metrics are on.
        router.add(middleware: MetricsMiddleware())
        router.get("/static/console.css") { _, _ in
            var extra = HTTPFields()
            extra[.cacheControl] = "max-age=3600"
            return Self.text(Templates.css, contentType: "text/css; charset=utf-8", extra: extra)
        }
        router.get("/static/console.js") { _, _ in
            Self.text(Templates.script, contentType: "text/javascript; charset=utf-8")
        }
        router.get("/favicon.ico") { _, _ in Response(status: .noContent) }
        router.get("/login") { request, _ -> Response in
            let next = Self.safeNext(Self.query(request)["next"])
            if await self.session(of: request) != nil { return Self.redirect(next) }
            return await self.loginPage(next: next, username: "", status: .ok, error: nil)
        }
        router.post("/login") { request, _ -> Response in
            // Before anyone is known: a small url-encoded body only, and a name of the allowed shape.
            let buffer = (try? await request.body.collect(upTo: 8 * 1024)) ?? ByteBuffer()
            let form = FormData.urlEncoded(String(decoding: buffer.readableBytesView, as: UTF8.self))
            let typed = (form["username"] ?? "").lowercased()
            let username = UserStore.isValidUsername(typed) ? typed : ""
            let password = form.fields["password"]?.first ?? ""
            let next = Self.safeNext(form["next"])
            guard let expected = request.cookies[self.loginCookieName]?.value,
                  Self.constantTimeEqual(form.fields["_csrf"]?.first ?? "", expected) else {
                return await self.loginPage(next: next, username: username, status: .forbidden,
                                            error: "登录表单已失效，请重新输入后登录 [CSRF_TOKEN_INVALID]")
            }
            // The attempt counts as a failure from the start, so parallel attempts cannot slip past
            // the limit while their passwords are being checked; a success clears it.
            let (client, logger) = (self.client, self.logger)
            await self.throttle.seedOnce { since in
                try await AuditChain.recent(["console.login.failed", "console.login"], since: since, client: client, logger: logger).map { row in
                    (key: String(row.actor.dropFirst("web:".count)), failed: row.action == "console.login.failed", at: row.at)
                }
            }
            if let wait = await self.throttle.begin(username.isEmpty ? "-" : username) {
                var response = await self.loginPage(next: next, username: username, status: .tooManyRequests,
                                                     error: "登录失败次数过多，请 \(Int(wait / 60) + 1) 分钟后再试 [LOGIN_THROTTLED]")
                response.headers[.retryAfter] = String(Int(wait))
                return response
            }
            let user: ConsoleUser?
            do {
                user = try await self.users.authenticate(username: username, password: password)
            } catch {
                return await self.failure(error, session: nil)
            }
            guard !username.isEmpty, let user, self.roles.contains(user.role) else {
                let subject = username.isEmpty ? "user:(invalid name)" : "user:\(username)"
                await self.audit(actor: username.isEmpty ? "-" : username, action: "console.login.failed", subject: subject, [:])
                if await self.throttle.retryAfter(username.isEmpty ? "-" : username) != nil {
                    // Audited once, when the name is locked; the refusals after it are cheap and not.
                    await self.audit(actor: username, action: "console.login.locked", subject: subject, [:])
                }
                return await self.loginPage(next: next, username: username, status: .unauthorized,
                                            error: "用户名或密码不正确 [LOGIN_FAILED]")
            }
            await self.throttle.succeed(username)
            do {
                let token = try await self.users.openSession(for: user)
                await self.audit(actor: user.username, action: "console.login", subject: "user:\(user.username)", [:])
                var extra = HTTPFields()
                extra.append(HTTPField(name: .setCookie, value: Cookie(
                    name: self.cookieName, value: token, maxAge: Int(UserStore.sessionLifetime), path: "/",
                    secure: false, httpOnly: true, sameSite: .strict).description))
                extra.append(HTTPField(name: .setCookie, value: Cookie(
                    name: self.loginCookieName, value: "", maxAge: 0, path: "/login", secure: false, httpOnly: true,
                    sameSite: .strict).description))
                return Self.redirect(next, extra: extra)
            } catch {
                return await self.failure(error, session: nil)
            }
        }
        action(router, "/logout", roles: Set(ConsoleRole.allCases)) { request, _, session, _ in
            if let token = request.cookies[self.cookieName]?.value { try await self.users.closeSession(token: token) }
            await self.audit(actor: session.user.username, action: "console.logout", subject: "user:\(session.user.username)", [:])
            var extra = HTTPFields()
            extra[.setCookie] = Cookie(name: self.cookieName, value: "", maxAge: 0, path: "/", secure: false, httpOnly: true,
                                       sameSite: .strict).description
            return Self.redirect("/login", extra: extra)
        }
    }
}

/// Fixed messages shown after a redirect (`?done=`): never text from the address itself.
enum Flash {
    static let messages: [String: String] = [
        "decided": "已裁决，并已通知各当事区县（由协同中心送达）",
        "assigned": "已派单，区县将收到通知",
        "city-lead": "已登记市级线索，待派单",
        "revoked": "已吊销该租户的公钥",
        "granted": "订阅授权已更新",
        "filed": "已报备，已进入待上报队列",
        "stage": "阶段已变更，已进入待上报队列",
        "accepted": "已接受派单，已建立线索并上报",
        "declined": "已拒绝派单，理由已上报",
    ]

    static func message(_ request: Request) -> String? {
        ConsoleShell.query(request)["done"].flatMap { messages[$0] }
    }
}

/// The router's own answers (404 for a path no route has, 405 for a method it does not take) carry
/// the same security headers as every page: they are the answers a prober sees first.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed {
            return ConsoleShell.text(error.status == .notFound ? "没有这个页面 [NOT_FOUND]" : "不支持该请求方法 [METHOD_NOT_ALLOWED]",
                                     contentType: "text/plain; charset=utf-8", status: error.status)
        }
    }
}
