//! Languages over HTTP: `Accept-Language` negotiation, the switcher's cookie beating it, the
//! page's `lang`/`dir`, and API error messages in the request's language (codes unchanged).

use crate::helpers::*;
use reqwest::StatusCode;

async fn page(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (String, String) {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let language = response.headers()["content-language"].to_str().unwrap().to_owned();
    (language, response.text().await.unwrap())
}

#[tokio::test]
async fn accept_language_picks_the_best_q_value_the_cookie_beats_it_and_unknown_is_english() {
    let app = spawn_app().await;
    let (lang, html) = page(&app, "/", &[("accept-language", "fr;q=0.9, de;q=0.8, es;q=0.5")]).await;
    assert_eq!(lang, "de");
    assert!(html.contains(r#"<html lang="de" dir="ltr">"#), "{html}");
    assert!(html.contains("Neuen Raum öffnen"), "German text");

    let (lang, html) = page(&app, "/", &[("accept-language", "de;q=0.2, es-MX;q=0.7")]).await;
    assert_eq!(lang, "es");
    assert!(html.contains("Abrir una sala nueva"));

    let (lang, html) = page(&app, "/", &[("accept-language", "de"), ("cookie", "tm_lang=ar")]).await;
    assert_eq!(lang, "ar", "the switcher's choice beats the header");
    assert!(html.contains(r#"<html lang="ar" dir="rtl">"#), "{html}");
    assert!(
        html.contains(r#"<option value="ar" lang="ar" selected>العربية</option>"#),
        "{html}"
    );

    let (lang, html) = page(&app, "/", &[("accept-language", "fr, ja;q=0.5")]).await;
    assert_eq!(lang, "en");
    assert!(html.contains(r#"<html lang="en" dir="ltr">"#) && html.contains("Open a new room"));
    app.stop().await;
}

#[tokio::test]
async fn the_switcher_remembers_the_choice_and_goes_back_only_within_the_site() {
    let app = spawn_app().await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = no_redirects
        .get(app.url("/language?lang=de&next=%2Fp%2Fhelp"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()["location"], "/p/help");
    let cookie = answer.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("tm_lang=de;") && cookie.contains("Max-Age="),
        "{cookie}"
    );

    let away = no_redirects
        .get(app.url("/language?lang=es&next=%2F%2Fevil.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(away.headers()["location"], "/");
    let unknown = no_redirects
        .get(app.url("/language?lang=xx&next=/"))
        .send()
        .await
        .unwrap();
    assert!(
        unknown.headers().get("set-cookie").is_none(),
        "an unknown language is not remembered"
    );
    app.stop().await;
}

#[tokio::test]
async fn api_error_messages_follow_the_request_language_and_codes_do_not() {
    let app = spawn_app().await;
    let ask = |language: &'static str| {
        app.client
            .get(app.url("/api/v1/rooms/no-such-room"))
            .header("accept-language", language)
            .send()
    };
    let german: serde_json::Value = ask("de-DE, en;q=0.5").await.unwrap().json().await.unwrap();
    assert_eq!(german["error"]["code"], "room_not_found");
    assert_eq!(german["error"]["message"], "diesen Raum gibt es nicht");
    let english: serde_json::Value = ask("en").await.unwrap().json().await.unwrap();
    assert_eq!(english["error"]["code"], "room_not_found");
    assert_eq!(english["error"]["message"], "no such room");

    // A validation error of the page's own form, in Arabic.
    let name_check = app
        .client
        .get(app.url("/rooms/name-check?name=a"))
        .header("accept-language", "ar")
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = name_check.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_name");
    assert!(
        body["error"]["message"].as_str().unwrap().starts_with("أسماء الغرف"),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_form_from_another_site_is_refused_in_the_readers_language_and_stores_nothing() {
    let app = spawn_app().await;
    let room = app.create_room("cross-site-form").await;
    for (language, refusal) in [
        ("de", "Dieses Formular muss von dieser Website aus gesendet werden."),
        ("en", "This form must be sent from this site."),
    ] {
        let response = app
            .client
            .post(app.url(&format!("/r/{}/messages", room.slug)))
            .header("origin", "https://elsewhere.example")
            .header("accept-language", language)
            .form(&[("nickname", "mallory"), ("body", "posted from elsewhere")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(response.text().await.unwrap(), refusal);
    }
    let messages: serde_json::Value = app
        .get(&format!("/api/v1/rooms/{}/messages", room.slug))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(messages["messages"].as_array().unwrap().len(), 0, "{messages}");
    app.stop().await;
}
