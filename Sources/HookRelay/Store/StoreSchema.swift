/// The database schema as an ordered list of migrations.
///
/// `PRAGMA user_version` holds the version the file is at; `schema_migrations` records when each migration
/// ran. Opening for writing applies the missing migrations in one transaction; a file at a version above
/// `latestVersion` was written by a newer hookrelay and is refused. Never edit a released migration:
/// append a new one.
enum StoreSchema {
    struct Migration {
        let version: Int
        let name: String
        let sql: String
    }

    static let migrations: [Migration] = [
        Migration(version: 1, name: "events, deliveries, attempts", sql: """
            CREATE TABLE schema_migrations (
                version    INTEGER PRIMARY KEY,
                name       TEXT    NOT NULL,
                applied_at INTEGER NOT NULL
            ) STRICT;

            CREATE TABLE events (
                id                TEXT    NOT NULL PRIMARY KEY CHECK (length(id) > 0),
                source            TEXT    NOT NULL,
                provider          TEXT    NOT NULL,
                provider_event_id TEXT    NOT NULL,
                type              TEXT    NOT NULL,
                subject           TEXT,
                time              TEXT    NOT NULL,
                received_at       INTEGER NOT NULL,
                headers           BLOB    NOT NULL,
                body              BLOB    NOT NULL,
                envelope          BLOB    NOT NULL,
                UNIQUE (source, provider_event_id)
            ) STRICT;
            CREATE INDEX events_received_at ON events (received_at);
            CREATE INDEX events_source_received_at ON events (source, received_at);

            CREATE TABLE deliveries (
                id               INTEGER PRIMARY KEY,
                event_id         TEXT    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
                route            TEXT    NOT NULL,
                destination      TEXT    NOT NULL CHECK (length(destination) > 0),
                status           TEXT    NOT NULL DEFAULT 'pending'
                                 CHECK (status IN ('pending', 'retrying', 'delivered', 'dead')),
                attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                next_attempt_at  INTEGER NOT NULL,
                lease_until      INTEGER,
                last_status_code INTEGER,
                last_error       TEXT,
                created_at       INTEGER NOT NULL,
                updated_at       INTEGER NOT NULL,
                UNIQUE (event_id, destination)
            ) STRICT;
            CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);

            CREATE TABLE attempts (
                id            INTEGER PRIMARY KEY,
                delivery_id   INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
                attempt       INTEGER NOT NULL CHECK (attempt >= 1),
                started_at    INTEGER NOT NULL,
                duration_ms   INTEGER NOT NULL CHECK (duration_ms >= 0),
                status_code   INTEGER,
                error         TEXT,
                response_head BLOB CHECK (response_head IS NULL OR length(response_head) <= 1024)
            ) STRICT;
            CREATE INDEX attempts_delivery ON attempts (delivery_id, started_at);
            """),
        // The delivery engine keeps when a delivery was first attempted (retry policies bound the total time
        // spent on one); rows attempted before this version get it from their oldest attempt.
        Migration(version: 2, name: "deliveries.first_attempt_at", sql: """
            ALTER TABLE deliveries ADD COLUMN first_attempt_at INTEGER;
            UPDATE deliveries
               SET first_attempt_at = (SELECT min(started_at) FROM attempts WHERE delivery_id = deliveries.id)
             WHERE attempts > 0;
            """),
    ]

    /// The schema version this build writes.
    static var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Brings the database to `latestVersion` (tests stop earlier with `target`), or refuses a newer one.
    /// Safe against another process migrating at the same time (the version is read inside the write
    /// transaction).
    static func migrate(_ connection: SQLiteConnection, now: Int64, through target: Int = latestVersion) throws(StoreError) {
        try connection.execute("BEGIN IMMEDIATE", context: "begin migration")
        do throws(StoreError) {
            let found = Int(try connection.integer("PRAGMA user_version", context: "read schema version"))
            if found > latestVersion {
                throw StoreError.schemaTooNew(found: found, supported: latestVersion, path: connection.path)
            }
            for migration in migrations where migration.version > found && migration.version <= target {
                try connection.execute(migration.sql, context: "migration \(migration.version)")
                let record = try connection.cachedStatement(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                    context: "record migration")
                try record.bind(Int64(migration.version), at: 1)
                try record.bind(migration.name, at: 2)
                try record.bind(now, at: 3)
                try record.run()
                record.reset()
                try connection.execute("PRAGMA user_version = \(migration.version)", context: "set schema version")
            }
            try connection.execute("COMMIT", context: "commit migration")
        } catch {
            if !connection.isAutocommit { try? connection.execute("ROLLBACK", context: "roll back migration") }
            throw error
        }
    }

    /// Checks that a read-only connection sees exactly this build's schema.
    static func verify(_ connection: SQLiteConnection) throws(StoreError) {
        let found = Int(try connection.integer("PRAGMA user_version", context: "read schema version"))
        if found > latestVersion {
            throw .schemaTooNew(found: found, supported: latestVersion, path: connection.path)
        }
        if found < latestVersion {
            throw .schemaTooOld(found: found, supported: latestVersion, path: connection.path)
        }
    }
}
