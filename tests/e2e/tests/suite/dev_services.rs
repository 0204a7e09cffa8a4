//! `scripts/dev-services.sh`, in its dry run: what it would install on a machine that lacks the
//! browser but already has a Node.js with its own npm (NodeSource's nodejs, which conflicts
//! with Debian's npm package: asking apt for npm there fails the whole install).

use std::process::Command;

fn dry_run(pretend: &str) -> (bool, String) {
    let repo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let env_file = std::env::temp_dir().join(format!("tm-dev-services-{}.env", uuid::Uuid::new_v4().simple()));
    let out = Command::new("bash")
        .arg("scripts/dev-services.sh")
        .arg("--with-browser")
        .current_dir(&repo)
        .env("DEV_SERVICES_DRY_RUN", "1")
        .env("DEV_SERVICES_PRETEND", pretend)
        .env("DEV_SERVICES_ENV_FILE", &env_file)
        .output()
        .expect("bash runs");
    let _ = std::fs::remove_file(&env_file);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn only_the_missing_browser_packages_are_installed() {
    let (ok, out) = dry_run("no-chromium");
    let apt_line = out
        .lines()
        .find(|line| line.contains("apt-get -q install") || line.contains("sudo apt-get install"))
        .unwrap_or_else(|| panic!("no install line in:\n{out}"));
    assert!(apt_line.contains("chromium chromium-driver"), "{apt_line}");
    assert!(
        !apt_line.contains("npm"),
        "npm is present and must not be asked for: {apt_line}"
    );
    // As root with apt the dry run succeeds; elsewhere it stops and says what to install.
    assert_eq!(ok, apt_line.contains("would run"), "{out}");

    let (_, out) = dry_run("no-browser");
    let apt_line = out
        .lines()
        .find(|line| line.contains("apt-get -q install") || line.contains("sudo apt-get install"))
        .unwrap_or_else(|| panic!("no install line in:\n{out}"));
    assert!(
        apt_line.contains("chromium chromium-driver npm"),
        "all three are missing: {apt_line}"
    );
}
