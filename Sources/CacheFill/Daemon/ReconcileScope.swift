import JSON

/// Which part of the tree a reconcile looks at: all of it (periodic, after a reconnect) or only
/// the extensions a notification named.
public enum ReconcileScope: Sendable, Equatable {
    case everything
    case extensions(Set<String>)

    public func contains(extensionID: String) -> Bool {
        switch self {
        case .everything: true
        case .extensions(let ids): ids.contains(extensionID)
        }
    }

    /// The smallest scope covering both.
    public func merged(with other: ReconcileScope) -> ReconcileScope {
        switch (self, other) {
        case (.extensions(let mine), .extensions(let theirs)): .extensions(mine.union(theirs))
        default: .everything
        }
    }

    /// The scope an `exthost_installs` or `exthost_bundles` payload calls for: the extension it
    /// names (both carry `extensionId`); everything when the payload cannot be read, because
    /// guessing too little would leave the tree wrong until the next periodic reconcile.
    public init(notificationPayload payload: String) {
        guard let extensionID = (try? JSONValue.parse(payload))?["extensionId"]?.stringValue else {
            self = .everything
            return
        }
        self = .extensions([extensionID])
    }
}
