/// HTTP header fields in the order received, with their raw bytes preserved.
///
/// Lookup is case-insensitive and allocation-free for the name; values come back as `String`
/// (invalid UTF-8 is repaired) or as the exact bytes with ``valueBytes(_:)``.
///
/// ```swift
/// var headers = HTTPHeaders()
/// headers.append(name: "Content-Type", value: "application/json")
/// headers["content-type"]  // "application/json"
/// ```
public struct HTTPHeaders: Sendable, Equatable {
    /// One field's location in ``raw``: name and value (value without surrounding whitespace).
    @usableFromInline
    struct Location: Sendable, Equatable {
        var nameStart: Int32
        var nameEnd: Int32
        var valueStart: Int32
        var valueEnd: Int32
    }

    /// The field lines exactly as received, each ending in CRLF (for appended fields: `name: value\r\n`).
    public private(set) var raw: [UInt8]
    @usableFromInline
    private(set) var locations: [Location]

    /// An empty header list.
    public init() {
        raw = []
        locations = []
    }

    /// Headers from name/value pairs, in order.
    public init(_ pairs: [(String, String)]) {
        self.init()
        for (name, value) in pairs { append(name: name, value: value) }
    }

    /// Headers over received bytes; `locations` index into `raw`. Used by the parser.
    init(raw: [UInt8], locations: [Location]) {
        self.raw = raw
        self.locations = locations
    }

    /// The number of fields.
    public var count: Int { locations.count }

    /// Whether there are no fields.
    public var isEmpty: Bool { locations.isEmpty }

    /// Appends a field. The caller guarantees `name` is a token and `value` has no CR, LF or NUL.
    public mutating func append(name: String, value: String) {
        let nameStart = raw.count
        raw.append(contentsOf: name.utf8)
        let nameEnd = raw.count
        raw.append(UInt8(ascii: ":"))
        raw.append(UInt8(ascii: " "))
        let valueStart = raw.count
        raw.append(contentsOf: value.utf8)
        let valueEnd = raw.count
        raw.append(13)
        raw.append(10)
        locations.append(Location(nameStart: Int32(nameStart), nameEnd: Int32(nameEnd),
                                  valueStart: Int32(valueStart), valueEnd: Int32(valueEnd)))
    }

    /// The name of the field at `index`, as received.
    public func name(at index: Int) -> String {
        let l = locations[index]
        return String(decoding: raw[Int(l.nameStart)..<Int(l.nameEnd)], as: UTF8.self)
    }

    /// The value of the field at `index`, without surrounding whitespace.
    public func value(at index: Int) -> String {
        let l = locations[index]
        return String(decoding: raw[Int(l.valueStart)..<Int(l.valueEnd)], as: UTF8.self)
    }

    /// The exact bytes of the value at `index`.
    public func valueBytes(at index: Int) -> ArraySlice<UInt8> {
        let l = locations[index]
        return raw[Int(l.valueStart)..<Int(l.valueEnd)]
    }

    /// The index of the first field named `name` (ASCII case-insensitive), if any.
    public func firstIndex(of name: String) -> Int? {
        var name = name
        return name.withUTF8 { wanted in
            for (i, l) in locations.enumerated() where Self.equalsIgnoringCase(raw, Int(l.nameStart), Int(l.nameEnd), wanted) {
                return i
            }
            return nil
        }
    }

    /// The first value of the field named `name` (case-insensitive).
    public subscript(name: String) -> String? {
        firstIndex(of: name).map { value(at: $0) }
    }

    /// The exact bytes of the first value of the field named `name`.
    public func valueBytes(_ name: String) -> ArraySlice<UInt8>? {
        firstIndex(of: name).map { valueBytes(at: $0) }
    }

    /// Every value of fields named `name`, in order.
    public func values(_ name: String) -> [String] {
        var name = name
        return name.withUTF8 { wanted in
            locations.indices.filter { i in
                Self.equalsIgnoringCase(raw, Int(locations[i].nameStart), Int(locations[i].nameEnd), wanted)
            }.map { value(at: $0) }
        }
    }

    /// Whether a field named `name` is present.
    public func contains(_ name: String) -> Bool { firstIndex(of: name) != nil }

    /// All fields as name/value pairs, in order.
    public var pairs: [(name: String, value: String)] {
        locations.indices.map { (name(at: $0), value(at: $0)) }
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.count == rhs.count && lhs.locations.indices.allSatisfy {
            lhs.name(at: $0) == rhs.name(at: $0) && lhs.valueBytes(at: $0) == rhs.valueBytes(at: $0)
        }
    }

    @inline(__always)
    static func equalsIgnoringCase(_ raw: [UInt8], _ start: Int, _ end: Int, _ wanted: UnsafeBufferPointer<UInt8>) -> Bool {
        guard end - start == wanted.count else { return false }
        var i = 0
        while i < wanted.count {
            if lowercased(raw[start + i]) != lowercased(wanted[i]) { return false }
            i += 1
        }
        return true
    }

    @inline(__always)
    static func lowercased(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }
}
