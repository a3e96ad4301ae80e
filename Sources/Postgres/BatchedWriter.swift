import ExthostCore
import Glibc
import Synchronization

/// Appends rows to one table from a background thread, many rows per multi-row INSERT, so hot
/// paths (the execution log) never wait on the database.
///
/// Invariants: the queue holds at most `queueCapacity` rows (give or take the rows being
/// appended at that instant); when full the oldest row is dropped and counted (the queue's
/// head, else the oldest of the appending thread's inbox), so memory stays bounded while
/// Postgres is slow or down. Appending takes no lock the other request threads
/// take: each thread appends to its own inbox (`ThreadStripes`), which the writer thread empties
/// into the queue. A batch that fails is
/// counted as failed rows and its first error is reported by the next `flush`. Table and column
/// names are validated identifiers; every value is a statement parameter.
public final class BatchedWriter: Sendable {
    public struct Configuration: Sendable {
        public var maxBatchRows: Int
        public var flushInterval: Duration
        public var queueCapacity: Int

        public init(maxBatchRows: Int = 1_000, flushInterval: Duration = .milliseconds(200), queueCapacity: Int = 100_000) {
            self.maxBatchRows = max(1, maxBatchRows)
            self.flushInterval = flushInterval
            self.queueCapacity = max(1, queueCapacity)
        }
    }

    public struct Statistics: Sendable, Equatable {
        public var writtenRows = 0
        public var droppedRows = 0
        public var failedRows = 0
        public var statements = 0
    }

    private struct State {
        var pending: [[PostgresValue]] = []
        var head = 0
        var completed = 0
        var flushWaiters = 0
        var closing = false
        var lastWrite = ContinuousClock.now
        var statistics = Statistics()
        var firstError: PostgresError?
        var thread: BackgroundThread?

        var queued: Int { pending.count - head }

        mutating func take(_ limit: Int) -> [[PostgresValue]] {
            // The common case, everything queued fits one statement: hand the array over whole,
            // so the lock request threads append under is held for a swap, not a copy.
            if head == 0, pending.count <= limit {
                var rows: [[PostgresValue]] = []
                swap(&rows, &pending)
                return rows
            }
            let end = head + min(limit, queued)
            let rows = Array(pending[head..<end])
            head = end
            // Compact occasionally so dropped and taken rows do not pin memory.
            if head >= 1_024, head * 2 >= pending.count {
                pending.removeFirst(head)
                head = 0
            }
            return rows
        }
    }

    private let pool: PostgresPool
    private let insertPrefix: String
    private let columnCount: Int
    private let rowsPerStatement: Int
    private let configuration: Configuration
    private let state = Mutex(State())
    /// Rows appended and not yet taken by the writer thread, per appending thread.
    private let inboxes = ThreadStripes<[[PostgresValue]]>(count: 16) { [] }
    /// Rows in the inboxes and the queue: what the capacity bounds.
    private let queuedRows = Atomic(0)
    private let appendedRows = Atomic(0)

    public init(pool: PostgresPool, table: String, columns: [String], configuration: Configuration = Configuration()) throws(PostgresError) {
        guard !columns.isEmpty else { throw .invalidIdentifier("(no columns)") }
        let tableName = try SQLIdentifier(table, allowSchema: true)
        var columnNames: [String] = []
        for column in columns { columnNames.append(try SQLIdentifier(column).quoted) }
        self.pool = pool
        self.insertPrefix = "INSERT INTO \(tableName.quoted) (\(columnNames.joined(separator: ", "))) VALUES "
        self.columnCount = columns.count
        // The wire protocol carries at most 65535 parameters per statement.
        self.rowsPerStatement = min(configuration.maxBatchRows, 65_535 / columns.count)
        self.configuration = configuration
        let thread = BackgroundThread { [self] in self.run() }
        state.withLock { $0.thread = thread }
    }

    /// Queues one row (values in column order); never blocks, drops the oldest row when full.
    public func append(_ row: [PostgresValue]) {
        precondition(row.count == columnCount, "BatchedWriter row has \(row.count) values for \(columnCount) columns")
        appendedRows.add(1, ordering: .sequentiallyConsistent)
        if queuedRows.add(1, ordering: .relaxed).newValue > configuration.queueCapacity {
            // Full: drop the oldest row — the queue's head, which is older than any inbox, else
            // the oldest of this thread's inbox (the writer thread empties inboxes every few ms).
            let droppedFromQueue = state.withLock { state -> Bool in
                state.statistics.droppedRows += 1
                state.completed += 1
                guard state.queued > 0 else { return false }
                _ = state.take(1)
                return true
            }
            queuedRows.subtract(1, ordering: .relaxed)
            inboxes.withLock { inbox in
                if droppedFromQueue {
                    inbox.append(row)
                } else if !inbox.isEmpty {
                    inbox.removeFirst()
                    inbox.append(row)
                }
                // Else every queued row waits in other threads' inboxes: the new row is the one dropped.
            }
            return
        }
        inboxes.withLock { $0.append(row) }
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Returns once every row appended before the call is written, dropped or failed; throws the
    /// first write error since the previous flush.
    public func flush() throws(PostgresError) {
        let target = state.withLock { state in
            state.flushWaiters += 1
            return appendedRows.load(ordering: .sequentiallyConsistent)
        }
        while state.withLock({ $0.completed < target && $0.thread != nil }) {
            usleep(1_000)
        }
        let error = state.withLock { state in
            state.flushWaiters -= 1
            defer { state.firstError = nil }
            return state.firstError
        }
        if let error { throw error }
    }

    /// Drains the queue, stops the background thread and reports the first unreported error.
    public func close() throws(PostgresError) {
        let thread = state.withLock { state in
            state.closing = true
            defer { state.thread = nil }
            return state.thread
        }
        thread?.join()
        if let error = state.withLock({ $0.firstError }) { throw error }
    }

    private func run() {
        while let batch = nextBatch() {
            if batch.isEmpty {
                usleep(2_000)
                continue
            }
            let outcome = Result { () throws(PostgresError) in try write(batch) }
            state.withLock { state in
                state.completed += batch.count
                state.statistics.statements += 1
                switch outcome {
                case .success: state.statistics.writtenRows += batch.count
                case .failure(let error):
                    state.statistics.failedRows += batch.count
                    if state.firstError == nil { state.firstError = error }
                }
            }
        }
    }

    /// The next rows to write, [] when nothing is due yet, nil once closing and drained.
    private func nextBatch() -> [[PostgresValue]]? {
        var arrived: [[PostgresValue]] = []
        inboxes.forEach { inbox in
            guard !inbox.isEmpty else { return }
            if arrived.isEmpty { swap(&arrived, &inbox) } else { arrived += inbox; inbox.removeAll() }
        }
        return state.withLock { state in
            if !arrived.isEmpty { state.pending += arrived }
            guard state.queued > 0 else { return state.closing ? nil : [] }
            let due = state.queued >= rowsPerStatement || state.closing || state.flushWaiters > 0
                || ContinuousClock.now - state.lastWrite >= configuration.flushInterval
            guard due else { return [] }
            state.lastWrite = .now
            let rows = state.take(rowsPerStatement)
            queuedRows.subtract(rows.count, ordering: .relaxed)
            return rows
        }
    }

    private func write(_ rows: [[PostgresValue]]) throws(PostgresError) {
        var sql = insertPrefix
        var parameters: [PostgresValue] = []
        parameters.reserveCapacity(rows.count * columnCount)
        for (index, row) in rows.enumerated() {
            let placeholders = (1...columnCount).map { "$\(parameters.count + $0)" }
            sql += (index == 0 ? "(" : ", (") + placeholders.joined(separator: ", ") + ")"
            parameters += row
        }
        do {
            try pool.withConnection { connection in try connection.execute(sql, parameters) }
        } catch let error as PostgresError {
            throw error
        } catch {
            throw .unavailable(reason: "\(error)")
        }
    }
}
