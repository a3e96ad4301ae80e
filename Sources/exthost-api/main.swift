import ArgumentParser
import FastCGI
import ServiceSupport

/// exthost-api: the FastCGI workers behind /api/ (publishing, registry, installs, keys).
struct ExthostAPI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exthost-api",
        abstract: "FastCGI workers for the exthost management API (behind nginx).",
        version: ExthostVersion.string
    )

    @OptionGroup var options: WorkerOptions

    func run() {
        var router = Router()
        router.addHealthRoutes()
        WorkerMain.run(service: "exthost-api", options: options, router: router)
    }
}

ExthostAPI.main()
