// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "exthost",
    products: [
        .executable(name: "exthost-api", targets: ["exthost-api"]),
        .executable(name: "exthost-runner", targets: ["exthost-runner"]),
        .executable(name: "exthost", targets: ["exthost"]),
        .executable(name: "exthost-cachefill", targets: ["exthost-cachefill"]),
        .library(name: "FastCGI", targets: ["FastCGI"]),
        .library(name: "Cryptography", targets: ["Cryptography"]),
        .library(name: "Bundle", targets: ["Bundle"]),
        .library(name: "BundleStore", targets: ["BundleStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        // One trait only: SwiftPM passes several traits' -D flags in a random order, which makes
        // every other invocation (`swift build`, then `swift test`) recompile WasmKit. exthost needs
        // MultiThread (engines shared across worker threads), not FileSystem or Disassembler.
        .package(url: "https://github.com/swiftwasm/WasmKit.git", exact: "0.4.2", traits: ["MultiThread"]),
    ],
    targets: [
        // C modules: module maps and shims only; only the matching wrapper imports each one.
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // Shared vocabulary: HTTP statuses and the typed-error protocol every layer uses.
        .target(name: "ExthostCore", swiftSettings: swiftSettings),

        // Wrappers: one small owning Swift type per C library.
        .target(
            name: "FastCGI",
            dependencies: ["CFastCGI", "ExthostCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(name: "Cryptography", dependencies: ["COpenSSL", "ExthostCore"], swiftSettings: swiftSettings),
        .target(name: "Zstd", dependencies: ["CZstd", "ExthostCore"], swiftSettings: swiftSettings),
        .target(name: "JSON", dependencies: ["ExthostCore"], swiftSettings: swiftSettings),
        .target(name: "HTTPClient", dependencies: ["CCurl", "ExthostCore"], swiftSettings: swiftSettings),
        .target(name: "Postgres", dependencies: ["CPostgres", "ExthostCore"], swiftSettings: swiftSettings),

        // Domain: bundles (tar, zstd, manifest, signatures).
        .target(name: "Bundle", dependencies: ["Zstd", "Cryptography", "JSON", "ExthostCore"], swiftSettings: swiftSettings),
        // Domain: the registry (schema migrations, repositories, keys) over Postgres.
        .target(name: "Registry", dependencies: ["Postgres", "Cryptography", "JSON", "ExthostCore"], swiftSettings: swiftSettings),
        // Domain: the bundle store (S3 over HTTPClient with SigV4; key policy, write-once puts).
        .target(
            name: "BundleStore",
            dependencies: ["HTTPClient", "Cryptography", "Bundle", "ExthostCore"],
            swiftSettings: swiftSettings
        ),

        // The management API: authentication, request decoding and the /api/ handlers.
        .target(
            name: "API",
            dependencies: ["FastCGI", "Registry", "Postgres", "JSON", "Cryptography", "Bundle", "BundleStore", "Execution", "ExthostCore", "Metrics", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),

        // Domain: the per-node content-hash tree that nginx and the runner read (DESIGN §6, §8).
        .target(name: "ContentCache", dependencies: ["Bundle", "Cryptography", "ExthostCore"], swiftSettings: swiftSettings),

        // The cache-fill daemon's engine and the client the runner uses to ask it for a fill.
        .target(
            name: "CacheFill",
            dependencies: [
                "ContentCache", "Registry", "Postgres", "BundleStore", "Bundle", "Cryptography", "JSON", "ExthostCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // The WebAssembly engine: modules, per-thread instances reset to a snapshot, the
        // exthost-wasm@1 ABI and its limits (DESIGN §7), over WasmKit.
        .target(
            name: "Execution",
            dependencies: [
                "JSON", "ExthostCore",
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WasmParser", package: "WasmKit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // exthost-runner's handlers: UI cache misses now, extension execution (issue 8) next.
        .target(
            name: "Runner",
            dependencies: [
                "FastCGI", "Execution", "CacheFill", "ContentCache", "Registry", "Postgres", "API", "Bundle", "HTTPClient", "Cryptography", "JSON", "Metrics", "ExthostCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Counters and histograms of one process, rendered for Prometheus (GET /metrics).
        .target(name: "Metrics", dependencies: ["ExthostCore"], swiftSettings: swiftSettings),

        // Wiring shared by the executables: worker options, JSON logs, version, metrics.
        .target(
            name: "ServiceSupport",
            dependencies: [
                "FastCGI",
                "Metrics",
                "ExthostCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Thin executables.
        .executableTarget(name: "exthost-api", dependencies: ["API", "Registry", "Postgres", "FastCGI", "ServiceSupport", "BundleStore", "Metrics", .product(name: "ArgumentParser", package: "swift-argument-parser")], swiftSettings: swiftSettings),
        .executableTarget(
            name: "exthost-cachefill",
            dependencies: ["CacheFill", "ServiceSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "exthost-runner", dependencies: ["Runner", "Registry", "Postgres", "FastCGI", "ServiceSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")], swiftSettings: swiftSettings),
        .executableTarget(
            name: "exthost",
            dependencies: ["ServiceSupport", "API", "CacheFill", "ContentCache", "Bundle", "BundleStore", "HTTPClient", "Execution", "Runner", "Cryptography", "Registry", "Postgres", "JSON", "FastCGI", .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),

        // bench/execute's engine-level measurements (instantiate per request, fuel metering).
        .executableTarget(
            name: "exthost-bench-engine",
            dependencies: ["Execution", "JSON", .product(name: "WasmKit", package: "WasmKit"), .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/EngineBench",
            swiftSettings: swiftSettings
        ),

        // A FastCGI application used only by the integration tests (streamed hashing, slow requests).
        .executableTarget(
            name: "exthost-fcgi-testapp",
            dependencies: ["FastCGI", "Cryptography", "ServiceSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tests/FastCGITestApp",
            swiftSettings: swiftSettings
        ),

        // libFuzzer targets: `scripts/fuzz TARGET SECONDS` builds them with -sanitize=fuzzer in
        // .build-fuzz; a plain build turns each into a corpus replayer.
        .target(name: "FuzzSupport", path: "Tests/Fuzz/FuzzSupport", swiftSettings: swiftSettings),
        .executableTarget(name: "fuzz-tar", dependencies: ["Bundle", "FuzzSupport"], path: "Tests/Fuzz/FuzzTar", swiftSettings: swiftSettings),
        .executableTarget(name: "fuzz-manifest", dependencies: ["Bundle", "FuzzSupport"], path: "Tests/Fuzz/FuzzManifest", swiftSettings: swiftSettings),
        .executableTarget(name: "fuzz-json", dependencies: ["JSON", "FuzzSupport"], path: "Tests/Fuzz/FuzzJSON", swiftSettings: swiftSettings),
        .executableTarget(name: "fuzz-sigv4", dependencies: ["BundleStore", "FuzzSupport"], path: "Tests/Fuzz/FuzzSigV4", swiftSettings: swiftSettings),
        .executableTarget(name: "fuzz-fastcgi", dependencies: ["FastCGI", "FuzzSupport"], path: "Tests/Fuzz/FuzzFastCGI", swiftSettings: swiftSettings),
        .executableTarget(name: "fuzz-abi", dependencies: ["Runner", "JSON", "FuzzSupport"], path: "Tests/Fuzz/FuzzABI", swiftSettings: swiftSettings),

        .testTarget(name: "FastCGITests", dependencies: ["FastCGI", "ExthostCore"], swiftSettings: swiftSettings),
        .testTarget(name: "CryptographyTests", dependencies: ["Cryptography", "ExthostCore"], swiftSettings: swiftSettings),
        // Test support shared by the test targets: fresh databases on the stack's Postgres.
        .target(name: "ExthostTesting", dependencies: ["Registry", "Postgres"], path: "Tests/ExthostTesting", swiftSettings: swiftSettings),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "Postgres", "Cryptography", "JSON", "ExthostCore", "ExthostTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "APITests", dependencies: ["API", "Registry", "Postgres", "FastCGI", "JSON", "Bundle", "BundleStore", "Cryptography", "Zstd", "ExthostCore", "ExthostTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "ExthostCore"], swiftSettings: swiftSettings),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "ExthostCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "BundleStoreTests",
            dependencies: ["BundleStore", "HTTPClient", "Cryptography", "Bundle", "ExthostCore"],
            exclude: ["tools"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExecutionTests",
            dependencies: ["Execution", "JSON", "ExthostCore", .product(name: "WAT", package: "WasmKit"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "RunnerTests", dependencies: ["Runner", "Execution", "Registry", "JSON", "FastCGI", "Bundle", "ContentCache", "Metrics", "ExthostCore", .product(name: "Logging", package: "swift-log")], swiftSettings: swiftSettings),
        .testTarget(name: "CacheFillTests", dependencies: ["CacheFill", "ContentCache", "ExthostCore", "ExthostTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "ContentCacheTests", dependencies: ["ContentCache", "Bundle", "Cryptography", "ExthostCore"], swiftSettings: swiftSettings),
        .testTarget(name: "ZstdTests", dependencies: ["Zstd", "ExthostCore"], swiftSettings: swiftSettings),
        .testTarget(name: "JSONTests", dependencies: ["JSON"], swiftSettings: swiftSettings),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics"], swiftSettings: swiftSettings),
        .testTarget(name: "ExthostCoreTests", dependencies: ["ExthostCore"], swiftSettings: swiftSettings),
        .testTarget(name: "BundleTests", dependencies: ["Bundle", "Zstd", "Cryptography", "JSON"], swiftSettings: swiftSettings),
    ]
)
