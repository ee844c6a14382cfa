//! Static files, embedded in the binary. Every flow works without JavaScript.

use actix_web::{web, HttpResponse};

const FILES: &[(&str, &str, &str)] = &[(
    "style.css",
    "text/css; charset=utf-8",
    include_str!("../../../static/style.css"),
)];

pub async fn serve(path: web::Path<String>) -> HttpResponse {
    match FILES.iter().find(|(name, _, _)| *name == path.as_str()) {
        Some((_, mime, body)) => HttpResponse::Ok()
            .content_type(*mime)
            .insert_header(("Cache-Control", "public, max-age=3600"))
            .body(*body),
        None => HttpResponse::NotFound().finish(),
    }
}
