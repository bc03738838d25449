//! A store error as the engine answers it: its [`ErrorKind`].

use super::StoreError;
use crate::domain::{EngineError, ErrorKind};

impl StoreError {
    /// What kind of failure this is, for the window and the command line.
    pub fn kind(&self) -> ErrorKind {
        match self {
            StoreError::Invalid(_) | StoreError::Duplicate { .. } => ErrorKind::Invalid,
            StoreError::NotFound { .. } => ErrorKind::NotFound,
            StoreError::Io { .. } => ErrorKind::File,
            StoreError::Secret(_) => ErrorKind::Keyring,
            StoreError::DiskFull { .. }
            | StoreError::Busy { .. }
            | StoreError::SchemaTooNew { .. }
            | StoreError::Damaged { .. }
            | StoreError::NoDataDir
            | StoreError::Unreadable(_)
            | StoreError::Migration(_)
            | StoreError::Sqlite(_) => ErrorKind::Store,
        }
    }
}

impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> EngineError {
        EngineError::of(e.kind(), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_and_a_broken_database_are_different_kinds() {
        assert_eq!(StoreError::Invalid("x".into()).kind(), ErrorKind::Invalid);
        assert_eq!(
            EngineError::from(StoreError::Busy {
                detail: "locked".into()
            })
            .kind,
            ErrorKind::Store
        );
    }
}
