//! Inputs the suites build: mail files, multipart bodies, ports, SMTP and webhook settings.

/// The finished `.eml` files in a mail folder (the portal writes each under a temporary
/// name first and renames it into place).
pub fn eml_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect()
        })
        .unwrap_or_default()
}

/// The boundary of the multipart bodies `multipart_body` builds.
pub const MULTIPART_BOUNDARY: &str = "----dsarTestBoundaryQ3x9f7";

/// The Content-Type header that goes with `multipart_body`.
pub fn multipart_content_type() -> String {
    format!("multipart/form-data; boundary={MULTIPART_BOUNDARY}")
}

/// A multipart/form-data body as a browser writes it: the text fields, then the file (if
/// any) in the request form's `agent_document` input.
pub fn multipart_body(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    multipart_body_with(fields, "agent_document", file)
}

/// `multipart_body` with the file in the input named `file_field`.
pub fn multipart_body_with(
    fields: &[(&str, &str)],
    file_field: &str,
    file: Option<(&str, &[u8])>,
) -> Vec<u8> {
    let mut b = Vec::new();
    for (name, value) in fields {
        b.extend_from_slice(format!("--{MULTIPART_BOUNDARY}\r\n").as_bytes());
        b.extend_from_slice(
            format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
        );
        b.extend_from_slice(value.as_bytes());
        b.extend_from_slice(b"\r\n");
    }
    if let Some((filename, bytes)) = file {
        b.extend_from_slice(format!("--{MULTIPART_BOUNDARY}\r\n").as_bytes());
        b.extend_from_slice(
            format!(
                "Content-Disposition: form-data; name=\"{file_field}\"; \
                 filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        b.extend_from_slice(bytes);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{MULTIPART_BOUNDARY}--\r\n").as_bytes());
    b
}

/// A port nothing listens on at the moment of asking.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Plain SMTP (no TLS, no login) on this machine's `port`.
pub fn local_smtp(port: u16) -> dsar_portal::config::SmtpSettings {
    dsar_portal::config::SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        tls: "none".into(),
        username: None,
        password_env: None,
        password_file: None,
        timeout_seconds: 5,
    }
}

/// A webhook connector named `name` calling `base_url`, unsigned until a test sets
/// its secret; the Matomo fields keep their neutral values.
pub fn webhook_config(name: &str, base_url: &str) -> dsar_portal::config::ConnectorConfig {
    dsar_portal::config::ConnectorConfig {
        name: name.into(),
        kind: "webhook".into(),
        url_env: None,
        url_file: None,
        table_prefix: String::new(),
        site_ids: Vec::new(),
        user_id_from: "email".into(),
        user_id_salt_env: None,
        purge_orphaned_actions: false,
        search_user_id_column: true,
        batch_size: 100,
        base_url: Some(base_url.into()),
        token_env: None,
        token_file: None,
        timeout_seconds: 5,
        ..Default::default()
    }
}
