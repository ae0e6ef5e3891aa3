import Glibc

/// Secret bytes from a route file reference: `env:NAME`, `file:PATH`, or (discouraged) a literal.
/// Never printed: `description` is `<redacted>`.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret's bytes.
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public init(_ text: String) {
        bytes = Array(text.utf8)
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: []) }

    /// How a reference was written.
    public enum Kind: Sendable, Equatable { case environment, file, literal }

    /// Resolves `reference`. `environment` supplies `env:` values; relative `file:` paths are relative to `directory`.
    /// A file's single trailing newline is dropped. Errors name the variable or file, never a value.
    public static func resolve(_ reference: String, environment: [String: String], directory: String) throws(ConfigValueError) -> (Secret, Kind) {
        if reference.hasPrefix("env:") {
            let name = String(reference.dropFirst(4))
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }) else {
                throw ConfigValueError("invalid environment variable name in \"env:\(name)\"")
            }
            guard let value = environment[name] else { throw ConfigValueError("environment variable \(name) is not set") }
            guard !value.isEmpty else { throw ConfigValueError("environment variable \(name) is empty") }
            return (Secret(value), .environment)
        }
        if reference.hasPrefix("file:") {
            var path = String(reference.dropFirst(5))
            guard !path.isEmpty else { throw ConfigValueError("empty path in \"file:\"") }
            if !path.hasPrefix("/") { path = directory + "/" + path }
            guard var bytes = readSmallFile(path) else { throw ConfigValueError("cannot read secret file \(path)") }
            if bytes.last == 10 { bytes.removeLast() }
            if bytes.last == 13 { bytes.removeLast() }
            guard !bytes.isEmpty else { throw ConfigValueError("secret file \(path) is empty") }
            return (Secret(bytes), .file)
        }
        guard !reference.isEmpty else { throw ConfigValueError("empty secret") }
        return (Secret(reference), .literal)
    }

    /// Reads a file of at most 64 KiB.
    static func readSmallFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > 65536 { return nil }
        }
    }
}
