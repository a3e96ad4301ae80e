import ArgumentParser
import ServiceSupport

/// The exthost command line: bundle authoring, publishing and administration.
struct Exthost: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exthost",
        abstract: "Build, sign, publish and administer exthost extension bundles.",
        discussion: """
            exthost stores signed extension bundles in S3 by SHA-256, registers them in Postgres, \
            runs their WebAssembly handlers and serves their UI through nginx.

            Documentation: docs/ in the source tree (operator guide, author guide, API).
            """,
        version: ExthostVersion.string,
        subcommands: [
            KeygenCommand.self, PackCommand.self, SignCommand.self, VerifyCommand.self, InspectCommand.self,
            PublishCommand.self,
            NewCommand.self,
            RunCommand.self,
            ExtractCommand.self, DigestCommand.self, StoreCommand.self, AdminCommand.self, ConfigCommand.self,
        ]
    )
}

Exthost.main()
