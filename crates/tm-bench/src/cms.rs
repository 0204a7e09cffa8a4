//! What S7 and S8 ask of tm-cms, through its JSON API as a participant and a room owner would
//! (docs/api.md): create rooms, get join tokens, post messages, close the rooms again.

use std::time::Duration;

use anyhow::{bail, Context as _};
use hyper::Method;

use crate::http::{HttpConn, Response};
use crate::target::Endpoint;

/// The largest `max_length` a room may have (docs/api.md).
pub const MAX_LENGTH_LIMIT: usize = 2000;

/// The nickname bench posts carry.
pub const NICKNAME: &str = "bench";

/// A room the bench created.
#[derive(Debug, Clone)]
pub struct BenchRoom {
    /// Its slug (the name it was created with, folded).
    pub slug: String,
    /// The owner token, to close it again.
    pub owner_token: String,
}

/// `count` room names unique to this run: `<tag>-<8 hex digits>-<i>`. They satisfy the CMS's
/// name rule (3–64 of `a-z 0-9 -`, no dash at the ends or twice in a row) for any short
/// lower-case alphanumeric `tag`.
pub fn room_names(tag: &str, nonce: u32, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{tag}-{nonce:08x}-{i}")).collect()
}

/// Whether `name` satisfies the CMS's room-name rule.
pub fn valid_room_name(name: &str) -> bool {
    (3..=64).contains(&name.len())
        && name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

/// The JSON body of a post: `{"nickname":"bench","body":<body as a JSON string>}`.
pub fn post_body(body: &[u8]) -> anyhow::Result<Vec<u8>> {
    let text = std::str::from_utf8(body).context("message bodies must be UTF-8")?;
    Ok(serde_json::to_vec(
        &serde_json::json!({"nickname": NICKNAME, "body": text}),
    )?)
}

/// `/api/v1/rooms/<slug>/messages`.
pub fn messages_path(slug: &str) -> String {
    format!("/api/v1/rooms/{slug}/messages")
}

/// `/r/<slug>`: the room's page.
pub fn page_path(slug: &str) -> String {
    format!("/r/{slug}")
}

/// A client of one tm-cms for setup and teardown (one keep-alive connection).
#[derive(Debug)]
pub struct Cms {
    conn: HttpConn,
}

impl Cms {
    pub async fn connect(endpoint: &Endpoint) -> anyhow::Result<Self> {
        Ok(Self {
            conn: HttpConn::connect(endpoint, Duration::from_secs(10)).await?,
        })
    }

    /// `POST path` (with `bearer` and a JSON `body` when given); an answer other than `expected`
    /// (any 2xx when `None`) is an error about `what`.
    async fn post_expecting(
        &mut self,
        what: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<&[u8]>,
        expected: Option<u16>,
    ) -> anyhow::Result<Response> {
        let r = self.conn.request(Method::POST, path, bearer, body).await?;
        if expected.map_or(!r.is_success(), |status| r.status != status) {
            bail!("{what}: HTTP {} {}", r.status, r.snippet());
        }
        Ok(r)
    }

    /// Creates room `name` for two hours with messages of up to `max_length` characters.
    pub async fn create_room(&mut self, name: &str, max_length: usize) -> anyhow::Result<BenchRoom> {
        anyhow::ensure!(valid_room_name(name), "{name:?} is not a valid room name");
        let body = serde_json::to_vec(&serde_json::json!({
            "name": name, "lifetime": "2h", "topic": "tm-bench", "max_length": max_length,
        }))?;
        let what = format!("creating room {name}");
        let v = self
            .post_expecting(&what, "/api/v1/rooms", None, Some(&body), Some(201))
            .await?
            .json()?;
        Ok(BenchRoom {
            slug: v["slug"].as_str().context("no slug in the answer")?.to_string(),
            owner_token: v["owner_token"]
                .as_str()
                .context("no owner_token in the answer")?
                .to_string(),
        })
    }

    /// A participant's join token for `slug` (`POST /api/v1/rooms/<slug>/join`, no body).
    pub async fn join_token(&mut self, slug: &str) -> anyhow::Result<String> {
        let what = format!("joining room {slug}");
        let path = format!("/api/v1/rooms/{slug}/join");
        let v = self.post_expecting(&what, &path, None, None, Some(200)).await?.json()?;
        if v["role"] != "participant" {
            bail!("{what}: role {} instead of participant", v["role"]);
        }
        Ok(v["token"].as_str().context("no token in the answer")?.to_string())
    }

    /// Posts `body` to `slug` once (setup: seeding rooms).
    pub async fn post(&mut self, slug: &str, body: &[u8]) -> anyhow::Result<()> {
        let body = post_body(body)?;
        let what = format!("posting to {slug}");
        self.post_expecting(&what, &messages_path(slug), None, Some(&body), Some(201))
            .await?;
        Ok(())
    }

    /// Closes a room (owner).
    pub async fn close_room(&mut self, room: &BenchRoom) -> anyhow::Result<()> {
        let what = format!("closing room {}", room.slug);
        let path = format!("/api/v1/rooms/{}/close", room.slug);
        self.post_expecting(&what, &path, Some(&room.owner_token), None, None)
            .await?;
        Ok(())
    }

    /// Closes every room, logging (not failing on) errors: teardown.
    pub async fn close_all(&mut self, rooms: &[BenchRoom]) {
        let mut failed = 0;
        for room in rooms {
            if let Err(e) = self.close_room(room).await {
                failed += 1;
                if failed == 1 {
                    tracing::warn!(error = %e, "could not close a bench room");
                }
            }
        }
        if failed > 0 {
            tracing::warn!(failed, "bench rooms left open (they expire after 2 h)");
        }
    }
}

/// Creates `names` and, when `tokens`, a join token for each; closes what it created when a
/// later step fails.
pub async fn setup_rooms(
    cms: &mut Cms,
    names: &[String],
    max_length: usize,
    tokens: bool,
) -> anyhow::Result<(Vec<BenchRoom>, Vec<String>)> {
    let mut rooms = Vec::with_capacity(names.len());
    let mut toks = Vec::new();
    let mut step = async || -> anyhow::Result<()> {
        for name in names {
            rooms.push(cms.create_room(name, max_length).await?);
        }
        if tokens {
            for r in &rooms {
                toks.push(cms.join_token(&r.slug).await?);
            }
        }
        Ok(())
    };
    if let Err(e) = step().await {
        cms.close_all(&rooms).await;
        return Err(e);
    }
    Ok((rooms, toks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names_are_valid_and_distinct() {
        let names = room_names("b7", 0xdead_beef, 100);
        assert_eq!(names[0], "b7-deadbeef-0");
        assert_eq!(names[99], "b7-deadbeef-99");
        assert!(names.iter().all(|n| valid_room_name(n)), "{names:?}");
        let set: std::collections::HashSet<_> = names.iter().collect();
        assert_eq!(set.len(), 100);
        assert!(valid_room_name(&room_names("b8", 0, 1)[0]));
        for bad in ["ab", "-abc", "abc-", "a--b", "Abc", "a_b", &"a".repeat(65)] {
            assert!(!valid_room_name(bad), "{bad}");
        }
    }

    #[test]
    fn post_bodies_carry_the_timed_body_as_a_string() {
        let body = crate::publisher::make_body(1_763_868_000_123_456_789, 256);
        let json = post_body(&body).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["nickname"], NICKNAME);
        assert_eq!(v["body"].as_str().unwrap().as_bytes(), &body[..]);
        // Escaped inside the JSON string, as it will be in the gateway's event frame too.
        assert_eq!(crate::publisher::extract_t(&json), Some(1_763_868_000_123_456_789));
        assert!(post_body(&[0xff]).is_err());
        assert_eq!(messages_path("b7-x-1"), "/api/v1/rooms/b7-x-1/messages");
        assert_eq!(page_path("b7-x-1"), "/r/b7-x-1");
    }
}
