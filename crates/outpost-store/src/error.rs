use thiserror::Error;

/// Errors of the storage layer.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot use database directory {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("unsupported database URL {0:?} (expected postgres://… or sqlite://PATH)")]
    BadUrl(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    Conflict(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("invalid input: {0}")]
    Invalid(String),
}

impl From<outpost_db::DbError> for StoreError {
    fn from(e: outpost_db::DbError) -> Self {
        match e {
            outpost_db::DbError::Db(e) => StoreError::Db(e),
            outpost_db::DbError::Migrate(e) => StoreError::Migrate(e),
            outpost_db::DbError::Io { path, source } => StoreError::Io { path, source },
            outpost_db::DbError::BadUrl(u) => StoreError::BadUrl(u),
        }
    }
}
