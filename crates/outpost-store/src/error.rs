use thiserror::Error;

/// Errors of the storage layer.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Opening or migrating the database failed (its own errors, other than the database's).
    #[error(transparent)]
    Open(outpost_db::DbError),
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
            e => StoreError::Open(e),
        }
    }
}
