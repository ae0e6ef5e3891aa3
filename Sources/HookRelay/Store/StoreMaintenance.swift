/// The maintenance thread's state: its own connection, which checkpoints the WAL so the writer never does
/// (`wal_autocheckpoint=0` on every connection). Created by `SQLiteStore`, then used only on its thread.
///
/// Every `checkpointInterval`: if the writer committed since the last tick, a `PASSIVE` checkpoint (it
/// never blocks the writer or readers); once the writer has been idle for a whole interval, one
/// `TRUNCATE` checkpoint empties the WAL file. A checkpoint that fails is counted and retried next tick.
///
/// Under sustained load a `PASSIVE` checkpoint never catches up with the writer, and SQLite only restarts
/// the WAL from its beginning once everything was copied back: the file would grow for as long as the load
/// lasts. So a WAL still longer than `walRestartFrames` after the `PASSIVE` pass gets a `RESTART`
/// checkpoint, which lets the next commit start the WAL over.
///
/// `RESTART` and `TRUNCATE` need the write lock, which a busy writer holds almost all the time, so polling
/// for it fails. Instead the maintenance thread asks the writer to park between two transactions (holding
/// nothing), runs the checkpoint, and lets it go: commits wait for the frames written since the
/// `PASSIVE` pass to be copied, and readers are waited for at most `checkpointBusyTimeout`. The writer
/// still never runs a checkpoint itself.
final class StoreMaintenance {
    private let db: SQLiteConnection
    private let shared: StoreShared

    init(connection db: SQLiteConnection, shared: StoreShared) {
        self.db = db
        self.shared = shared
    }

    /// The maintenance thread's loop, until the writer has stopped.
    func run() {
        let interval = Int(max(1, Milliseconds.of(shared.configuration.checkpointInterval)))
        var commitsSeen = 0
        var walNeedsTruncate = false
        while !shared.maintenanceStop.wait(milliseconds: interval) {
            let commits = shared.stats.withLock { $0.commits }
            if commits != commitsSeen {
                commitsSeen = commits
                walNeedsTruncate = true
                if let frames = checkpoint(.passive), frames >= shared.configuration.walRestartFrames {
                    if checkpointWithWriterParked(.restart, waitingUpTo: interval) != nil {
                        shared.stats.withLock { $0.walRestarts += 1 }
                    }
                }
            } else if walNeedsTruncate {
                walNeedsTruncate = checkpointWithWriterParked(.truncate, waitingUpTo: interval) == nil
            }
        }
        // The writer is gone: leave an empty WAL behind.
        _ = checkpoint(.truncate)
        db.close()
        shared.maintenanceFinished.signal()
    }

    /// Asks the writer to park between transactions, runs a checkpoint that needs the write lock, and
    /// releases the writer. Gives up (`nil`) if the writer does not park within `milliseconds` (a long
    /// transaction, a slow completion, or the writer stopping).
    private func checkpointWithWriterParked(_ mode: SQLiteConnection.CheckpointMode, waitingUpTo milliseconds: Int) -> Int? {
        _ = shared.writerParked.wait(milliseconds: 0)  // drop a stale signal from an earlier attempt
        let (isRequested, wakeWriter) = shared.queue.withLock { queue -> (Bool, Bool) in
            // Closed and drained: the writer is stopping (or gone) and will not park.
            if queue.isClosed && queue.requests.isEmpty { return (false, false) }
            queue.checkpoint = .requested
            defer { queue.isWriterWaiting = false }
            return (true, queue.isWriterWaiting)
        }
        guard isRequested else { return nil }
        if wakeWriter { shared.wake.signal() }
        _ = shared.writerParked.wait(milliseconds: milliseconds)
        let isParked = shared.queue.withLock { queue -> Bool in
            if queue.checkpoint == .parked { return true }
            queue.checkpoint = .none  // withdrawn under the lock: the writer will not park for it now
            return false
        }
        guard isParked else {
            shared.stats.withLock { $0.checkpointFailures += 1 }
            return nil
        }
        defer {
            shared.queue.withLock { $0.checkpoint = .none }
            shared.checkpointDone.signal()
        }
        return checkpoint(mode)
    }

    /// Runs one checkpoint; returns the WAL's length in frames, or `nil` if it failed or was busy.
    private func checkpoint(_ mode: SQLiteConnection.CheckpointMode) -> Int? {
        do throws(StoreError) {
            let frames = try db.checkpoint(mode)
            shared.stats.withLock { stats in
                stats.checkpoints += 1
                stats.lastCheckpointFrames = frames
            }
            return frames
        } catch {
            shared.stats.withLock { $0.checkpointFailures += 1 }
            return nil
        }
    }
}
