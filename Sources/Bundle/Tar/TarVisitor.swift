/// Receives the accepted entries of an archive from a `TarReader`, in archive order.
///
/// For each entry: `beginEntry`, then `entryData` zero or more times with consecutive pieces of a
/// file's content (chunking is arbitrary; the buffers are only valid during the call), then
/// `endEntry`. Throwing from any method stops the reader, which rethrows the error.
public protocol TarVisitor: AnyObject {
    func beginEntry(_ entry: TarEntry) throws
    func entryData(_ bytes: UnsafeRawBufferPointer) throws
    func endEntry(_ entry: TarEntry) throws
}
