import Foundation
import HTTPServer

/// Where a destination's requests authenticate.
public enum DestinationAuth: Sendable, Equatable {
    /// `Authorization: Bearer <token>`
    case bearer(Secret)
    /// `Authorization: Basic base64(user:password)`
    case basic(username: String, password: Secret)
    /// A custom header, e.g. n8n's Header Auth: `X-N8N-Key: <value>`.
    case header(name: String, value: Secret)
}

/// What a destination receives as the body.
public enum DeliveryBody: String, Sendable, Equatable, CaseIterable {
    /// The CloudEvents envelope (default).
    case envelope
    /// Only the provider payload, as JSON.
    case data
    /// The original bytes, content type and the provider's signature headers.
    case raw
}

/// The kinds of destination; bridges have their response quirks handled.
public enum DestinationKind: String, Sendable, Equatable, CaseIterable {
    case n8n, make, zapier, http
}

/// A destination's validated settings.
public struct DestinationSettings: Sendable, Equatable {
    public var name: String
    public var kind: DestinationKind
    public var url: String
    public var auth: DestinationAuth?
    public var body: DeliveryBody = .envelope
    public var timeout: Duration = .seconds(10)
    public var concurrency: Int = 8
    public var rateLimit: Rate?
    public var retrySchedule: [Duration] = DestinationSettings.defaultRetrySchedule
    public var maxAge: Duration?
    public var signingSecret: Secret?
    public var insecureSkipVerify = false

    /// `0s 5s 5m 30m 2h 5h 10h 10h`
    public static let defaultRetrySchedule: [Duration] = [.seconds(0), .seconds(5), .seconds(300), .seconds(1800),
                                                          .seconds(7200), .seconds(18000), .seconds(36000), .seconds(36000)]
}

/// A source ready to serve: its settings and the factory for per-loop providers.
public struct SourceRuntime: Sendable {
    public let settings: SourceSettings
    public let factory: any ProviderFactory
}

/// A route: events from `from` that match `when` go to `to`.
public struct RouteSettings: Sendable {
    public var name: String
    public var from: [String]
    public var to: [String]
    public var condition: RouteCondition?
}

/// Every route file of a directory, validated and merged.
public struct RouteConfig: Sendable {
    public var sources: [String: SourceRuntime] = [:]
    public var sourceOrder: [String] = []
    public var destinations: [String: DestinationSettings] = [:]
    public var routes: [RouteSettings] = []
    public var routeTable: RouteTable

    static let sourceKeys = ["name", "provider", "secrets", "publicKey", "publicURL", "verifyToken", "tolerance", "split",
                             "maxBody", "allowIPs"]
    static let destinationKeys = ["name", "kind", "url", "auth", "body", "timeout", "concurrency", "rateLimit", "retry",
                                  "signingSecret", "insecureSkipVerify"]
    static let routeKeys = ["name", "from", "to", "when"]

    /// Loads every `*.json` in `directory` (sorted by name). Returns the config when there is no error, and every
    /// diagnostic (errors and warnings) sorted by file and position.
    public static func load(directory: String) -> (config: RouteConfig?, diagnostics: [ConfigDiagnostic]) {
        load(directory: directory, environment: ProcessInfo.processInfo.environment)
    }

    /// ``load(directory:)`` with the environment `env:` references read from.
    public static func load(directory: String, environment: [String: String]) -> (config: RouteConfig?, diagnostics: [ConfigDiagnostic]) {
        var loader = Loader(environment: environment, directory: directory)
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted()
        } catch {
            return (nil, [ConfigDiagnostic(severity: .error, file: directory, line: 0, column: 0, path: "",
                                           message: "cannot read the routes directory")])
        }
        if files.isEmpty {
            return (nil, [ConfigDiagnostic(severity: .error, file: directory, line: 0, column: 0, path: "",
                                           message: "no route files (*.json) in this directory")])
        }
        for file in files { loader.load(file: directory + "/" + file, displayName: displayPath(directory, file)) }
        return loader.finish()
    }

    static func displayPath(_ directory: String, _ file: String) -> String {
        filePath(file, in: directory)
    }
}

/// `name` inside `directory`, with exactly one `/` between them whether or not `directory` ends with one.
public func filePath(_ name: String, in directory: String) -> String {
    (directory.hasSuffix("/") ? directory : directory + "/") + name
}

/// Loads files one by one, then resolves references across them.
private struct Loader {
    let environment: [String: String]
    let directory: String
    var diagnostics: [ConfigDiagnostic] = []
    var config = RouteConfig(routeTable: RouteTable([]))
    var sourceDefinitions: [String: String] = [:]  // name → "file:line:col"
    var destinationDefinitions: [String: String] = [:]
    var routeDefinitions: [String: String] = [:]
    /// Routes whose references are checked once every file is read.
    var pendingRoutes: [(route: RouteSettings, object: ConfigObject, file: String)] = []

    init(environment: [String: String], directory: String) {
        self.environment = environment
        self.directory = directory
    }

    mutating func load(file path: String, displayName: String) {
        var decoder = ConfigDecoder(file: displayName)
        guard let bytes = FileManager.default.contents(atPath: path).map(Array.init) else {
            decoder.error("cannot read the file", at: SourcePosition(line: 0, column: 0), path: [])
            diagnostics += decoder.diagnostics
            return
        }
        guard let root = decoder.parse(bytes), let object = decoder.object(root, at: []) else {
            diagnostics += decoder.diagnostics
            return
        }
        decoder.checkKeys(of: object, allowed: ["sources", "destinations", "routes"])
        for item in Loader.objects("sources", in: object, decoder: &decoder) { loadSource(item, decoder: &decoder) }
        for item in Loader.objects("destinations", in: object, decoder: &decoder) { loadDestination(item, decoder: &decoder) }
        for item in Loader.objects("routes", in: object, decoder: &decoder) { loadRoute(item, decoder: &decoder) }
        diagnostics += decoder.diagnostics
    }

    /// The objects of the array `key` of `object` (none when absent). An element that is not an object is reported
    /// and skipped, so the others are still checked and the names they define still resolve.
    static func objects(_ key: String, in object: ConfigObject, decoder: inout ConfigDecoder) -> [ConfigObject] {
        guard let nodes = decoder.optional(key, in: object, as: .array(of: .any)) else { return [] }
        var objects: [ConfigObject] = []
        for (index, node) in nodes.enumerated() {
            if let item = decoder.object(node, at: object.path(for: key).appending(index: index)) { objects.append(item) }
        }
        return objects
    }

    /// Checks a name is new; reports where the first one is otherwise.
    static func claim(_ name: String, kind: String, in table: inout [String: String], object: ConfigObject,
                        decoder: inout ConfigDecoder) -> Bool {
        let position = object.member("name")?.value.position ?? object.position
        if let first = table[name] {
            decoder.error("\(kind) \"\(name)\" is already defined at \(first)", at: position, path: object.path.appending("name"))
            return false
        }
        table[name] = "\(decoder.file):\(position.line):\(position.column)"
        return true
    }

    /// The secret the reference `node` (at `path`) names, resolved; nil after reporting why not.
    mutating func secret(_ node: JSONValue, at path: JSONPath, decoder: inout ConfigDecoder) -> Secret? {
        guard let reference = decoder.decode(node, at: path, as: Loader.secretReference) else { return nil }
        do {
            let (secret, kind) = try Secret.resolve(reference, environment: environment, directory: directory)
            if kind == .literal {
                decoder.warning("literal secret; use env:NAME or file:PATH so it stays out of the route file", at: node.position, path: path)
            }
            return secret
        } catch {
            decoder.error(error.message, at: node.position, path: path)
            return nil
        }
    }

    /// The secret the member `key` of `object` names, if the member is present.
    mutating func secret(_ key: String, in object: ConfigObject, decoder: inout ConfigDecoder) -> Secret? {
        object[key].flatMap { secret($0, at: object.path(for: key), decoder: &decoder) }
    }

    /// Checks one source; every problem is reported even when the name or provider is invalid.
    mutating func loadSource(_ object: ConfigObject, decoder: inout ConfigDecoder) {
        let name = decoder.required("name", in: object, as: Loader.urlSegment)
        // Claimed as soon as the name is valid, so routes naming an invalid source are not also told it is unknown.
        var unique = false
        if let name { unique = Loader.claim(name, kind: "source", in: &sourceDefinitions, object: object, decoder: &decoder) }
        let providerName = decoder.required("provider", in: object, as: .oneOf(ProviderRegistry.names))
        let preset = providerName.flatMap(ProviderRegistry.preset(named:))
        // Without a preset its own keys are unknown: accept any preset's, still catching typos.
        decoder.checkKeys(of: object, allowed: RouteConfig.sourceKeys + (preset?.optionKeys ?? ProviderRegistry.presets.flatMap { $0.optionKeys }))
        var settings = SourceSettings(name: name ?? "", provider: providerName ?? "")
        if let references = object["secrets"] {
            let path = object.path(for: "secrets")
            if let items = references.arrayValue {
                for (i, item) in items.enumerated() {
                    if let secret = secret(item, at: path.appending(index: i), decoder: &decoder) { settings.secrets.append(secret) }
                }
            } else {
                // By kind only: a string here is most likely the secret itself.
                decoder.error("expected an array of secret references such as [\"env:NAME\"], found \(references.kindDescription)",
                              at: references.position, path: path)
            }
        }
        settings.publicKey = decoder.optional("publicKey", in: object, as: .nonEmptyString)
        settings.publicURL = decoder.optional("publicURL", in: object, as: Loader.httpURL)
        settings.verifyToken = secret("verifyToken", in: object, decoder: &decoder)
        settings.tolerance = decoder.optional("tolerance", in: object, as: .duration)
        settings.split = decoder.optional("split", in: object, as: .bool) ?? true
        settings.maxBody = decoder.optional("maxBody", in: object, as: .int(in: 1...(10 * 1024 * 1024)))
        if let ranges = object.member("allowIPs"), let texts = decoder.decode(ranges.value, at: object.path(for: "allowIPs"), as: .array(of: .string)) {
            for (i, text) in texts.enumerated() {
                do {
                    settings.allowIPs.append(try CIDR.parse(text))
                } catch {
                    decoder.error(error.reason, at: ranges.value.arrayValue![i].position, path: object.path(for: "allowIPs").appending(index: i))
                }
            }
        }
        guard let preset else { return }
        let factory = preset.configure(settings, source: object, decoder: &decoder)
        guard let name, unique, let factory else { return }
        config.sources[name] = SourceRuntime(settings: settings, factory: factory)
        config.sourceOrder.append(name)
    }

    /// Checks one destination; every problem is reported even when the name, kind or URL is invalid.
    mutating func loadDestination(_ object: ConfigObject, decoder: inout ConfigDecoder) {
        decoder.checkKeys(of: object, allowed: RouteConfig.destinationKeys)
        let name = decoder.required("name", in: object, as: .nonEmptyString)
        // Claimed as soon as the name is valid, so routes to an invalid destination are not also told it is unknown.
        var unique = false
        if let name { unique = Loader.claim(name, kind: "destination", in: &destinationDefinitions, object: object, decoder: &decoder) }
        let kind = decoder.required("kind", in: object, as: .oneOf(DestinationKind.allCases.map(\.rawValue))).flatMap(DestinationKind.init)
        let url = decoder.required("url", in: object, as: Loader.httpURL)
        var settings = DestinationSettings(name: name ?? "", kind: kind ?? .http, url: url ?? "")
        if let auth = object["auth"] {
            if let auth = ConfigObject(auth, at: object.path(for: "auth")) {
                settings.auth = loadAuth(auth, decoder: &decoder)
            } else {
                // By kind only: a string here is most likely a credential.
                decoder.error("expected an object such as {\"bearer\": \"env:NAME\"}, found \(auth.kindDescription)",
                              at: auth.position, path: object.path(for: "auth"))
            }
        }
        settings.body = decoder.optional("body", in: object, as: .oneOf(DeliveryBody.allCases.map(\.rawValue))).flatMap(DeliveryBody.init) ?? .envelope
        settings.timeout = decoder.optional("timeout", in: object, as: Loader.attemptTimeout) ?? .seconds(10)
        settings.concurrency = decoder.optional("concurrency", in: object, as: .int(in: 1...1024)) ?? 8
        settings.rateLimit = decoder.optional("rateLimit", in: object, as: .rate)
        if let retry = decoder.optional("retry", in: object, as: .object) {
            decoder.checkKeys(of: retry, allowed: ["schedule", "maxAge"])
            settings.retrySchedule = decoder.optional("schedule", in: retry, as: .array(of: .duration, minCount: 1)) ?? settings.retrySchedule
            settings.maxAge = decoder.optional("maxAge", in: retry, as: .duration)
        }
        settings.signingSecret = secret("signingSecret", in: object, decoder: &decoder)
        settings.insecureSkipVerify = decoder.optional("insecureSkipVerify", in: object, as: .bool) ?? false
        if settings.insecureSkipVerify {
            decoder.warning("insecureSkipVerify: TLS certificates of \(name ?? "this destination") are NOT verified; "
                                + "anyone on the path can read and change deliveries",
                            at: object["insecureSkipVerify"]!.position, path: object.path(for: "insecureSkipVerify"))
        }
        guard let name, unique, kind != nil, url != nil else { return }
        config.destinations[name] = settings
    }

    mutating func loadAuth(_ object: ConfigObject, decoder: inout ConfigDecoder) -> DestinationAuth? {
        let allowed = ["bearer", "username", "password", "header", "value"]
        decoder.checkKeys(of: object, allowed: allowed)
        let keys = Set(object.keys)
        guard keys.isSubset(of: allowed) else { return nil }  // reported above; the shape message would only repeat it
        if keys == ["bearer"] {
            return secret("bearer", in: object, decoder: &decoder).map { .bearer($0) }
        }
        if keys == ["username", "password"] {
            let username = decoder.required("username", in: object, as: .nonEmptyString)
            let password = secret("password", in: object, decoder: &decoder)
            guard let username, let password else { return nil }
            guard !username.contains(":") else {
                decoder.error("username must not contain ':'", at: object["username"]!.position, path: object.path(for: "username"))
                return nil
            }
            return .basic(username: username, password: password)
        }
        if keys == ["header", "value"] {
            let header = decoder.required("header", in: object, as: Loader.headerName)
            let value = secret("value", in: object, decoder: &decoder)
            guard let header, let value else { return nil }
            return .header(name: header, value: value)
        }
        decoder.error("auth takes {\"bearer\": …}, {\"username\": …, \"password\": …} or {\"header\": …, \"value\": …}",
                      at: object.position, path: object.path)
        return nil
    }

    mutating func loadRoute(_ object: ConfigObject, decoder: inout ConfigDecoder) {
        decoder.checkKeys(of: object, allowed: RouteConfig.routeKeys)
        let name = decoder.required("name", in: object, as: .nonEmptyString)
        var unique = false
        if let name { unique = Loader.claim(name, kind: "route", in: &routeDefinitions, object: object, decoder: &decoder) }
        let from = decoder.required("from", in: object, as: .array(of: .nonEmptyString, minCount: 1))
        let to = decoder.required("to", in: object, as: .array(of: .nonEmptyString, minCount: 1))
        var condition: RouteCondition?
        if let when = object.member("when") {
            condition = RouteConditionLoader.load(when.value, at: object.path(for: "when"), decoder: &decoder)
        }
        guard let name, let from, let to, unique else { return }
        pendingRoutes.append((RouteSettings(name: name, from: from, to: to, condition: condition), object, decoder.file))
    }

    /// Checks route references against every file's sources and destinations.
    mutating func finish() -> (config: RouteConfig?, diagnostics: [ConfigDiagnostic]) {
        var used = Set<String>()
        for (route, object, file) in pendingRoutes {
            var decoder = ConfigDecoder(file: file)
            var valid = true
            for (key, names, known, kind) in [("from", route.from, Set(sourceDefinitions.keys), "source"),
                                              ("to", route.to, Set(destinationDefinitions.keys), "destination")] {
                let values = object[key]?.arrayValue ?? []
                for (i, name) in names.enumerated() where !known.contains(name) {
                    let hint = ConfigDecoder.suggestion(for: name, among: Array(known)).map { "; did you mean \"\($0)\"?" } ?? ""
                    decoder.error("unknown \(kind) \"\(name)\"\(hint)", at: values[i].position, path: object.path(for: key).appending(index: i))
                    valid = false
                }
            }
            diagnostics += decoder.diagnostics
            if valid {
                config.routes.append(route)
                used.formUnion(route.from)
            }
        }
        for name in config.sourceOrder where !used.contains(name) {
            let location = sourceDefinitions[name]!.split(separator: ":")
            diagnostics.append(ConfigDiagnostic(severity: .warning, file: location.dropLast(2).joined(separator: ":"),
                                                line: Int(location[location.count - 2]) ?? 0, column: Int(location.last!) ?? 0,
                                                path: "", message: "source \"\(name)\" has no route: its events are stored but not delivered"))
        }
        diagnostics.sort { ($0.file, $0.line, $0.column) < ($1.file, $1.line, $1.column) }
        config.routeTable = RouteTable(config.routes.map { Route(name: $0.name, from: $0.from, when: $0.condition, to: $0.to) })
        return (diagnostics.contains(where: \.isError) ? nil : config, diagnostics)
    }

    /// A source name: the URL segment of `/hooks/<name>`.
    static var urlSegment: ConfigField<String> {
        ConfigField<String>.nonEmptyString.map(expecting: "a name of letters, digits, '.', '_' or '-'") { name throws(ConfigValueError) in
        guard name.count <= 64, name.utf8.allSatisfy({ ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }),
              name != ".", name != ".." else {
            throw ConfigValueError("invalid source name \"\(name)\": use letters, digits, '.', '_' or '-' (at most 64)")
        }
        return name
    }
    }

    /// A secret reference: `env:NAME`, `file:PATH` or a literal. A value of another type is reported by its kind, never
    /// shown: it may be the secret itself.
    static var secretReference: ConfigField<String> {
        ConfigField(expecting: "a secret reference") { value, path, decoder in
            guard let reference = value.stringValue else {
                decoder.error("expected a secret reference such as \"env:NAME\", found \(value.kindDescription)", at: value.position, path: path)
                return nil
            }
            guard !reference.isEmpty else {
                decoder.error("must not be empty", at: value.position, path: path)
                return nil
            }
            return reference
        }
    }

    static var httpURL: ConfigField<String> {
        ConfigField<String>.nonEmptyString.map(expecting: "an http:// or https:// URL") { text throws(ConfigValueError) in
        // Checked first, so the message below never shows a password.
        guard !hasUserInfo(text) else { throw ConfigValueError("put credentials in auth, not in the URL") }
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else {
            throw ConfigValueError("invalid URL \"\(text.prefix(80))\": expected http:// or https:// with a host")
        }
        guard url.user == nil && url.password == nil else { throw ConfigValueError("put credentials in auth, not in the URL") }
        return text
    }
    }

    /// Whether the URL's authority (after an optional `scheme://`, up to the first `/`, `?` or `#`) has a `user@` part.
    static func hasUserInfo(_ text: String) -> Bool {
        let rest = text.range(of: "://").map { text[$0.upperBound...] } ?? text[...]
        return rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }.contains("@")
    }

    /// A delivery attempt's timeout: 100ms to 5m (libcurl treats 0 as "no timeout").
    static var attemptTimeout: ConfigField<Duration> {
        ConfigField<Duration>.duration.map(expecting: "a duration from 100ms to 5m") { value throws(ConfigValueError) in
            guard value >= .milliseconds(100), value <= .seconds(300) else {
                throw ConfigValueError("timeout must be between 100ms and 5m")
            }
            return value
        }
    }

    static var headerName: ConfigField<String> {
        ConfigField<String>.nonEmptyString.map(expecting: "a header name") { name throws(ConfigValueError) in
        guard name.utf8.allSatisfy(isTokenCharacter) else { throw ConfigValueError("invalid header name \"\(name)\"") }
        return name
    }
    }

    /// RFC 9110 tchar.
    static func isTokenCharacter(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || "!#$%&'*+-.^_`|~".utf8.contains(c)
    }
}
