//! The network side: accept TCP, set `TCP_NODELAY`, speak TLS, serve HTTP/1.1 keep-alive, and stop
//! every connection when the emulator stops.
//!
//! Each response leaves in one write (hyper's flattened write buffer, no vectored writes) and
//! `TCP_NODELAY` is set, so a keep-alive client never waits ~40 ms on a delayed ACK between a
//! response's header and body.

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::dispatch::handle;
use super::shared::Shared;

/// Accepts connections until `stop` turns true.
pub async fn run(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let acceptor = TlsAcceptor::from(tls);
    loop {
        let (tcp, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::debug!("emulator accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("emulator could not set TCP_NODELAY: {e}");
        }
        let acceptor = acceptor.clone();
        let shared = shared.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let serve = async {
                let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp))
                    .await
                {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => return tracing::debug!("emulator TLS handshake failed: {e}"),
                    Err(_) => return tracing::debug!("emulator TLS handshake timed out"),
                };
                let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                    let shared = shared.clone();
                    async move { handle(shared, req.map(axum::body::Body::new)).await }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .writev(false)
                    .serve_connection(TokioIo::new(tls), service);
                if let Err(e) = conn.await {
                    tracing::debug!("emulator connection ended: {e}");
                }
            };
            tokio::select! {
                () = serve => {}
                _ = stop.changed() => {}
            }
        });
    }
}
