import Glibc

/// Small secret files: created atomically with mode 0600 (in directories created 0700), read back bounded.
enum GroupDSecretFile {
    enum CreateResult: Equatable { case success, exists, failure(String) }

    /// The largest secret file read.
    static let maxSize = 4096

    /// Writes `contents` to `directory/name` only if no such file exists: a temporary file is written and synced,
    /// then linked into place (atomic, never overwriting), and the directory synced.
    static func create(in directory: String, name: String, contents: [UInt8]) -> CreateResult {
        if let failure = makeDirectories(directory) { return .failure(failure) }
        let path = directory + "/" + name
        let temporary = path + ".tmp-\(getpid())"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return .failure("cannot create the secret file (errno \(errno))") }
        var ok = fchmod(fd, 0o600) == 0
        contents.withUnsafeBytes { buffer in
            var offset = 0
            while ok && offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { ok = false } else { offset += written }
            }
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        defer { unlink(temporary) }
        guard ok else { return .failure("cannot write the secret file (errno \(errno))") }
        guard link(temporary, path) == 0 else {
            return errno == EEXIST ? .exists : .failure("cannot store the secret file (errno \(errno))")
        }
        syncDirectory(directory)
        return .success
    }

    /// The file's bytes; nil when it does not exist.
    static func read(in directory: String, name: String) -> Result<[UInt8]?, ReadError> {
        let fd = open(directory + "/" + name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            return errno == ENOENT ? .success(nil) : .failure(ReadError("cannot open the stored secret (errno \(errno))"))
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while bytes.count <= maxSize {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return .failure(ReadError("cannot read the stored secret (errno \(errno))")) }
            if count == 0 { return .success(bytes) }
            bytes += buffer[..<count]
        }
        return .failure(ReadError("the stored secret file is too large"))
    }

    struct ReadError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Creates the missing directories of `path` with mode 0700; a failure's description, or nil.
    static func makeDirectories(_ path: String) -> String? {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST { return "cannot create \(component) (errno \(errno))" }
        }
        return nil
    }

    private static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
