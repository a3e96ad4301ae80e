// Placeholder; replaced by the cache-fill daemon.
print("exthost-cachefill: not built yet")
