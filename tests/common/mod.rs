//! A programmable HTTP/1.1 fixture server for integration tests.
//!
//! It is a raw tokio `TcpListener` rather than axum so that tests can misbehave exactly
//! like real sites do: lie in `Content-Length`, send compressed bytes verbatim, stall after
//! the headers, or hold a request until the test opens a [`Gate`]. Every request is
//! recorded (method, target, headers), and the server tracks how many requests and
//! connections were in flight at once. Each connection serves one request and closes.
//!
//! ```ignore
//! let server = TestServer::start().await;
//! server.route("/feed.xml", Reply::ok(xml).header("Content-Type", "application/rss+xml"));
//! server.route_fn("/cond", |req| match req.header("if-none-match") {
//!     Some("\"v1\"") => Reply::status(304),
//!     _ => Reply::ok("body").header("ETag", "\"v1\""),
//! });
//! let url = server.url("/feed.xml");
//! ```
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use url::Url;

/// Largest request head accepted; fixture clients only send GETs.
const MAX_HEAD: usize = 64 * 1024;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query, as sent on the request line.
    pub target: String,
    /// Names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
}

impl RecordedRequest {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A latch the test opens to release held requests (no sleeps needed).
#[derive(Debug, Clone)]
pub struct Gate(Arc<watch::Sender<bool>>);

impl Default for Gate {
    fn default() -> Self {
        Self::new()
    }
}

impl Gate {
    pub fn new() -> Self {
        Self(Arc::new(watch::channel(false).0))
    }

    pub fn open(&self) {
        self.0.send_replace(true);
    }

    async fn wait(&self) {
        let mut rx = self.0.subscribe();
        // The sender lives as long as this Gate, so the wait cannot fail early.
        let _ = rx.wait_for(|open| *open).await;
    }
}

/// What to send back.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Wait for this gate before sending anything.
    pub gate: Option<Gate>,
    /// After writing the head and `body`, keep the connection open forever.
    pub stall: bool,
    /// Close the connection without answering.
    pub drop_connection: bool,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
            gate: None,
            stall: false,
            drop_connection: false,
        }
    }

    pub fn ok(body: impl Into<Bytes>) -> Self {
        Self::status(200).body(body)
    }

    /// A redirect to `location` (absolute or relative).
    pub fn redirect(status: u16, location: &str) -> Self {
        Self::status(status).header("Location", location)
    }

    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Adds a header; a `Content-Length` given here replaces the computed one (so it may lie).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn gated(mut self, gate: &Gate) -> Self {
        self.gate = Some(gate.clone());
        self
    }

    /// Send the head and the body given so far, then never finish (a slow-drip server).
    pub fn stall(mut self) -> Self {
        self.stall = true;
        self
    }

    pub fn drop_connection(mut self) -> Self {
        self.drop_connection = true;
        self
    }

    fn head_bytes(&self) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        let has_length = self
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-length"));
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !has_length && !matches!(self.status, 100..=199 | 204 | 304) {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        head.push_str("Connection: close\r\n\r\n");
        head.into_bytes()
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

type Handler = Arc<dyn Fn(&RecordedRequest) -> Reply + Send + Sync>;

#[derive(Default)]
struct State {
    routes: Mutex<HashMap<String, Handler>>,
    requests: Mutex<Vec<RecordedRequest>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    connections: AtomicUsize,
    max_connections: AtomicUsize,
    /// Bumped on every request arrival so tests can wait for "N requests in flight".
    arrivals: Mutex<Option<watch::Sender<usize>>>,
}

impl State {
    fn handler(&self, path: &str) -> Option<Handler> {
        self.routes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(path)
            .cloned()
    }
}

/// Decrements a gauge when a request or connection ends, however it ends.
struct Gauge<'a>(&'a AtomicUsize);

impl<'a> Gauge<'a> {
    fn enter(current: &'a AtomicUsize, max: &AtomicUsize) -> Self {
        let now = current.fetch_add(1, Ordering::SeqCst) + 1;
        max.fetch_max(now, Ordering::SeqCst);
        Self(current)
    }
}

impl Drop for Gauge<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

pub struct TestServer {
    addr: SocketAddr,
    state: Arc<State>,
    in_flight_rx: watch::Receiver<usize>,
    accept_task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts stalled connections.
        self.accept_task.abort();
    }
}

impl TestServer {
    /// Binds 127.0.0.1 on a free port. Unrouted paths answer 404.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State::default());
        let (tx, in_flight_rx) = watch::channel(0);
        *state.arrivals.lock().expect("fresh mutex") = Some(tx);
        let accept_state = Arc::clone(&state);
        let accept_task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        connections.spawn(serve_connection(stream, Arc::clone(&accept_state)));
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        Self {
            addr,
            state,
            in_flight_rx,
            accept_task,
        }
    }

    pub fn route(&self, path: &str, reply: Reply) {
        self.route_fn(path, move |_| reply.clone());
    }

    pub fn route_fn(
        &self,
        path: &str,
        f: impl Fn(&RecordedRequest) -> Reply + Send + Sync + 'static,
    ) {
        self.state
            .routes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(path.to_string(), Arc::new(f));
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> Url {
        self.url_on("127.0.0.1", path)
    }

    /// The same server under another host name (e.g. `localhost`), to look like a second
    /// site to per-host logic.
    pub fn url_on(&self, host: &str, path: &str) -> Url {
        Url::parse(&format!("http://{host}:{}{path}", self.addr.port())).expect("valid fixture URL")
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn requests_to(&self, path: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path() == path)
            .collect()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.requests_to(path).len()
    }

    pub fn total_requests(&self) -> usize {
        self.state
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Requests read but not yet answered (a gated request counts until its gate opens).
    pub fn in_flight(&self) -> usize {
        self.state.in_flight.load(Ordering::SeqCst)
    }

    /// Most requests ever being handled at the same moment.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// Most TCP connections ever open at the same moment.
    pub fn max_connections(&self) -> usize {
        self.state.max_connections.load(Ordering::SeqCst)
    }

    /// Resolves once at least `n` requests are in flight (event-driven, no polling sleeps).
    pub async fn wait_for_in_flight(&self, n: usize) {
        let mut rx = self.in_flight_rx.clone();
        let _ = rx.wait_for(|&now| now >= n).await;
    }
}

async fn serve_connection(mut stream: TcpStream, state: Arc<State>) {
    let _connection = Gauge::enter(&state.connections, &state.max_connections);
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let request_gauge = Gauge::enter(&state.in_flight, &state.max_in_flight);
    state
        .requests
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(request.clone());
    if let Some(tx) = state
        .arrivals
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
    {
        tx.send_replace(state.in_flight.load(Ordering::SeqCst));
    }

    let reply = match state.handler(request.path()) {
        Some(handler) => handler(&request),
        None => Reply::status(404).body("no such fixture route"),
    };
    if let Some(gate) = &reply.gate {
        gate.wait().await;
    }
    // The request stops counting before its answer goes out: once the client has read
    // the last byte it may release its slot and send the next request, and that one
    // must not overlap a finished request whose task has not been scheduled to exit yet.
    // The gauge then always sits inside the client's slot, so "max in flight" is exact.
    drop(request_gauge);
    if reply.drop_connection {
        return;
    }
    let mut out = reply.head_bytes();
    if request.method != "HEAD" {
        out.extend_from_slice(&reply.body);
    }
    if stream.write_all(&out).await.is_err() {
        return;
    }
    let _ = stream.flush().await;
    if reply.stall {
        std::future::pending::<()>().await;
    }
    let _ = stream.shutdown().await;
}

async fn read_request(stream: &mut TcpStream) -> Option<RecordedRequest> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]);
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split_whitespace();
    let method = request_line.next()?.to_string();
    let target = request_line.next()?.to_string();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(RecordedRequest {
        method,
        target,
        headers,
    })
}

/// A file of the offline demo (`config/demo/`), the realistic Vietnamese feeds many
/// tests serve.
pub fn demo(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("config/demo")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
