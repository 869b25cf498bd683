//! The optional HTTP endpoint (off by default, loopback by default): `/healthz` and `/metrics`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::metrics::Shared;
use crate::error::{Error, Result};

/// Binds `listen`: `HOST:PORT`, or a bare port on 127.0.0.1.
pub async fn bind(listen: &str) -> Result<TcpListener> {
    let addr = if listen.chars().all(|c| c.is_ascii_digit()) {
        format!("127.0.0.1:{listen}")
    } else {
        listen.to_string()
    };
    let parsed: SocketAddr = addr.parse().map_err(|e| Error::Config {
        path: "daemon.listen".into(),
        message: format!("`{listen}`: {e} (use HOST:PORT, e.g. 127.0.0.1:9717)"),
    })?;
    if !parsed.ip().is_loopback() {
        tracing::warn!(
            "metrics endpoint on non-loopback address {parsed}: anyone who can reach it can read it"
        );
    }
    TcpListener::bind(parsed)
        .await
        .map_err(|e| Error::io(format!("daemon.listen {parsed}"), e))
}

/// Answers requests until the task is dropped.
pub async fn serve(listener: TcpListener, metrics: Shared) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(5), answer(stream, metrics)).await;
        });
    }
}

async fn answer(mut stream: TcpStream, metrics: Shared) -> std::io::Result<()> {
    let mut buf = vec![0u8; 8192];
    let mut len = 0;
    while len < buf.len() && !buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf[len..]).await?;
        if n == 0 {
            break;
        }
        len += n;
    }
    let head = String::from_utf8_lossy(&buf[..len]);
    let mut parts = head.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, kind, body) = match (method, path) {
        ("GET", "/healthz") => ("200 OK", "text/plain", "ok\n".to_string()),
        ("GET", "/metrics") => {
            let text = metrics.lock().map(|m| m.render()).unwrap_or_default();
            ("200 OK", "text/plain; version=0.0.4", text)
        }
        ("GET", _) => ("404 Not Found", "text/plain", "not found\n".into()),
        _ => ("405 Method Not Allowed", "text/plain", "GET only\n".into()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
