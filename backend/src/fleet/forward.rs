//! Forwarding a browser's request to the server that runs its room: one HTTP/1.1 request
//! passed on as it came (the `Host` kept, so the owner's origin rule sees the page's own
//! address), and a WebSocket's upgrade spliced byte for byte, so the owner's limits and close
//! codes reach the browser unchanged.

use std::net::IpAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use hyper_util::rt::TokioIo;

/// Set on a forwarded request, naming the server that forwarded it: a server that does not
/// run the room either answers 503 instead of forwarding again (no loops while a room moves).
pub const FORWARDED_HEADER: &str = "x-zkplay-forwarded-by";

/// How long reaching the owner may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long the owner may take to answer a forwarded request (its head: a body streams on).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a request could not be forwarded.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    #[error(
        "the room runs on {0}, which this server cannot reach (only http:// URLs are forwarded)"
    )]
    NotHttp(String),
    #[error("the server that runs this room ({owner}) does not answer ({why}); if it died, another server takes the room once its session expires")]
    Unreachable { owner: String, why: String },
}

/// Passes `request` to the server at `owner` (an `http://host:port` URL) and answers with its
/// answer; a WebSocket upgrade becomes a tunnel, which keeps `hold` while it lasts and ends
/// when `ends` resolves. An answer's head must come within [`ANSWER_TIMEOUT`].
pub async fn forward<Hold, Ends>(
    mut request: Request,
    owner: &str,
    (from, this): (IpAddr, &str),
    tunnel: Option<(Hold, Ends)>,
) -> Result<Response, ForwardError>
where
    Hold: Send + 'static,
    Ends: std::future::Future<Output = ()> + Send + 'static,
{
    let unreachable = |why: String| ForwardError::Unreachable {
        owner: owner.to_string(),
        why,
    };
    let authority = owner
        .strip_prefix("http://")
        .map(|a| a.trim_end_matches('/'))
        .ok_or_else(|| ForwardError::NotHttp(owner.to_string()))?;
    let connect = tokio::net::TcpStream::connect(authority);
    let stream = match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(unreachable(e.to_string())),
        Err(_) => return Err(unreachable(format!("no answer in {CONNECT_TIMEOUT:?}"))),
    };
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    tokio::spawn(async move {
        if let Err(e) = connection.with_upgrades().await {
            tracing::debug!("a forwarded connection ended: {e}");
        }
    });
    let upgrade = request
        .headers()
        .contains_key(header::UPGRADE)
        .then(|| hyper::upgrade::on(&mut request));
    let (mut parts, body) = request.into_parts();
    add_forwarded(&mut parts.headers, from, this);
    let sent = sender.send_request(Request::from_parts(parts, body));
    let mut answer = match tokio::time::timeout(ANSWER_TIMEOUT, sent).await {
        Ok(answer) => answer.map_err(|e| unreachable(e.to_string()))?,
        // A paused server accepts connections and answers nothing.
        Err(_) => return Err(unreachable(format!("no answer in {ANSWER_TIMEOUT:?}"))),
    };
    if let (StatusCode::SWITCHING_PROTOCOLS, Some(upgrade), Some((hold, ends))) =
        (answer.status(), upgrade, tunnel)
    {
        let upstream = hyper::upgrade::on(&mut answer);
        tokio::spawn(async move {
            let _hold = hold;
            let (Ok(browser), Ok(owner)) = tokio::join!(upgrade, upstream) else {
                return;
            };
            let (mut browser, mut owner) = (TokioIo::new(browser), TokioIo::new(owner));
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut browser, &mut owner) => {}
                () = ends => {}
            }
        });
    }
    Ok(answer.map(Body::new))
}

fn add_forwarded(headers: &mut HeaderMap, from: IpAddr, this: &str) {
    if let Ok(value) = HeaderValue::from_str(&from.to_string()) {
        headers.insert("x-forwarded-for", value);
    }
    if let Ok(value) = HeaderValue::from_str(this) {
        headers.insert(FORWARDED_HEADER, value);
    }
}

/// The address a request comes from: its peer, or, when the peer is a server of the fleet
/// that forwarded it, the address that server says.
pub fn trusted_client_ip(
    peer: IpAddr,
    headers: &HeaderMap,
    member: impl Fn(IpAddr) -> bool,
) -> IpAddr {
    let said = headers
        .get("x-forwarded-for")
        .filter(|_| headers.contains_key(FORWARDED_HEADER))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<IpAddr>().ok());
    match said {
        Some(ip) if member(peer) => ip,
        _ => peer,
    }
}

/// The IP address in a server's URL (`localhost` is the loopback address).
pub fn host_ip(url: &str) -> Option<IpAddr> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next()?;
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host),
    };
    if host == "localhost" {
        return Some(IpAddr::from([127, 0, 0, 1]));
    }
    host.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_servers_address_is_read_from_its_url() {
        assert_eq!(
            host_ip("http://127.0.0.1:4000"),
            Some([127, 0, 0, 1].into())
        );
        assert_eq!(
            host_ip("http://localhost:80/x"),
            Some([127, 0, 0, 1].into())
        );
        assert_eq!(
            host_ip("http://[::1]:8080"),
            Some("::1".parse().expect("an address"))
        );
        assert_eq!(host_ip("http://zkplay.example:80"), None);
    }

    #[test]
    fn a_forwarded_address_is_believed_only_from_a_server_of_the_fleet() {
        let peer: IpAddr = [10, 0, 0, 2].into();
        let browser: IpAddr = [192, 168, 1, 7].into();
        let mut headers = HeaderMap::new();
        add_forwarded(&mut headers, browser, "http://10.0.0.2:80");
        assert_eq!(trusted_client_ip(peer, &headers, |ip| ip == peer), browser);
        assert_eq!(trusted_client_ip(peer, &headers, |_| false), peer);
        headers.remove(FORWARDED_HEADER);
        assert_eq!(trusted_client_ip(peer, &headers, |ip| ip == peer), peer);
    }
}
