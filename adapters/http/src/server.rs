//! The accept loop: hyper-util's HTTP/1.1 + HTTP/2 cleartext server running the poem
//! application, with the limits poem's `Server` does not offer.
//!
//! - At most `max_connections` open client connections; further ones wait in the
//!   kernel's listen backlog until one closes (no task, no buffer for them).
//! - A client must send a complete request head within `header_read_timeout`
//!   (hyper's HTTP/1.1 header timer, which also closes keep-alive connections idle that
//!   long), and every connection must have started a first request by then (this covers
//!   a client that sends nothing, or dribbles an HTTP/2 preface): slowloris connections
//!   are dropped instead of holding a slot.
//! - Request heads are capped at `max_header_bytes` by hyper (HTTP/1.1 buffer, HTTP/2
//!   header list); over that, hyper itself answers 431 (plain, not problem+json: that
//!   answer is written before the application sees the request). Smaller limits the
//!   application enforces itself (`middleware::RequestHeadLimits`) are problem+json.
//! - Graceful stop: stop accepting, let in-flight requests finish for the grace period,
//!   then close what is left.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use poem::endpoint::BoxEndpoint;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint, Request};
use tokio::net::TcpListener;

/// Connection-level limits.
#[derive(Debug, Clone)]
pub struct ServerLimits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    /// hyper's hard cap on a request head (at least 8 KiB).
    pub max_header_bytes: usize,
    pub http2_max_streams: u32,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 64 * 1024,
            http2_max_streams: 100,
        }
    }
}

fn builder(limits: &ServerLimits) -> auto::Builder<TokioExecutor> {
    let mut b = auto::Builder::new(TokioExecutor::new());
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192));
    b.http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.http2_max_streams)
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
        .max_pending_accept_reset_streams(Some(20))
        .keep_alive_interval(Some(Duration::from_secs(20)))
        .keep_alive_timeout(Duration::from_secs(20));
    b
}

/// Serves `ep` on `listener` until `shutdown` resolves, then drains for `grace`.
pub async fn serve(
    listener: TcpListener,
    ep: BoxEndpoint<'static>,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    let ep = Arc::new(ep);
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let builder = builder(&limits);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            biased;
            () = &mut shutdown => break,
            s = slots.clone().acquire_owned() => s.expect("the connection semaphore is never closed"),
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            r = listener.accept() => match r {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off, don't spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let started = Arc::new(AtomicBool::new(false));
        // The poem application for this connection; `started` marks that its first
        // request head has arrived.
        let service = {
            let (ep, started) = (ep.clone(), started.clone());
            hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                started.store(true, Ordering::Relaxed);
                let ep = ep.clone();
                async move {
                    let req: Request =
                        (req, LocalAddr(Addr::SocketAddr(local)), RemoteAddr(Addr::SocketAddr(peer)), Scheme::HTTP)
                            .into();
                    let resp: hyper::Response<_> = ep.get_response(req).await.into();
                    Ok::<_, Infallible>(resp)
                }
            })
        };
        let conn = graceful.watch(builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned());
        let first_request_within = limits.header_read_timeout;
        tokio::spawn(async move {
            let _slot = slot;
            tokio::pin!(conn);
            tokio::select! {
                r = &mut conn => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    return;
                }
                () = tokio::time::sleep(first_request_within) => {}
            }
            if !started.load(Ordering::Relaxed) {
                tracing::info!(timeout_s = first_request_within.as_secs(), "closing a connection that sent no request");
                return;
            }
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => {
            tracing::warn!(grace_s = grace.as_secs(), "grace period over; closing connections with requests in flight");
        }
    }
    Ok(())
}
