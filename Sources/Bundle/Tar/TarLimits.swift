/// The bounds a `TarReader` enforces, so that neither memory nor the extracted tree can grow
/// without limit. The defaults are the bundle format's (docs/bundle-format.md).
public struct TarLimits: Sendable, Hashable {
    /// Distinct paths, counting directories that only appear as parents of other entries.
    public var maxEntries: Int
    /// Sum of the sizes of all regular files.
    public var maxFileBytes: Int
    /// Length in bytes of a normalized path.
    public var maxPathBytes: Int
    /// Number of components of a normalized path.
    public var maxPathDepth: Int
    /// Size of one pax or GNU long-name header's data.
    public var maxExtendedHeaderBytes: Int

    public init(
        maxEntries: Int = 10_000,
        maxFileBytes: Int = 256 << 20,
        maxPathBytes: Int = 4096,
        maxPathDepth: Int = 128,
        maxExtendedHeaderBytes: Int = 1 << 20
    ) {
        self.maxEntries = maxEntries
        self.maxFileBytes = maxFileBytes
        self.maxPathBytes = maxPathBytes
        self.maxPathDepth = maxPathDepth
        self.maxExtendedHeaderBytes = maxExtendedHeaderBytes
    }

    public static let bundle = TarLimits()

    /// A file-system name component cannot be longer (`NAME_MAX`).
    static let maxComponentBytes = 255
}
