//! Login timing: unknown and known emails cost the same.

use super::*;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[actix_web::test]
async fn login_takes_as_long_for_unknown_emails_as_for_known_ones() {
    const N: usize = 15;
    for backend in backends() {
        // No lockout and no rate limit, so that every attempt runs the full check.
        let app = spawn_app_with(&backend, |s| {
            s.rate_limits.enabled = false;
            s.staff.lockout_after = 1_000_000;
        })
        .await;
        let known = app.staff("handler").await.email;
        let anon = Staff::anonymous(&app);
        let (_, page) = anon.get("/staff/login").await;
        let csrf = hidden(&page, "csrf_token");
        let attempt = |email: String| {
            let body = encode(&[
                ("csrf_token", &csrf),
                ("email", &email),
                ("password", "certainly not the password"),
            ]);
            let client = anon.client.clone();
            let url = app.url("/staff/login");
            async move {
                let t = Instant::now();
                let r = post_raw(&client, &url, body, None).await;
                assert_eq!(r.status(), 401);
                t.elapsed()
            }
        };
        // Warm up both paths, then interleave so that drift affects both alike.
        attempt(known.clone()).await;
        attempt("warm@nowhere.example".into()).await;
        let (mut k, mut u) = (Vec::new(), Vec::new());
        for i in 0..N {
            k.push(attempt(known.clone()).await);
            u.push(attempt(format!("nobody-{i}@nowhere.example")).await);
        }
        let (mk, mu) = (median(k), median(u));
        eprintln!(
            "login timing ({}): known email, wrong password: median {:.1} ms; \
             unknown email: median {:.1} ms ({N} each)",
            app.backend,
            mk.as_secs_f64() * 1e3,
            mu.as_secs_f64() * 1e3
        );
        // Defence: Hasher::verify runs Argon2 against a dummy hash for unknown emails;
        // without it an unknown email answers in a fraction of the time.
        let ratio = mk.as_secs_f64().max(mu.as_secs_f64()) / mk.as_secs_f64().min(mu.as_secs_f64());
        assert!(ratio < 3.0, "medians differ {ratio:.1}x ({})", app.backend);
    }
}
