//! A webhook receiver (the organisation's system) that can hold a call open.

use super::*;

pub(super) struct Call {
    pub(super) event: String,
    pub(super) body: Json,
    pub(super) verified: bool,
}

/// The organisation's system on 127.0.0.1 (std threads, one request per connection).
/// `hold(event, n)` says whether the n-th call (from 0) of that event is held open, with
/// no answer, until the caller goes away.
pub(super) struct Receiver {
    pub(super) url: String,
    pub(super) addr: SocketAddr,
    pub(super) calls: Arc<Mutex<Vec<Call>>>,
    stop: Arc<AtomicBool>,
}

type Hold = Arc<dyn Fn(&str, usize) -> bool + Send + Sync>;

impl Receiver {
    pub(super) fn start(hold: impl Fn(&str, usize) -> bool + Send + Sync + 'static) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind receiver");
        let addr = listener.local_addr().expect("addr");
        let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let hold: Hold = Arc::new(hold);
        let (c, s) = (calls.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (c, hold) = (c.clone(), hold.clone());
                std::thread::spawn(move || serve_call(stream, &c, &hold));
            }
        });
        Receiver {
            url: format!("http://{addr}/dsar"),
            addr,
            calls,
            stop,
        }
    }

    pub(super) fn count(&self, event: &str) -> usize {
        let calls = self.calls.lock().unwrap();
        calls.iter().filter(|c| c.event == event).count()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve_call(mut stream: TcpStream, calls: &Mutex<Vec<Call>>, hold: &Hold) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(120)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let header = |name: &str| {
        head.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let length: usize = header("content-length").parse().unwrap_or(0);
    while buf.len() < head_end + length {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = &buf[head_end..head_end + length];
    let verified = dsar_portal::connectors::webhook::verify(
        SHOP_SECRET.as_bytes(),
        &header("x-dsar-timestamp"),
        &header("x-dsar-signature"),
        body,
        chrono::Utc::now().timestamp(),
        300,
    );
    let value: Json = serde_json::from_slice(body).unwrap_or_default();
    let event = value["event"].as_str().unwrap_or("").to_string();
    let nth = {
        let mut calls = calls.lock().unwrap();
        let nth = calls.iter().filter(|c| c.event == event).count();
        calls.push(Call {
            event: event.clone(),
            body: value.clone(),
            verified,
        });
        nth
    };
    if verified && hold(&event, nth) {
        // Hold the call: read until the caller closes the connection (or dies).
        while matches!(stream.read(&mut chunk), Ok(n) if n > 0) {}
        return;
    }
    let (status, answer) = if !verified {
        ("401 Unauthorized", json!({}))
    } else {
        match event.as_str() {
            "find" => (
                "200 OK",
                json!({"keys": [{"key": "email", "strength": "strong", "records": 1}],
                       "counts": {"orders": 1}, "refs": {"subject": value["subject"]}}),
            ),
            "export" => (
                "200 OK",
                json!({"tables": {"orders": [{"order_id": "o-1"}]}}),
            ),
            "erase" => ("200 OK", json!({"deleted": {"orders": 1}, "follow_up": []})),
            "opt_out" => ("200 OK", json!({"opt_out": "done"})),
            _ => ("400 Bad Request", json!({})),
        }
    };
    let text = answer.to_string();
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
}
