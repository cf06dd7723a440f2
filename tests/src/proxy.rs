//! A small TCP proxy between the code under test and a real dependency, to fail it on
//! purpose and, for HTTP/1.0 servers that close after each response, to patch a response
//! head (a fake server missing a header the real service sends).
//!
//! `Mode::Hang`: new connections are accepted and never answered, and open ones stop
//! forwarding (a server that hangs mid-conversation). `Mode::Refuse`: new connections
//! are closed at once and open ones are cut (a server that died). Back to `Mode::Pass`,
//! new connections flow again; the frozen ones stay frozen, as they would.

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
    changes: tokio::sync::watch::Sender<Mode>,
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
        let (changes, watch) = tokio::sync::watch::channel(Mode::Pass);
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
                        let (up, rewrite, watch) = (upstream.clone(), rewrite.clone(), watch.clone());
                        tokio::spawn(async move {
                            if let Ok(server) = TcpStream::connect(&up).await {
                                let _ = match rewrite {
                                    Some(r) => pipe(client, server, Some(r)).await,
                                    None => watched(client, server, watch).await,
                                };
                            }
                        });
                    }
                }
            }
        });
        Self { addr, mode, changes, task }
    }

    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.addr)
    }

    /// New connections from now on get this behaviour; open ones hang or are cut.
    pub fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
        self.changes.send_replace(mode);
    }
}

/// Forwards both ways until either side closes, or the mode leaves `Pass`: then cuts
/// both (`Refuse`) or holds them open, forwarding nothing, until the proxy is dropped
/// (`Hang`).
async fn watched(
    mut client: TcpStream,
    mut server: TcpStream,
    mut watch: tokio::sync::watch::Receiver<Mode>,
) -> std::io::Result<()> {
    let changed = async {
        loop {
            if *watch.borrow_and_update() != Mode::Pass {
                return *watch.borrow();
            }
            if watch.changed().await.is_err() {
                return Mode::Refuse;
            }
        }
    };
    let mode = tokio::select! {
        r = tokio::io::copy_bidirectional(&mut client, &mut server) => return r.map(|_| ()),
        mode = changed => mode,
    };
    if mode == Mode::Hang {
        let _held = (client, server);
        while watch.changed().await.is_ok() {}
    }
    Ok(())
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
