//! tm-cms integration tests: the real service against the shared MariaDB and RabbitMQ, each
//! test in its own database and broker namespace.

// clippy.toml allows these only inside #[test] fns; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod abuse;
mod assets;
mod consumers;
mod helpers;
mod home_page;
mod join;
mod languages;
mod messages;
mod migrations;
mod moderation;
mod moderators;
mod owner_pages;
mod polls;
mod privacy;
mod qa;
mod reactions;
mod relay;
mod robustness;
mod rooms;
mod secrets;
mod site_pages;
mod source;
mod sweeper;
mod text;
mod word_filter;
