import Glibc
import Registry
import Runner
import Synchronization
import Testing

/// A cache that records what it was told to forget.
final class RecordingCache: TenantScopedCache {
    let flushes = Mutex(0)
    let tenants = Mutex<[String]>([])

    func invalidateAll() { flushes.withLock { $0 += 1 } }
    func invalidate(tenantID: String) { tenants.withLock { $0.append(tenantID) } }

    var flushCount: Int { flushes.withLock { $0 } }
    var droppedTenants: [String] { tenants.withLock { $0 } }
}

@Suite struct RegistryCacheInvalidationTests {
    let targets = RecordingCache()
    let keys = RecordingCache()
    var invalidation: RegistryCacheInvalidation { RegistryCacheInvalidation(targets: targets, keys: keys) }

    @Test func aNewOrLostSessionFlushesEveryCache() {
        invalidation.sessionChanged()
        #expect(targets.flushCount == 1 && keys.flushCount == 1)
    }

    @Test func anInstallChangeDropsOnlyItsTenant() {
        invalidation.apply(channel: InstallNotification.channel, payload: #"{"op":"updated","tenantId":"\#(tenantA)","enabled":false}"#)
        #expect(targets.droppedTenants == [tenantA])
        #expect(targets.flushCount == 0 && keys.flushCount == 0)
    }

    @Test func anUnreadableInstallPayloadDropsEveryTargetButNoKey() {
        invalidation.apply(channel: InstallNotification.channel, payload: "not json")
        invalidation.apply(channel: InstallNotification.channel, payload: #"{"op":"updated"}"#)
        #expect(targets.flushCount == 2 && targets.droppedTenants.isEmpty)
        #expect(keys.flushCount == 0)
    }

    @Test func aRevocationDropsEveryKeyAndNoTarget() {
        invalidation.apply(channel: APIKeyStore.revocationChannel, payload: "0b6e2c7e-0000-4000-8000-000000000001")
        #expect(keys.flushCount == 1)
        #expect(targets.flushCount == 0 && targets.droppedTenants.isEmpty)
    }

    @Test func anUnknownChannelFlushesEverything() {
        invalidation.apply(channel: "exthost_something_new", payload: "")
        #expect(targets.flushCount == 1 && keys.flushCount == 1)
    }

    @Test func theListenedChannelsAreExactlyTheOnesApplied() {
        #expect(RegistryCacheInvalidation.channels == [InstallNotification.channel, APIKeyStore.revocationChannel])
    }

    @Test func theRunnersTargetCacheIsWiredByTenant() throws {
        let source = FixedTargets([helloTarget()])
        let cache = TargetCache(source: source, timeToLive: .seconds(60))
        let reference = try #require(ExtensionReference("exthost.examples.hello"))
        _ = try cache.resolved(tenantID: tenantA, extension: reference)
        RegistryCacheInvalidation(targets: cache, keys: keys).apply(
            channel: InstallNotification.channel, payload: #"{"op":"updated","tenantId":"\#(tenantA)"}"#)
        _ = try cache.resolved(tenantID: tenantA, extension: reference)
        #expect(source.lookups.withLock { $0 } == 2)
    }
}

/// The maximum age that heals a lost notification: no entry outlives its time to live.
@Suite struct CacheMaximumAgeTests {
    @Test func theStatedBoundsAreTwoSeconds() {
        // docs/scaling.md and docs/execute.md state these numbers; change them together.
        #expect(TargetCache.defaultTimeToLive == .seconds(2))
        #expect(VerifiedKeyCache.defaultTimeToLive == .seconds(2))
    }

    @Test func aTargetIsReadAgainOnceItsEntryIsOlderThanTheTimeToLive() throws {
        let source = FixedTargets([helloTarget()])
        let cache = TargetCache(source: source, timeToLive: .milliseconds(100))
        let reference = try #require(ExtensionReference("exthost.examples.hello"))
        #expect(try cache.resolved(tenantID: tenantA, extension: reference) != nil)
        #expect(try cache.resolved(tenantID: tenantA, extension: reference) != nil)
        #expect(source.lookups.withLock { $0 } == 1)
        usleep(150_000)
        #expect(try cache.resolved(tenantID: tenantA, extension: reference) != nil)
        #expect(source.lookups.withLock { $0 } == 2)
    }

    @Test func aRememberedAbsenceAlsoExpires() throws {
        // A pair missing on this node's first look must appear once another node enabled it,
        // even if that notification was lost.
        let source = FixedTargets([])
        let cache = TargetCache(source: source, timeToLive: .milliseconds(100))
        let reference = try #require(ExtensionReference("exthost.examples.hello"))
        #expect(try cache.resolved(tenantID: tenantA, extension: reference) == nil)
        #expect(try cache.resolved(tenantID: tenantA, extension: reference) == nil)
        #expect(source.lookups.withLock { $0 } == 1)
        usleep(150_000)
        _ = try cache.resolved(tenantID: tenantA, extension: reference)
        #expect(source.lookups.withLock { $0 } == 2)
    }
}
