//! Portals run as a separate process or a second instance: their databases.

use super::*;

/// A database for a portal that a reliability test runs as a separate process: `url` is
/// None on SQLite (the portal's default file in its data folder), or a fresh PostgreSQL
pub struct RelDatabase {
    pub url: Option<String>,
    cleanup: Option<(String, String)>,
}

impl Drop for RelDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, db)) = self.cleanup.take() {
            if let Ok(mut c) = diesel::PgConnection::establish(&admin_url) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
            }
        }
    }
}

pub fn rel_database(backend: &Backend) -> RelDatabase {
    match backend {
        Backend::Sqlite => RelDatabase {
            url: None,
            cleanup: None,
        },
        Backend::Postgres(admin) => {
            let (url, name) = fresh_postgres(admin);
            RelDatabase {
                url: Some(url),
                cleanup: Some((admin.clone(), name)),
            }
        }
    }
}

/// A second portal instance on `first`'s database, sharing its data folder (keys, so it
/// can read what the first encrypted, and the `.eml` folder). The first app drops the
/// database; drop this one first.
pub async fn rel_spawn_second(first: &TestApp, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = test_settings(&first.data_dir);
    settings.database_url = first.state.settings.database_url.clone();
    tweak(&mut settings);
    let data_dir = settings.data_dir.clone();
    let app = dsar_portal::Application::build(settings).expect("second instance builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state.clone();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: new_client(),
        state,
        backend: first.backend,
        data_dir,
        first_admin: first.first_admin.clone(),
        _dir: dir,
        pg_cleanup: None,
    }
}

/// A fresh PostgreSQL database next to the one `admin_url` names: (url, name). Drop it
/// with [`drop_postgres_database`] (for servers started outside `spawn_app`).
pub fn fresh_postgres_database(admin_url: &str) -> (String, String) {
    fresh_postgres(admin_url)
}

pub fn drop_postgres_database(admin_url: &str, name: &str) {
    if let Ok(mut c) = diesel::PgConnection::establish(admin_url) {
        let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}
