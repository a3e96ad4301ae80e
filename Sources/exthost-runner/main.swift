import ArgumentParser
import FastCGI
import ServiceSupport

/// exthost-runner: the FastCGI workers behind /api/ext/ (handler execution) and UI cache misses.
struct ExthostRunner: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exthost-runner",
        abstract: "FastCGI workers that execute extension handlers and answer UI cache misses (behind nginx).",
        version: ExthostVersion.string
    )

    @OptionGroup var options: WorkerOptions

    func run() {
        var router = Router()
        router.addHealthRoutes()
        WorkerMain.run(service: "exthost-runner", options: options, router: router)
    }
}

ExthostRunner.main()
