/// Limits on everything a client controls, per server.
///
/// Defaults (each overridable):
/// - `maxRequestLineBytes`: 8 KiB (longer: 414)
/// - `maxHeaderBytes`: 64 KiB for the whole header section, and again for trailers (larger: 431)
/// - `maxHeaderCount`: 100 fields (more: 431)
/// - `maxBodyBytes`: 10 MiB (larger: 413, before reading it when Content-Length says so)
/// - `maxChunkExtensionBytes`: 1 KiB per chunk line (longer: 400)
/// - `headerReadTimeout`: 10 s from a request's first byte (or the connection's accept) to the end of its head;
///   against slowloris
/// - `bodyReadTimeout`: 60 s from the end of the head to the end of the body
/// - `idleTimeout`: 60 s of keep-alive idleness between requests
/// - `writeTimeout`: 30 s for a client to take a response
/// - `responseTimeout`: 30 s for a handler to answer; past it the client gets 503 and the connection closes
/// - `maxConnections`: 10,000 open connections across all loops (past it new ones get a 503 and are closed)
/// - `maxPipelinedRequests`: 16 requests awaiting responses on one connection (past it reading pauses)
public struct HTTPLimits: Sendable, Equatable {
    public var maxRequestLineBytes: Int = 8 * 1024
    public var maxHeaderBytes: Int = 64 * 1024
    public var maxHeaderCount: Int = 100
    public var maxBodyBytes: Int = 10 * 1024 * 1024
    public var maxChunkExtensionBytes: Int = 1024
    public var headerReadTimeout: Duration = .seconds(10)
    public var bodyReadTimeout: Duration = .seconds(60)
    public var idleTimeout: Duration = .seconds(60)
    public var writeTimeout: Duration = .seconds(30)
    public var responseTimeout: Duration = .seconds(30)
    public var maxConnections: Int = 10_000
    public var maxPipelinedRequests: Int = 16

    /// The default limits.
    public init() {}
}
