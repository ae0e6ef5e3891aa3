// hookrelay-bench: helpers for scripts/bench-delivery (release-built; not part of the product).
//
//   hookrelay-bench preload --data DIR --count N [--source S] [--route R] [--destination D]
//                           [--per-request 100] [--window 16] [--sample FILE]
//       Fills a data directory with N stored events, each with one pending delivery, through `SQLiteStore.append`
//       (the writer, group commits and schema `serve` uses). --sample writes one stored envelope to FILE.
//
//   hookrelay-bench transport --routes DIR --destination D --envelope FILE --count N [--concurrency 64]
//       Sends N copies of the envelope to destination D exactly as the dispatcher would build them
//       (`OutboundRequest.make`), through `CurlMultiTransport` alone (no store, no dispatcher), keeping
//       `--concurrency` requests in flight. Prints requests/s: the transport's ceiling on this sink.
//
//   hookrelay-bench curl-multi --routes DIR --destination D --envelope FILE [--count N] [--seconds 10]
//                              [--concurrency 64]
//       The same request as `transport` (URL, body, headers, timeouts), sent by the leanest libcurl-multi client:
//       one thread, one multi handle, one easy handle per slot, set up once and re-added as soon as it finishes.
//       Runs for N requests or S seconds (10 without --count), whichever ends first; prints requests/s, non-2xx
//       and transfer errors: what libcurl itself reaches on this sink, the ceiling under hookrelay's transport.
import Glibc
import HookRelay

/// Writes `hookrelay-bench: <message>` to stderr.
func printError(_ message: String) {
    let line = Array("hookrelay-bench: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

/// Prints `message` to stderr and exits with `status` (64, usage, unless told).
func fail(_ message: String, status: Int32 = 64) -> Never {
    printError(message)
    exit(status)
}

/// The bytes of the file at `path`, or exit.
func readFile(_ path: String) -> [UInt8] {
    guard let file = fopen(path, "r") else { fail("cannot read \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n <= 0 { break }
        bytes.append(contentsOf: buffer[..<n])
    }
    guard ferror(file) == 0 else { fail("cannot read \(path)") }
    return bytes
}

/// The destination named `name` in the route files under `routes`, or exit.
func loadDestination(_ name: String, routes: String) -> DestinationSettings {
    guard let config = RouteConfig.load(directory: routes).config, let destination = config.destinations[name] else {
        fail("no destination \(name) in \(routes)")
    }
    return destination
}

/// `--name value` pairs after the subcommand.
struct Arguments {
    private var values: [String: String] = [:]

    init(_ arguments: ArraySlice<String>, allowed: Set<String>) {
        var iterator = arguments.makeIterator()
        while let name = iterator.next() {
            guard name.hasPrefix("--"), allowed.contains(String(name.dropFirst(2))) else { fail("unknown argument \(name)") }
            guard let value = iterator.next() else { fail("\(name) needs a value") }
            values[String(name.dropFirst(2))] = value
        }
    }

    func string(_ name: String, default fallback: String? = nil) -> String {
        guard let value = values[name] ?? fallback else { fail("--\(name) is required") }
        return value
    }

    func optional(_ name: String) -> String? { values[name] }

    func count(_ name: String, default fallback: Int? = nil) -> Int {
        guard let text = values[name] else {
            guard let fallback else { fail("--\(name) is required") }
            return fallback
        }
        guard let n = Int(text), n >= 0 else { fail("--\(name): not a count: \(text)") }
        return n
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func wallMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec / 1_000_000)
}

let arguments = CommandLine.arguments
switch arguments.count > 1 ? arguments[1] : "" {
case "preload": Preload.run(Arguments(arguments.dropFirst(2), allowed: Preload.options))
case "transport": TransportSend.run(Arguments(arguments.dropFirst(2), allowed: TransportSend.options))
case "curl-multi": RawCurlMulti.run(Arguments(arguments.dropFirst(2), allowed: RawCurlMulti.options))
default: fail("usage: hookrelay-bench preload|transport|curl-multi; the help is in Benchmarks/HookRelayBench/main.swift")
}
