//! The error mapping of [`ApiClient`] against an HTTP peer on loopback that answers each
//! connection with a given response and records the request it received.

use super::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

/// Serves one connection on 127.0.0.1 with `response` (status line, headers and body) and
/// sends back the request it read (head and body).
fn peer(response: String) -> (String, mpsc::Receiver<(String, Vec<u8>)>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let len = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        let mut body = vec![0; len];
        r.read_exact(&mut body).unwrap();
        let mut s = s;
        s.write_all(response.as_bytes()).unwrap();
        let _ = tx.send((head, body));
    });
    (url, rx)
}

fn answer(status: &str, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn client(url: &str) -> ApiClient {
    ApiClient::new(url, Duration::from_secs(10)).with_token("tok-1")
}

#[test]
fn a_4xx_with_the_servers_error_body_is_its_code_and_message() {
    let (url, rx) = peer(answer(
        "401 Unauthorized",
        "application/json",
        r#"{"error":{"code":"unauthorized","message":"unknown device token"}}"#,
    ));
    let e = client(&url)
        .post_json::<_, serde_json::Value>("/api/v1/checkin", &serde_json::json!({"a": 1}))
        .unwrap_err();
    match &e {
        ApiError::Status {
            status,
            code,
            message,
        } => {
            assert_eq!(
                (*status, code.as_str(), message.as_str()),
                (401, "unauthorized", "unknown device token")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(e.is_auth() && !e.is_transient());
    assert_eq!(e.to_string(), "401 unauthorized: unknown device token");
    // What went on the wire: the path, the token, the agent's name, the JSON body.
    let (head, body) = rx.recv().unwrap();
    let lower = head.to_ascii_lowercase();
    assert!(
        head.starts_with("POST /api/v1/checkin HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(lower.contains("authorization: bearer tok-1\r\n"), "{head}");
    assert!(
        lower.contains(&format!(
            "user-agent: outpost-agent/{}\r\n",
            outpost_core::version()
        )),
        "{head}"
    );
    assert!(lower.contains("content-type: application/json"), "{head}");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
        serde_json::json!({"a": 1})
    );
}

#[test]
fn a_4xx_without_the_error_shape_keeps_the_start_of_its_body() {
    let long = "x".repeat(1000);
    let (url, _rx) = peer(answer("413 Payload Too Large", "text/plain", &long));
    let e = client(&url)
        .post_json_bytes::<serde_json::Value>("/api/v1/hits", b"{}")
        .unwrap_err();
    match &e {
        ApiError::Status {
            status: 413,
            code,
            message,
        } => {
            assert_eq!(code, "http_error");
            assert_eq!(message.len(), MAX_ERROR_TEXT);
        }
        other => panic!("{other:?}"),
    }
    assert!(!e.is_transient() && !e.is_auth());
}

#[test]
fn a_5xx_is_transient() {
    let (url, _rx) = peer(answer(
        "503 Service Unavailable",
        "application/json",
        r#"{"error":{"code":"unavailable","message":"draining"}}"#,
    ));
    let e = client(&url)
        .post_json::<_, serde_json::Value>("/api/v1/hits", &1)
        .unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert!(e.is_transient() && !e.is_auth());
    assert_eq!(e.to_string(), "503 unavailable: draining");
}

#[test]
fn an_unreachable_server_is_transient() {
    // A port that was just free: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = client(&format!("http://127.0.0.1:{port}/"))
        .post_json::<_, serde_json::Value>("/api/v1/checkin", &1)
        .unwrap_err();
    assert!(matches!(e, ApiError::Unreachable(_)), "{e:?}");
    assert!(e.is_transient() && e.status().is_none());
}

#[test]
fn a_success_with_invalid_json_is_an_unreadable_answer() {
    let (url, _rx) = peer(answer("200 OK", "application/json", "{not json"));
    let e = client(&url)
        .post_json::<_, serde_json::Value>("/api/v1/intel/confirm", &1)
        .unwrap_err();
    assert!(matches!(e, ApiError::InvalidResponse(_)), "{e:?}");
    assert!(e.to_string().starts_with("unreadable answer: "), "{e}");
    assert!(e.is_transient());
}

#[test]
fn get_answers_none_for_no_content_and_puts_send_octets() {
    let (url, rx) = peer("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".into());
    let got = client(&url)
        .get_json::<serde_json::Value>("/api/v1/agent/jobs/next", &[("wait", "0")])
        .unwrap();
    assert_eq!(got, None);
    let (head, _) = rx.recv().unwrap();
    assert!(
        head.starts_with("GET /api/v1/agent/jobs/next?wait=0 HTTP/1.1\r\n"),
        "{head}"
    );

    let (url, rx) = peer(answer("200 OK", "application/json", r#"{"id":7}"#));
    let got: serde_json::Value = client(&url)
        .put_octets(
            "/api/v1/agent/jobs/7/result",
            &[("lease_id", "l"), ("ext", "bin")],
            &b"\x00\x01"[..],
        )
        .unwrap();
    assert_eq!(got["id"], 7);
    let (head, body) = rx.recv().unwrap();
    assert!(
        head.starts_with("PUT /api/v1/agent/jobs/7/result?lease_id=l&ext=bin HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/octet-stream"),
        "{head}"
    );
    assert_eq!(body, b"\x00\x01");
}

#[test]
fn backoff_doubles_up_to_its_maximum_and_a_success_resets_it() {
    let s = Duration::from_secs;
    let mut b = Backoff::new(s(1), s(60));
    let waits: Vec<_> = (0..8).map(|_| b.failed()).collect();
    assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60].map(s));
    b.succeeded();
    assert_eq!(b.failed(), s(1));
}
