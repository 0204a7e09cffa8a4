//! Command line: `tm-cms [-c FILE] [serve [--no-migrate] | migrate | check-config [--print] | admin (create|delete) USER]`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// tm's content service: rooms, messages, the event log and the JSON API.
///
/// Settings come from built-in defaults, /etc/tm/cms.toml, --config and TM_CMS__SECTION__KEY
/// environment variables (see docs/configuration-cms.md).
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub struct Cli {
    /// An extra TOML settings file (must exist).
    #[arg(long, short, global = true, env = "TM_CMS_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the JSON API and run the relay, consumers and sweeper (the default).
    Serve {
        /// Do not apply pending migrations on start.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Validate the configuration (defaults, files, environment, credentials) and exit.
    CheckConfig {
        /// Also print the settings in force, with secrets and passwords hidden.
        #[arg(long)]
        print: bool,
    },
    /// Manage site admins.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an admin (or reset their password, which signs them out everywhere); the
    /// password is read from standard input.
    Create {
        /// The admin's user name.
        user: String,
    },
    /// Delete an admin; their sessions end at once.
    Delete {
        /// The admin's user name.
        user: String,
    },
}
