//! Issue 13, secrets: the join secret's rules at start-up, keys derived per purpose, and admin
//! sessions that can be revoked.

use std::process::Command;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use sha2::Sha256;

use crate::helpers::{spawn_app, TestApp, JOIN_SECRET};

const ADMIN: &str = "ada";
const PASSWORD: &str = "correct horse battery staple";

/// `tm-cms <args>` with only the given environment (no TM_* from the shell).
fn tm_cms(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tm-cms"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn weak_empty_and_development_secrets_stop_check_config_and_start_with_ex_config() {
    let credentials = std::env::temp_dir().join(format!("tm-cms-creds-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&credentials).unwrap();
    std::fs::write(credentials.join("join-token-secret"), "\n").unwrap();
    let empty_dir = credentials.display().to_string();
    // (what is wrong, the environment that makes it so, what the error names)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: [Case; 3] = [
        ("the development default", vec![], "development default"),
        (
            "a short secret",
            vec![("TM_CMS__JOIN__SECRET", "only-31-bytes-long-0123456789ab")],
            "at least 32 bytes",
        ),
        (
            "an empty credential file",
            vec![("CREDENTIALS_DIRECTORY", empty_dir.as_str())],
            "join-token-secret",
        ),
    ];
    for (what, env, says) in &cases {
        // `serve` must stop before it touches the database or the broker: point both nowhere.
        let mut env = env.clone();
        env.extend([
            ("TM_CMS__DATABASE__URL", "mysql://nobody@127.0.0.1:1/none"),
            ("TM_CMS__BUS__URL", "amqp://nobody:x@127.0.0.1:1/%2f"),
        ]);
        for command in ["check-config", "serve"] {
            let out = tm_cms(&[command], &env);
            assert_eq!(out.status.code(), Some(78), "{command} with {what}: {}", stderr(&out));
            assert!(stderr(&out).contains(says), "{command} with {what}: {}", stderr(&out));
        }
    }
    let dev = tm_cms(&["check-config"], &[("TM_CMS__DEV_MODE", "true")]);
    assert!(
        dev.status.success(),
        "development mode takes the default: {}",
        stderr(&dev)
    );
    let real = tm_cms(&["check-config"], &[("TM_CMS__JOIN__SECRET", JOIN_SECRET)]);
    assert!(real.status.success(), "a real secret: {}", stderr(&real));
    let _ = std::fs::remove_dir_all(credentials);
}

/// A client that keeps no cookies and follows no redirects: the test hands cookies over itself.
fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn create_admin(app: &TestApp, user: &str, password: &str) {
    let pool = tm_cms::engine::db::pool(&app.db_url, 1, std::time::Duration::from_secs(10)).unwrap();
    tm_cms::engine::admins::create_or_reset(&pool, user, password)
        .await
        .unwrap();
}

/// Signs in through the form; the `tm_admin=…` cookie it sets.
async fn sign_in(app: &TestApp, user: &str, password: &str) -> Option<String> {
    let response = plain_client()
        .post(app.url("/admin/login"))
        .form(&[("username", user), ("password", password)])
        .send()
        .await
        .unwrap();
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tm_admin="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// Whether `cookie` opens the admin page (the login form is all others get).
async fn is_admin(app: &TestApp, cookie: &str) -> bool {
    let response = plain_client()
        .get(app.url("/admin"))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap();
    let page = response.text().await.unwrap();
    let admin = page.contains("href=\"/admin/pages/new\"");
    assert!(
        admin || page.contains("action=\"/admin/login\""),
        "neither the admin page nor the login form"
    );
    admin
}

/// A `tm_admin` value made the way the CMS signs cookies, with `key`.
fn forge(key: &[u8], payload: &str) -> String {
    format!("tm_admin={}", sign(key, "admin", payload))
}

/// `payload.expiry.signature` as `web::cookies::sign` makes it, valid for an hour.
fn sign(key: &[u8], purpose: &str, payload: &str) -> String {
    let expires = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(format!("{purpose}|{payload}|{expires}").as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{}.{expires}.{signature}", URL_SAFE_NO_PAD.encode(payload))
}

#[tokio::test]
async fn an_access_cookie_signed_with_the_old_cookie_key_opens_nothing() {
    let app = spawn_app().await;
    let vault = app
        .create_room_from(serde_json::json!({"name": "old-key-vault", "lifetime": "2h", "password": "pw-one"}))
        .await;
    let old_key = format!("tm-cms cookies|{JOIN_SECRET}");
    let forged = sign(old_key.as_bytes(), "access", &vault.id.to_string());
    let response = plain_client()
        .get(app.url("/r/old-key-vault"))
        .header("Cookie", format!("tm_access_{}={forged}", vault.id))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "the password page, not the room"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_admin_cookie_signed_with_the_join_secret_or_its_old_derivation_is_refused() {
    let app = spawn_app().await;
    create_admin(&app, ADMIN, PASSWORD).await;
    let genuine = sign_in(&app, ADMIN, PASSWORD).await.expect("signed in");
    assert!(is_admin(&app, &genuine).await);

    // Before keys were derived with HKDF, every page cookie was signed with this key.
    let old_key = format!("tm-cms cookies|{JOIN_SECRET}");
    assert!(
        !is_admin(&app, &forge(old_key.as_bytes(), ADMIN)).await,
        "old derivation"
    );
    assert!(
        !is_admin(&app, &forge(JOIN_SECRET.as_bytes(), ADMIN)).await,
        "join secret"
    );
    // The genuine cookie's payload (session nonce and name) under the old key: still refused.
    let payload = genuine.trim_start_matches("tm_admin=").split('.').next().unwrap();
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert!(payload.ends_with(":ada"), "{payload}");
    assert!(!is_admin(&app, &forge(old_key.as_bytes(), &payload)).await);
    app.stop().await;
}

#[tokio::test]
async fn signing_out_resetting_the_password_and_deleting_the_admin_end_existing_sessions() {
    let app = spawn_app().await;
    create_admin(&app, ADMIN, PASSWORD).await;
    let first = sign_in(&app, ADMIN, PASSWORD).await.expect("signed in");
    let second = sign_in(&app, ADMIN, PASSWORD).await.expect("signed in again elsewhere");
    assert!(is_admin(&app, &first).await && is_admin(&app, &second).await);

    let logout = plain_client()
        .post(app.url("/admin/logout"))
        .header("Cookie", &first)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    assert!(!is_admin(&app, &first).await, "the signed-out cookie, replayed");
    assert!(
        !is_admin(&app, &second).await,
        "signing out ends the admin's other sessions too"
    );

    let before_reset = sign_in(&app, ADMIN, PASSWORD).await.expect("signed in");
    assert!(is_admin(&app, &before_reset).await);
    create_admin(&app, ADMIN, "a brand new password").await;
    assert!(!is_admin(&app, &before_reset).await, "a password reset ends sessions");
    assert!(
        sign_in(&app, ADMIN, PASSWORD).await.is_none(),
        "the old password is gone"
    );

    let before_delete = sign_in(&app, ADMIN, "a brand new password").await.expect("signed in");
    assert!(is_admin(&app, &before_delete).await);
    let deleted = tm_cms_admin_delete(&app, ADMIN);
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    assert!(!is_admin(&app, &before_delete).await, "a deleted admin's session ends");
    let again = tm_cms_admin_delete(&app, ADMIN);
    assert!(!again.status.success(), "deleting an unknown admin is an error");
    assert!(stderr(&again).contains("no admin named"), "{}", stderr(&again));
    app.stop().await;
}

/// `tm-cms admin delete` as an operator runs it: the database URL is all it needs (not the
/// join secret, which `serve` and `check-config` insist on).
fn tm_cms_admin_delete(app: &TestApp, user: &str) -> std::process::Output {
    tm_cms(
        &["admin", "delete", user],
        &[("TM_CMS__DATABASE__URL", app.db_url.as_str())],
    )
}

/// The CMS's count of argon2 password checks.
async fn password_checks(app: &TestApp) -> u64 {
    let metrics = app.get("/metrics").await.text().await.unwrap();
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("tm_cms_password_checks_total "))
        .unwrap_or_else(|| panic!("no password_checks metric in {metrics}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn unknown_names_and_wrong_passwords_get_the_same_answer_after_the_same_work() {
    let app = spawn_app().await;
    create_admin(&app, ADMIN, PASSWORD).await;
    for (user, password) in [("nobody", PASSWORD), (ADMIN, "wrong password!!")] {
        let checks_before = password_checks(&app).await;
        let response = plain_client()
            .post(app.url("/admin/login"))
            .form(&[("username", user), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{user}");
        assert!(response.text().await.unwrap().contains("Wrong user or password."));
        assert_eq!(
            password_checks(&app).await,
            checks_before + 1,
            "{user}: one argon2 check, whether the name exists or not (timing reveals nothing)"
        );
    }
    app.stop().await;
}
