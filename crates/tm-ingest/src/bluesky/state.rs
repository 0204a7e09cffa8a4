//! What the Bluesky source keeps in the state directory so a restart misses nothing and shows
//! nothing twice: the Jetstream cursor (`time_us` of the last frame handled) in
//! `bluesky-cursor.json`, and the AT URIs of the posts delivered most recently in
//! `bluesky-delivered.json` (so a replayed post is dropped and a later delete is retracted).
//!
//! Two files because they change at very different rates: the cursor with every frame (it is
//! written at most once per save interval), the delivered list only when a post matched. Both are
//! written to a temporary name and renamed. Failures are logged and otherwise ignored, as for the
//! watch-list file: without them the source still works, it just starts live after a restart.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::model::Delivered;

const CURSOR_FILE: &str = "bluesky-cursor.json";
const DELIVERED_FILE: &str = "bluesky-delivered.json";

#[derive(Debug, Serialize, Deserialize)]
struct CursorFile {
    /// Unix microseconds (Jetstream's `time_us`) of the last frame handled.
    time_us: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct DeliveredFile {
    /// AT URIs with what became of them, oldest first.
    posts: Vec<(String, Delivered)>,
}

/// Where the cursor and the delivered list live, if anywhere.
#[derive(Debug, Clone)]
pub struct CursorStore {
    dir: Option<PathBuf>,
}

impl CursorStore {
    pub fn new(dir: Option<&Path>) -> Self {
        CursorStore {
            dir: dir.map(Path::to_path_buf),
        }
    }

    /// The stored cursor, if any.
    pub fn load_cursor(&self) -> Option<i64> {
        let file: CursorFile = self.read(CURSOR_FILE)?;
        tracing::info!(
            time_us = file.time_us,
            "loaded the Jetstream cursor from the state file"
        );
        Some(file.time_us)
    }

    /// The stored delivered list (oldest first), or nothing.
    pub fn load_delivered(&self) -> Vec<(String, Delivered)> {
        self.read::<DeliveredFile>(DELIVERED_FILE)
            .map(|f| f.posts)
            .unwrap_or_default()
    }

    pub fn save_cursor(&self, time_us: i64) {
        self.write(CURSOR_FILE, &CursorFile { time_us });
    }

    pub fn save_delivered<'a>(&self, posts: impl Iterator<Item = (&'a String, &'a Delivered)>) {
        self.write(
            DELIVERED_FILE,
            &DeliveredFile {
                posts: posts.map(|(uri, state)| (uri.clone(), *state)).collect(),
            },
        );
    }

    fn read<T: for<'de> Deserialize<'de>>(&self, name: &str) -> Option<T> {
        let path = self.dir.as_ref()?.join(name);
        match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(value) => Some(value),
                Err(err) => {
                    tracing::warn!(path = %path.display(), error = %err, "ignoring an unreadable state file");
                    None
                }
            },
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(err) => {
                tracing::warn!(path = %path.display(), error = %err, "cannot read the state file");
                None
            }
        }
    }

    fn write<T: Serialize>(&self, name: &str, value: &T) {
        let Some(dir) = &self.dir else { return };
        let path = dir.join(name);
        let result = (|| {
            std::fs::create_dir_all(dir)?;
            let tmp = path.with_extension("json.tmp");
            std::fs::write(&tmp, serde_json::to_vec(value)?)?;
            std::fs::rename(tmp, &path)
        })();
        if let Err(err) = result {
            tracing::warn!(path = %path.display(), error = %err, "cannot write the state file");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_and_the_delivered_list_survive_a_restart() {
        let dir = std::env::temp_dir().join(format!("tm-ingest-bsky-{}", uuid::Uuid::new_v4().simple()));
        let store = CursorStore::new(Some(&dir));
        assert_eq!(store.load_cursor(), None);
        assert!(store.load_delivered().is_empty());
        store.save_cursor(1_764_000_000_123_456);
        let uris = vec![
            ("at://a/app.bsky.feed.post/1".to_owned(), Delivered::Retracted),
            ("at://a/app.bsky.feed.post/2".to_owned(), Delivered::Shown),
        ];
        store.save_delivered(uris.iter().map(|(u, s)| (u, s)));
        let again = CursorStore::new(Some(&dir));
        assert_eq!(again.load_cursor(), Some(1_764_000_000_123_456));
        assert_eq!(again.load_delivered(), uris);
        assert_eq!(CursorStore::new(None).load_cursor(), None);
        let _ = std::fs::remove_dir_all(dir);
    }
}
