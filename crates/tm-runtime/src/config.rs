//! Layered, typed configuration.
//!
//! Order, later wins: the service's embedded defaults → `/etc/tm/<service>.toml` if present →
//! the file given with `--config` (must exist) → environment `TM_<SERVICE>__<SECTION>__<KEY>`.
//! Settings structs use `#[serde(deny_unknown_fields)]`, so a misspelt key is an error rather
//! than a silently ignored line. The prefix names the service so that one shell (or one
//! systemd environment file) can hold settings for all three services without collisions.

use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use serde::de::DeserializeOwned;

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {path} does not exist")]
    MissingFile { path: PathBuf },
    #[error("invalid configuration: {0}")]
    Invalid(#[from] config::ConfigError),
    #[error("credential file {path} is empty (a required secret; fill it or remove it)")]
    EmptyCredential { path: PathBuf },
}

/// Where to read settings from, besides the built-in defaults.
#[derive(Debug, Clone)]
pub struct ConfigSources<'a> {
    /// Lower-case service name: `cms`, `gateway`, `ingest`.
    pub service: &'a str,
    /// The embedded defaults file (TOML).
    pub defaults: &'a str,
    /// The system-wide file; `None` skips it (tests).
    pub system_file: Option<PathBuf>,
    /// An explicit file, e.g. from `--config`.
    pub file: Option<&'a Path>,
    /// Read `TM_<SERVICE>__…` variables.
    pub environment: bool,
    /// Dotted keys (`http.allowed_origins`) whose environment value is a comma-separated list.
    pub list_keys: &'a [&'a str],
    /// `(credential file, dotted key)`: a non-empty file of that name in `credentials_dir`
    /// overrides the key. This is how systemd's `LoadCredential=` hands secrets over without
    /// putting them in the unit, the environment or a world-readable file.
    pub credentials: &'a [(&'a str, &'a str)],
    /// Credential names (of `credentials`) whose file may be empty, meaning "not set": the
    /// optional ones, for which the unit's `SetCredential=` fallback is a lone newline. An empty
    /// file of any other credential is an error: an operator meant to set a secret and did not.
    pub optional_credentials: &'a [&'a str],
    /// Where credential files are; `standard` takes `$CREDENTIALS_DIRECTORY`.
    pub credentials_dir: Option<PathBuf>,
}

impl<'a> ConfigSources<'a> {
    /// The production order for `service`.
    pub fn standard(service: &'a str, defaults: &'a str, file: Option<&'a Path>) -> Self {
        ConfigSources {
            service,
            defaults,
            system_file: Some(PathBuf::from(format!("/etc/tm/{service}.toml"))),
            file,
            environment: true,
            list_keys: &[],
            credentials: &[],
            optional_credentials: &[],
            credentials_dir: std::env::var_os("CREDENTIALS_DIRECTORY").map(PathBuf::from),
        }
    }

    /// Declares which settings may come from credential files.
    pub fn with_credentials(mut self, credentials: &'a [(&'a str, &'a str)]) -> Self {
        self.credentials = credentials;
        self
    }

    /// Declares which credentials may be empty (optional, with a `SetCredential=` fallback).
    pub fn with_optional_credentials(mut self, names: &'a [&'a str]) -> Self {
        self.optional_credentials = names;
        self
    }

    /// Declares which settings are lists when given in the environment.
    pub fn with_list_keys(mut self, keys: &'a [&'a str]) -> Self {
        self.list_keys = keys;
        self
    }

    /// The environment variable prefix, e.g. `TM_CMS`.
    pub fn env_prefix(&self) -> String {
        format!("TM_{}", self.service.to_ascii_uppercase())
    }
}

/// Loads and validates settings of type `T`.
pub fn load_config<T: DeserializeOwned>(sources: &ConfigSources<'_>) -> Result<T, ConfigError> {
    let mut builder = Config::builder().add_source(File::from_str(sources.defaults, FileFormat::Toml));
    if let Some(system) = &sources.system_file {
        builder = builder.add_source(File::from(system.as_path()).required(false));
    }
    if let Some(file) = sources.file {
        if !file.exists() {
            return Err(ConfigError::MissingFile {
                path: file.to_path_buf(),
            });
        }
        builder = builder.add_source(File::from(file).required(true));
    }
    if sources.environment {
        let mut env = Environment::with_prefix(&sources.env_prefix())
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true);
        if !sources.list_keys.is_empty() {
            env = env.list_separator(",");
            for key in sources.list_keys {
                env = env.with_list_parse_key(key);
            }
        }
        builder = builder.add_source(env);
    }
    if let Some(dir) = &sources.credentials_dir {
        for (name, key) in sources.credentials {
            let path = dir.join(name);
            let Ok(value) = std::fs::read_to_string(&path) else {
                continue;
            };
            // An empty optional credential (systemd's `SetCredential=` fallback) means "not
            // set"; an empty required one would silently leave the built-in default in place.
            let value = value.trim_end_matches(['\n', '\r']);
            if !value.is_empty() {
                builder = builder.set_override(*key, value)?;
            } else if !sources.optional_credentials.contains(name) {
                return Err(ConfigError::EmptyCredential { path });
            }
        }
    }
    Ok(builder.build()?.try_deserialize()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Settings {
        http: Http,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Http {
        bind: String,
        workers: u16,
    }

    const DEFAULTS: &str = "[http]\nbind = \"127.0.0.1:8080\"\nworkers = 2\n";

    fn sources(file: Option<&Path>) -> ConfigSources<'_> {
        ConfigSources {
            service: "unittest",
            defaults: DEFAULTS,
            system_file: None,
            file,
            environment: false,
            list_keys: &[],
            credentials: &[],
            optional_credentials: &[],
            credentials_dir: None,
        }
    }

    #[test]
    fn defaults_alone_load() {
        let s: Settings = load_config(&sources(None)).unwrap();
        assert_eq!(s.http.bind, "127.0.0.1:8080");
        assert_eq!(s.http.workers, 2);
    }

    #[test]
    fn a_file_overrides_defaults_and_unknown_keys_are_rejected() {
        let dir = std::env::temp_dir().join(format!("tm-runtime-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(&good, "[http]\nworkers = 8\n").unwrap();
        let s: Settings = load_config(&sources(Some(&good))).unwrap();
        assert_eq!((s.http.bind.as_str(), s.http.workers), ("127.0.0.1:8080", 8));

        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "[http]\nworkerz = 8\n").unwrap();
        let err = load_config::<Settings>(&sources(Some(&bad))).unwrap_err();
        assert!(err.to_string().contains("workerz"), "{err}");
    }

    #[test]
    fn credential_files_override_and_only_optional_ones_may_be_empty() {
        let dir = std::env::temp_dir().join(format!("tm-runtime-creds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("bind"), "10.0.0.1:80\n").unwrap();
        std::fs::write(dir.join("workers"), "\n").unwrap();
        let src = ConfigSources {
            credentials: &[("bind", "http.bind"), ("workers", "http.workers"), ("absent", "http.x")],
            optional_credentials: &["workers"],
            credentials_dir: Some(dir.clone()),
            ..sources(None)
        };
        let s: Settings = load_config(&src).unwrap();
        assert_eq!(s.http.bind, "10.0.0.1:80", "trailing newline trimmed");
        assert_eq!(
            s.http.workers, 2,
            "an empty optional credential leaves the setting alone"
        );

        let required = ConfigSources {
            optional_credentials: &[],
            ..src
        };
        let err = load_config::<Settings>(&required).unwrap_err();
        assert!(
            matches!(&err, ConfigError::EmptyCredential { path } if path.ends_with("workers")),
            "{err}"
        );
    }

    #[test]
    fn a_missing_explicit_file_is_an_error() {
        let missing = Path::new("/nonexistent/tm.toml");
        assert!(matches!(
            load_config::<Settings>(&sources(Some(missing))),
            Err(ConfigError::MissingFile { .. })
        ));
    }

    #[test]
    fn declared_list_keys_split_on_commas() {
        #[derive(Debug, Deserialize)]
        struct WithList {
            http: ListHttp,
        }
        #[derive(Debug, Deserialize)]
        struct ListHttp {
            origins: Vec<String>,
            bind: String,
        }
        std::env::set_var("TM_LISTTEST__HTTP__ORIGINS", "http://a:1,http://b:2");
        std::env::set_var("TM_LISTTEST__HTTP__BIND", "127.0.0.1:1,2");
        let src = ConfigSources {
            service: "listtest",
            defaults: "[http]\norigins = []\nbind = \"x\"\n",
            environment: true,
            list_keys: &["http.origins"],
            ..sources(None)
        };
        let s: WithList = load_config(&src).unwrap();
        assert_eq!(s.http.origins, vec!["http://a:1", "http://b:2"]);
        assert_eq!(s.http.bind, "127.0.0.1:1,2", "only declared keys are split");
    }

    #[test]
    fn environment_overrides_with_service_prefix() {
        // A prefix no other test uses, so parallel tests do not see it.
        std::env::set_var("TM_ENVTEST__HTTP__WORKERS", "5");
        std::env::set_var("TM_OTHER__HTTP__WORKERS", "9");
        let src = ConfigSources {
            service: "envtest",
            environment: true,
            ..sources(None)
        };
        let s: Settings = load_config(&src).unwrap();
        assert_eq!(s.http.workers, 5);
    }
}
