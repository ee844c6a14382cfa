//! Security headers on every response.

use actix_web::middleware::DefaultHeaders;

/// No inline script anywhere, no framing, no referrer (links carry secret tokens),
/// no caching of pages (they show personal data). HSTS only when served over TLS.
pub fn security_headers(tls: bool) -> DefaultHeaders {
    let mut h = DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        ))
        .add(("Cache-Control", "no-store"));
    if tls {
        h = h.add((
            "Strict-Transport-Security",
            "max-age=63072000; includeSubDomains",
        ));
    }
    h
}
