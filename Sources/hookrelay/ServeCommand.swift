import CLinux
import Glibc
import HTTPServer
import HookRelay

/// `hookrelay serve`: the edge listener.
enum ServeCommand {
    static let defaultCertificate = "certs/server.crt"
    static let defaultKey = "certs/server.key"

    static let spec = CommandSpec(
        name: "serve",
        abstract: "Receive webhooks on /hooks/<source>, verify, store and relay them.",
        discussion: """
        Serves plain HTTP, or TLS when --tls-cert/--tls-key are given or certs/server.crt and certs/server.key exist.
        Refuses to start on invalid route files (see `hookrelay check`). SIGHUP reloads the route files (keeping the
        running config if the new one is invalid) and the TLS pair; SIGTERM or SIGINT stop accepting, let in-flight
        requests finish (up to --shutdown-grace), drain the store and exit 0.

        The admin API (events, deliveries, replay, pause/resume, /metrics) listens on --admin, plain HTTP, with an event
        inspector page at / for a browser. With HOOKRELAY_ADMIN_TOKEN set, every admin request but the page itself
        needs `Authorization: Bearer <token>`; without it the admin address must be loopback, or serve refuses to start.

        Retention: once at start and then every minute, events received longer ago than --retention whose deliveries
        all succeeded (or that matched no route) are deleted with their deliveries and attempts, and so are events with
        a dead delivery after --retention-failed. An event with a pending or retrying delivery is never deleted. Deletes
        go through the store's writer in transactions of at most 500 events, so ingest keeps committing in between.
        """,
        options: [
            .option("routes", "dir", help: "Directory of route files (*.json).", default: "routes"),
            .option("data", "dir", help: "Data directory (the SQLite store).", default: ".hookrelay"),
            .option("listen", "address", help: "Address and port to listen on.", default: "0.0.0.0:8080"),
            .option("tls-cert", "file", help: "PEM certificate chain (with --tls-key).", default: defaultCertificate + " when present"),
            .option("tls-key", "file", help: "PEM private key (with --tls-cert).", default: defaultKey + " when present"),
            .option("threads", "n", help: "Event loops, one thread each.", default: "one per core"),
            .option("trusted-proxy", "cidr", help: "Take the client address from X-Forwarded-For/Forwarded when the peer is in this range (repeatable).",
                    repeatable: true),
            .option("shutdown-grace", "duration", help: "How long in-flight requests may take to finish on shutdown.", default: "10s"),
            .option("log-level", "level", help: "trace, debug, info, notice, warning, error or critical.", default: "info"),
            .option("log-format", "format", help: "logfmt or json.", default: "logfmt"),
            .option("admin", "address", help: "Admin API address, or off.", default: "127.0.0.1:9090"),
            .option("retention", "duration", help: "Keep delivered events (and unrouted ones) this long, or off (forever).", default: "7d"),
            .option("retention-failed", "duration", help: "Keep events with a dead delivery this long, or off (forever).", default: "30d"),
        ]
    )

    /// Validated options.
    struct Options: Equatable {
        var routes = "routes"
        var data = ".hookrelay"
        var listen = ListenAddress(host: "0.0.0.0", port: 8080)
        var tls: TLSConfiguration?
        var threads: Int?
        var trustedProxies: [String] = []
        var shutdownGrace: Duration = .seconds(10)
        var logLevel = Logger.Level.info
        var logFormat = StreamLogHandler.Format.logfmt
        /// The admin listener; nil with `--admin off`.
        var admin: ListenAddress? = ListenAddress(host: "127.0.0.1", port: 9090)
        var retention = RetentionPolicy()
    }

    /// The environment variable holding the admin API's bearer token.
    static let adminTokenVariable = "HOOKRELAY_ADMIN_TOKEN"

    /// Why the admin API may not start as asked: a non-loopback address without a token. Nil when it may.
    static func adminRefusal(_ address: ListenAddress?, token: String?) -> String? {
        guard let address, !address.isLoopback, (token ?? "").isEmpty else { return nil }
        return "the admin API would listen on \(address), which is not a loopback address, without a token: "
            + "set \(adminTokenVariable), or use --admin 127.0.0.1:9090 or --admin off"
    }

    /// Checks the arguments before anything runs. `fileExists` decides whether the default TLS pair is present.
    static func validate(_ arguments: ParsedArguments, fileExists: (String) -> Bool) throws(UsageError) -> Options {
        func fail(_ message: String) -> UsageError { UsageError(message: message, command: spec.name) }
        var options = Options()
        options.routes = arguments.value("routes") ?? options.routes
        options.data = arguments.value("data") ?? options.data
        if let text = arguments.value("listen") {
            guard let address = ListenAddress(text) else {
                throw fail("Invalid --listen '\(text)': expected host:port such as 0.0.0.0:8080 or [::]:8443")
            }
            options.listen = address
        }
        switch (arguments.value("tls-cert"), arguments.value("tls-key")) {
        case let (cert?, key?):
            guard fileExists(cert) else { throw fail("--tls-cert file not found: \(cert)") }
            guard fileExists(key) else { throw fail("--tls-key file not found: \(key)") }
            options.tls = TLSConfiguration(certificatePath: cert, privateKeyPath: key)
        case (nil, nil):
            if fileExists(defaultCertificate) && fileExists(defaultKey) {
                options.tls = TLSConfiguration(certificatePath: defaultCertificate, privateKeyPath: defaultKey)
            }
        default:
            throw fail("--tls-cert and --tls-key go together")
        }
        if let text = arguments.value("threads") {
            guard let n = Int(text), (1...256).contains(n) else { throw fail("Invalid --threads '\(text)': expected 1 to 256") }
            options.threads = n
        }
        options.trustedProxies = arguments.all("trusted-proxy")
        for cidr in options.trustedProxies where CIDR(cidr) == nil {
            throw fail("Invalid --trusted-proxy '\(cidr)': expected an address or CIDR range such as 10.0.0.0/8")
        }
        if let text = arguments.value("shutdown-grace") {
            guard let seconds = try? Duration(configText: text) else { throw fail("Invalid --shutdown-grace '\(text)': expected e.g. 10s or 500ms") }
            options.shutdownGrace = seconds
        }
        if let text = arguments.value("log-level") {
            guard let level = Logger.Level(name: text) else { throw fail("Invalid --log-level '\(text)'") }
            options.logLevel = level
        }
        if let text = arguments.value("log-format") {
            guard let format = StreamLogHandler.Format(rawValue: text) else { throw fail("Invalid --log-format '\(text)': expected logfmt or json") }
            options.logFormat = format
        }
        if let text = arguments.value("admin") {
            if text == "off" {
                options.admin = nil
            } else {
                guard let address = ListenAddress(text) else {
                    throw fail("Invalid --admin '\(text)': expected host:port such as 127.0.0.1:9090, or off")
                }
                options.admin = address
            }
        }
        if let text = arguments.value("retention") {
            options.retention.delivered = try parseRetention(text, option: "retention", fail: fail)
        }
        if let text = arguments.value("retention-failed") {
            options.retention.failed = try parseRetention(text, option: "retention-failed", fail: fail)
        }
        return options
    }

    /// `off`, or a duration of at least a minute (`90m`, `7d`).
    static func parseRetention(_ text: String, option: String, fail: (String) -> UsageError) throws(UsageError) -> Duration? {
        if text == "off" { return nil }
        guard let duration = try? Duration(configText: text), duration >= .seconds(60) else {
            throw fail("Invalid --\(option) '\(text)': expected a duration of at least 1m such as 12h or 7d, or off")
        }
        return duration
    }

    /// The admin listener: one loop, its own port (no `SO_REUSEPORT`, so a second server on the same address fails
    /// to start instead of sharing it), a 1 MiB body limit and 5 minutes for a large replay to answer.
    static func makeAdminServer(address: ListenAddress, token: String?, store: SQLiteStore, data: String, gateway: Gateway,
                                dispatcher: Dispatcher, metrics: GatewayMetrics, logger: Logger) throws -> HTTPServer {
        let api = AdminAPI(store: store, reader: try SQLiteStoreReader(dataDirectory: data), gateway: gateway, dispatcher: dispatcher,
                           metrics: metrics, authenticator: AdminAuthenticator(token: token), logger: logger)
        var limits = HTTPLimits()
        limits.maxBodyBytes = AdminAPI.maxBodyBytes
        limits.maxConnections = 256
        limits.responseTimeout = .seconds(300)
        let configuration = HTTPServer.Configuration(address: address, loopCount: 1, limits: limits, reusePort: false)
        return try HTTPServer(configuration: configuration, logger: logger) { api.makeHandler() }
    }

    static func run(_ arguments: ParsedArguments, output: any CLIOutput) -> Int32 {
        let options: Options
        do {
            options = try validate(arguments) { access($0, R_OK) == 0 }
        } catch {
            return CLI.usageError(error, output: output)
        }
        let adminToken = getenv(adminTokenVariable).map { String(cString: $0) }
        if let refusal = adminRefusal(options.admin, token: adminToken) {
            output.error("Error: \(refusal)")
            return ExitCode.failure
        }
        let logger = Logger(level: options.logLevel, handler: StreamLogHandler(format: options.logFormat))
        let metrics = GatewayMetrics()
        let (loaded, diagnostics) = RouteConfig.load(directory: options.routes)
        for diagnostic in diagnostics { output.error(diagnostic.description) }
        guard let config = loaded else {
            output.error("Error: invalid route files in \(options.routes); not starting (see 'hookrelay check --routes \(options.routes)')")
            return ExitCode.failure
        }
        let store: SQLiteStore
        do {
            if access(options.data, F_OK) != 0 && mkdir(options.data, 0o700) != 0 {
                output.error("Error: cannot create data directory \(options.data)")
                return ExitCode.failure
            }
            var storeConfiguration = SQLiteStore.Configuration()
            storeConfiguration.commitObserver = { metrics.observeCommit($0) }
            store = try SQLiteStore(dataDirectory: options.data, configuration: storeConfiguration)
        } catch {
            output.error("Error: cannot open the store in \(options.data): \(error)")
            return ExitCode.failure
        }
        let gateway = Gateway(config: config, store: store, logger: logger, dataDirectory: options.data, metrics: metrics)
        let transport: CurlMultiTransport
        do {
            transport = try CurlMultiTransport()
        } catch {
            output.error("Error: cannot start the delivery transport: \(error)")
            return ExitCode.failure
        }
        let dispatcher = Dispatcher(store: store, transport: transport, logger: logger, metrics: metrics) { gateway.destinations }

        // Signals are handled synchronously on this thread; every thread started after this inherits the mask.
        signal(SIGPIPE, SIG_IGN)
        var signals = sigset_t()
        sigemptyset(&signals)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&signals, s) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let server: HTTPServer
        do {
            let configuration = HTTPServer.Configuration(address: options.listen, loopCount: options.threads, tls: options.tls,
                                                         trustedProxies: options.trustedProxies.compactMap { CIDR($0) })
            server = try HTTPServer(configuration: configuration, logger: logger) { IngressHandler(gateway: gateway) }
        } catch {
            output.error("Error: \(error)")
            return ExitCode.failure
        }
        var adminServer: HTTPServer?
        if let address = options.admin {
            do {
                adminServer = try makeAdminServer(address: address, token: adminToken, store: store, data: options.data, gateway: gateway,
                                                  dispatcher: dispatcher, metrics: metrics, logger: logger)
            } catch {
                output.error("Error: admin API: \(error)")
                server.shutdown(gracePeriod: .zero)
                transport.shutdown()
                store.close()
                return ExitCode.failure
            }
        }
        let sweeper = RetentionSweeper(store: store, policy: options.retention, logger: logger)
        server.start()
        adminServer?.start()
        dispatcher.start()
        if options.retention.isEnabled {
            do {
                try sweeper.start()
            } catch {
                logger.error("cannot start the retention thread; nothing will be deleted", ["error": "\(error)"])
            }
        }
        let adminAddressFile = AdminAddressFile.path(in: options.data)
        if let adminServer { AdminAddressFile.write(adminServer.localAddress, to: adminAddressFile) }
        logger.info("listening", ["address": server.localAddress.description, "tls": "\(server.isTLS)",
                                  "admin": adminServer.map { $0.localAddress.description } ?? "off",
                                  "loops": "\(server.configuration.loopCount)", "sources": "\(config.sources.count)",
                                  "routes": "\(config.routes.count)", "data": options.data, "version": hookrelayVersion])
        if let token = adminToken, !token.isEmpty, token.utf8.count < 16 {
            logger.warning("admin token is short; use at least 16 random characters", ["admin.token_length": "\(token.utf8.count)"])
        }
        while true {
            var received: Int32 = 0
            guard sigwait(&signals, &received) == 0 else { continue }
            if received == SIGHUP {
                let (reloaded, problems) = RouteConfig.load(directory: options.routes)
                if let reloaded {
                    gateway.replaceConfig(reloaded)
                    logger.info("route config reloaded", ["sources": "\(reloaded.sources.count)", "routes": "\(reloaded.routes.count)",
                                                          "warnings": "\(problems.count)"])
                } else {
                    for problem in problems where problem.isError {
                        logger.error("route config reload failed; keeping the running config", ["problem": problem.description])
                    }
                }
                guard server.isTLS else { continue }
                do {
                    try server.reloadTLS()
                    logger.info("TLS certificate reloaded")
                } catch {
                    logger.error("TLS reload failed; keeping the running certificate", ["error": "\(error)"])
                }
                continue
            }
            logger.info("shutting down", ["signal": received == SIGINT ? "SIGINT" : "SIGTERM", "grace": "\(options.shutdownGrace)"])
            server.shutdown(gracePeriod: options.shutdownGrace)
            adminServer?.shutdown(gracePeriod: options.shutdownGrace)
            server.wait()
            adminServer?.wait()
            if adminServer != nil { unlink(adminAddressFile) }
            sweeper.stop()
            dispatcher.requestStop()
            transport.shutdown(gracePeriod: options.shutdownGrace)
            dispatcher.stop()
            store.close()
            let stats = store.stats
            logger.info("store closed", [
                "store.commits": "\(stats.commits)", "store.requests": "\(stats.requestsStored)",
                "store.events": "\(stats.eventsStored)", "store.duplicates": "\(stats.duplicates)",
                "store.failed": "\(stats.requestsFailed)", "store.rejected": "\(stats.requestsRejected)",
                "store.batch.avg": "\((stats.averageBatchSize * 10).rounded() / 10)", "store.batch.max": "\(stats.maxBatchSize)",
                "store.commit.avg_us": "\(stats.commits == 0 ? 0 : stats.totalCommitMicros / Int64(stats.commits))",
                "store.checkpoints": "\(stats.checkpoints)", "store.wal_restarts": "\(stats.walRestarts)",
                "store.claims": "\(stats.claims)", "store.deliveries_claimed": "\(stats.deliveriesClaimed)",
                "store.results_recorded": "\(stats.resultsRecorded)", "store.results_ignored": "\(stats.resultsIgnored)",
                "store.pruned": "\(stats.eventsPruned)",
            ])
            logger.info("stopped")
            return ExitCode.success
        }
    }
}

/// `<data>/admin.addr`: the admin API's bound address (one line, `host:port`), written by `serve` once it listens and
/// removed when it stops, so `hookrelay replay` finds a running server's admin API without `--admin`. It holds no
/// secret; the token stays in the environment.
enum AdminAddressFile {
    static func path(in data: String) -> String { filePath("admin.addr", in: data) }

    /// Writes the address (owner-only, replaced atomically); best effort.
    static func write(_ address: ListenAddress, to path: String) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let line = Array("\(address)\n".utf8)
        let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        if written == line.count { rename(temporary, path) } else { unlink(temporary) }
    }

    /// The address recorded in `path`, if the file exists and holds one.
    static func read(_ path: String) -> ListenAddress? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        let line = buffer[0..<n].prefix { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }
        return ListenAddress(String(decoding: line, as: UTF8.self))
    }
}
