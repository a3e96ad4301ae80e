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
        .library(name: "FastCGI", targets: ["FastCGI"]),
        .library(name: "Cryptography", targets: ["Cryptography"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    ],
    targets: [
        // C modules: module maps and shims only; only the matching wrapper imports each one.
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // Wrappers: one small owning Swift type per C library.
        .target(
            name: "FastCGI",
            dependencies: ["CFastCGI", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(name: "Cryptography", dependencies: ["COpenSSL"], swiftSettings: swiftSettings),

        // Wiring shared by the executables: worker options, JSON logs, version.
        .target(
            name: "ServiceSupport",
            dependencies: [
                "FastCGI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Thin executables.
        .executableTarget(name: "exthost-api", dependencies: ["FastCGI", "ServiceSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")], swiftSettings: swiftSettings),
        .executableTarget(name: "exthost-runner", dependencies: ["FastCGI", "ServiceSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")], swiftSettings: swiftSettings),
        .executableTarget(
            name: "exthost",
            dependencies: ["ServiceSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),

        // A FastCGI application used only by the integration tests (streamed hashing, slow requests).
        .executableTarget(
            name: "exthost-fcgi-testapp",
            dependencies: ["FastCGI", "Cryptography", "ServiceSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tests/FastCGITestApp",
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "FastCGITests", dependencies: ["FastCGI"], swiftSettings: swiftSettings),
        .testTarget(name: "CryptographyTests", dependencies: ["Cryptography"], swiftSettings: swiftSettings),
    ]
)
