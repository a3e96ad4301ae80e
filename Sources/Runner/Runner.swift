// Placeholder; replaced by the runner handlers.
