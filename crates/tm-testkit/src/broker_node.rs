//! A private RabbitMQ node for one test: its own node name, AMQP and distribution ports, data
//! directory and (empty) plugin list, so it can be killed with SIGKILL and restarted without
//! touching the shared development broker or another test's node.
//!
//! It runs Debian's `rabbitmq-server` script from the package's own `sbin` directory (the
//! `/usr/sbin` wrapper switches to the `rabbitmq` user and reads `/etc/rabbitmq`, neither of
//! which a private node may use), in its own process group, so that a kill reaches the Erlang
//! VM and its helpers and nothing else.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// Where Debian's package keeps the unwrapped server scripts (`rabbitmq_server-<version>/sbin`).
const RABBITMQ_LIB: &str = "/usr/lib/rabbitmq/lib";
/// A fresh node boots in a few seconds; a loaded machine with four builds running takes longer.
const BOOT_TIMEOUT: Duration = Duration::from_secs(90);

/// What the node listens on besides plain AMQP.
#[derive(Debug, Clone, Default)]
pub struct BrokerNodeOptions {
    /// Also an `amqps` listener with a certificate for `localhost`/127.0.0.1 signed by a CA made
    /// for this node (see [`BrokerNode::ca_file`]).
    pub tls: bool,
    /// The Erlang cookie, shared by the nodes of one cluster (see [`BrokerNode::start_cluster`]).
    pub cookie: Option<&'static str>,
}

/// A running (or killed) private broker node. Dropping it kills the node and removes its data.
pub struct BrokerNode {
    dir: PathBuf,
    node_name: String,
    amqp_port: u16,
    dist_port: u16,
    tls_port: Option<u16>,
    child: Option<Child>,
    starts: u32,
}

impl BrokerNode {
    /// Starts a node and waits until it answers AMQP.
    pub async fn start(options: BrokerNodeOptions) -> io::Result<BrokerNode> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("tm-broker-{id}"));
        std::fs::create_dir_all(&dir)?;
        let amqp_port = free_port()?;
        let dist_port = free_port()?;
        let tls_port = if options.tls {
            make_certificates(&dir.join("tls")).await?;
            Some(free_port()?)
        } else {
            None
        };
        let mut conf = format!(
            "listeners.tcp.default = 127.0.0.1:{amqp_port}\n\
             # A busy test machine must not trip the disk alarm and block publishers.\n\
             disk_free_limit.absolute = 1MB\n\
             log.console = false\n\
             log.file.level = info\n"
        );
        if let Some(port) = tls_port {
            let tls = dir.join("tls");
            conf.push_str(&format!(
                "listeners.ssl.default = 127.0.0.1:{port}\n\
                 ssl_options.cacertfile = {}\n\
                 ssl_options.certfile = {}\n\
                 ssl_options.keyfile = {}\n\
                 ssl_options.verify = verify_none\n\
                 ssl_options.fail_if_no_peer_cert = false\n",
                tls.join("ca.pem").display(),
                tls.join("server.pem").display(),
                tls.join("server.key").display(),
            ));
        }
        std::fs::write(dir.join("rabbitmq.conf"), conf)?;
        std::fs::write(dir.join("enabled_plugins"), "[].\n")?;
        std::fs::write(dir.join("rabbitmq-env.conf"), "")?;
        if let Some(cookie) = options.cookie {
            use std::os::unix::fs::PermissionsExt;
            let path = dir.join(".erlang.cookie");
            std::fs::write(&path, cookie)?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400))?;
        }
        let mut node = BrokerNode {
            dir,
            node_name: format!("tm-test-{}@localhost", &id[..12]),
            amqp_port,
            dist_port,
            tls_port,
            child: None,
            starts: 0,
        };
        node.boot().await?;
        Ok(node)
    }

    /// `size` nodes joined into one cluster (the first is the seed), each with its own ports
    /// and data directory and one shared cookie. Quorum queues declared on it get a replica
    /// on every node.
    pub async fn start_cluster(size: usize) -> io::Result<Vec<BrokerNode>> {
        // Leaked once per cluster, so options stay `'static`; a test starts one or two.
        let cookie: &'static str = Box::leak(
            uuid::Uuid::new_v4()
                .simple()
                .to_string()
                .to_uppercase()
                .into_boxed_str(),
        );
        let mut nodes = Vec::with_capacity(size);
        for _ in 0..size.max(1) {
            let options = BrokerNodeOptions {
                cookie: Some(cookie),
                ..BrokerNodeOptions::default()
            };
            nodes.push(BrokerNode::start(options).await?);
        }
        let seed = nodes[0].node_name.clone();
        for node in &nodes[1..] {
            node.ctl(&["stop_app"]).await?;
            node.ctl(&["join_cluster", &seed]).await?;
            node.ctl(&["start_app"]).await?;
        }
        for node in &nodes {
            let deadline = tokio::time::Instant::now() + BOOT_TIMEOUT;
            while !speaks_amqp(node.amqp_addr()).await {
                if tokio::time::Instant::now() > deadline {
                    return Err(io::Error::other(format!(
                        "{} did not come back after joining",
                        node.node_name
                    )));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        Ok(nodes)
    }

    /// The node's name (`tm-test-…@localhost`).
    pub fn node_name(&self) -> &str {
        &self.node_name
    }

    /// Runs `rabbitmqctl <args>` against this node (as this node's user: its cookie).
    pub async fn ctl(&self, args: &[&str]) -> io::Result<String> {
        let script = server_script()?.with_file_name("rabbitmqctl");
        let out = Command::new(script)
            .arg("-n")
            .arg(&self.node_name)
            .args(args)
            .env("HOME", &self.dir)
            .env("RABBITMQ_CONF_ENV_FILE", self.dir.join("rabbitmq-env.conf"))
            .current_dir(&self.dir)
            .output()
            .await?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "rabbitmqctl {}: {}{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `amqp://guest:guest@127.0.0.1:<port>/%2f`.
    pub fn amqp_url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.amqp_port)
    }

    /// The plain AMQP listener's address.
    pub fn amqp_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.amqp_port))
    }

    /// `amqps://guest:guest@localhost:<port>/%2f` when started with TLS.
    pub fn amqps_url(&self) -> Option<String> {
        self.tls_port
            .map(|port| format!("amqps://guest:guest@localhost:{port}/%2f"))
    }

    /// The PEM file of the CA that signed the node's TLS certificate.
    pub fn ca_file(&self) -> Option<PathBuf> {
        self.tls_port.map(|_| self.dir.join("tls").join("ca.pem"))
    }

    /// The node's own log (for failure messages).
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(self.log_dir().join(format!("{}.log", self.node_name))).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// SIGKILL to the whole node (the Erlang VM and its helpers): a crash, nothing flushed.
    pub async fn kill(&mut self) -> io::Result<()> {
        self.signal(Signal::SIGKILL).await
    }

    /// SIGTERM: the node shuts down cleanly.
    pub async fn stop(&mut self) -> io::Result<()> {
        self.signal(Signal::SIGTERM).await
    }

    /// Starts the node again on the same ports and data directory.
    pub async fn restart(&mut self) -> io::Result<()> {
        if self.child.is_some() {
            return Err(io::Error::other("the node is still running"));
        }
        self.boot().await
    }

    fn log_dir(&self) -> PathBuf {
        self.dir.join("log")
    }

    async fn signal(&mut self, signal: Signal) -> io::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Err(io::Error::other("the node is not running"));
        };
        if let Some(id) = child.id() {
            let group = Pid::from_raw(i32::try_from(id).map_err(io::Error::other)?);
            killpg(group, signal).map_err(io::Error::other)?;
        }
        tokio::time::timeout(BOOT_TIMEOUT, child.wait())
            .await
            .map_err(|_| io::Error::other("the node did not exit"))??;
        // The VM's helpers (erl_child_setup, inet_gethost) die with the group; wait for the
        // listener to be gone so that a restart can bind the same port.
        let deadline = tokio::time::Instant::now() + BOOT_TIMEOUT;
        while TcpStream::connect(self.amqp_addr()).await.is_ok() {
            if tokio::time::Instant::now() > deadline {
                return Err(io::Error::other("the node's port stays open after it exited"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }

    async fn boot(&mut self) -> io::Result<()> {
        self.starts += 1;
        let script = server_script()?;
        let output = std::fs::File::create(self.dir.join(format!("console-{}.log", self.starts)))?;
        let dir = &self.dir;
        let mut command = Command::new(script);
        command
            .env("HOME", dir) // the Erlang cookie goes here, not into ~root
            .env("RABBITMQ_NODENAME", &self.node_name)
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODE_PORT", self.amqp_port.to_string())
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            .env("RABBITMQ_CONF_ENV_FILE", dir.join("rabbitmq-env.conf"))
            .env("RABBITMQ_CONFIG_FILE", dir.join("rabbitmq.conf"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", dir.join("enabled_plugins"))
            .env("RABBITMQ_MNESIA_BASE", dir.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", self.log_dir())
            .env("RABBITMQ_PLUGINS_EXPAND_DIR", dir.join("plugins-expand"))
            .env("RABBITMQ_PID_FILE", dir.join("pid"))
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output)
            .process_group(0)
            .kill_on_drop(true);
        let mut child = command.spawn()?;
        let deadline = tokio::time::Instant::now() + BOOT_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait()? {
                return Err(io::Error::other(format!(
                    "rabbitmq-server {} exited during boot with {status}:\n{}",
                    self.node_name,
                    self.log_tail(30)
                )));
            }
            if speaks_amqp(self.amqp_addr()).await {
                break;
            }
            if tokio::time::Instant::now() > deadline {
                let _ = child.id().map(|id| killpg(Pid::from_raw(id as i32), Signal::SIGKILL));
                return Err(io::Error::other(format!(
                    "rabbitmq-server {} not answering within {BOOT_TIMEOUT:?}:\n{}",
                    self.node_name,
                    self.log_tail(30)
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        self.child = Some(child);
        Ok(())
    }
}

impl Drop for BrokerNode {
    fn drop(&mut self) {
        if let Some(id) = self.child.as_ref().and_then(Child::id) {
            let _ = killpg(Pid::from_raw(id as i32), Signal::SIGKILL);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn server_script() -> io::Result<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(RABBITMQ_LIB)
        .map_err(|e| io::Error::new(e.kind(), format!("{RABBITMQ_LIB}: {e} (is rabbitmq-server installed?)")))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("rabbitmq_server-"))
        })
        .map(|p| p.join("sbin").join("rabbitmq-server"))
        .filter(|p| p.exists())
        .collect();
    candidates.sort();
    candidates.pop().ok_or_else(|| {
        io::Error::other(format!(
            "no rabbitmq_server-*/sbin/rabbitmq-server under {RABBITMQ_LIB}"
        ))
    })
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// True once the listener answers the AMQP 0-9-1 header with its first frame.
async fn speaks_amqp(addr: SocketAddr) -> bool {
    let probe = async {
        let mut socket = TcpStream::connect(addr).await?;
        socket.write_all(b"AMQP\x00\x00\x09\x01").await?;
        let mut first = [0u8; 1];
        Ok::<_, io::Error>(socket.read(&mut first).await? == 1)
    };
    matches!(tokio::time::timeout(Duration::from_secs(2), probe).await, Ok(Ok(true)))
}

/// A CA and a server certificate for `localhost` and 127.0.0.1 signed by it (rustls refuses a
/// self-signed CA certificate as the server's own), made with the `openssl` command.
async fn make_certificates(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )?;
    let steps: [&[&str]; 3] = [
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=tm test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ],
    ];
    for args in steps {
        let out = Command::new("openssl").args(args).current_dir(dir).output().await?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "openssl {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
    }
    Ok(())
}
