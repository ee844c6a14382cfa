//! A fake outside system (an organisation's webhook receiver, a Matomo) served by
//! actix-web on its own `System` in a thread: the connectors' blocking clients must not
//! run inside the test's async runtime.

/// A running fake server on 127.0.0.1; stopped and joined when dropped.
pub struct FakeServer {
    pub port: u16,
    system: actix_web::rt::System,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeServer {
    /// Serves the routes and data `configure` sets up, with one worker; `what` names the
    /// fake in the panics of a failed start.
    pub fn start(
        what: &'static str,
        configure: impl Fn(&mut actix_web::web::ServiceConfig) + Clone + Send + 'static,
    ) -> FakeServer {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let server = actix_web::HttpServer::new(move || {
                    actix_web::App::new().configure(configure.clone())
                })
                .workers(1)
                .disable_signals()
                .bind(("127.0.0.1", 0))
                .unwrap_or_else(|e| panic!("bind {what}: {e}"));
                let port = server.addrs()[0].port();
                actix_web::rt::spawn(server.run());
                tx.send((port, actix_web::rt::System::current()))
                    .expect("report the port");
            });
            let _ = system.run();
        });
        let (port, system) = rx
            .recv()
            .unwrap_or_else(|_| panic!("{what} does not start"));
        FakeServer {
            port,
            system,
            thread: Some(thread),
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.system.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
