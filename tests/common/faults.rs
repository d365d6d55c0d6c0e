//! A fault-injecting HTTP proxy for tests, in front of DynamoDB Local, which
//! itself never throttles, never times out and never fails half a batch.
//!
//! It listens on 127.0.0.1 (a free port), forwards each HTTP/1.1 request to
//! the upstream (DynamoDB Local, also on loopback) and, as its [`Faults`] say
//! (changeable while it runs):
//!
//! - throttles writes above a rate of write units per second: a batch is
//!   accepted in part (the rest comes back as `UnprocessedItems`, as
//!   DynamoDB does) or, when nothing fits, refused with HTTP 400 and the body
//!   DynamoDB sends (`ProvisionedThroughputExceededException` with
//!   `ThrottlingReasons`);
//! - throttles any request above a number per second;
//! - answers a share of requests with HTTP 500 `InternalServerError`;
//! - resets a share of connections (before forwarding, or after: then the
//!   write happened and the client does not know);
//! - delays answers, or never answers at all.
//!
//! It counts what it did ([`Stats`]), with a log of write units accepted and
//! refused over time. It runs on its own thread and runtime, so a test may
//! block (waiting for a child process) while it serves; dropping it stops
//! it and closes every connection. Every loop ends when it is dropped.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does to requests. `Default`: nothing (a plain proxy).
#[derive(Debug, Clone)]
pub struct Faults {
    /// Throttle writes (BatchWriteItem, PutItem, UpdateItem, DeleteItem)
    /// above this many write units per second (1 per started KB of an item).
    pub write_units_per_sec: Option<f64>,
    /// Throttle any request above this many per second.
    pub requests_per_sec: Option<f64>,
    /// The throttling buckets hold this many seconds' worth (at least one
    /// unit): DynamoDB keeps up to 300 s of unused capacity; a small burst
    /// makes the limit sharp.
    pub burst_secs: f64,
    /// Share of requests (0 to 1) answered with HTTP 500 InternalServerError.
    pub error_500: f64,
    /// Share of requests (0 to 1) whose connection is reset.
    pub reset: f64,
    /// Reset after forwarding the request (it took effect) instead of before.
    pub reset_after_forward: bool,
    /// Added before each answer.
    pub delay: Duration,
    /// Read each request and never answer (until the proxy is dropped).
    pub never_answer: bool,
    /// Operations (`BatchWriteItem`, `Scan`, ...) the faults apply to; empty:
    /// every operation.
    pub only: Vec<String>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            write_units_per_sec: None,
            requests_per_sec: None,
            burst_secs: 1.0,
            error_500: 0.0,
            reset: 0.0,
            reset_after_forward: false,
            delay: Duration::ZERO,
            never_answer: false,
            only: Vec::new(),
        }
    }
}

impl Faults {
    /// The faults apply to these operations only.
    pub fn only(mut self, ops: &[&str]) -> Self {
        self.only = ops.iter().map(|s| s.to_string()).collect();
        self
    }
}

/// One write request's units, by the time it arrived (since the proxy
/// started).
#[derive(Debug, Clone, Copy)]
pub struct WriteSample {
    pub at: Duration,
    pub accepted: f64,
    pub refused: f64,
}

/// What the proxy did.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub requests: u64,
    pub by_op: BTreeMap<String, u64>,
    /// Requests refused with HTTP 400 (throttling).
    pub throttled: u64,
    /// Batches accepted in part (the rest returned as UnprocessedItems).
    pub partial: u64,
    pub errors_500: u64,
    pub resets: u64,
    pub unanswered: u64,
    /// Put and delete requests forwarded to DynamoDB (one per item).
    pub writes_forwarded: u64,
    pub write_log: Vec<WriteSample>,
}

impl Stats {
    /// Write units accepted and refused between two times (since start).
    pub fn units_between(&self, from: Duration, to: Duration) -> (f64, f64) {
        self.write_log
            .iter()
            .filter(|s| s.at >= from && s.at < to)
            .fold((0.0, 0.0), |(a, r), s| (a + s.accepted, r + s.refused))
    }

    /// When the first write was refused (wholly or in part).
    pub fn first_refusal(&self) -> Option<Duration> {
        self.write_log
            .iter()
            .find(|s| s.refused > 0.0)
            .map(|s| s.at)
    }

    pub fn last_write(&self) -> Option<Duration> {
        self.write_log.last().map(|s| s.at)
    }
}

/// A token bucket.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn new() -> Self {
        Bucket {
            tokens: f64::NAN,
            at: Instant::now(),
        }
    }

    /// Refills at `rate` (starting full) and returns the tokens there are.
    fn refill(&mut self, rate: f64, burst_secs: f64) -> f64 {
        let cap = (rate * burst_secs).max(1.0);
        let now = Instant::now();
        if self.tokens.is_nan() {
            self.tokens = cap;
        }
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * rate).min(cap);
        self.at = now;
        self.tokens
    }
}

struct Shared {
    faults: Mutex<Faults>,
    stats: Mutex<Stats>,
    writes: Mutex<Bucket>,
    requests: Mutex<Bucket>,
    rng: Mutex<StdRng>,
    started: Instant,
    upstream: SocketAddr,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The proxy; stops when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultProxy {
    /// A proxy in front of the test endpoint (DYNTUI_TEST_ENDPOINT).
    pub fn start(faults: Faults) -> FaultProxy {
        let upstream = std::env::var("DYNTUI_TEST_ENDPOINT").unwrap_or_else(|_| {
            panic!(
                "DYNTUI_TEST_ENDPOINT is not set: run the tests with scripts/test.sh, which starts DynamoDB Local"
            )
        });
        FaultProxy::to(&upstream, faults)
    }

    /// A proxy in front of `upstream` (`http://127.0.0.1:PORT`; loopback only).
    pub fn to(upstream: &str, faults: Faults) -> FaultProxy {
        let hostport = upstream
            .strip_prefix("http://")
            .unwrap_or(upstream)
            .trim_end_matches('/');
        let upstream: SocketAddr = hostport
            .replace("localhost", "127.0.0.1")
            .parse()
            .unwrap_or_else(|e| panic!("the upstream {upstream} is not 127.0.0.1:PORT: {e}"));
        assert!(
            upstream.ip().is_loopback(),
            "the fault proxy only talks to loopback, not {upstream}"
        );
        let shared = Arc::new(Shared {
            faults: Mutex::new(faults),
            stats: Mutex::new(Stats::default()),
            writes: Mutex::new(Bucket::new()),
            requests: Mutex::new(Bucket::new()),
            rng: Mutex::new(StdRng::seed_from_u64(7)),
            started: Instant::now(),
            upstream,
        });
        let std_listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("bind the fault proxy");
        std_listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = std_listener.local_addr().expect("proxy address");
        let (shutdown, rx) = watch::channel(false);
        let s2 = shared.clone();
        let thread = std::thread::Builder::new()
            .name("fault-proxy".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("proxy runtime");
                rt.block_on(async move {
                    let listener = TcpListener::from_std(std_listener).expect("listener");
                    accept_loop(listener, s2, rx).await;
                });
                // Dropping the runtime ends every connection task.
                rt.shutdown_timeout(Duration::from_secs(2));
            })
            .expect("spawn the proxy thread");
        FaultProxy {
            addr,
            shared,
            shutdown,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Changes the faults while it runs.
    pub fn set(&self, f: impl FnOnce(&mut Faults)) {
        f(&mut lock(&self.shared.faults));
    }

    pub fn stats(&self) -> Stats {
        lock(&self.shared.stats).clone()
    }

    /// Time since the proxy started (the clock of [`WriteSample::at`]).
    pub fn elapsed(&self) -> Duration {
        self.shared.started.elapsed()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            r = listener.accept() => match r {
                Ok((sock, _)) => {
                    let shared = shared.clone();
                    let stop = stop.clone();
                    tokio::spawn(async move { serve(sock, shared, stop).await });
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}

/// A parsed HTTP/1.1 message: the first line, headers, body.
#[derive(Debug, Clone)]
struct Message {
    first: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Serialized with a Content-Length for the body, without hop-by-hop
    /// and framing headers (and the checksum when the body was changed).
    fn bytes(&self, drop_checksum: bool) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.first);
        for (k, v) in &self.headers {
            let lk = k.to_ascii_lowercase();
            if matches!(
                lk.as_str(),
                "content-length" | "transfer-encoding" | "connection" | "keep-alive"
            ) || (drop_checksum && lk == "x-amz-crc32")
            {
                continue;
            }
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        let mut b = out.into_bytes();
        b.extend_from_slice(&self.body);
        b
    }
}

/// Reads until `buf` holds a full head (`\r\n\r\n`); false at EOF.
async fn fill_head(sock: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<Option<usize>> {
    loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok(Some(i + 4));
        }
        if buf.len() > 256 * 1024 {
            return Err(std::io::Error::other("HTTP head too long"));
        }
        let mut chunk = [0u8; 16 * 1024];
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn fill_to(sock: &mut TcpStream, buf: &mut Vec<u8>, len: usize) -> std::io::Result<()> {
    while buf.len() < len {
        let mut chunk = [0u8; 64 * 1024];
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed mid-message",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(())
}

fn parse_head(head: &[u8]) -> std::io::Result<(String, Vec<(String, String)>)> {
    let text = std::str::from_utf8(head).map_err(std::io::Error::other)?;
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let first = lines
        .next()
        .ok_or_else(|| std::io::Error::other("empty HTTP head"))?
        .to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok((first, headers))
}

/// Reads one message from `sock` (`buf` keeps what was read beyond it).
/// `is_response` allows chunked bodies and bodies that run to EOF.
async fn read_message(
    sock: &mut TcpStream,
    buf: &mut Vec<u8>,
    is_response: bool,
) -> std::io::Result<Option<Message>> {
    let Some(head_len) = fill_head(sock, buf).await? else {
        return Ok(None);
    };
    let (first, headers) = parse_head(&buf[..head_len])?;
    let mut msg = Message {
        first,
        headers,
        body: Vec::new(),
    };
    buf.drain(..head_len);
    let chunked = msg
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if let Some(len) = msg.header("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| std::io::Error::other("bad Content-Length"))?;
        fill_to(sock, buf, len).await?;
        msg.body = buf.drain(..len).collect();
    } else if chunked {
        if !is_response {
            return Err(std::io::Error::other("chunked requests are not supported"));
        }
        loop {
            let line_end = loop {
                if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
                    break i;
                }
                let want = buf.len() + 1;
                fill_to(sock, buf, want).await?;
            };
            let size_text = String::from_utf8_lossy(&buf[..line_end]).to_string();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| std::io::Error::other("bad chunk size"))?;
            buf.drain(..line_end + 2);
            if size == 0 {
                // Trailers, then the empty line.
                loop {
                    let end = loop {
                        if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
                            break i;
                        }
                        let want = buf.len() + 1;
                        fill_to(sock, buf, want).await?;
                    };
                    buf.drain(..end + 2);
                    if end == 0 {
                        break;
                    }
                }
                break;
            }
            fill_to(sock, buf, size + 2).await?;
            msg.body.extend(buf.drain(..size));
            buf.drain(..2);
        }
    } else if is_response {
        let status = msg.first.split_whitespace().nth(1).unwrap_or("");
        if !(status.starts_with('1') || status == "204" || status == "304") {
            let mut rest = Vec::new();
            sock.read_to_end(&mut rest).await?;
            buf.extend(rest);
            msg.body = std::mem::take(buf);
        }
    }
    Ok(Some(msg))
}

fn answer(status: &str, body: &str, id: u64) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nx-amzn-RequestId: fault-proxy-{id}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The body DynamoDB sends when it throttles (HTTP 400).
pub fn throttle_body(reason: &str, table: &str) -> String {
    serde_json::json!({
        "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "message": "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
        "ThrottlingReasons": [{
            "reason": reason,
            "resource": format!("arn:aws:dynamodb:us-east-1:000000000000:table/{table}"),
        }],
    })
    .to_string()
}

const INTERNAL_ERROR: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}"#;

/// Resets the connection: RST instead of FIN.
fn reset(sock: TcpStream) {
    let _ = sock.set_zero_linger();
    drop(sock);
}

fn is_write_op(op: &str) -> bool {
    matches!(
        op,
        "BatchWriteItem" | "PutItem" | "UpdateItem" | "DeleteItem"
    )
}

/// Write units of one item (DynamoDB JSON): 1 per started KB.
fn item_units(item: &Value) -> f64 {
    let len = item.to_string().len();
    len.div_ceil(1024).max(1) as f64
}

/// What to do with a request, decided under the locks.
enum Plan {
    NeverAnswer,
    Reset,
    Answer(Vec<u8>),
    /// Forward (with the body changed to the accepted part, and the refused
    /// write requests to add as UnprocessedItems of `table`).
    Forward {
        body: Option<Vec<u8>>,
        unprocessed: Option<(String, Vec<Value>)>,
        reset_after: bool,
    },
}

fn plan(shared: &Shared, req: &Message) -> (Plan, Duration) {
    let op = req
        .header("x-amz-target")
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or("")
        .to_string();
    let faults = lock(&shared.faults).clone();
    let mut stats = lock(&shared.stats);
    stats.requests += 1;
    let id = stats.requests;
    *stats.by_op.entry(op.clone()).or_default() += 1;
    let applies = faults.only.is_empty() || faults.only.contains(&op);
    let json: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let table = json
        .get("TableName")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            json.get("RequestItems")
                .and_then(Value::as_object)
                .and_then(|m| m.keys().next().cloned())
        })
        .unwrap_or_default();
    // Write requests of a BatchWriteItem (one table, as dyntui sends).
    let batch: Vec<Value> = json
        .get("RequestItems")
        .and_then(|m| m.get(&table))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let forwarded = |stats: &mut Stats, n: usize| {
        if is_write_op(&op) {
            stats.writes_forwarded += if op == "BatchWriteItem" { n as u64 } else { 1 };
        }
    };
    if !applies {
        forwarded(&mut stats, batch.len());
        return (
            Plan::Forward {
                body: None,
                unprocessed: None,
                reset_after: false,
            },
            Duration::ZERO,
        );
    }
    let delay = faults.delay;
    if faults.never_answer {
        stats.unanswered += 1;
        return (Plan::NeverAnswer, delay);
    }
    let (roll_reset, roll_500) = {
        let mut rng = lock(&shared.rng);
        (rng.random::<f64>(), rng.random::<f64>())
    };
    let do_reset = roll_reset < faults.reset;
    if do_reset && !faults.reset_after_forward {
        stats.resets += 1;
        return (Plan::Reset, delay);
    }
    if roll_500 < faults.error_500 {
        stats.errors_500 += 1;
        return (
            Plan::Answer(answer("500 Internal Server Error", INTERNAL_ERROR, id)),
            delay,
        );
    }
    let read_or_write = if is_write_op(&op) { "Write" } else { "Read" };
    if let Some(rps) = faults.requests_per_sec {
        let mut b = lock(&shared.requests);
        if b.refill(rps, faults.burst_secs) < 1.0 {
            stats.throttled += 1;
            let body = throttle_body(
                &format!("Table{read_or_write}ProvisionedThroughputExceeded"),
                &table,
            );
            return (Plan::Answer(answer("400 Bad Request", &body, id)), delay);
        }
        b.tokens -= 1.0;
    }
    let at = shared.started.elapsed();
    let mut body = None;
    let mut unprocessed = None;
    if let Some(wps) = faults.write_units_per_sec.filter(|_| is_write_op(&op)) {
        let mut b = lock(&shared.writes);
        let mut tokens = b.refill(wps, faults.burst_secs);
        let units: Vec<f64> = if op == "BatchWriteItem" {
            batch
                .iter()
                .map(|w| {
                    w.get("PutRequest")
                        .and_then(|p| p.get("Item"))
                        .map(item_units)
                        .unwrap_or(1.0)
                })
                .collect()
        } else {
            vec![json.get("Item").map(item_units).unwrap_or(1.0)]
        };
        let mut accepted = 0;
        for u in &units {
            if *u > tokens {
                break;
            }
            tokens -= u;
            accepted += 1;
        }
        let took: f64 = units[..accepted].iter().sum();
        let refused: f64 = units[accepted..].iter().sum();
        stats.write_log.push(WriteSample {
            at,
            accepted: took,
            refused,
        });
        if accepted == 0 {
            stats.throttled += 1;
            let body = throttle_body("TableWriteProvisionedThroughputExceeded", &table);
            return (Plan::Answer(answer("400 Bad Request", &body, id)), delay);
        }
        b.tokens = tokens;
        if accepted < units.len() {
            stats.partial += 1;
            let mut j = json.clone();
            if let Some(list) = j
                .get_mut("RequestItems")
                .and_then(|m| m.get_mut(&table))
                .and_then(Value::as_array_mut)
            {
                list.truncate(accepted);
            }
            body = Some(j.to_string().into_bytes());
            unprocessed = Some((table.clone(), batch[accepted..].to_vec()));
        }
        forwarded(&mut stats, accepted);
    } else {
        if is_write_op(&op) {
            let units = if op == "BatchWriteItem" {
                batch
                    .iter()
                    .map(|w| {
                        w.get("PutRequest")
                            .and_then(|p| p.get("Item"))
                            .map(item_units)
                            .unwrap_or(1.0)
                    })
                    .sum()
            } else {
                1.0
            };
            stats.write_log.push(WriteSample {
                at,
                accepted: units,
                refused: 0.0,
            });
        }
        forwarded(&mut stats, batch.len());
    }
    if do_reset {
        stats.resets += 1;
    }
    (
        Plan::Forward {
            body,
            unprocessed,
            reset_after: do_reset,
        },
        delay,
    )
}

/// Sends `req` upstream on the connection kept for this client (a new one
/// when there is none or it was closed) and reads the response.
async fn forward(
    shared: &Shared,
    upstream: &mut Option<(TcpStream, Vec<u8>)>,
    req: &Message,
) -> std::io::Result<Message> {
    let bytes = req.bytes(false);
    for _ in 0..2 {
        if upstream.is_none() {
            let s =
                tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(shared.upstream))
                    .await
                    .map_err(|_| std::io::Error::other("upstream connect timed out"))??;
            *upstream = Some((s, Vec::new()));
        }
        let Some((sock, buf)) = upstream.as_mut() else {
            continue;
        };
        let sent = sock.write_all(&bytes).await;
        let got = match sent {
            Ok(()) => tokio::time::timeout(Duration::from_secs(30), read_message(sock, buf, true))
                .await
                .map_err(|_| std::io::Error::other("upstream answer timed out"))
                .and_then(|r| r),
            Err(e) => Err(e),
        };
        match got {
            Ok(Some(resp)) => {
                let close = resp
                    .header("connection")
                    .is_some_and(|v| v.eq_ignore_ascii_case("close"));
                if close {
                    *upstream = None;
                }
                return Ok(resp);
            }
            // A kept connection the upstream closed: once more on a new one.
            Ok(None) | Err(_) => *upstream = None,
        }
    }
    Err(std::io::Error::other("the upstream did not answer"))
}

async fn serve(mut sock: TcpStream, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let _ = sock.set_nodelay(true);
    let mut buf = Vec::new();
    let mut upstream: Option<(TcpStream, Vec<u8>)> = None;
    loop {
        let req = tokio::select! {
            _ = stop.changed() => return,
            r = read_message(&mut sock, &mut buf, false) => match r {
                Ok(Some(r)) => r,
                _ => return,
            },
        };
        let (plan, delay) = plan(&shared, &req);
        if !delay.is_zero() {
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(delay) => {}
            }
        }
        match plan {
            Plan::NeverAnswer => {
                // Hold the connection open, answering nothing, until the
                // proxy stops (or the client gives up and closes it).
                let mut sink = [0u8; 1024];
                loop {
                    tokio::select! {
                        _ = stop.changed() => return,
                        r = sock.read(&mut sink) => match r {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        },
                    }
                }
            }
            Plan::Reset => {
                reset(sock);
                return;
            }
            Plan::Answer(bytes) => {
                if sock.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Plan::Forward {
                body,
                unprocessed,
                reset_after,
            } => {
                let mut out = req.clone();
                if let Some(b) = body {
                    out.body = b;
                }
                let resp = match forward(&shared, &mut upstream, &out).await {
                    Ok(r) => r,
                    Err(_) => {
                        reset(sock);
                        return;
                    }
                };
                if reset_after {
                    reset(sock);
                    return;
                }
                let bytes = match unprocessed {
                    None => resp.bytes(false),
                    Some((table, rest)) => {
                        let mut r = resp.clone();
                        let mut j: Value = serde_json::from_slice(&r.body)
                            .unwrap_or_else(|_| serde_json::json!({}));
                        if !j.is_object() {
                            j = serde_json::json!({});
                        }
                        let mut existing: Vec<Value> = j
                            .get("UnprocessedItems")
                            .and_then(|m| m.get(&table))
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default();
                        existing.extend(rest);
                        let mut m = serde_json::Map::new();
                        m.insert(table, Value::Array(existing));
                        j["UnprocessedItems"] = Value::Object(m);
                        r.body = j.to_string().into_bytes();
                        r.bytes(true)
                    }
                };
                if sock.write_all(&bytes).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// A loopback port that never completes a connection: a listener with a
/// backlog of one whose queue is kept full, so further connection attempts
/// wait (their SYNs are dropped) until the client's connect timeout.
pub struct BlackHole {
    addr: SocketAddr,
    _listener: std::net::TcpListener,
    _fillers: Vec<std::net::TcpStream>,
}

impl BlackHole {
    pub fn start() -> BlackHole {
        // A listener with backlog 0 (listen(2) through tokio's socket, then
        // back to std so no runtime is needed to hold it).
        // On a thread of its own: the caller may be inside a runtime.
        let listener = std::thread::spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let s = tokio::net::TcpSocket::new_v4().expect("socket");
                s.bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
                s.listen(0)
                    .expect("listen")
                    .into_std()
                    .expect("std listener")
            })
        })
        .join()
        .expect("the listener thread");
        let addr = listener.local_addr().expect("address");
        let mut fillers = Vec::new();
        for _ in 0..4 {
            if let Ok(s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                fillers.push(s);
            }
        }
        BlackHole {
            addr,
            _listener: listener,
            _fillers: fillers,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// True when a new connection attempt does not complete in `wait`.
    pub fn swallows(&self, wait: Duration) -> bool {
        std::net::TcpStream::connect_timeout(&self.addr, wait).is_err()
    }
}
