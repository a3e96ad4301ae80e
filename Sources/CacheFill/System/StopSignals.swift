import Glibc

/// SIGTERM and SIGINT turned into an ordinary blocking call, so the daemon stops between
/// operations instead of in a signal handler.
///
/// Invariant: `block()` runs on the main thread before any other thread starts, so every thread
/// inherits the blocked mask and only `waitForStop()` ever receives the signals.
enum StopSignals {
    static func block() {
        var set = stopSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
        // A peer that hangs up must not kill the process; writes report EPIPE instead.
        signal(SIGPIPE, SIG_IGN)
    }

    /// Blocks until SIGTERM or SIGINT arrives; returns its name for the log.
    static func waitForStop() -> String {
        var set = stopSet()
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received == SIGTERM ? "SIGTERM" : "SIGINT"
    }

    private static func stopSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        return set
    }
}
