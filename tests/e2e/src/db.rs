//! One database per test, created and dropped with the `mariadb` client.
//!
//! The e2e crate deliberately has no database driver: only tm-cms talks SQL. The command-line
//! client is part of the MariaDB packages `scripts/dev-services.sh` installs.

use std::process::Command;

use anyhow::{bail, Context};

/// Where the shared test server is; `TM_TEST_DATABASE_URL` may point elsewhere.
pub fn server_url() -> String {
    tm_testkit::database_url()
}

/// A database that is dropped when this value is.
pub struct TestDatabase {
    pub name: String,
}

impl TestDatabase {
    pub fn create() -> anyhow::Result<Self> {
        let name = format!("tm_e2e_{}", uuid::Uuid::new_v4().simple());
        sql(&format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        ))?;
        Ok(TestDatabase { name })
    }

    /// The URL tm-cms should use, through `via` (a proxy address) or directly.
    pub fn url_via(&self, via: Option<std::net::SocketAddr>) -> String {
        let direct = tm_testkit::database_url_for(&self.name);
        let url = via.map_or_else(|| direct.clone(), |addr| tm_testkit::url_via(&direct, addr));
        // mysql_async would switch to the Unix socket for 127.0.0.1, bypassing any proxy.
        format!("{url}?prefer_socket=false")
    }

    /// Runs a query in this database and returns the rows, tab-separated.
    pub fn query(&self, query: &str) -> anyhow::Result<Vec<Vec<String>>> {
        let out = client()
            .args(["--batch", "--skip-column-names", "-D", &self.name, "-e", query])
            .output()?;
        if !out.status.success() {
            bail!("query failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split('\t').map(str::to_owned).collect())
            .collect())
    }

    /// A single number from a `SELECT COUNT(*)`-like query.
    pub fn count(&self, query: &str) -> anyhow::Result<u64> {
        let rows = self.query(query)?;
        let cell = rows.first().and_then(|r| r.first()).context("no rows")?;
        Ok(cell.parse()?)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = drop_database(&self.name);
    }
}

/// Drops a database some other process created for a test.
pub fn drop_database(name: &str) -> anyhow::Result<()> {
    sql(&format!("DROP DATABASE IF EXISTS `{name}`"))
}

/// `user[:password]` of a `mysql://` URL (`root` when it names none).
fn user_of(url: &str) -> String {
    let rest = url.trim_start_matches("mysql://");
    let rest = rest.split('/').next().unwrap_or(rest);
    rest.rsplit_once('@')
        .map_or_else(|| "root".to_owned(), |(user, _)| user.to_owned())
}

fn client() -> Command {
    let user = user_of(&server_url());
    let (user, password) = user
        .split_once(':')
        .map(|(u, p)| (u.to_owned(), Some(p.to_owned())))
        .unwrap_or((user, None));
    let server = tm_testkit::database_addr();
    let (host, port) = (server.ip().to_string(), server.port().to_string());
    let mut cmd = Command::new("mariadb");
    cmd.args(["-h", &host, "-P", &port, "-u", &user, "--protocol=TCP"]);
    if let Some(p) = password {
        cmd.arg(format!("-p{p}"));
    }
    cmd
}

fn sql(statement: &str) -> anyhow::Result<()> {
    let out = client()
        .args(["-e", statement])
        .output()
        .context("running the mariadb client")?;
    if !out.status.success() {
        bail!("{statement}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}
