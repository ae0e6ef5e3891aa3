/// Reading fields out of a raw JSON body without decoding the whole payload.
enum Payload {
    /// Throws unless `body` is one well-formed JSON value.
    static func validateJSON(_ body: [UInt8]) throws(NormalizationFailure) {
        let failure = body.withUnsafeBytes { buffer -> RawJSONError? in
            do throws(RawJSONError) {
                try RawJSON.validate(buffer)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw NormalizationFailure("body is not valid JSON: \(failure.reason) at byte \(failure.offset)") }
    }

    /// The string at `path`, if there is one.
    static func string(_ path: [RawJSON.PathComponent], in body: [UInt8]) -> String? {
        body.withUnsafeBytes { buffer in
            RawJSON.range(of: path, in: buffer).flatMap { RawJSON.string(at: $0, in: buffer) }
        }
    }

    /// The integer at `path`, if there is one.
    static func integer(_ path: [RawJSON.PathComponent], in body: [UInt8]) -> Int64? {
        body.withUnsafeBytes { buffer in
            RawJSON.range(of: path, in: buffer).flatMap { RawJSON.number(at: $0, in: buffer)?.int64Value }
        }
    }

    /// A string or a number at `path`, as text (ids are sometimes numbers).
    static func identifier(_ path: [RawJSON.PathComponent], in body: [UInt8]) -> String? {
        body.withUnsafeBytes { buffer in
            guard let range = RawJSON.range(of: path, in: buffer) else { return nil }
            return RawJSON.string(at: range, in: buffer) ?? RawJSON.number(at: range, in: buffer)?.text
        }
    }

    /// `sha256:<hex>` of the body: the dedupe key for providers whose events carry no id.
    static func bodyHash(_ body: [UInt8]) -> String {
        "sha256:" + Hex.encode(Digest.hash(.sha256, body))
    }

    /// Parses a dotted field path such as `data.object.id` or `items.0.id` (numeric parts index arrays).
    static func path(_ dotted: String) -> [RawJSON.PathComponent] {
        dotted.split(separator: ".", omittingEmptySubsequences: false).map { part in
            if let index = Int(part), index >= 0, part.allSatisfy(\.isASCII) { return .index(index) }
            return .key(String(part))
        }
    }
}
