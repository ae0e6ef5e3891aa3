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
            guard let seconds = parseSeconds(text) else { throw fail("Invalid --shutdown-grace '\(text)': expected e.g. 10s or 500ms") }
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
        return options
    }

    /// `500ms`, `10s`, `2m`.
    static func parseSeconds(_ text: String) -> Duration? {
        for (suffix, unit) in [("ms", Duration.milliseconds(1)), ("s", .seconds(1)), ("m", .seconds(60))] where text.hasSuffix(suffix) {
            if let n = Int(text.dropLast(suffix.count)), n >= 0, n < 1_000_000 { return unit * n }
            return nil
        }
        return nil
    }

    static func run(_ arguments: ParsedArguments, output: any CLIOutput) -> Int32 {
        let options: Options
        do {
            options = try validate(arguments) { access($0, R_OK) == 0 }
        } catch {
            return CLI.usageError(error, output: output)
        }
        let logger = Logger(level: options.logLevel, handler: StreamLogHandler(format: options.logFormat))
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
            store = try SQLiteStore(dataDirectory: options.data)
        } catch {
            output.error("Error: cannot open the store in \(options.data): \(error)")
            return ExitCode.failure
        }
        let gateway = Gateway(config: config, store: store, logger: logger)
        let transport: CurlMultiTransport
        do {
            transport = try CurlMultiTransport()
        } catch {
            output.error("Error: cannot start the delivery transport: \(error)")
            return ExitCode.failure
        }
        let dispatcher = Dispatcher(store: store, transport: transport, logger: logger) { gateway.destinations }

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
        server.start()
        dispatcher.start()
        logger.info("listening", ["address": server.localAddress.description, "tls": "\(server.isTLS)",
                                  "loops": "\(server.configuration.loopCount)", "sources": "\(config.sources.count)",
                                  "routes": "\(config.routes.count)", "data": options.data, "version": hookrelayVersion])
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
            server.wait()
            dispatcher.requestStop()
            transport.shutdown(gracePeriod: options.shutdownGrace)
            dispatcher.stop()
            store.close()
            let stats = store.stats
            logger.info("store totals", ["commits": "\(stats.commits)", "events_stored": "\(stats.eventsStored)",
                                         "claims": "\(stats.claims)", "deliveries_claimed": "\(stats.deliveriesClaimed)",
                                         "results_recorded": "\(stats.resultsRecorded)", "results_ignored": "\(stats.resultsIgnored)",
                                         "max_batch": "\(stats.maxBatchSize)",
                                         "commit_us_avg": "\(stats.commits == 0 ? 0 : stats.totalCommitMicros / Int64(stats.commits))"])
            logger.info("stopped")
            return ExitCode.success
        }
    }
}
