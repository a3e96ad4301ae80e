import JSON

/// What the guest may ask the host through `exthost.call` / `exthost.log`; the gateway implements it per request.
///
/// Called on the executing thread while the guest waits; an answer must arrive before `deadline`.
public protocol HostInterface: Sendable {
    /// `request` is the parsed `{"op":…}` document; answer `{"ok":…}` or `{"error":{"code","message"}}`.
    func call(_ request: JSONValue, deadline: ContinuousClock.Instant) -> JSONValue
    /// One line the guest logged (`exthost.log`, or stdout/stderr through WASI); level 0 debug … 3 error.
    func log(level: Int32, message: String)
}
