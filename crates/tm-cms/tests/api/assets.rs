//! Static files: linked by URLs that name their content, so they can be cached for a year and
//! still reach browsers after an upgrade; and a favicon.

use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use crate::helpers::{spawn_app, TestApp};

/// Every `/static/…` URL in `html` (`href` and `src` attributes).
fn static_urls(html: &str) -> Vec<String> {
    let mut urls: Vec<String> = ["href=\"", "src=\""]
        .iter()
        .flat_map(|attribute| html.split(attribute).skip(1))
        .filter_map(|rest| rest.split('"').next())
        .filter(|url| url.starts_with("/static/"))
        .map(str::to_owned)
        .collect();
    urls.sort();
    urls.dedup();
    urls
}

async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> String {
    let mut request = app.client.get(app.url(path));
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    request.send().await.unwrap().text().await.unwrap()
}

/// Issue: static files were cached for a year as immutable but linked without a version, so an
/// upgrade's CSS and JS never reached browsers that had them. Every page links each file by a
/// name carrying the start of the SHA-256 of its bytes, and only such a name is immutable.
#[tokio::test]
async fn pages_link_static_files_by_content_hash_and_only_those_urls_are_immutable() {
    let app = spawn_app().await;
    let room = app.create_room("asset-links").await;
    let owner = format!("tm_owner_{}={}", room.id, room.owner_token);
    let mut linked = Vec::new();
    for (path, cookie) in [
        ("/", None),
        ("/r/asset-links", None),
        ("/r/asset-links/owner", Some(owner.as_str())),
        ("/r/asset-links/owner", None), // the sign-in form
        ("/r/asset-links/projector", None),
        ("/r/asset-links/embed", None),
        ("/r/asset-links/transcript", None),
        ("/p/help", None),
        ("/admin", None),
        ("/no-such-page", None),
    ] {
        let html = page(&app, path, cookie).await;
        let urls = static_urls(&html);
        assert!(
            urls.iter().any(|u| u.ends_with(".css")),
            "{path} links its stylesheet: {urls:?}"
        );
        assert!(
            urls.iter().any(|u| u.ends_with(".svg")),
            "{path} names its icon: {urls:?}"
        );
        linked.extend(urls);
    }
    linked.sort();
    linked.dedup();
    for expected in ["tm", "favicon", "live", "home", "owner"] {
        assert!(
            linked.iter().any(|u| u.starts_with(&format!("/static/{expected}."))),
            "{expected} is linked somewhere: {linked:?}"
        );
    }
    for url in &linked {
        let (stem_and_hash, extension) = url.rsplit_once('.').unwrap();
        let (_, hash) = stem_and_hash
            .rsplit_once('.')
            .unwrap_or_else(|| panic!("{url} has no version"));
        let response = app.get(url).await;
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable",
            "{url}"
        );
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        let body = response.bytes().await.unwrap();
        let digest: String = Sha256::digest(&body).iter().map(|b| format!("{b:02x}")).collect();
        assert!(
            digest.starts_with(hash) && hash.len() >= 8,
            "{url}: the name carries the hash of the bytes ({digest})"
        );
        let expected_type = match extension {
            "css" => "text/css",
            "js" => "text/javascript",
            "svg" => "image/svg+xml",
            other => panic!("unexpected static file type {other}"),
        };
        assert!(content_type.starts_with(expected_type), "{url}: {content_type}");
    }

    // The plain name and a hash of another version still answer, but are revalidated.
    let css = linked.iter().find(|u| u.starts_with("/static/tm.")).unwrap();
    for url in ["/static/tm.css", "/static/tm.0123456789ab.css"] {
        let response = app.get(url).await;
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        assert_eq!(response.headers()["cache-control"], "no-cache", "{url}");
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        let current = app.get(css).await.bytes().await.unwrap();
        assert_eq!(
            response.bytes().await.unwrap(),
            current,
            "{url} serves the current file"
        );
        let revalidated = app
            .client
            .get(app.url(url))
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED, "{url}");
    }
    assert_eq!(app.get("/static/nope.css").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/static/nope.0123456789ab.css").await.status(),
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

#[tokio::test]
async fn browsers_asking_for_favicon_ico_get_the_icon() {
    let app = spawn_app().await;
    let response = app.get("/favicon.ico").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    let body = response.text().await.unwrap();
    assert!(body.starts_with("<svg"), "{body}");
    app.stop().await;
}
