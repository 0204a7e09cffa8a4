//! The optional state file: the last watch list, so a restart can reconcile and subscribe
//! before the CMS answers the snapshot request (or while it is down).
//!
//! One small JSON file, written to a temporary name and renamed, so a crash mid-write leaves
//! the old file intact. Failures are logged and otherwise ignored: the state file is a
//! convenience, the durable queue plus the snapshot are the source of truth.

use std::path::{Path, PathBuf};

use crate::watch::WatchList;

const FILE_NAME: &str = "watchlist.json";

/// Where the watch list is kept, if anywhere.
#[derive(Debug, Clone)]
pub struct StateStore {
    path: Option<PathBuf>,
}

impl StateStore {
    pub fn new(dir: Option<&Path>) -> Self {
        StateStore {
            path: dir.map(|d| d.join(FILE_NAME)),
        }
    }

    /// The stored list, or an empty (incomplete) one.
    pub fn load(&self) -> WatchList {
        let Some(path) = &self.path else {
            return WatchList::default();
        };
        match std::fs::read(path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(list) => {
                    tracing::info!(path = %path.display(), "loaded the watch list from the state file");
                    list
                }
                Err(err) => {
                    tracing::warn!(path = %path.display(), error = %err, "ignoring an unreadable state file");
                    WatchList::default()
                }
            },
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => WatchList::default(),
            Err(err) => {
                tracing::warn!(path = %path.display(), error = %err, "cannot read the state file");
                WatchList::default()
            }
        }
    }

    /// Saves the list (best effort).
    pub fn save(&self, list: &WatchList) {
        let Some(path) = &self.path else { return };
        if let Err(err) = write_atomically(path, list) {
            tracing::warn!(path = %path.display(), error = %err, "cannot write the state file");
        }
    }
}

fn write_atomically(path: &Path, list: &WatchList) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(list)?)?;
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_list_comes_back_after_a_restart() {
        let dir = std::env::temp_dir().join(format!("tm-ingest-state-{}", std::process::id()));
        let store = StateStore::new(Some(&dir));
        let list = WatchList::from_rooms([(42, vec!["optics"])]).completed();
        store.save(&list);
        assert_eq!(StateStore::new(Some(&dir)).load(), list);
        assert!(!StateStore::new(None).load().is_complete());
        let _ = std::fs::remove_dir_all(dir);
    }
}
