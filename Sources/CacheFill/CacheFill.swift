// Placeholder; replaced by the cache-fill engine.
