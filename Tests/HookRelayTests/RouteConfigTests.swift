import Foundation
import HTTPServer
import Testing
import TestSupport

@testable import HookRelay

/// Route files (DESIGN.md §5): every kind of config error with its exact `file:line:column: path: message`, the
/// warnings, secrets never shown, diagnostics across files, and a valid multi-file config with its defaults.
struct RouteConfigTests {
    /// What a routes directory loaded to, with each diagnostic as `hookrelay check` prints it (the temporary
    /// directory shown as `routes`).
    struct Loaded {
        let config: RouteConfig?
        let diagnostics: [ConfigDiagnostic]
        let lines: [String]

        var errors: [String] { zip(diagnostics, lines).filter { $0.0.isError }.map(\.1) }
        var warnings: [String] { zip(diagnostics, lines).filter { !$0.0.isError }.map(\.1) }
    }

    /// The environment `env:` references read in these tests: `K` a secret, `EMPTY` set but empty, `HEX` hex bytes.
    static let environment = ["K": "key", "EMPTY": "", "HEX": "00ff"]

    /// Writes `files` into a fresh `routes` directory (after `setUp` gets its path) and loads it.
    static func load(_ files: [String: String], environment: [String: String] = environment,
                     setUp: (String) throws -> Void = { _ in }) throws -> Loaded {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let routes = directory.file("routes")
        try FileManager.default.createDirectory(atPath: routes, withIntermediateDirectories: true)
        try setUp(routes)
        for (name, json) in files { try json.write(toFile: routes + "/" + name, atomically: true, encoding: .utf8) }
        let (config, diagnostics) = RouteConfig.load(directory: routes, environment: environment)
        return Loaded(config: config, diagnostics: diagnostics,
                      lines: diagnostics.map { $0.description.replacingOccurrences(of: routes, with: "routes") })
    }

    static func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    // MARK: Every kind of error

    /// One file `routes/routes.json` and the errors it must produce, exactly and in order (warnings aside).
    struct ErrorCase: Sendable, CustomTestStringConvertible {
        let name: String
        let json: String
        let errors: [String]

        init(_ name: String, _ json: String, _ errors: [String]) {
            self.name = name
            self.json = json
            self.errors = errors
        }

        var testDescription: String { name }
    }

    @Test(arguments: errorCases)
    func reportsEachErrorAtItsFileLineColumnAndPath(_ errorCase: ErrorCase) throws {
        let loaded = try Self.load(["routes.json": errorCase.json])
        #expect(loaded.errors == errorCase.errors)
        #expect(loaded.config == nil)
    }

    static let errorCases: [ErrorCase] = [
        ErrorCase("JSON syntax: a missing comma", #"""
            {"sources": [
              {"name": "a" "provider": "none"}
            ]}
            """#, [
            #"routes/routes.json:2:16: expected ',' or '}' after object member"#,
        ]),
        ErrorCase("JSON syntax: a trailing comma", #"""
            {"sources": [
              {"name": "a", "provider": "none"},
            ]}
            """#, [
            #"routes/routes.json:2:36: trailing comma"#,
        ]),
        ErrorCase("JSON syntax: a bare word", #"""
            {"sources": [{"name": "a", "provider": "none", "split": True}]}
            """#, [
            #"routes/routes.json:1:57: invalid literal 'True'; expected true, false, null, a number, or a quoted string"#,
        ]),
        ErrorCase("JSON syntax: a duplicate key", #"""
            {"sources": [
              {"name": "a", "provider": "none",
               "name": "b"}
            ]}
            """#, [
            #"routes/routes.json:3:4: duplicate key "name" (first at 2:4)"#,
        ]),
        ErrorCase("JSON syntax: the file ends early", #"""
            {"sources": [
            """#, [
            #"routes/routes.json:1:14: unexpected end of input"#,
        ]),
        ErrorCase("the top level is not an object", #"""
            [{"name": "a"}]
            """#, [
            #"routes/routes.json:1:1: expected an object, found an array"#,
        ]),
        ErrorCase("sources is not an array", #"""
            {"sources": {"name": "a"}}
            """#, [
            #"routes/routes.json:1:13: sources: expected an array, found an object"#,
        ]),
        ErrorCase("unknown top-level key, with a suggestion", #"""
            {"source": [],
             "routes": []}
            """#, [
            #"routes/routes.json:1:2: source: unknown key "source"; did you mean "sources"?"#,
        ]),
        ErrorCase("unknown source key, with a suggestion", #"""
            {"sources": [
              {"name": "a", "provider": "stripe", "secret": ["env:K"], "secrets": ["env:K"]}
            ]}
            """#, [
            #"routes/routes.json:2:39: sources[0].secret: unknown key "secret"; did you mean "secrets"?"#,
        ]),
        ErrorCase("unknown source key, listing the allowed keys", #"""
            {"sources": [
              {"name": "a", "provider": "stripe", "secrets": ["env:K"], "colour": "red"}
            ]}
            """#, [
            #"routes/routes.json:2:61: sources[0].colour: unknown key "colour"; expected one of name, provider, "#
                + #"secrets, publicKey, publicURL, verifyToken, tolerance, split, maxBody, allowIPs"#,
        ]),
        ErrorCase("a source without a name", #"""
            {"sources": [
              {"provider": "none"}
            ]}
            """#, [
            #"routes/routes.json:2:3: sources[0]: missing required key "name""#,
        ]),
        ErrorCase("a source name that is not a URL segment", #"""
            {"sources": [
              {"name": "a/b", "provider": "none"}
            ]}
            """#, [
            #"routes/routes.json:2:12: sources[0].name: invalid source name "a/b": use letters, digits, '.', '_' or '-' (at most 64)"#,
        ]),
        ErrorCase("an unknown provider lists the presets", #"""
            {"sources": [
              {"name": "a", "provider": "github"}
            ]}
            """#, [
            #"routes/routes.json:2:29: sources[0].provider: unknown value "github"; expected one of \#(ProviderRegistry.names.joined(separator: ", "))"#,
        ]),
        ErrorCase("a near-miss provider gets a suggestion", #"""
            {"sources": [
              {"name": "a", "provider": "Stripe"}
            ]}
            """#, [
            #"routes/routes.json:2:29: sources[0].provider: unknown value "Stripe"; did you mean "stripe"?"#,
        ]),
        ErrorCase("a source without a provider", #"""
            {"sources": [
              {"name": "a"}
            ]}
            """#, [
            #"routes/routes.json:2:3: sources[0]: missing required key "provider""#,
        ]),
        ErrorCase("env: secret not set", #"""
            {"sources": [
              {"name": "a", "provider": "stripe", "secrets": ["env:K", "env:NOT_SET_X"]}
            ]}
            """#, [
            #"routes/routes.json:2:60: sources[0].secrets[1]: environment variable NOT_SET_X is not set"#,
        ]),
        ErrorCase("env: secret set but empty", #"""
            {"sources": [
              {"name": "a", "provider": "stripe", "secrets": ["env:K", "env:EMPTY"]}
            ]}
            """#, [
            #"routes/routes.json:2:60: sources[0].secrets[1]: environment variable EMPTY is empty"#,
        ]),
        ErrorCase("env: secret with an invalid variable name", #"""
            {"sources": [
              {"name": "a", "provider": "stripe", "secrets": ["env:K", "env:A-B"]}
            ]}
            """#, [
            #"routes/routes.json:2:60: sources[0].secrets[1]: invalid environment variable name in "env:A-B""#,
        ]),
        ErrorCase("file: secret that does not exist", #"""
            {"sources": [
              {"name": "a", "provider": "stripe", "secrets": ["env:K", "file:nope.key"]}
            ]}
            """#, [
            #"routes/routes.json:2:60: sources[0].secrets[1]: cannot read secret file routes/nope.key"#,
        ]),
        ErrorCase("file: secret without a path", #"""
            {"sources": [
              {"name": "a", "provider": "stripe", "secrets": ["env:K", "file:"]}
            ]}
            """#, [
            #"routes/routes.json:2:60: sources[0].secrets[1]: empty path in "file:""#,
        ]),
        ErrorCase("an empty secret reference", #"""
            {"sources": [
              {"name": "a", "provider": "stripe", "secrets": ["env:K", ""]}
            ]}
            """#, [
            #"routes/routes.json:2:60: sources[0].secrets[1]: must not be empty"#,
        ]),
        ErrorCase("stripe without secrets", #"""
            {"sources": [
              {"name": "a", "provider": "stripe"}
            ]}
            """#, [
            #"routes/routes.json:2:3: sources[0].secrets: stripe needs at least one secret (the endpoint's signing secret, whsec_…)"#,
        ]),
        ErrorCase("hmac without header", #"""
            {"sources": [
              {"name": "a", "provider": "hmac", "secrets": ["env:K"]}
            ]}
            """#, [
            #"routes/routes.json:2:3: sources[0]: missing required key "header""#,
        ]),
        ErrorCase("hmac signedContent with an unknown placeholder", #"""
            {"sources": [
              {"name": "a", "provider": "hmac", "header": "X-Sig", "secrets": ["env:K"],
               "signedContent": "{body}.{nonce}"}
            ]}
            """#, [
            #"routes/routes.json:3:21: sources[0].signedContent: unknown placeholder {nonce} in signedContent; "#
                + #"use {body} {timestamp} {id} {url} {method}"#,
        ]),
        ErrorCase("hmac signedContent without {body}", #"""
            {"sources": [
              {"name": "a", "provider": "hmac", "header": "X-Sig", "secrets": ["env:K"],
               "signedContent": "{method}{url}"}
            ]}
            """#, [
            #"routes/routes.json:3:21: sources[0].signedContent: signedContent must include {body}"#,
        ]),
        ErrorCase("hmac signedContent with an unclosed brace", #"""
            {"sources": [
              {"name": "a", "provider": "hmac", "header": "X-Sig", "secrets": ["env:K"],
               "signedContent": "{body"}
            ]}
            """#, [
            #"routes/routes.json:3:21: sources[0].signedContent: unclosed { in signedContent"#,
        ]),
        ErrorCase("hmac {timestamp} without timestampHeader, at signedContent", #"""
            {"sources": [
              {"name": "a", "provider": "hmac", "header": "X-Sig", "secrets": ["env:K"],
               "signedContent": "{timestamp}.{body}"}
            ]}
            """#, [
            #"routes/routes.json:3:21: sources[0].signedContent: {timestamp} needs timestampHeader"#,
        ]),
        ErrorCase("hmac {id} without idHeader, at signedContent", #"""
            {"sources": [
              {"name": "a", "provider": "hmac", "header": "X-Sig", "secrets": ["env:K"],
               "signedContent": "{id}.{body}"}
            ]}
            """#, [
            #"routes/routes.json:3:21: sources[0].signedContent: {id} needs idHeader"#,
        ]),
        ErrorCase("hmac tolerance without timestampHeader, at tolerance", #"""
            {"sources": [
              {"name": "a", "provider": "hmac", "header": "X-Sig", "secrets": ["env:K"],
               "tolerance": "5m"}
            ]}
            """#, [
            #"routes/routes.json:3:17: sources[0].tolerance: tolerance needs timestampHeader"#,
        ]),
        ErrorCase("hmac secretEncoding not utf8/hex/base64", #"""
            {"sources": [
              {"name": "a", "provider": "hmac", "header": "X-Sig", "secrets": ["env:K"],
               "secretEncoding": "base32"}
            ]}
            """#, [
            #"routes/routes.json:3:22: sources[0].secretEncoding: unknown value "base32"; did you mean "base64"?"#,
        ]),
        ErrorCase("hmac algorithm, encoding and timestampUnit values", #"""
            {"sources": [
              {"name": "a", "provider": "hmac", "header": "X-Sig", "secrets": ["env:K"],
               "algorithm": "sha384", "encoding": "Base64", "timestampUnit": "us"}
            ]}
            """#, [
            #"routes/routes.json:3:17: sources[0].algorithm: unknown value "sha384"; expected one of sha1, sha256, sha512"#,
            #"routes/routes.json:3:39: sources[0].encoding: unknown value "Base64"; did you mean "base64"?"#,
            #"routes/routes.json:3:66: sources[0].timestampUnit: unknown value "us"; did you mean "ms"?"#,
        ]),
        ErrorCase("hmac secret that is not valid in its secretEncoding, at the secret", #"""
            {"sources": [
              {"name": "a", "provider": "hmac", "header": "X-Sig", "secretEncoding": "hex",
               "secrets": ["env:K"]}
            ]}
            """#, [
            #"routes/routes.json:3:16: sources[0].secrets[0]: secret is not valid hex"#,
        ]),
        ErrorCase("hmac with an empty secrets array, at the array", #"""
            {"sources": [
              {"name": "a", "provider": "hmac", "header": "X-Sig",
               "secrets": []}
            ]}
            """#, [
            #"routes/routes.json:3:15: sources[0].secrets: hmac needs at least one secret"#,
        ]),
        ErrorCase("a duration with mixed units", #"""
            {"sources": [
              {"name": "a", "provider": "stripe", "secrets": ["env:K"], "tolerance": "1h30m"}
            ]}
            """#, [
            #"routes/routes.json:2:74: sources[0].tolerance: invalid duration "1h30m": mixed units are not supported; write 90m"#,
        ]),
        ErrorCase("a duration written as a number", #"""
            {"sources": [
              {"name": "a", "provider": "stripe", "secrets": ["env:K"], "tolerance": 300}
            ]}
            """#, [
            #"routes/routes.json:2:74: sources[0].tolerance: expected a duration such as "10s", found 300"#,
        ]),
        ErrorCase("a rate with an unknown unit", #"""
            {"destinations": [
              {"name": "d", "kind": "http", "url": "https://example.com/", "rateLimit": "20/sec"}
            ]}
            """#, [
            #"routes/routes.json:2:77: destinations[0].rateLimit: invalid rate "20/sec": "#
                + #"expected a whole number followed by /s, /m or /h, such as 20/s"#,
        ]),
        ErrorCase("allowIPs with host bits set, a long prefix and a host name", #"""
            {"sources": [
              {"name": "a", "provider": "none", "allowIPs": ["10.0.0.0/8", "192.168.1.1/24", "10.0.0.0/33", "example.com"]}
            ]}
            """#, [
            #"routes/routes.json:2:64: sources[0].allowIPs[1]: host bits set in "192.168.1.1/24" (did you mean 192.168.1.0/24?)"#,
            #"routes/routes.json:2:82: sources[0].allowIPs[2]: prefix length in CIDR "10.0.0.0/33" exceeds 32"#,
            #"routes/routes.json:2:97: sources[0].allowIPs[3]: invalid address in CIDR "example.com""#,
        ]),
        ErrorCase("maxBody out of range or not an integer", #"""
            {"sources": [
              {"name": "a", "provider": "none", "maxBody": 0},
              {"name": "b", "provider": "none", "maxBody": "1MB"},
              {"name": "c", "provider": "none", "maxBody": 20000000}
            ]}
            """#, [
            #"routes/routes.json:2:48: sources[0].maxBody: must be from 1 to 10485760, found 0"#,
            #"routes/routes.json:3:48: sources[1].maxBody: expected an integer, found "1MB""#,
            #"routes/routes.json:4:48: sources[2].maxBody: must be from 1 to 10485760, found 20000000"#,
        ]),
        ErrorCase("a destination URL without a scheme", #"""
            {"destinations": [
              {"name": "d", "kind": "http", "url": "example.com/hook"}
            ]}
            """#, [
            #"routes/routes.json:2:40: destinations[0].url: invalid URL "example.com/hook": expected http:// or https:// with a host"#,
        ]),
        ErrorCase("a destination URL that is not http(s)", #"""
            {"destinations": [
              {"name": "d", "kind": "http", "url": "ftp://example.com/hook"}
            ]}
            """#, [
            #"routes/routes.json:2:40: destinations[0].url: invalid URL "ftp://example.com/hook": "#
                + #"expected http:// or https:// with a host"#,
        ]),
        ErrorCase("a destination URL with credentials", #"""
            {"destinations": [
              {"name": "d", "kind": "http", "url": "https://user:hunter2@example.com/hook"}
            ]}
            """#, [
            #"routes/routes.json:2:40: destinations[0].url: put credentials in auth, not in the URL"#,
        ]),
        ErrorCase("an unknown destination kind", #"""
            {"destinations": [
              {"name": "d", "kind": "webhook", "url": "https://example.com/"}
            ]}
            """#, [
            #"routes/routes.json:2:25: destinations[0].kind: unknown value "webhook"; expected one of n8n, make, zapier, http"#,
        ]),
        ErrorCase("a near-miss destination kind", #"""
            {"destinations": [
              {"name": "d", "kind": "zappier", "url": "https://example.com/"}
            ]}
            """#, [
            #"routes/routes.json:2:25: destinations[0].kind: unknown value "zappier"; did you mean "zapier"?"#,
        ]),
        ErrorCase("auth mixing two shapes", #"""
            {"destinations": [
              {"name": "d", "kind": "http", "url": "https://example.com/",
               "auth": {"bearer": "env:K", "header": "X-Key"}}
            ]}
            """#, [
            #"routes/routes.json:3:12: destinations[0].auth: auth takes {"bearer": …}, {"username": …, "password": "#
                + #"…} or {"header": …, "value": …}"#,
        ]),
        ErrorCase("auth with an unknown key is reported once", #"""
            {"destinations": [
              {"name": "d", "kind": "http", "url": "https://example.com/",
               "auth": {"token": "env:K"}}
            ]}
            """#, [
            #"routes/routes.json:3:13: destinations[0].auth.token: unknown key "token"; expected one of bearer, "#
                + #"username, password, header, value"#,
        ]),
        ErrorCase("basic auth username with a colon", #"""
            {"destinations": [
              {"name": "d", "kind": "http", "url": "https://example.com/",
               "auth": {"username": "a:b", "password": "env:K"}}
            ]}
            """#, [
            #"routes/routes.json:3:25: destinations[0].auth.username: username must not contain ':'"#,
        ]),
        ErrorCase("header auth with an invalid header name", #"""
            {"destinations": [
              {"name": "d", "kind": "http", "url": "https://example.com/",
               "auth": {"header": "X Key", "value": "env:K"}}
            ]}
            """#, [
            #"routes/routes.json:3:23: destinations[0].auth.header: invalid header name "X Key""#,
        ]),
        ErrorCase("retry schedule, maxAge and unknown retry key", #"""
            {"destinations": [
              {"name": "d", "kind": "http", "url": "https://example.com/",
               "retry": {"schedule": ["0s", "5s", "5 m"], "maxAge": "2w", "limit": 3}}
            ]}
            """#, [
            #"routes/routes.json:3:39: destinations[0].retry.schedule[2]: invalid duration "5 m": "#
                + #"expected a number followed by ms, s, m, h or d"#,
            #"routes/routes.json:3:57: destinations[0].retry.maxAge: invalid duration "2w": "#
                + #"expected a number followed by ms, s, m, h or d"#,
            #"routes/routes.json:3:63: destinations[0].retry.limit: unknown key "limit"; expected one of schedule, maxAge"#,
        ]),
        ErrorCase("an empty retry schedule", #"""
            {"destinations": [
              {"name": "d", "kind": "http", "url": "https://example.com/",
               "retry": {"schedule": []}}
            ]}
            """#, [
            #"routes/routes.json:3:26: destinations[0].retry.schedule: must not be empty"#,
        ]),
        ErrorCase("body, timeout, concurrency and insecureSkipVerify values", #"""
            {"destinations": [
              {"name": "d", "kind": "http", "url": "https://example.com/",
               "body": "json", "timeout": "10", "concurrency": 0, "insecureSkipVerify": "yes"}
            ]}
            """#, [
            #"routes/routes.json:3:12: destinations[0].body: unknown value "json"; expected one of envelope, data, raw"#,
            #"routes/routes.json:3:31: destinations[0].timeout: invalid duration "10": expected a number followed by ms, s, m, h or d"#,
            #"routes/routes.json:3:52: destinations[0].concurrency: must be from 1 to 1024, found 0"#,
            #"routes/routes.json:3:77: destinations[0].insecureSkipVerify: expected true or false, found "yes""#,
        ]),
        ErrorCase("a destination without kind and url", #"""
            {"destinations": [
              {"name": "d"}
            ]}
            """#, [
            #"routes/routes.json:2:3: destinations[0]: missing required key "kind""#,
            #"routes/routes.json:2:3: destinations[0]: missing required key "url""#,
        ]),
        ErrorCase("a route to an unknown destination, at the array element", #"""
            {"sources": [{"name": "stripe", "provider": "stripe", "secrets": ["env:K"]}],
             "destinations": [{"name": "billing-n8n", "kind": "n8n", "url": "https://n8n.example.com/webhook/billing"}],
             "routes": [
              {"name": "r", "from": ["stripe"], "to": ["billing-n8n", "billing-n88"]}
            ]}
            """#, [
            #"routes/routes.json:4:59: routes[0].to[1]: unknown destination "billing-n88"; did you mean "billing-n8n"?"#,
        ]),
        ErrorCase("a route from unknown sources, at each element", #"""
            {"sources": [{"name": "stripe", "provider": "stripe", "secrets": ["env:K"]}],
             "destinations": [{"name": "billing-n8n", "kind": "n8n", "url": "https://n8n.example.com/webhook/billing"}],
             "routes": [
              {"name": "r", "from": ["strpe", "shopify"], "to": ["billing-n8n"]}
            ]}
            """#, [
            #"routes/routes.json:4:26: routes[0].from[0]: unknown source "strpe"; did you mean "stripe"?"#,
            #"routes/routes.json:4:35: routes[0].from[1]: unknown source "shopify""#,
        ]),
        ErrorCase("when errors at the nested operator", #"""
            {"sources": [{"name": "stripe", "provider": "stripe", "secrets": ["env:K"]}],
             "destinations": [{"name": "billing-n8n", "kind": "n8n", "url": "https://n8n.example.com/webhook/billing"}],
             "routes": [
              {"name": "r", "from": ["stripe"], "to": ["billing-n8n"],
               "when": {"type": "invoice.*",
                        "$or": [{"data.object.amount": {"$gt": ["100", "200"]}},
                                {"data.object.currency": {"$like": "eu%"}}]}}
            ]}
            """#, [
            #"routes/routes.json:6:52: routes[0].when.$or[0]["data.object.amount"].$gt: $gt needs a string, number, "#
                + #"boolean or null, not an array"#,
            #"routes/routes.json:7:47: routes[0].when.$or[1]["data.object.currency"].$like: unknown operator $like; "#
                + #"use one of $eq $neq $in $nin $exists $gt $gte $lt $lte $startsWith $contains $not"#,
        ]),
        ErrorCase("when: unknown fields and operators at the key, bad operands at the value", #"""
            {"sources": [{"name": "stripe", "provider": "stripe", "secrets": ["env:K"]}],
             "destinations": [{"name": "billing-n8n", "kind": "n8n", "url": "https://n8n.example.com/webhook/billing"}],
             "routes": [
              {"name": "r", "from": ["stripe"], "to": ["billing-n8n"],
               "when": {"amount": 3, "$xor": [], "type": [], "data.x": ["a"], "data..y": 1}},
              {"name": "r2", "from": ["stripe"], "to": ["billing-n8n"], "when": []}
            ]}
            """#, [
            #"routes/routes.json:5:13: routes[0].when.amount: unknown field amount (did you mean data.amount?); "#
                + #"fields are type, id, source, time, subject, provider, providereventid, specversion, datacontenttype, "#
                + #"receivedat, data or data.<path>"#,
            #"routes/routes.json:5:26: routes[0].when.$xor: unknown operator $xor; conditions combine with $and, $or and $not"#,
            #"routes/routes.json:5:46: routes[0].when.type: type needs a glob or a non-empty array of globs, "#
                + #"such as ["invoice.*", "charge.succeeded"]"#,
            #"routes/routes.json:5:60: routes[0].when["data.x"]: a bare array is ambiguous: use {"$in": "#
                + #"[…]} for one of several values, or {"$contains": …} to look inside an array"#,
            #"routes/routes.json:5:67: routes[0].when["data..y"]: empty segment in path data..y"#,
            #"routes/routes.json:6:69: routes[1].when: expected an object of conditions, found an array"#,
        ]),
        ErrorCase("a route with empty from and a string to", #"""
            {"routes": [
              {"name": "r", "from": [], "to": "x"}
            ]}
            """#, [
            #"routes/routes.json:2:25: routes[0].from: must not be empty"#,
            #"routes/routes.json:2:35: routes[0].to: expected an array, found "x""#,
        ]),
        ErrorCase("duplicate destination and route names in one file", #"""
            {"sources": [{"name": "stripe", "provider": "stripe", "secrets": ["env:K"]}],
             "destinations": [{"name": "d", "kind": "n8n", "url": "https://n8n.example.com/"},
                              {"name": "d", "kind": "make", "url": "https://hook.make.com/x"}],
             "routes": [
              {"name": "r", "from": ["stripe"], "to": ["d"]},
              {"name": "r", "from": ["stripe"], "to": ["d"]}
            ]}
            """#, [
            #"routes/routes.json:3:28: destinations[1].name: destination "d" is already defined at routes/routes.json:2:28"#,
            #"routes/routes.json:6:12: routes[1].name: route "r" is already defined at routes/routes.json:5:12"#,
        ]),
        ErrorCase("stripe whose only secret does not resolve: one error, not two", #"""
            {"sources": [
              {"name": "a", "provider": "stripe", "secrets": ["env:NOT_SET_X"]}
            ]}
            """#, [
            #"routes/routes.json:2:51: sources[0].secrets[0]: environment variable NOT_SET_X is not set"#,
        ]),
        ErrorCase("hmac secretEncoding error names the secret that is wrong", #"""
            {"sources": [
              {"name": "a", "provider": "hmac", "header": "X-Sig", "secretEncoding": "hex",
               "secrets": ["env:HEX", "env:K"]},
              {"name": "b", "provider": "hmac", "header": "X-Sig", "secretEncoding": "hex",
               "secrets": ["env:NOT_SET_X", "zz"]}
            ]}
            """#, [
            #"routes/routes.json:3:27: sources[0].secrets[1]: secret is not valid hex"#,
            #"routes/routes.json:5:16: sources[1].secrets[0]: environment variable NOT_SET_X is not set"#,
        ]),
    ]

    // MARK: Secrets are never shown

    @Test func literalSecretsAreWarningsThatNeverShowTheSecret() throws {
        let loaded = try Self.load(["routes.json": #"""
            {"sources": [
              {"name": "a", "provider": "stripe", "secrets": ["whsec_TOPSECRET1"], "verifyToken": "TOKENLIT2"}
            ],
             "destinations": [
              {"name": "d", "kind": "http", "url": "https://example.com/", "signingSecret": "SIGNLIT3",
               "auth": {"bearer": "BEARERLIT4"}}
            ],
             "routes": [{"name": "r", "from": ["a"], "to": ["d"]}]}
            """#])
        #expect(loaded.config != nil)
        #expect(loaded.errors.isEmpty)
        let advice = "literal secret; use env:NAME or file:PATH so it stays out of the route file"
        #expect(loaded.warnings == [
            "routes/routes.json:2:51: warning: sources[0].secrets[0]: " + advice,
            "routes/routes.json:2:87: warning: sources[0].verifyToken: " + advice,
            "routes/routes.json:5:81: warning: destinations[0].signingSecret: " + advice,
            "routes/routes.json:6:23: warning: destinations[0].auth.bearer: " + advice,
        ])
        for secret in ["TOPSECRET1", "TOKENLIT2", "SIGNLIT3", "BEARERLIT4"] {
            #expect(!loaded.lines.contains { $0.contains(secret) }, "\(secret) shown")
        }
        #expect(loaded.config?.sources["a"]?.settings.secrets == [Secret("whsec_TOPSECRET1")])
    }

    @Test func misplacedSecretsAreReportedByKindNeverByValue() throws {
        let environment = ["ENV_SECRET": "ENVVALUE9"]
        let loaded = try Self.load(["routes.json": #"""
            {"sources": [
              {"name": "a", "provider": "stripe", "secrets": "whsec_LEAK1"},
              {"name": "b", "provider": "stripe", "secrets": [123456789]},
              {"name": "c", "provider": "stripe", "secrets": ["env:ENV_SECRET"], "verifyToken": 987654},
              {"name": "h", "provider": "hmac", "header": "X-Sig", "secretEncoding": "hex", "secrets": ["file:hmac.key"]}
            ],
             "destinations": [
              {"name": "d", "kind": "http", "url": "https://example.com/", "auth": "Bearer LEAK2", "signingSecret": 55555},
              {"name": "e", "kind": "http", "url": "ftp://user:LEAK3@example.com/"},
              {"name": "f", "kind": "http", "url": "user:LEAK6@example.com"},
              {"name": "g", "kind": "http", "url": "https://example.com/", "auth": {"bearer": ["LEAK4"]}},
              {"name": "i", "kind": "http", "url": "https://example.com/", "auth": {"username": "u", "password": true}}
            ]}
            """#], environment: environment) { routes in
            try Self.write("NOTHEXLEAK5\n", to: routes + "/hmac.key")
        }
        let reference = #"expected a secret reference such as "env:NAME", found "#
        #expect(loaded.errors == [
            #"routes/routes.json:2:50: sources[0].secrets: expected an array of secret references such as ["env:NAME"], found a string"#,
            "routes/routes.json:3:51: sources[1].secrets[0]: " + reference + "a number",
            "routes/routes.json:4:85: sources[2].verifyToken: " + reference + "a number",
            "routes/routes.json:5:93: sources[3].secrets[0]: secret is not valid hex",
            #"routes/routes.json:8:72: destinations[0].auth: expected an object such as {"bearer": "env:NAME"}, found a string"#,
            "routes/routes.json:8:105: destinations[0].signingSecret: " + reference + "a number",
            "routes/routes.json:9:40: destinations[1].url: put credentials in auth, not in the URL",
            "routes/routes.json:10:40: destinations[2].url: put credentials in auth, not in the URL",
            "routes/routes.json:11:83: destinations[3].auth.bearer: " + reference + "an array",
            "routes/routes.json:12:102: destinations[4].auth.password: " + reference + "a boolean",
        ])
        for secret in ["LEAK1", "123456789", "987654", "ENVVALUE9", "NOTHEXLEAK5", "LEAK2", "55555", "LEAK3", "LEAK4", "LEAK6"] {
            #expect(!loaded.lines.contains { $0.contains(secret) }, "\(secret) shown")
        }
    }

    // MARK: Several files

    @Test func duplicateNamesAcrossFilesPointAtTheSecondAndNameTheFirst() throws {
        let loaded = try Self.load([
            "a.json": #"""
                {"sources": [{"name": "stripe", "provider": "stripe", "secrets": ["env:K"]}],
                 "destinations": [{"name": "billing", "kind": "n8n", "url": "https://n8n.example.com/webhook/billing"}],
                 "routes": [{"name": "r", "from": ["stripe"], "to": ["billing"]}]}
                """#,
            "b.json": #"""
                {
                  "routes": [{"name": "r", "from": ["stripe"], "to": ["billing"]}],
                  "destinations": [{"name": "billing", "kind": "make", "url": "https://hook.make.com/x"}],
                  "sources": [{"name": "stripe", "provider": "stripe", "secrets": ["env:K"]}]
                }
                """#,
        ])
        #expect(loaded.config == nil)
        #expect(loaded.errors == [
            #"routes/b.json:2:23: routes[0].name: route "r" is already defined at routes/a.json:3:22"#,
            #"routes/b.json:3:29: destinations[0].name: destination "billing" is already defined at routes/a.json:2:28"#,
            #"routes/b.json:4:24: sources[0].name: source "stripe" is already defined at routes/a.json:1:23"#,
        ])
    }

    @Test func sortsDiagnosticsFromSeveralFilesByFileThenPosition() throws {
        // Found in another order: per file sources, destinations, routes; route references and unrouted sources last.
        let loaded = try Self.load([
            "c.json": "{\"sources\": [}",
            "a.json": #"""
                {"sources": [
                  {"name": "open", "provider": "none"},
                  {"name": "x", "provider": "stripe", "secrets": ["env:K"], "tolerance": "5 m"}
                ]}
                """#,
            "b.json": #"""
                {"routes": [
                  {"name": "r", "from": ["x"], "to": ["d", "nowhere"]},
                  {"name": "r2", "from": ["x"], "to": ["d"]}
                ],
                 "destinations": [{"name": "d", "kind": "http", "url": "https://example.com/", "colour": 1}]}
                """#,
        ])
        #expect(loaded.lines == [
            #"routes/a.json:2:12: warning: source "open" has no route: its events are stored but not delivered"#,
            #"routes/a.json:2:32: warning: sources[0].provider: provider "none" does not verify requests: anyone who knows the URL can post events"#,
            #"routes/a.json:3:74: sources[1].tolerance: invalid duration "5 m": expected a number followed by ms, s, m, h or d"#,
            #"routes/b.json:2:44: routes[0].to[1]: unknown destination "nowhere""#,
            #"routes/b.json:5:80: destinations[0].colour: unknown key "colour"; expected one of name, kind, url, auth, body, "#
                + "timeout, concurrency, rateLimit, retry, signingSecret, insecureSkipVerify",
            #"routes/c.json:1:14: expected a value"#,
        ])
    }

    @Test func anEmptyOrMissingDirectoryIsAnError() throws {
        let empty = try Self.load([:])
        #expect(empty.config == nil)
        #expect(empty.lines == ["routes: no route files (*.json) in this directory"])
        let notJSON = try Self.load(["README.md": "# routes", "routes.json.bak": "{}"])
        #expect(notJSON.lines == ["routes: no route files (*.json) in this directory"])
        let (config, diagnostics) = RouteConfig.load(directory: "/nonexistent/routes", environment: [:])
        #expect(config == nil)
        #expect(diagnostics.map(\.description) == ["/nonexistent/routes: cannot read the routes directory"])
    }

    @Test func warningsDoNotRejectTheConfig() throws {
        let loaded = try Self.load(["routes.json": #"""
            {"sources": [
              {"name": "stripe", "provider": "stripe", "secrets": ["env:K"]},
              {"name": "open", "provider": "none"}
            ],
             "destinations": [
              {"name": "lab", "kind": "http", "url": "https://lab.internal/", "insecureSkipVerify": true}
            ],
             "routes": [{"name": "r", "from": ["stripe"], "to": ["lab"]}]}
            """#])
        #expect(loaded.errors.isEmpty)
        #expect(loaded.warnings == [
            #"routes/routes.json:3:12: warning: source "open" has no route: its events are stored but not delivered"#,
            #"routes/routes.json:3:32: warning: sources[1].provider: provider "none" does not verify requests: "#
                + "anyone who knows the URL can post events",
            "routes/routes.json:6:89: warning: destinations[0].insecureSkipVerify: insecureSkipVerify: TLS certificates of lab "
                + "are NOT verified; anyone on the path can read and change deliveries",
        ])
        let config = try #require(loaded.config)
        #expect(config.sourceOrder == ["stripe", "open"])
        #expect(config.destinations["lab"]?.insecureSkipVerify == true)
    }

    @Test func aBrokenDefinitionDoesNotCascadeIntoOtherErrors() throws {
        // An invalid source or destination still defines its name; a non-object element does not hide the others;
        // an unknown provider does not stop the rest of the source being checked.
        let loaded = try Self.load(["routes.json": #"""
            {
              "sources": [
                "oops",
                { "name": "s1", "provider": "stripe", "secrets": ["env:UNSET_VAR"] },
                { "name": "s2", "provider": "githubb", "secret": ["env:K"], "tolerance": "5 m" }
              ],
              "destinations": [
                { "name": "x1", "kind": "n8n", "url": "ftp://x" },
                { "name": "x2", "kind": "nope", "url": "https://x.example/", "auth": {"bearer": "env:UNSET_VAR"} }
              ],
              "routes": [
                { "name": "r1", "from": ["s1", "s2"], "to": ["x1", "x2"] }
              ]
            }
            """#])
        #expect(loaded.errors == [
            #"routes/routes.json:3:5: sources[0]: expected an object, found "oops""#,
            "routes/routes.json:4:55: sources[1].secrets[0]: environment variable UNSET_VAR is not set",
            #"routes/routes.json:5:33: sources[2].provider: unknown value "githubb"; expected one of \#(ProviderRegistry.names.joined(separator: ", "))"#,
            #"routes/routes.json:5:44: sources[2].secret: unknown key "secret"; did you mean "secrets"?"#,
            #"routes/routes.json:5:78: sources[2].tolerance: invalid duration "5 m": expected a number followed by ms, s, m, h or d"#,
            #"routes/routes.json:8:43: destinations[0].url: invalid URL "ftp://x": expected http:// or https:// with a host"#,
            #"routes/routes.json:9:29: destinations[1].kind: unknown value "nope"; expected one of n8n, make, zapier, http"#,
            "routes/routes.json:9:85: destinations[1].auth.bearer: environment variable UNSET_VAR is not set",
        ])
    }

    // MARK: A valid config

    @Test func loadsAValidMultiFileConfigWithItsDefaults() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let acmeKey = directory.file("acme.key")
        try Self.write("acme-secret\r\n", to: acmeKey)
        let routes = try writeRoutes(#"""
            {"sources": [
              {"name": "stripe", "provider": "stripe", "secrets": ["env:STRIPE_SECRET", "file:secrets/stripe-old"], "tolerance": "10m"},
              {"name": "acme", "provider": "hmac", "header": "X-Acme-Signature", "prefix": "sha256=", "secrets": ["file:\#(acmeKey)"],
               "signedContent": "{timestamp}.{body}", "timestampHeader": "X-Acme-Timestamp", "tolerance": "5m",
               "maxBody": 65536, "allowIPs": ["10.0.0.0/8", "2001:db8::/32"], "split": false}
            ]}
            """#, in: directory, file: "1-sources.json")
        try writeRoutes(#"""
            {"destinations": [
              {"name": "billing-n8n", "kind": "n8n", "url": "https://n8n.example.com/webhook/billing"},
              {"name": "ops", "kind": "http", "url": "http://10.0.0.5:8080/hooks",
               "auth": {"header": "X-Ops-Key", "value": "env:OPS_KEY"}, "body": "raw", "timeout": "30s", "concurrency": 2,
               "rateLimit": "20/s", "retry": {"schedule": ["1s", "1m"], "maxAge": "1d"}, "signingSecret": "env:SIGNING_SECRET"},
              {"name": "zap", "kind": "zapier", "url": "https://hooks.zapier.com/hooks/catch/1/abc/",
               "auth": {"bearer": "env:ZAP_TOKEN"}, "body": "data"},
              {"name": "make", "kind": "make", "url": "https://hook.eu1.make.com/xyz",
               "auth": {"username": "relay", "password": "file:secrets/make-password"}}
            ]}
            """#, in: directory, file: "2-destinations.json")
        try writeRoutes(#"""
            {"routes": [
              {"name": "failed-payments", "from": ["stripe"], "to": ["billing-n8n"],
               "when": {"type": ["invoice.payment_failed", "charge.*"], "data.object.livemode": {"$eq": true}}},
              {"name": "acme-all", "from": ["acme"], "to": ["ops", "zap", "make"]}
            ]}
            """#, in: directory, file: "3-routes.json")
        try Self.write("whsec_old\n", to: routes + "/secrets/stripe-old")
        try Self.write("make-pw", to: routes + "/secrets/make-password")
        let environment = ["STRIPE_SECRET": "whsec_env", "OPS_KEY": "ops-key", "SIGNING_SECRET": "sign", "ZAP_TOKEN": "zap-token"]

        let (loaded, diagnostics) = RouteConfig.load(directory: routes, environment: environment)
        #expect(diagnostics.isEmpty)
        let config = try #require(loaded)
        #expect(config.sourceOrder == ["stripe", "acme"])
        #expect(config.sources.count == 2 && config.destinations.count == 4 && config.routes.count == 2)

        let stripe = try #require(config.sources["stripe"]?.settings)
        #expect(stripe.provider == "stripe")
        #expect(stripe.secrets.map(\.text) == ["whsec_env", "whsec_old"])
        #expect(stripe.tolerance == .seconds(600))
        #expect(stripe.split && stripe.maxBody == nil && stripe.allowIPs.isEmpty && stripe.publicURL == nil)

        let acme = try #require(config.sources["acme"]?.settings)
        #expect(acme.secrets.map(\.text) == ["acme-secret"])
        #expect(acme.tolerance == .seconds(300) && acme.maxBody == 65536 && !acme.split)
        #expect(acme.allowIPs.count == 2)
        #expect(acme.allowIPs.contains { $0.contains(IPAddress("10.20.30.40")!) })
        #expect(acme.allowIPs.contains { $0.contains(IPAddress("2001:db8::1")!) })
        #expect(!acme.allowIPs.contains { $0.contains(IPAddress("11.0.0.1")!) })

        let defaults = try #require(config.destinations["billing-n8n"])
        #expect(defaults.kind == .n8n && defaults.url == "https://n8n.example.com/webhook/billing")
        #expect(defaults.body == .envelope)
        #expect(defaults.timeout == .seconds(10))
        #expect(defaults.concurrency == 8)
        #expect(defaults.retrySchedule == [.seconds(0), .seconds(5), .seconds(5 * 60), .seconds(30 * 60), .seconds(2 * 3600),
                                           .seconds(5 * 3600), .seconds(10 * 3600), .seconds(10 * 3600)])
        #expect(defaults.rateLimit == nil && defaults.maxAge == nil && defaults.auth == nil && defaults.signingSecret == nil)
        #expect(!defaults.insecureSkipVerify)

        let ops = try #require(config.destinations["ops"])
        #expect(ops.kind == .http && ops.body == .raw && ops.timeout == .seconds(30) && ops.concurrency == 2)
        #expect(ops.auth == .header(name: "X-Ops-Key", value: Secret("ops-key")))
        #expect(ops.rateLimit?.count == 20 && ops.rateLimit?.interval == .seconds(1))
        #expect(ops.retrySchedule == [.seconds(1), .seconds(60)] && ops.maxAge == .seconds(86400))
        #expect(ops.signingSecret == Secret("sign"))
        #expect(config.destinations["zap"]?.auth == .bearer(Secret("zap-token")))
        #expect(config.destinations["zap"]?.body == .data)
        #expect(config.destinations["make"]?.auth == .basic(username: "relay", password: Secret("make-pw")))

        #expect(config.routes.map(\.name) == ["failed-payments", "acme-all"])
        #expect(config.routes[0].from == ["stripe"] && config.routes[0].to == ["billing-n8n"])
        #expect(config.routes[0].condition == (try RouteCondition(["type": ["invoice.payment_failed", "charge.*"],
                                                                   "data.object.livemode": ["$eq": true]])))
        #expect(config.routes[1].to == ["ops", "zap", "make"] && config.routes[1].condition == nil)
    }

    @Test func fileSecretsAreReadRelativeToTheRoutesDirectoryDroppingOneTrailingNewline() throws {
        let loaded = try Self.load(["routes.json": #"""
            {"sources": [{"name": "s", "provider": "stripe",
                          "secrets": ["file:keys/lf", "file:keys/crlf", "file:keys/two", "file:./keys/none", "env:K"]}],
             "destinations": [{"name": "d", "kind": "http", "url": "https://example.com/"}],
             "routes": [{"name": "r", "from": ["s"], "to": ["d"]}]}
            """#]) { routes in
            try Self.write("a\n", to: routes + "/keys/lf")
            try Self.write("b\r\n", to: routes + "/keys/crlf")
            try Self.write("c\n\n", to: routes + "/keys/two")
            try Self.write("d", to: routes + "/keys/none")
        }
        #expect(loaded.lines.isEmpty)
        #expect(loaded.config?.sources["s"]?.settings.secrets.map(\.text) == ["a", "b", "c\n", "d", "key"])
        #expect("\(Secret("whsec_x"))" == "<redacted>")
    }
}
