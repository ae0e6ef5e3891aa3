#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension PublicKey {
    /// Loads an EC P-256 public key from a JSON Web Key (RFC 7517/7518), as Plaid serves its webhook verification
    /// keys:
    ///
    /// ```json
    /// {"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    ///  "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","alg":"ES256","use":"sig","kid":"..."}
    /// ```
    ///
    /// `kty` must be `EC` and `crv` `P-256`; `alg` and `use`, when present, must be `ES256` and `sig`. Other
    /// members (`kid`, `created_at`, ...) are ignored. A key that carries a private part (`d`) is refused, so a
    /// private key pasted into configuration is not silently accepted.
    ///
    /// - Throws: ``CryptoError`` naming the offending member; never echoes the key.
    public init(jwk json: some MessageBytes) throws {
        let jwk: JSONWebKeyMembers
        do {
            jwk = try json.withMessageBytes { try JSONDecoder().decode(JSONWebKeyMembers.self, from: Data($0)) }
        } catch {
            throw CryptoError.invalidJWK("not a JSON object with string members")
        }
        guard jwk.kty == "EC" else { throw CryptoError.invalidJWK("kty must be \"EC\"") }
        guard jwk.crv == "P-256" else { throw CryptoError.invalidJWK("crv must be \"P-256\"") }
        guard jwk.d == nil else { throw CryptoError.invalidJWK("contains a private key (d)") }
        guard jwk.alg == nil || jwk.alg == "ES256" else { throw CryptoError.invalidJWK("alg must be \"ES256\"") }
        guard jwk.use == nil || jwk.use == "sig" else { throw CryptoError.invalidJWK("use must be \"sig\"") }
        guard let x = jwk.x.flatMap({ Base64URL.decode($0) }), x.count == 32 else {
            throw CryptoError.invalidJWK("x must be 32 bytes of unpadded base64url")
        }
        guard let y = jwk.y.flatMap({ Base64URL.decode($0) }), y.count == 32 else {
            throw CryptoError.invalidJWK("y must be 32 bytes of unpadded base64url")
        }
        try self.init(p256X: x, y: y)
    }
}

/// The JWK members ``PublicKey/init(jwk:)`` looks at.
private struct JSONWebKeyMembers: Decodable {
    var kty: String?
    var crv: String?
    var x: String?
    var y: String?
    var d: String?
    var alg: String?
    var use: String?
}
