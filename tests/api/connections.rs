//! What one client can hold of the server: connections waiting for bodies that never
//! come, and logins queued for the password hasher (docs/SECURITY.md, issue 15).

use crate::helpers::*;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpSocket, TcpStream};

/// The head of a login whose 60,000-byte body never comes.
const STALLED_LOGIN: &[u8] = b"POST /staff/login HTTP/1.1\r\nHost: 127.0.0.1\r\n\
Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\n";
const STALLED: usize = 200;
const PER_CLIENT: usize = 50;

/// A connection from `source` (any 127.0.0.0/8 address works on loopback).
async fn connect_from(source: [u8; 4], server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from((source, 0)))
        .expect("bind a loopback source address");
    socket.connect(server).await.expect("connect")
}

async fn send(stream: &TcpStream, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        stream.writable().await.expect("writable");
        match stream.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("write: {e}"),
        }
    }
}

/// Everything the server sends until it closes the connection.
async fn read_until_closed(stream: &TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        stream.readable().await.expect("readable");
        match stream.try_read(&mut buf) {
            Ok(0) => return all,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return all,
            Err(e) => panic!("read: {e}"),
        }
    }
}

#[actix_web::test]
async fn stalled_bodies_leave_the_server_answering_and_are_closed_by_it() {
    for backend in backends() {
        let app = spawn_app_with(&backend, |s| {
            s.limits.body_idle_seconds = 1;
            s.limits.body_total_seconds = 2;
            s.limits.requests_per_client = PER_CLIENT;
        })
        .await;
        let server: SocketAddr = app
            .address
            .trim_start_matches("http://")
            .parse()
            .expect("address");
        // One attacker address opens 200 logins and never sends their bodies.
        let mut stalled = Vec::new();
        for _ in 0..STALLED {
            let c = connect_from([127, 0, 0, 2], server).await;
            send(&c, STALLED_LOGIN).await;
            stalled.push(c);
        }
        // Everyone else is still served meanwhile.
        assert_eq!(app.get("/healthz").await.0, 200, "{}", app.backend);
        assert_eq!(app.get("/staff/login").await.0, 200, "{}", app.backend);
        // The server answers and closes every one of them by itself: those over the
        // per-client bound at once (429), the others when their body is late (408). The
        // bound on the wait only keeps a broken build from hanging the suite.
        let (mut timed_out, mut refused) = (0, 0);
        for c in &stalled {
            let answer = tokio::time::timeout(Duration::from_secs(60), read_until_closed(c))
                .await
                .expect("the server closes a connection whose body never comes");
            let text = String::from_utf8_lossy(&answer);
            if text.starts_with("HTTP/1.1 408") {
                timed_out += 1;
            } else if text.starts_with("HTTP/1.1 429") {
                refused += 1;
            } else {
                panic!("unexpected answer: {}", text.lines().next().unwrap_or(""));
            }
        }
        assert!(
            timed_out >= 1 && refused >= 1,
            "{}: {timed_out} timed out, {refused} refused",
            app.backend
        );
        assert!(timed_out + refused == STALLED);
        assert_eq!(app.state.client_slots.held_by([127, 0, 0, 2].into()), 0);
    }
}

#[actix_web::test]
async fn a_saturated_password_hasher_answers_503_with_retry_after_at_once() {
    for backend in backends() {
        let app = spawn_app_with(&backend, |s| {
            s.limits.password_hash_threads = 1;
            s.limits.password_hash_queue = 0;
        })
        .await;
        let (email, password) = app.first_admin.clone();
        // The one hashing thread is taken until the test lets it go.
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let state = app.state.clone();
        let busy = actix_web::rt::spawn(async move {
            state
                .hash_pool
                .run(move |_| {
                    let _ = wait.recv();
                })
                .await
        });
        while app.state.hash_pool.in_use() == 0 {
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
        let staff = Staff::anonymous(&app);
        let fields = [("email", email.as_str()), ("password", password.as_str())];
        let login = || staff.post_response("/staff/login", "/staff/login", &fields);
        let refused = login().await;
        assert_eq!(refused.status().as_u16(), 503, "{}", app.backend);
        assert!(refused.headers().contains_key("retry-after"));
        let page = refused.text().await.expect("page");
        assert!(page.contains("Too many people are signing in"), "{page}");
        // Nothing was counted against the account: once free, the same login works.
        release.send(()).expect("release");
        busy.await.expect("task").expect("ran");
        assert_eq!(login().await.status().as_u16(), 303, "{}", app.backend);
    }
}
