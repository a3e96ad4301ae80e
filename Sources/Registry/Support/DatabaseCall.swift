import Postgres

/// Runs `body`, wrapping database failures as `RegistryError.database`; registry errors thrown
/// inside pass through. The pool's closures are untyped, so anything else cannot come from them
/// and is reported as a query failure.
func databaseCall<T>(_ body: () throws -> T) throws(RegistryError) -> T {
    do {
        return try body()
    } catch let error as RegistryError {
        throw error
    } catch let error as PostgresError {
        throw .database(error)
    } catch {
        throw .database(.query(sqlstate: "XX000", message: "\(error)"))
    }
}
