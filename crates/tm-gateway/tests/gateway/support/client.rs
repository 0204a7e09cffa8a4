//! A WebSocket client speaking docs/protocol.md, as the room page's script would.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tm_core::event::Seq;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

use super::{Gateway, PATIENCE};

pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    pub async fn connect(gateway: &Gateway) -> Client {
        Client::connect_from(gateway, None).await
    }

    /// Connects as a browser page from `origin` would.
    pub async fn connect_from(gateway: &Gateway, origin: Option<&str>) -> Client {
        let mut request = gateway.ws_url().into_client_request().unwrap();
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("Origin", HeaderValue::from_str(origin).unwrap());
        }
        let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        Client { ws }
    }

    /// Connects with a tiny TCP receive window: a reader that stalls fills its buffers fast.
    pub async fn connect_with_small_window(gateway: &Gateway) -> Client {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket.connect(([127, 0, 0, 1], gateway.port).into()).await.unwrap();
        let request = gateway.ws_url().into_client_request().unwrap();
        let (ws, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream))
            .await
            .unwrap();
        Client { ws }
    }

    pub async fn send(&mut self, frame: Value) {
        self.ws.send(Message::text(frame.to_string())).await.unwrap();
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.ws.send(message).await.unwrap();
    }

    /// Sends `join` and returns the gateway's answer (`joined` or `reset`).
    pub async fn join(&mut self, token: &str, since: Option<Seq>) -> Value {
        let mut frame = json!({"type": "join", "token": token});
        if let Some(since) = since {
            frame["since"] = json!(since);
        }
        self.send(frame).await;
        self.next_frame().await
    }

    /// Sends a post; returns its client id.
    pub async fn post(&mut self, nickname: &str, body: &str) -> Uuid {
        let client_id = Uuid::new_v4();
        self.send(json!({"type": "post", "nickname": nickname, "body": body, "client_id": client_id}))
            .await;
        client_id
    }

    /// The next JSON frame, whatever its type. Panics on close or after [`PATIENCE`].
    pub async fn next_frame(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("a frame in time")
                .expect("the socket to stay open")
                .expect("a readable frame");
            match message {
                Message::Text(text) => return serde_json::from_str(&text).unwrap(),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// The next frame other than `presence` (which may come at any time).
    pub async fn next_non_presence(&mut self) -> Value {
        loop {
            let frame = self.next_frame().await;
            if frame["type"] != "presence" {
                return frame;
            }
        }
    }

    /// The seqs of the next `n` event frames; panics on any other non-presence frame.
    pub async fn event_seqs(&mut self, n: usize) -> Vec<Seq> {
        let mut seqs = Vec::new();
        while seqs.len() < n {
            let frame = self.next_non_presence().await;
            assert_eq!(frame["type"], "event", "expected an event, got {frame}");
            seqs.push(frame["seq"].as_u64().unwrap());
        }
        seqs
    }

    /// Sends a live reaction.
    pub async fn react(&mut self, emoji: &str) {
        self.send(json!({"type": "react", "emoji": emoji})).await;
    }

    /// Every JSON frame that arrives within `period`, each with when it arrived.
    pub async fn frames_for(&mut self, period: std::time::Duration) -> Vec<(std::time::Instant, Value)> {
        let deadline = tokio::time::Instant::now() + period;
        let mut frames = Vec::new();
        while let Ok(next) = tokio::time::timeout_at(deadline, self.ws.next()).await {
            match next.expect("the socket to stay open").expect("a readable frame") {
                Message::Text(text) => frames.push((std::time::Instant::now(), serde_json::from_str(&text).unwrap())),
                Message::Ping(_) | Message::Pong(_) => {}
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
        frames
    }

    /// Waits for a `presence` frame with `count`.
    pub async fn presence_reaches(&mut self, count: u64) {
        loop {
            let frame = self.next_frame().await;
            if frame["type"] == "presence" && frame["count"] == count {
                return;
            }
        }
    }

    /// Reads until the gateway closes the socket; returns the close code (None if the
    /// connection ended without a close frame).
    pub async fn close_code(&mut self) -> Option<CloseCode> {
        loop {
            let next = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("the socket to close in time");
            match next {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }
}
