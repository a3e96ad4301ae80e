import ArgumentParser
import Cryptography
import FastCGI
import Glibc
import ServiceSupport

// A FastCGI application for the integration tests only, mounted by the dev nginx under /_test/
// (and /_drain/ for a copy a test starts and stops itself). Not a production route.
//   POST /<mount>/hash        streams the body through SHA-256 in 64 KiB chunks
//   GET  /<mount>/slow?ms=N   answers after N milliseconds (graceful-stop tests)
//   GET  /<mount>/rss         this process's peak and current resident memory
struct TestApp: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exthost-fcgi-testapp", abstract: "FastCGI test application.")
    @OptionGroup var options: WorkerOptions
    func run() { WorkerMain.run(service: "exthost-fcgi-testapp", options: options, router: makeRouter()) }
}

func makeRouter() -> Router {
    var router = Router()
    router.addHealthRoutes()
    router.post("/:mount/hash") { request in
        let hasher = SHA256()
        try request.body.forEachChunk(chunkSize: 64 * 1024) { hasher.update($0) }
        let digest = hasher.finalize()
        return Response.json("{\"sha256\":\"\(digest.hex)\",\"bytes\":\(request.body.bytesRead)}")
}
router.get("/:mount/slow") { request in
    let milliseconds = min(Int(request.query["ms"] ?? "") ?? 1000, 60_000)
    usleep(useconds_t(milliseconds) * 1000)
    return Response.json("{\"sleptMs\":\(milliseconds)}")
}
router.get("/:mount/rss") { _ in
    Response.json("{\"pid\":\(getpid()),\"vmHWMKiB\":\(memoryKiB("VmHWM:")),\"vmRSSKiB\":\(memoryKiB("VmRSS:"))}")
}
router.get("/:mount/params/:first/*rest") { request in
    let first = JSONString.quote(request.parameters["first"] ?? "")
    let rest = JSONString.quote(request.parameters["rest"] ?? "")
    let name = JSONString.quote(request.query["name"] ?? "")
    return Response.json("{\"first\":\(first),\"rest\":\(rest),\"name\":\(name)}")
}
return router
}

TestApp.main()

/// A `Vm*:` line of /proc/self/status, in KiB.
func memoryKiB(_ field: String) -> Int {
    guard let file = fopen("/proc/self/status", "r") else { return -1 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, 256, file) != nil {
        let text = line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        if text.hasPrefix(field) {
            return Int(text.dropFirst(field.count).filter(\.isNumber)) ?? -1
        }
    }
    return -1
}
