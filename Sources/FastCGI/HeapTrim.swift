import CFastCGI

/// Gives the heap a large answer used back to the kernel once the answer is sent.
///
/// glibc keeps what a thread frees in that thread's arena for reuse, so without this every
/// accept thread would hold the largest answer it ever built (a catalog listing, say) for the
/// life of the process, and the worker's resident size would follow the largest catalog seen
/// times the thread count. Trimming costs a walk of the arenas, so only answers of at least
/// `threshold` bytes pay for it.
enum HeapTrim {
    static let threshold = 256 * 1024

    static func afterResponse(bytesOut: Int) {
        guard bytesOut >= threshold else { return }
        _ = malloc_trim(0)
    }
}
