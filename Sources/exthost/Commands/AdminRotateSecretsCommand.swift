import ArgumentParser
import Cryptography
import Registry
import ServiceSupport

/// `exthost admin rotate-secrets`: re-seals install secrets under the current
/// `EXTHOST_SECRETS_KEY`, so the keys in `EXTHOST_SECRETS_KEY_PREVIOUS` can be retired.
struct AdminRotateSecretsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-secrets",
        abstract: "Re-encrypt install secrets sealed under a previous key with EXTHOST_SECRETS_KEY.",
        discussion: """
            Reads the keys as the workers do: EXTHOST_SECRETS_KEY (the new key) and \
            EXTHOST_SECRETS_KEY_PREVIOUS (the retired keys, comma-separated). Every secret the \
            new key does not open is opened with a previous key and sealed again with the new \
            one, in batches of --batch-size rows, one transaction each, with a progress line per \
            batch on stderr. Secrets already under the new key are not touched, so the command \
            can be interrupted and run again. Exit 1 if some secret opens with no key (they are \
            listed, and left as they are): find the key that sealed them before retiring any key.

            Restart exthost-api and exthost-runner with both settings first, then:

              exthost admin rotate-secrets --dry-run     # counts only
              exthost admin rotate-secrets
              exthost admin rotate-secrets --dry-run     # expect "0 to re-encrypt"

            Then remove EXTHOST_SECRETS_KEY_PREVIOUS and restart the workers \
            (docs/operator-guide.md, "Rotating EXTHOST_SECRETS_KEY").
            """
    )

    @Flag(help: "Only count the secrets under each kind of key; change nothing.")
    var dryRun = false

    @Option(help: "Rows per batch (and per transaction), 1 to 10000.")
    var batchSize = SecretsRotation.defaultBatchSize

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be from 1 to 10000, not \(batchSize)") }
    }

    func run() throws {
        let keyring: SecretsKeyring
        do {
            guard let configured = try SecretsKeyring.fromEnvironment(ProcessEnvironment.current) else {
                throw CLIError("\(SecretsKey.environmentVariable) is not set: set it to the new key and \(SecretsKeyring.previousEnvironmentVariable) to the old one")
            }
            keyring = configured
        } catch let error as SecretsKeyError {
            throw CLIError(error)
        }
        if keyring.previous.isEmpty {
            StandardError.write("note: \(SecretsKeyring.previousEnvironmentVariable) is not set: only checking that every secret opens with \(SecretsKey.environmentVariable)\n")
        }
        let rotation = SecretsRotation(pool: database.pool(), keyring: keyring, batchSize: batchSize)
        let verb = dryRun ? "to re-encrypt" : "re-encrypted"
        let progress = try registryAttempt("cannot rotate the secrets") { () throws(RegistryError) in
            try rotation.run(dryRun: dryRun) { progress in
                StandardError.write("scanned \(progress.scanned): \(progress.resealed) \(verb), \(progress.alreadyCurrent) already current, \(progress.unreadable.count) unreadable\n")
            }
        }
        print("\(progress.scanned) secrets: \(progress.resealed) \(verb), \(progress.alreadyCurrent) already under \(SecretsKey.environmentVariable), "
            + "\(progress.changedMeanwhile) changed meanwhile, \(progress.unreadable.count) unreadable\(dryRun ? " (dry run)" : "")")
        guard progress.unreadable.isEmpty else {
            for location in progress.unreadable { StandardError.write("unreadable: \(location)\n") }
            throw CLIError("""
                \(progress.unreadable.count) secret(s) open with no configured key: add the key that sealed them to \
                \(SecretsKeyring.previousEnvironmentVariable) and run again, or set them anew (PUT /api/installs/{id}/secrets)
                """)
        }
    }
}
