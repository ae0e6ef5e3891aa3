public import Foundation
import Glibc

/// A fresh temporary directory, removed by `remove()`.
public struct TemporaryDirectory {
    public let path: String

    public init(_ prefix: String = "hookrelay-test") throws {
        var template = Array("\(NSTemporaryDirectory())/\(prefix)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestClientError("mkdtemp failed") }
        path = String(cString: made)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    public func file(_ name: String) -> String { path + "/" + name }
}

/// A minimal valid routes directory inside `directory`: one unsigned source `open` and no routes.
@discardableResult
public func writeMinimalRoutes(in directory: TemporaryDirectory) throws -> String {
    try writeRoutes(#"{"sources":[{"name":"open","provider":"none"}]}"#, in: directory)
}

/// Writes `json` as `routes/routes.json` under `directory`; returns the routes directory.
@discardableResult
public func writeRoutes(_ json: String, in directory: TemporaryDirectory, file: String = "routes.json") throws -> String {
    let routes = directory.file("routes")
    try FileManager.default.createDirectory(atPath: routes, withIntermediateDirectories: true)
    try json.write(toFile: routes + "/" + file, atomically: true, encoding: .utf8)
    return routes
}

/// Runs a program to completion; returns exit status and combined output.
@discardableResult
public func runProgram(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
                       currentDirectory: String? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Makes a self-signed EC certificate for localhost/127.0.0.1 with the openssl CLI; returns (cert, key) paths.
public func makeTestCertificate(in directory: TemporaryDirectory, name: String = "server", commonName: String = "localhost") throws -> (String, String) {
    let cert = directory.file("\(name).crt"), key = directory.file("\(name).key")
    let (status, output) = try runProgram("/usr/bin/openssl", [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
        "-subj", "/CN=\(commonName)", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout", key, "-out", cert,
    ])
    guard status == 0 else { throw TestClientError("openssl req failed: \(output)") }
    return (cert, key)
}

/// The directory holding the built products (`.build/debug`), found from the running test bundle.
public var buildProductsDirectory: String {
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var url = URL(fileURLWithPath: executable).deletingLastPathComponent()
    while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("hookrelay").path) {
        url = url.deletingLastPathComponent()
    }
    return url.path
}

/// A running `hookrelay` child process whose stderr is collected; the listening address is read from its log.
public final class HookrelayProcess: @unchecked Sendable {
    public let process = Process()
    private let lock = NSLock()
    private var collected = ""
    private var lineWaiters: [(String, DispatchSemaphore)] = []

    /// Starts `hookrelay <arguments>` in `directory`. A `serve` without `--admin` gets `--admin 127.0.0.1:0`, so tests
    /// running in parallel never compete for the default admin port (read the real one with ``adminPort(timeout:)``).
    public init(_ arguments: [String], directory: String? = nil, environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: buildProductsDirectory + "/hookrelay")
        let needsAdmin = arguments.first == "serve" && !arguments.contains { $0 == "--admin" || $0.hasPrefix("--admin=") }
        process.arguments = arguments + (needsAdmin ? ["--admin", "127.0.0.1:0"] : [])
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        try process.run()
        // A thread of its own reads the output with read(2) from its own descriptor until EOF (the child exited;
        // Foundation closed the parent's write end after spawning). Not `readabilityHandler`: on Linux its handler
        // can run after the pipe's handle was closed, and `availableData` then traps (seen in CI: EINVAL).
        let fd = fcntl(pipe.fileHandleForReading.fileDescriptor, F_DUPFD_CLOEXEC, 0)
        guard fd >= 0 else { throw TestClientError("cannot duplicate the output pipe: errno \(errno)") }
        let reader = Thread { [weak self] in
            var buffer = [UInt8](repeating: 0, count: 16_384)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0, let self else { break }
                self.append(String(decoding: buffer[0..<n], as: UTF8.self))
            }
            close(fd)
            self?.outputFinished.signal()
        }
        reader.start()
    }

    private let outputFinished = DispatchSemaphore(value: 0)

    private func append(_ text: String) {
        lock.lock()
        collected += text
        let all = collected
        lineWaiters.removeAll { needle, semaphore in
            if all.contains(needle) { semaphore.signal(); return true }
            return false
        }
        lock.unlock()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Everything the process printed so far.
    public var output: String {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }

    /// Waits until the output contains `needle`; false on timeout.
    public func waitForOutput(_ needle: String, timeout: Double = 10) -> Bool {
        let semaphore = DispatchSemaphore(value: 0)
        lock.lock()
        if collected.contains(needle) {
            lock.unlock()
            return true
        }
        lineWaiters.append((needle, semaphore))
        lock.unlock()
        return semaphore.wait(timeout: .now() + timeout) == .success
    }

    /// The port from the `listening address=host:port` log line.
    public func listeningPort(timeout: Double = 20) throws -> Int {
        try portField("address", timeout: timeout)
    }

    /// The admin API's port from the `listening … admin=host:port` log line.
    public func adminPort(timeout: Double = 20) throws -> Int {
        try portField("admin", timeout: timeout)
    }

    /// A `host:port` field of the `listening` log line, in logfmt (`key=host:port`) or JSON (`"key":"host:port"`).
    private func portField(_ key: String, timeout: Double) throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        var line: Substring?
        while line == nil {
            line = output.split(separator: "\n").first { $0.contains("msg=listening") || $0.contains(#""msg":"listening""#) }
            if line == nil {
                guard Date() < deadline, process.isRunning else {
                    throw TestClientError("hookrelay did not start listening; output:\n\(output)")
                }
                usleep(10_000)
            }
        }
        let text = line!
        let value: Substring?
        if let range = text.range(of: "\"\(key)\":\"") {
            value = text[range.upperBound...].prefix { $0 != "\"" }
        } else {
            value = text.split(separator: " ").first { $0.hasPrefix("\(key)=") }?.dropFirst(key.count + 1)
        }
        guard let value, let port = Int(value.split(separator: ":").last ?? "") else {
            throw TestClientError("no \(key) in \(text)")
        }
        return port
    }

    public func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for exit (up to `timeout`); returns the exit status, or nil if it is still running.
    /// After an exit, ``output`` holds everything the process printed (up to 5 s more for the reader to drain it).
    public func waitForExit(timeout: Double = 15) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { return nil }
        lock.lock()
        let drained = outputDrained
        lock.unlock()
        if !drained, outputFinished.wait(timeout: .now() + 5) == .success {
            lock.lock()
            outputDrained = true
            lock.unlock()
        }
        return process.terminationStatus
    }

    /// Whether a ``waitForExit(timeout:)`` saw the reader reach EOF (``outputFinished`` signals once).
    private var outputDrained = false
}
