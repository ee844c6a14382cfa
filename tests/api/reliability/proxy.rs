//! A TCP proxy in front of PostgreSQL that a test can cut and reopen, or freeze and thaw.

use super::*;

/// Forwards 127.0.0.1:<port> to `upstream`; `cut` closes the listener and every
/// connection, `reopen` listens on the same port again. `freeze` stops forwarding in both
/// directions but keeps every socket open (a stalled network path: the database neither
/// answers nor refuses), `thaw` forwards again, the bytes held meanwhile first.
pub(super) struct Proxy {
    pub(super) addr: SocketAddr,
    upstream: String,
    open: Arc<AtomicBool>,
    frozen: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    acceptor: Option<JoinHandle<()>>,
}

impl Proxy {
    pub(super) fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let mut proxy = Proxy {
            addr: listener.local_addr().expect("addr"),
            upstream: upstream.to_string(),
            open: Arc::new(AtomicBool::new(false)),
            frozen: Arc::new(AtomicBool::new(false)),
            conns: Arc::default(),
            acceptor: None,
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: TcpListener) {
        listener.set_nonblocking(true).expect("nonblocking");
        self.open.store(true, Ordering::SeqCst);
        let (open, conns, upstream) =
            (self.open.clone(), self.conns.clone(), self.upstream.clone());
        let frozen = self.frozen.clone();
        self.acceptor = Some(std::thread::spawn(move || {
            while open.load(Ordering::SeqCst) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let _ = client.set_nonblocking(false);
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let pair = (client.try_clone(), server.try_clone());
                let (Ok(c2), Ok(s2)) = pair else { continue };
                let mut list = conns.lock().unwrap();
                for s in [&client, &server] {
                    if let Ok(s) = s.try_clone() {
                        list.push(s);
                    }
                }
                pipe(client, s2, frozen.clone());
                pipe(server, c2, frozen.clone());
            }
            // The listener is dropped here: new connections are refused.
        }));
    }

    pub(super) fn cut(&mut self) {
        self.open.store(false, Ordering::SeqCst);
        if let Some(a) = self.acceptor.take() {
            a.join().expect("acceptor");
        }
        for s in self.conns.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    pub(super) fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }

    pub(super) fn thaw(&self) {
        self.frozen.store(false, Ordering::SeqCst);
    }

    pub(super) fn reopen(&mut self) {
        let listener = rel_wait(
            "the proxy port is free again",
            Duration::from_secs(30),
            || TcpListener::bind(self.addr).ok(),
        );
        self.serve(listener);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream, frozen: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            // Frozen: what arrives is held, not forwarded, until the thaw.
            while frozen.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(10));
            }
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}

/// host:port of a postgres:// URL.
pub(super) fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let host = authority
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or(authority);
    if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    }
}
