//! The transcript: a printable page and `.txt`, `.json`, `.csv` downloads of every visible
//! message and every poll's results. Closed rooms keep their transcript until the retention sweep deletes them.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use tera::Context;
use tm_core::event::{Message, MessageState, Poll, PollState};

use super::context::{self, EngineData, SITE_NAME};
use super::view::{error_page, render, MessageRow, PollRow};
use crate::engine::db::models::RoomRow;
use crate::engine::messages::MessagePage;
use crate::errors::ApiErrorCode;

/// Every visible message in seq order, a page of 1000 at a time.
async fn all_messages(engine: &EngineData, row: &RoomRow) -> Result<Vec<Message>, HttpResponse> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let page = MessagePage {
            after: Some(after),
            limit: Some(1000),
            order: None,
        };
        let list = engine
            .messages()
            .list_in(row, &page)
            .await
            .map_err(|e| error_page(e.status(), SITE_NAME))?;
        let Some(last) = list.messages.last() else {
            return Ok(all);
        };
        after = last.message.seq;
        all.extend(list.messages.into_iter().map(|v| v.message));
    }
}

/// The room's polls, oldest first (a transcript reads in time order).
async fn all_polls(engine: &EngineData, row: &RoomRow) -> Result<Vec<Poll>, HttpResponse> {
    let mut polls = engine
        .polls()
        .list_in(row)
        .await
        .map_err(|e| error_page(e.status(), SITE_NAME))?
        .polls;
    polls.reverse();
    Ok(polls)
}

async fn readable_room(req: &HttpRequest, engine: &EngineData, slug: &str) -> Result<RoomRow, HttpResponse> {
    let row = engine.rooms().find(slug).await.map_err(|e| {
        let status = if e.status() == StatusCode::UNPROCESSABLE_ENTITY {
            StatusCode::NOT_FOUND
        } else {
            e.status()
        };
        error_page(status, SITE_NAME)
    })?;
    if let Err(denied) = context::page_access(req, engine, &row) {
        return Err(super::rooms::denied_page(&row, &denied));
    }
    Ok(row)
}

/// `GET /r/{slug}/transcript`.
pub async fn page(req: HttpRequest, engine: EngineData, slug: web::Path<String>) -> HttpResponse {
    let row = match readable_room(&req, &engine, &slug).await {
        Ok(row) => row,
        Err(page) => return page,
    };
    let messages = match all_messages(&engine, &row).await {
        Ok(m) => m,
        Err(page) => return page,
    };
    let polls = match all_polls(&engine, &row).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    let rows: Vec<MessageRow> = messages
        .into_iter()
        .map(|m| MessageRow::new(m, MessageState::Visible, false))
        .collect();
    let polls: Vec<PollRow> = polls.into_iter().map(PollRow::from).collect();
    let mut ctx = Context::new();
    ctx.insert("room", &engine.rooms().view(&row));
    let dated = super::message_html::Options {
        dated: true,
        ..super::message_html::Options::default()
    };
    super::message_html::insert(&mut ctx, &rows, &dated);
    ctx.insert("polls", &polls);
    render(StatusCode::OK, "transcript.html", ctx, SITE_NAME)
}

/// `GET /r/{slug}/transcript.{format}`.
pub async fn download(req: HttpRequest, engine: EngineData, path: web::Path<(String, String)>) -> HttpResponse {
    let (slug, format) = path.into_inner();
    let row = match readable_room(&req, &engine, &slug).await {
        Ok(row) => row,
        Err(page) => return page,
    };
    let messages = match all_messages(&engine, &row).await {
        Ok(m) => m,
        Err(page) => return page,
    };
    let polls = match all_polls(&engine, &row).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    let (content_type, body) = match format.as_str() {
        "txt" => ("text/plain; charset=utf-8", to_text(&row, &messages, &polls)),
        "json" => (
            "application/json",
            serde_json::to_string_pretty(
                &serde_json::json!({"room": engine.rooms().view(&row), "messages": messages, "polls": polls}),
            )
            .unwrap_or_default(),
        ),
        "csv" => ("text/csv; charset=utf-8", to_csv(&messages, &polls)),
        _ => return error_page(StatusCode::NOT_FOUND, SITE_NAME),
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}-transcript.{format}\"", row.slug),
        ))
        .body(body)
}

/// One line of a poll's results: `Question? Optics 12, Waves 7 (19 voters, closed)`.
fn poll_summary(poll: &Poll) -> String {
    let options: Vec<String> = poll.options.iter().map(|o| format!("{} {}", o.text, o.votes)).collect();
    let state = match poll.state {
        PollState::Open => "open",
        PollState::Closed => "closed",
    };
    let voters = if poll.voters == 1 { "voter" } else { "voters" };
    format!(
        "{} {} ({} {voters}, {state})",
        poll.question,
        options.join(", "),
        poll.voters
    )
}

fn to_text(row: &RoomRow, messages: &[Message], polls: &[Poll]) -> String {
    let mut out = format!("Transcript of {}\n{}\n\n", row.slug, row.topic);
    if !polls.is_empty() {
        out.push_str("Polls\n");
        for poll in polls {
            out.push_str(&format!("- {}\n", poll_summary(poll)));
        }
        out.push('\n');
    }
    for m in messages {
        let at = m
            .created_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        out.push_str(&format!("[{at}] {}: {}\n", m.nickname, m.body.replace('\n', "\n    ")));
    }
    out
}

/// RFC 4180 CSV. Cells that a spreadsheet would run as a formula get a leading `'`. Polls
/// follow the messages as rows of kind `poll` (no seq or nickname; the body is the results).
pub fn to_csv(messages: &[Message], polls: &[Poll]) -> String {
    let mut out = String::from("seq,created_at,nickname,kind,body,source_url\r\n");
    for m in messages {
        let at = m
            .created_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let cells = [
            m.seq.to_string(),
            at,
            m.nickname.clone(),
            m.kind.as_str().to_owned(),
            m.body.clone(),
            m.source_url.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    for poll in polls {
        let at = poll
            .created_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let cells = [
            String::new(),
            at,
            String::new(),
            "poll".to_owned(),
            poll_summary(poll),
            String::new(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

fn csv_cell(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\"\nbye"), "\"say \"\"hi\"\"\nbye\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("@cmd"), "'@cmd");
    }
}
