//! Process limits: raise the soft `RLIMIT_NOFILE` to the hard limit at start (each connection is
//! one file; this machine allows about 20k per process).

/// Raises the soft open-files limit to the hard one; returns `(soft, hard)` after the change.
pub fn raise_nofile() -> std::io::Result<(Option<u64>, Option<u64>)> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let cur = getrlimit(Resource::Nofile);
    if cur.current != cur.maximum {
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: cur.maximum,
                maximum: cur.maximum,
            },
        )?;
    }
    let now = getrlimit(Resource::Nofile);
    Ok((now.current, now.maximum))
}
