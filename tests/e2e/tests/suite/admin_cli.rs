//! The operator's side: `tm-cms admin create` (password on stdin), admin sign-in and static
//! pages in a real browser, and `check-config` on every binary.

use std::io::Write;
use std::process::{Command, Stdio};

use fantoccini::Locator;
use tm_e2e::browser::{Browser, BrowserOptions};
use tm_e2e::services::{binary_path, Kind};
use tm_e2e::system::{System, Topology};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_created_on_the_command_line_signs_in_and_publishes_a_sanitised_page() {
    let system = System::start(Topology::default()).await.unwrap();
    create_admin(&system, "ada", "correct horse battery staple");
    let stored = system
        .db
        .query("SELECT username, password_hash FROM admin_users")
        .unwrap();
    assert_eq!(stored[0][0], "ada");
    assert!(
        stored[0][1].starts_with("$argon2id$"),
        "the password is stored as an argon2 hash"
    );

    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    let client = &browser.client;
    let base = system.cms_url(0);
    client.goto(&format!("{base}/admin")).await.unwrap();
    sign_in(client, "ada", "wrong password!!").await;
    let error = client
        .wait()
        .for_element(Locator::Css(".notice.bad"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(error.contains("Wrong user or password"), "{error}");
    sign_in(client, "ada", "correct horse battery staple").await;
    client
        .wait()
        .for_element(Locator::Css("a[href='/admin/pages/new']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("input[name=slug]"))
        .await
        .unwrap()
        .send_keys("about")
        .await
        .unwrap();
    client
        .find(Locator::Css("input[name=title]"))
        .await
        .unwrap()
        .send_keys("About tm")
        .await
        .unwrap();
    client
        .find(Locator::Css("textarea[name=body]"))
        .await
        .unwrap()
        .send_keys("# Hello\n\n<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">")
        .await
        .unwrap();
    client
        .find(Locator::Css("form[action='/admin/pages'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Navigating away before the save's redirect lands would cancel the POST under load: wait
    // for the admin page it redirects to.
    let admin_page = format!("{base}/admin").parse().unwrap();
    client.wait().for_url(&admin_page).await.unwrap();
    client.goto(&format!("{base}/p/about")).await.unwrap();
    let heading = client
        .wait()
        .for_element(Locator::Css("article h1 + h1, article h1:nth-of-type(2)"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(heading, "Hello", "Markdown rendered");
    let dangerous = client
        .execute(
            "return document.querySelectorAll('article script, article img[onerror]').length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(dangerous, serde_json::json!(0), "ammonia removed script and handlers");
    assert!(!client.title().await.unwrap().contains("pwned"));
    browser.close().await.unwrap();
    system.shutdown().await.unwrap();
}

/// `tm-cms admin create <user>` against the system's database, the password on stdin.
pub(crate) fn create_admin(system: &System, user: &str, password: &str) {
    let mut create = Command::new(binary_path(Kind::Cms).unwrap())
        .args(["admin", "create", user])
        .env("TM_CMS__DATABASE__URL", system.db.url_via(None))
        // The CLI loads the same settings as the service, which refuse the development secret.
        .env("TM_CMS__JOIN__SECRET", system.join_secret())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    create
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    let out = create.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Fills and sends the admin sign-in form.
pub(crate) async fn sign_in(client: &fantoccini::Client, user: &str, password: &str) {
    client
        .find(Locator::Css("input[name=username]"))
        .await
        .unwrap()
        .send_keys(user)
        .await
        .unwrap();
    client
        .find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    client
        .find(Locator::Css("form[action='/admin/login'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[test]
fn check_config_accepts_good_settings_and_names_the_bad_key() {
    for kind in [Kind::Cms, Kind::Gateway, Kind::Ingest] {
        let binary = binary_path(kind).unwrap();
        // The built-in defaults carry the public development secret: good only in dev_mode.
        // (tm-ingest has no shared secret and no dev_mode.)
        let mut good = Command::new(&binary);
        good.arg("check-config").env_clear();
        if kind != Kind::Ingest {
            good.env(format!("{}__DEV_MODE", kind.env_prefix()), "true");
        }
        let good = good.output().unwrap();
        assert!(
            good.status.success(),
            "{}: {}",
            kind.binary(),
            String::from_utf8_lossy(&good.stderr)
        );
        assert!(String::from_utf8_lossy(&good.stdout).contains("configuration is valid"));
        if kind != Kind::Ingest {
            let production = Command::new(&binary).arg("check-config").env_clear().output().unwrap();
            assert_eq!(
                production.status.code(),
                Some(78),
                "{} refuses the development secret outside dev_mode",
                kind.binary()
            );
        }

        let bad = Command::new(&binary)
            .arg("check-config")
            .env_clear()
            .env(format!("{}__HTTP__BINDD", kind.env_prefix()), "127.0.0.1:1")
            .output()
            .unwrap();
        assert_eq!(
            bad.status.code(),
            Some(78),
            "{} exits EX_CONFIG on a bad key",
            kind.binary()
        );
        assert!(
            String::from_utf8_lossy(&bad.stderr).contains("bindd"),
            "{}: {}",
            kind.binary(),
            String::from_utf8_lossy(&bad.stderr)
        );

        let help = Command::new(&binary).arg("--help").output().unwrap();
        assert!(help.status.success() && String::from_utf8_lossy(&help.stdout).contains("check-config"));
        let version = Command::new(&binary).arg("--version").output().unwrap();
        assert!(String::from_utf8_lossy(&version.stdout).contains(env!("CARGO_PKG_VERSION")));
    }
}

#[test]
fn every_binary_takes_its_config_file_from_c_or_the_environment_and_prints_settings_without_secrets() {
    let file = std::env::temp_dir().join(format!("tm-check-config-{}.toml", uuid::Uuid::new_v4().simple()));
    std::fs::write(
        &file,
        "[bus]\nurl = \"amqp://tm:hunter2-bus-password@broker.invalid/%2f\"\nprefix = \"from-file.\"\n",
    )
    .unwrap();
    for kind in [Kind::Cms, Kind::Gateway, Kind::Ingest] {
        let binary = binary_path(kind).unwrap();
        // The defaults' development join secret is accepted only in dev_mode (not in tm-ingest).
        let command = || {
            let mut command = Command::new(&binary);
            command.env_clear();
            if kind != Kind::Ingest {
                command.env(format!("{}__DEV_MODE", kind.env_prefix()), "true");
            }
            command
        };
        let by_flag = command()
            .args(["-c", file.to_str().unwrap(), "check-config", "--print"])
            .output()
            .unwrap();
        let by_env = command()
            .args(["check-config", "--print"])
            .env(format!("{}_CONFIG", kind.env_prefix()), &file)
            .output()
            .unwrap();
        for (how, out) in [("-c", by_flag), ("environment", by_env)] {
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{} {how}: {}",
                kind.binary(),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                stdout.contains("\"from-file.\""),
                "{} {how} read the file: {stdout}",
                kind.binary()
            );
            assert!(
                !stdout.contains("hunter2"),
                "{} {how} hides the password: {stdout}",
                kind.binary()
            );
            assert!(stdout.contains("[redacted]"), "{} {how}: {stdout}", kind.binary());
        }
    }
    std::fs::remove_file(&file).unwrap();
}
