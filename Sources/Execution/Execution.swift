// Placeholder; replaced by the WebAssembly engine.
