import Runner

/// The install's secrets as `--secret NAME=VALUE` gave them: `secrets.get` answers from memory.
struct RunSecrets: SecretsSource {
    let values: [String: String]

    func reveal(tenantID: String, installID: String) throws -> [String: String] { values }
}
