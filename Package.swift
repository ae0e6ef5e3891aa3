// swift-tools-version:6.0
// hookrelay: a self-hosted webhook gateway. No Swift package dependencies: only the toolchain
// and system C libraries (OpenSSL, libcurl, SQLite) through `.systemLibrary` targets.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "hookrelay",
    products: [
        .executable(name: "hookrelay", targets: ["hookrelay"]),
        .executable(name: "hookrelay-fuzz-http", targets: ["hookrelay-fuzz-http"]),
        .executable(name: "hookrelay-bench", targets: ["hookrelay-bench"]),
    ],
    targets: [
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLinux"),

        .target(name: "HTTPServer", dependencies: ["COpenSSL", "CLinux"], swiftSettings: strict),
        .target(name: "HookRelay", dependencies: ["HTTPServer", "COpenSSL", "CCurl", "CSQLite"], swiftSettings: strict),
        .executableTarget(name: "hookrelay", dependencies: ["HookRelay", "HTTPServer"], swiftSettings: strict),
        // libFuzzer driver for the HTTP parser; see scripts/fuzz-http. Without -DFUZZING it replays files.
        .executableTarget(name: "hookrelay-fuzz-http", dependencies: ["HTTPServer"], swiftSettings: strict),
        // Helpers for scripts/bench-delivery: preload pending deliveries, drive the transport alone, raw libcurl-multi.
        .executableTarget(name: "hookrelay-bench", dependencies: ["HookRelay", "CCurl"], path: "Benchmarks/HookRelayBench",
                          swiftSettings: strict),

        .target(name: "TestSupport", dependencies: ["COpenSSL"], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TestSupport"], swiftSettings: strict),
        // Vectors/ and Golden/ hold files read through #filePath-relative paths, not as bundle resources.
        .testTarget(name: "HookRelayTests", dependencies: ["HookRelay", "HTTPServer", "TestSupport"], exclude: ["Vectors", "Golden"],
                    swiftSettings: strict),
        .testTarget(name: "EndToEndTests", dependencies: ["hookrelay", "HookRelay", "HTTPServer", "TestSupport"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
