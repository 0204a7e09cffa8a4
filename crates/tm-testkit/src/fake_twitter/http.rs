//! Just enough HTTP/1.1 for the fake: persistent connections, requests with a body by
//! content-length, JSON answers with the headers the real API sends.

// A test double: when it cannot do its job it panics, which fails the test that uses it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Request {
    pub method: String,
    pub target: String,
    pub auth: Option<String>,
    pub body: Vec<u8>,
}

pub async fn read_request(conn: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Request> {
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?.to_owned(), first.next()?.to_owned());
    let mut auth = None;
    let mut length = 0usize;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "authorization" => auth = Some(value.trim().to_owned()),
                "content-length" => length = value.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    while buf.len() < head_end + length {
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + length].to_vec();
    buf.drain(..head_end + length);
    Some(Request {
        method,
        target,
        auth,
        body,
    })
}

pub async fn respond_json(conn: &mut TcpStream, status: u16, body: &Value) -> std::io::Result<()> {
    let body = body.to_string();
    let reason = match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\n",
        body.len()
    );
    if status == 429 {
        head.push_str("x-rate-limit-limit: 50\r\nx-rate-limit-remaining: 0\r\nx-rate-limit-reset: 1795403700\r\n");
    }
    conn.write_all(format!("{head}\r\n{body}").as_bytes()).await
}

pub fn problem(status: u16) -> Value {
    match status {
        401 => {
            json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
        }
        429 => {
            json!({"title": "ConnectionException", "detail": "This stream is currently at the maximum allowed connection limit.",
                      "connection_issue": "TooManyConnections", "type": "https://api.twitter.com/2/problems/streaming-connection"})
        }
        s => {
            json!({"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank", "status": s})
        }
    }
}
