//! A small TCP proxy between the code under test and a real dependency, to fail it on
//! purpose (`Mode::Hang`: connections are accepted and never answered; `Mode::Refuse`:
//! closed at once) and, for HTTP/1.0 servers that close after each response, to patch a
//! response head (a fake server missing a header the real service sends).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Pass,
    Hang,
    Refuse,
}

type HeadRewrite = Arc<dyn Fn(&str) -> String + Send + Sync>;

pub struct Proxy {
    pub addr: std::net::SocketAddr,
    mode: Arc<Mutex<Mode>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Forwards every connection to `upstream` (`host:port`) unchanged.
    pub async fn start(upstream: &str) -> Self {
        Self::spawn(upstream, None).await
    }

    /// Forwards, rewriting the head (status line and headers, without the blank line) of
    /// the first response on each connection.
    pub async fn rewriting_response_head(
        upstream: &str,
        rewrite: impl Fn(&str) -> String + Send + Sync + 'static,
    ) -> Self {
        Self::spawn(upstream, Some(Arc::new(rewrite))).await
    }

    async fn spawn(upstream: &str, rewrite: Option<HeadRewrite>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(Mutex::new(Mode::Pass));
        let upstream = upstream.to_owned();
        let m = mode.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((client, _)) = listener.accept().await {
                let current = *m.lock().unwrap();
                match current {
                    Mode::Refuse => drop(client),
                    Mode::Hang => held.push(client),
                    Mode::Pass => {
                        let (up, rewrite) = (upstream.clone(), rewrite.clone());
                        tokio::spawn(async move {
                            if let Ok(server) = TcpStream::connect(&up).await {
                                let _ = pipe(client, server, rewrite).await;
                            }
                        });
                    }
                }
            }
        });
        Self { addr, mode, task }
    }

    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.addr)
    }

    /// New connections from now on get this behaviour.
    pub fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }
}

async fn pipe(client: TcpStream, server: TcpStream, rewrite: Option<HeadRewrite>) -> std::io::Result<()> {
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let up = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut cr, &mut sw).await;
        let _ = sw.shutdown().await;
    });
    if let Some(rewrite) = rewrite {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let end = loop {
            let n = sr.read(&mut chunk).await?;
            if n == 0 {
                break None;
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break Some(i);
            }
        };
        match end {
            Some(i) => {
                let head = String::from_utf8_lossy(&buf[..i]).into_owned();
                cw.write_all(rewrite(&head).as_bytes()).await?;
                cw.write_all(&buf[i..]).await?;
            }
            None => cw.write_all(&buf).await?,
        }
    }
    tokio::io::copy(&mut sr, &mut cw).await?;
    cw.shutdown().await?;
    up.abort();
    Ok(())
}
