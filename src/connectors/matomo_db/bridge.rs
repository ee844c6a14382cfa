//! The bridge between the synchronous `Connector` trait and `mysql_async`: each instance
//! owns a single-threaded runtime, blocks on it per call, and winds it down on drop.

use super::errors::db_error;
use super::MatomoDb;
use crate::connectors::ConnectorError;
use mysql_async::Conn;
use std::time::Duration;

/// Statements can legitimately run for minutes on large log tables; only connecting is
/// bounded, so that an unreachable server becomes a retryable error instead of a hang.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

impl MatomoDb {
    pub(super) async fn connect(&self) -> Result<Conn, ConnectorError> {
        match tokio::time::timeout(CONNECT_TIMEOUT, self.pool.get_conn()).await {
            Ok(conn) => conn.map_err(db_error),
            Err(_) => Err(ConnectorError::Temporary(
                "timed out connecting to the Matomo database".into(),
            )),
        }
    }

    pub(super) fn run<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, ConnectorError>>,
    ) -> Result<T, ConnectorError> {
        match &self.rt {
            Some(rt) => rt.block_on(work),
            None => Err(ConnectorError::Temporary(
                "the connector is shutting down".into(),
            )),
        }
    }
}

impl Drop for MatomoDb {
    fn drop(&mut self) {
        let Some(rt) = self.rt.take() else { return };
        // Inside another runtime (the portal's state dropped by an async task) neither
        // blocking nor a plain runtime drop is allowed: let it wind down in the background.
        if tokio::runtime::Handle::try_current().is_ok() {
            rt.shutdown_background();
            return;
        }
        // Otherwise close pooled connections cleanly instead of leaving the server to
        // notice aborted ones. The timer must be created inside the runtime.
        let pool = self.pool.clone();
        let _ = rt.block_on(async move {
            tokio::time::timeout(Duration::from_secs(5), pool.disconnect()).await
        });
    }
}
