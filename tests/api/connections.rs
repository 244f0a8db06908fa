//! Connections as a slow, stalled or greedy client holds them (contract
//! section 11): the head, body and idle clocks, an oversized declared
//! length, the connection cap and a shutdown that ends whatever clients do.
//!
//! These speak HTTP/1.1 over raw sockets, since a client library would not
//! send half a request. The timeouts are set to a second or two; each wait
//! for the server has a generous guard, so a test fails rather than hangs
//! when a clock is missing, and no test asserts how fast anything is.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::{Backend, TestApp, backend_independent_test};

/// Longest a test waits for the server to act on one of its clocks.
const GUARD: Duration = Duration::from_secs(20);

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.addr())
        .await
        .expect("connecting to the test server")
}

/// Reads one response (head and a `Content-Length` body): its status and
/// its body as JSON.
async fn read_response(stream: &mut TcpStream) -> (StatusCode, Value) {
    let mut received = Vec::new();
    let mut buf = [0; 4096];
    let head_end = loop {
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let read = tokio::time::timeout(GUARD, stream.read(&mut buf))
            .await
            .expect("a response within the guard")
            .expect("reading a response");
        assert!(read > 0, "the connection closed before a response");
        received.extend_from_slice(&buf[..read]);
    };
    let head = String::from_utf8_lossy(&received[..head_end]).to_lowercase();
    let status = head[9..12].parse().expect("a status code");
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .map_or(0, |n| n.trim().parse().expect("a content length"));
    while received.len() < head_end + length {
        let read = stream.read(&mut buf).await.expect("reading a body");
        assert!(read > 0, "the connection closed mid-body");
        received.extend_from_slice(&buf[..read]);
    }
    let body = serde_json::from_slice(&received[head_end..head_end + length]).unwrap_or_default();
    (StatusCode::from_u16(status).expect("a valid status"), body)
}

/// Waits for the server to close the connection (end of file, or a reset).
async fn assert_closed(stream: &mut TcpStream, why: &str) {
    let mut buf = [0; 1024];
    loop {
        match tokio::time::timeout(GUARD, stream.read(&mut buf)).await {
            Err(_) => panic!("the server kept the connection open: {why}"),
            Ok(Ok(0) | Err(_)) => return,
            Ok(Ok(_)) => {}
        }
    }
}

fn healthz() -> &'static [u8] {
    b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n"
}

async fn a_half_sent_head_is_cut_off_after_the_head_timeout(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--header-timeout-secs", "1")
        .build()
        .await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: te")
        .await
        .unwrap();
    assert_closed(&mut stream, "half a head").await;

    // A client that connects and says nothing is cut off too.
    let mut silent = connect(&app).await;
    assert_closed(&mut silent, "a connection without a request").await;
}
backend_independent_test!(a_half_sent_head_is_cut_off_after_the_head_timeout);

async fn an_idle_connection_lives_for_the_idle_timeout_not_the_head_timeout(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--header-timeout-secs", "1")
        .option("--idle-timeout-secs", "4")
        .build()
        .await;
    let mut stream = connect(&app).await;
    stream.write_all(healthz()).await.unwrap();
    assert_eq!(read_response(&mut stream).await.0, StatusCode::OK);
    // Idle for twice the head timeout, well within the idle timeout.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stream.write_all(healthz()).await.unwrap();
    assert_eq!(read_response(&mut stream).await.0, StatusCode::OK);
    assert_closed(&mut stream, "idle past the idle timeout").await;
}
backend_independent_test!(an_idle_connection_lives_for_the_idle_timeout_not_the_head_timeout);

/// Sends `path`'s head declaring a 100-byte JSON body, then a byte of it
/// every 300 ms, until the server answers.
async fn trickle(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let mut stream = connect(app).await;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let dripping = tokio::spawn(async move {
        for _ in 0..99 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if writer.write_all(b" ").await.is_err() {
                return;
            }
        }
    });
    let mut stream_back = Vec::new();
    let mut buf = [0; 4096];
    loop {
        let read = tokio::time::timeout(GUARD, reader.read(&mut buf))
            .await
            .expect("an answer within the guard")
            .unwrap_or(0);
        stream_back.extend_from_slice(&buf[..read]);
        if read == 0 || stream_back.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    dripping.abort();
    let text = String::from_utf8_lossy(&stream_back);
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str(body).ok())
        .unwrap_or_default();
    (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body)
}

async fn a_trickling_body_gets_408_after_the_body_timeout(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--body-timeout-secs", "1")
        .build()
        .await;
    let (status, body) = trickle(&app, "/api/register").await;
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{body}");
    assert_eq!(body["code"], "REQUEST_TIMEOUT", "{body}");

    let (status, body) = trickle(&app, "/graphql").await;
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "REQUEST_TIMEOUT",
        "{body}"
    );
}
backend_independent_test!(a_trickling_body_gets_408_after_the_body_timeout);

async fn a_declared_length_over_the_limit_is_refused_without_reading(backend: Backend) {
    let app = TestApp::new(backend).await;
    let user = app.signed_in().await;
    for path in ["/api/register", "/api/data", "/graphql"] {
        let mut stream = connect(&app).await;
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
             Authorization: Bearer {}\r\nContent-Length: 99999999999\r\n\r\n",
            user.token
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        // Not a byte of the body is sent: the answer comes anyway.
        let (status, body) = read_response(&mut stream).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}: {body}");
        let code = if path == "/graphql" {
            &body["errors"][0]["extensions"]["code"]
        } else {
            &body["code"]
        };
        assert_eq!(code, "PAYLOAD_TOO_LARGE", "{path}: {body}");
    }
}
backend_independent_test!(a_declared_length_over_the_limit_is_refused_without_reading);

async fn connections_over_the_cap_wait_for_one_to_close(backend: Backend) {
    let app = TestApp::builder(backend)
        .option("--max-connections", "2")
        .build()
        .await;
    let mut first = connect(&app).await;
    let mut second = connect(&app).await;
    for stream in [&mut first, &mut second] {
        stream.write_all(healthz()).await.unwrap();
        assert_eq!(read_response(stream).await.0, StatusCode::OK);
    }
    // The third waits in the listen backlog: no answer while two are open.
    let mut third = connect(&app).await;
    third.write_all(healthz()).await.unwrap();
    let mut buf = [0; 16];
    let early = tokio::time::timeout(Duration::from_millis(500), third.read(&mut buf)).await;
    assert!(
        early.is_err(),
        "a third connection was served at a cap of two"
    );
    drop(first);
    assert_eq!(read_response(&mut third).await.0, StatusCode::OK);
}
backend_independent_test!(connections_over_the_cap_wait_for_one_to_close);

async fn shutdown_finishes_within_its_timeout_whatever_clients_do(backend: Backend) {
    let mut app = TestApp::builder(backend)
        .option("--shutdown-timeout-secs", "1")
        // Longer than the shutdown timeout: only the shutdown's own bound
        // can end these connections.
        .option("--header-timeout-secs", "60")
        .option("--body-timeout-secs", "60")
        .build()
        .await;
    let mut half_head = connect(&app).await;
    half_head
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: te")
        .await
        .unwrap();
    let mut half_body = connect(&app).await;
    half_body
        .write_all(
            b"POST /api/register HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{",
        )
        .await
        .unwrap();
    let mut idle = connect(&app).await;
    idle.write_all(healthz()).await.unwrap();
    assert_eq!(read_response(&mut idle).await.0, StatusCode::OK);

    assert!(
        app.shut_down(GUARD).await,
        "the server did not finish shutting down"
    );
    for (stream, why) in [
        (&mut half_head, "half a head at shutdown"),
        (&mut half_body, "half a body at shutdown"),
        (&mut idle, "idle at shutdown"),
    ] {
        assert_closed(stream, why).await;
    }
}
backend_independent_test!(shutdown_finishes_within_its_timeout_whatever_clients_do);
