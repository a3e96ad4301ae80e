import Glibc

/// Interrupts accept threads blocked in accept(2) on a socket that must stay open (systemd's):
/// a signal with a handler that does nothing, installed without `SA_RESTART`, makes accept fail
/// with EINTR, and libfcgi gives up instead of retrying once `FCGX_ShutdownPending` was called.
///
/// Invariant: installed only when a drain starts, so before that the signal keeps its default
/// meaning; the caller signals only threads it knows are alive (under the thread's slot lock,
/// which a thread must take to mark itself exited).
enum AcceptWakeup {
    static let signalNumber = SIGUSR2

    static func install() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(signalNumber, &action, nil)
    }

    static func wake(_ thread: pthread_t) {
        _ = pthread_kill(thread, signalNumber)
    }
}
