//! Storage: one diesel codebase over SQLite (embedded default) and PostgreSQL.
//!
//! The backend is chosen from the URL scheme, never by trying one after the
//! other. Queries are written once against [`DbConnection`]; dialect-specific
//! SQL appears only where it must, behind a match on the backend.

pub mod models;
pub mod schema;

use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A file path, created with its parent folder on first start.
    Sqlite(PathBuf),
    /// A libpq connection URL.
    Postgres(String),
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL `{0}`: use sqlite://path/to/file.db or postgres://user@host/database")]
    UnsupportedUrl(String),
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::PoolError),
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend, DbError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(DbError::UnsupportedUrl(url.to_owned()));
            }
            Ok(Backend::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres(url.to_owned()))
        } else {
            Err(DbError::UnsupportedUrl(url.to_owned()))
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    fn connect(&self) -> Result<DbConnection, DbError> {
        match self {
            Backend::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| DbError::Connect(format!("{}: {e}", parent.display())))?;
                }
                let location = path.to_string_lossy();
                let mut conn = SqliteConnection::establish(&location).map_err(|e| DbError::Connect(e.to_string()))?;
                // WAL lets readers run beside the writer; FULL sync makes an
                // acknowledged write survive power loss; busy_timeout turns
                // writer contention into waiting instead of errors.
                // The rest is speed, durability unchanged: reads through a
                // memory map instead of a read() per page, a page cache that
                // holds the hot index pages (32 MiB per connection instead of
                // 2 MiB), and checkpoints every 10,000 WAL pages instead of
                // 1,000, so an index page dirtied by many envelopes in a row
                // is copied back to the database file once, not each time.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                     PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = 10000;",
                )
                .map_err(|e| DbError::Connect(e.to_string()))?;
                Ok(DbConnection::Sqlite(conn))
            }
            Backend::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Postgres)
                .map_err(|e| DbError::Connect(e.to_string())),
        }
    }
}

/// r2d2 manager that connects to the backend the URL names.
pub struct Manager {
    backend: Backend,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        self.backend.connect().map_err(|e| r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(e.to_string())))
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// A pool of connections plus what kind of database is behind it.
#[derive(Clone)]
pub struct Database {
    pool: Pool,
    backend: Backend,
}

impl Database {
    pub fn connect(url: &str, pool_size: u32) -> Result<Database, DbError> {
        let backend = Backend::from_url(url)?;
        // Fail fast with the real cause rather than r2d2's generic timeout.
        drop(backend.connect()?);
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .connection_timeout(Duration::from_secs(10))
            .build(Manager { backend: backend.clone() })?;
        Ok(Database { pool, backend })
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    pub fn get(&self) -> Result<PooledConnection, DbError> {
        Ok(self.pool.get()?)
    }

    /// Apply pending migrations of this backend; returns the names applied.
    pub fn migrate(&self) -> Result<Vec<String>, DbError> {
        let mut conn = self.get()?;
        let applied = match &mut *conn {
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.iter().map(|m| m.to_string()).collect()),
            DbConnection::Postgres(c) => {
                c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.iter().map(|m| m.to_string()).collect())
            }
        };
        applied.map_err(|e| DbError::Migration(e.to_string()))
    }

    /// Run `f` in a write transaction. SQLite takes the write lock up front
    /// (`BEGIN IMMEDIATE`) so two writers never deadlock upgrading read locks.
    pub fn write<T, F>(&self, f: F) -> Result<T, crate::error::ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, crate::error::ApiError>,
    {
        let mut conn = self.get()?;
        write_tx(&mut conn, f)
    }

    /// Run `f` with a connection, no transaction.
    pub fn read<T, F>(&self, f: F) -> Result<T, crate::error::ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, crate::error::ApiError>,
    {
        let mut conn = self.get()?;
        f(&mut conn)
    }

    pub fn ping(&self) -> Result<(), DbError> {
        let mut conn = self.get()?;
        conn.batch_execute("SELECT 1")?;
        Ok(())
    }
}

pub fn write_tx<T, F>(conn: &mut DbConnection, f: F) -> Result<T, crate::error::ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, crate::error::ApiError>,
{
    match conn {
        DbConnection::Sqlite(_) => {
            conn.batch_execute("BEGIN IMMEDIATE")?;
            match f(conn) {
                Ok(v) => {
                    conn.batch_execute("COMMIT")?;
                    Ok(v)
                }
                Err(e) => {
                    // The original error matters more than a failed rollback.
                    let _ = conn.batch_execute("ROLLBACK");
                    Err(e)
                }
            }
        }
        DbConnection::Postgres(_) => conn.transaction(f),
    }
}

/// Run blocking database work off the async workers.
pub async fn blocking<T, F>(f: F) -> Result<T, crate::error::ApiError>
where
    F: FnOnce() -> Result<T, crate::error::ApiError> + Send + 'static,
    T: Send + 'static,
{
    actix_web::web::block(f).await.map_err(|e| crate::error::ApiError::internal(format!("blocking task: {e}")))?
}

/// At most this many values in one `IN (…)` list or multi-row insert's
/// binds per statement chunk: well under SQLite's bound-parameter limit.
pub const IN_LIST_CHUNK: usize = 900;

/// Current time as stored: UTC, microsecond precision on both backends.
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now();
    chrono::DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now).naive_utc()
}

pub fn to_utc(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    t.and_utc()
}

/// Lists are stored as JSON text.
pub fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

pub fn parse_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_from_url() {
        assert_eq!(Backend::from_url("sqlite://data/x.db").unwrap(), Backend::Sqlite(PathBuf::from("data/x.db")));
        assert!(matches!(Backend::from_url("postgres://u@h/d").unwrap(), Backend::Postgres(_)));
        assert!(matches!(Backend::from_url("postgresql://u@h/d").unwrap(), Backend::Postgres(_)));
        assert!(Backend::from_url("mysql://u@h/d").is_err());
        assert!(Backend::from_url("sqlite://").is_err());
        assert!(Backend::from_url("data/x.db").is_err());
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
        let names = |backend: &str| {
            let mut v: Vec<String> = std::fs::read_dir(root.join(backend))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        let sqlite = names("sqlite");
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, names("postgres"), "migrations/sqlite and migrations/postgres must hold the same migrations");
        // diesel keys a migration by the part of its name before the first `_`:
        // two folders with one version would leave the second one unapplied.
        let mut versions: Vec<&str> = sqlite.iter().map(|n| n.split('_').next().unwrap_or(n)).collect();
        versions.dedup();
        assert_eq!(versions.len(), sqlite.len(), "two migrations share a version: {sqlite:?}");
        for name in &sqlite {
            for backend in ["sqlite", "postgres"] {
                for file in ["up.sql", "down.sql"] {
                    assert!(root.join(backend).join(name).join(file).exists(), "{backend}/{name}/{file} missing");
                }
            }
        }
    }
}
