//! The AGPL source offer: every page links `/source`, which redirects to the configured tree or
//! shows the licence.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn every_page_links_the_source_and_without_a_url_it_shows_the_licence() {
    let app = spawn_app().await;
    let home = app.get("/").await.text().await.unwrap();
    assert!(home.contains(r#"<a href="/source">Source code</a>"#), "{home}");
    let source = app.get("/source").await;
    assert_eq!(source.status(), StatusCode::OK);
    let page = source.text().await.unwrap();
    assert!(page.contains("GNU AFFERO GENERAL PUBLIC LICENSE"), "the licence text");
    assert!(page.contains(env!("CARGO_PKG_VERSION")), "the version");
    app.stop().await;
}

#[tokio::test]
async fn with_a_source_url_it_redirects_there() {
    let app = spawn_app_with(Options {
        tweak: Some(Box::new(|s| s.http.source_url = "https://git.example.org/us/tm".into())),
        ..Options::default()
    })
    .await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = no_redirects.get(app.url("/source")).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::FOUND);
    assert_eq!(answer.headers()["location"], "https://git.example.org/us/tm");
    app.stop().await;
}
