//! The rules endpoints: `GET` lists, `POST {"add":…}` creates (or reports `DuplicateRule` and
//! invalid rules in `errors`), `POST {"delete":{"ids":…}}` deletes; `dry_run=true` validates only.

// A test double: when it cannot do its job it panics, which fails the test that uses it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};

use super::http::Request;
use super::{Rule, Shared};

fn meta_sent() -> String {
    "2026-11-23T03:00:00.000Z".to_owned()
}

pub fn rules_endpoint(shared: &Shared, req: &Request) -> (u16, Value) {
    let mut st = shared.state.lock().unwrap();
    st.rule_requests += 1;
    if req.method == "GET" {
        let data: Vec<Value> = st
            .rules
            .iter()
            .map(|r| json!({"id": r.id, "value": r.value, "tag": r.tag}))
            .collect();
        let mut body = json!({"meta": {"sent": meta_sent(), "result_count": data.len()}});
        if !data.is_empty() {
            body["data"] = Value::Array(data);
        }
        return (200, body);
    }
    let dry_run = req.target.contains("dry_run=true");
    let Ok(payload) = serde_json::from_slice::<Value>(&req.body) else {
        return (
            400,
            json!({"title": "Invalid Request", "detail": "body is not JSON", "type": "https://api.twitter.com/2/problems/invalid-request"}),
        );
    };
    if let Some(ids) = payload["delete"]["ids"].as_array() {
        let mut errors = Vec::new();
        let mut deleted = 0;
        for id in ids.iter().filter_map(Value::as_str) {
            match st.rules.iter().position(|r| r.id == id) {
                Some(pos) => {
                    if !dry_run {
                        st.rules.remove(pos);
                    }
                    deleted += 1;
                }
                None => errors.push(json!({"value": id, "title": "Not Found Error", "detail": "Rule not found", "type": "https://api.twitter.com/2/problems/resource-not-found"})),
            }
        }
        let mut body =
            json!({"meta": {"sent": meta_sent(), "summary": {"deleted": deleted, "not_deleted": errors.len()}}});
        if !errors.is_empty() {
            body["errors"] = Value::Array(errors);
        }
        return (200, body);
    }
    let Some(adds) = payload["add"].as_array() else {
        return (
            400,
            json!({"title": "Invalid Request", "detail": "One or more parameters to your request was invalid.", "type": "https://api.twitter.com/2/problems/invalid-request"}),
        );
    };
    let (mut data, mut errors) = (Vec::new(), Vec::new());
    let mut invalid = 0;
    for add in adds {
        let value = add["value"].as_str().unwrap_or("").to_owned();
        let tag = add["tag"].as_str().unwrap_or("").to_owned();
        if value.chars().count() > 512 || st.rejected_markers.iter().any(|m| value.contains(m.as_str())) {
            invalid += 1;
            errors.push(
                json!({"value": value, "details": ["Rules must contain a non-stopword, non-negated operator"],
                "title": "UnprocessableEntity", "type": "https://api.twitter.com/2/problems/invalid-rules"}),
            );
            continue;
        }
        if let Some(existing) = st.rules.iter().find(|r| r.value == value) {
            errors.push(json!({"value": value, "id": existing.id, "title": "DuplicateRule",
                "type": "https://api.twitter.com/2/problems/duplicate-rules"}));
            continue;
        }
        st.next_id += 1;
        let id = format!("{}", 1_000 + st.next_id);
        if !dry_run {
            st.rules.push(Rule {
                id: id.clone(),
                value: value.clone(),
                tag: tag.clone(),
            });
        }
        data.push(json!({"id": id, "value": value, "tag": tag}));
    }
    let mut body = json!({"meta": {"sent": meta_sent(), "summary": {
        "created": data.len(), "not_created": errors.len(), "valid": adds.len() - invalid, "invalid": invalid}}});
    if !data.is_empty() {
        body["data"] = Value::Array(data);
    }
    if !errors.is_empty() {
        body["errors"] = Value::Array(errors);
    }
    (200, body)
}
