/// CRC-32 (IEEE 802.3, the polynomial zlib, PNG and PayPal use): PayPal signs the CRC of the raw body as an unsigned
/// decimal.
enum CRC32 {
    /// The reflected polynomial 0xEDB88320, one entry per byte value.
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    /// The CRC-32 of `bytes` (`crc32(b"123456789") == 0xCBF43926`).
    static func checksum(_ bytes: some MessageBytes) -> UInt32 {
        bytes.withMessageBytes { buffer in
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in buffer { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
            return crc ^ 0xFFFF_FFFF
        }
    }
}
