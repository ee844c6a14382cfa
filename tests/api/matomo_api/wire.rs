//! The fake Matomo's answers, in PrivacyManager's wire format: methods, visits and
//! segments decoded the way Matomo decodes them.

use super::*;

fn error(message: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(json!({"result": "error", "message": message}).to_string())
}

fn ok(value: Json) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(value.to_string())
}

#[derive(PartialEq)]
enum Access {
    Admin,
    View,
}

pub(super) async fn matomo(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Shared>,
) -> HttpResponse {
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let params: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let mut state = state.lock().unwrap();
    state.requests.push(Recorded {
        http_method: req.method().to_string(),
        path: req.path().to_string(),
        query: req.query_string().to_string(),
        content_type: content_type.clone(),
        params: params.clone(),
    });
    if req.method() != actix_web::http::Method::POST {
        // What a secure-only token gets on GET.
        return error(
            "token_auth is not allowed to be sent by GET: this token may only be used in POST requests",
        );
    }
    if req.path() != "/index.php" || !content_type.starts_with("application/x-www-form-urlencoded")
    {
        return HttpResponse::NotFound().body("<html>Not Found</html>");
    }
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if param("module") != Some("API")
        || !param("format").is_some_and(|f| f.eq_ignore_ascii_case("json"))
    {
        return error("Please specify module=API and format=json");
    }
    let access = match param("token_auth") {
        Some(TOKEN) => Access::Admin,
        Some(VIEW_TOKEN) => Access::View,
        _ => return error(
            "You can't access this resource as it requires 'view' access for the website id = 1.",
        ),
    };
    let method = param("method").unwrap_or("");
    let needs_admin = || {
        error(
            "You can't access this resource as it requires 'admin' access for the website id = 1.",
        )
    };
    match method {
        "API.getMatomoVersion" => ok(json!({"value": "5.2.0"})),
        "SitesManager.getSitesIdWithAdminAccess" => match access {
            Access::Admin => ok(json!(SITES)),
            Access::View => ok(json!([])),
        },
        "PrivacyManager.findDataSubjects" => {
            if access != Access::Admin {
                return needs_admin();
            }
            let sites = match param("idSite") {
                Some("all") => SITES.to_vec(),
                Some(list) => match list.split(',').map(|s| s.trim().parse()).collect() {
                    Ok(sites) => sites,
                    Err(_) => return error("The parameter idSite is not a valid site list"),
                },
                None => return error("Please specify a value for 'idSite'."),
            };
            let segment = match param("segment").map(parse_segment) {
                Some(Ok(segment)) => segment,
                Some(Err(message)) => return error(&message),
                None => return error("Please specify a value for 'segment'."),
            };
            // findDataSubjects calls Live.getLastVisitsDetails with filter_limit=401 as a
            // parameter override, and its own answer is not post-processed: the caller's
            // filter_limit changes nothing. The caller's other parameters do reach Live
            // (a nested request inherits the outer one): filter_sort_order and minTimestamp.
            let descending =
                !param("filter_sort_order").is_some_and(|o| o.eq_ignore_ascii_case("asc"));
            let after = match param("minTimestamp").map(str::parse::<i64>) {
                Some(Ok(ts)) => chrono::DateTime::from_timestamp(ts, 0)
                    .map(|t| t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string()),
                _ => None,
            };
            let mut found: Vec<&FakeVisit> = state
                .visits
                .values()
                .filter(|v| sites.contains(&v.idsite) && segment_matches(&segment, v))
                .filter(|v| {
                    after
                        .as_ref()
                        .is_none_or(|t| v.last_action.as_str() > t.as_str())
                })
                .collect();
            // Live\Model::makeLogVisitsQueryString: `idsite, visit_last_action_time, idvisit`
            // for one site, without idsite for several, all in the one direction.
            let one_site = sites.len() <= 1;
            found.sort_by(|a, b| {
                let key = |v: &FakeVisit| {
                    (
                        if one_site { v.idsite } else { 0 },
                        v.last_action.clone(),
                        v.idvisit,
                    )
                };
                if descending {
                    key(b).cmp(&key(a))
                } else {
                    key(a).cmp(&key(b))
                }
            });
            let rows: Vec<Json> = found
                .into_iter()
                .take(CAP)
                .map(|v| {
                    json!({
                        "lastActionDateTime": v.last_action,
                        "idVisit": v.idvisit,
                        "idSite": v.idsite,
                        "siteName": format!("Site {}", v.idsite),
                        "visitorId": v.visitor_id,
                        "visitIp": v.ip.to_string(),
                        "userId": v.user_id,
                        "deviceType": "Desktop",
                        "operatingSystem": "GNU/Linux",
                        "browser": "Firefox 128.0",
                        "country": "Germany",
                    })
                })
                .collect();
            ok(Json::Array(rows))
        }
        "PrivacyManager.exportDataSubjects" | "PrivacyManager.deleteDataSubjects" => {
            if access != Access::Admin {
                return needs_admin();
            }
            let visits = match parse_visits(&params) {
                Ok(visits) => visits,
                Err(message) => return error(&message),
            };
            let ids: BTreeSet<u64> = visits
                .iter()
                .filter(|(site, id)| state.visits.get(id).is_some_and(|v| v.idsite == *site))
                .map(|(_, id)| *id)
                .collect();
            if method.ends_with("exportDataSubjects") {
                let log_visit: Vec<Json> = ids
                    .iter()
                    .map(|id| {
                        let v = &state.visits[id];
                        json!({
                            "idvisit": v.idvisit,
                            "idsite": v.idsite,
                            "idvisitor": v.visitor_id,
                            "user_id": v.user_id,
                            "location_ip": hex::encode(v.ip.octets()),
                            "visit_last_action_time": v.last_action,
                        })
                    })
                    .collect();
                let actions: Vec<Json> = state
                    .actions
                    .iter()
                    .filter(|a| ids.contains(&a.idvisit))
                    .map(|a| {
                        json!({
                            "idlink_va": a.idlink_va,
                            "idvisit": a.idvisit,
                            "idsite": a.idsite,
                            "idaction_url": 7,
                            "idaction_name": 8,
                        })
                    })
                    .collect();
                ok(json!({
                    "log_visit": log_visit,
                    "log_link_visit_action": actions,
                    "log_conversion": [],
                    "log_conversion_item": [],
                    "log_action_log_link_visit_action_idaction_url": [
                        {"idaction": 7, "name": "example.org/account"}
                    ],
                }))
            } else {
                let before = state.actions.len();
                state.actions.retain(|a| !ids.contains(&a.idvisit));
                let actions = before - state.actions.len();
                for id in &ids {
                    state.visits.remove(id);
                }
                ok(json!({
                    "log_conversion_item": 0,
                    "log_conversion": 0,
                    "log_link_visit_action": actions,
                    "log_visit": ids.len(),
                }))
            }
        }
        other => error(&format!(
            "The method '{other}' does not exist or is not available in the module 'API'."
        )),
    }
}

/// `visits[N][idsite]=…&visits[N][idvisit]=…` into (idsite, idvisit) pairs.
fn parse_visits(params: &[(String, String)]) -> Result<Vec<(u64, u64)>, String> {
    let mut by_index: BTreeMap<usize, (Option<u64>, Option<u64>)> = BTreeMap::new();
    for (key, value) in params {
        let Some(rest) = key.strip_prefix("visits[") else {
            continue;
        };
        let (index, field) = rest
            .split_once("][")
            .ok_or_else(|| format!("malformed parameter {key}"))?;
        let index: usize = index.parse().map_err(|_| format!("malformed {key}"))?;
        let value: u64 = value.parse().map_err(|_| format!("malformed {key}"))?;
        let entry = by_index.entry(index).or_default();
        match field {
            "idsite]" => entry.0 = Some(value),
            "idvisit]" => entry.1 = Some(value),
            _ => return Err(format!("unknown field in {key}")),
        }
    }
    if by_index.is_empty() {
        return Err("No list of visits given".into());
    }
    by_index
        .into_values()
        .map(|pair| match pair {
            (Some(site), Some(visit)) => Ok((site, visit)),
            _ => Err("Each visit needs an idsite and an idvisit".into()),
        })
        .collect()
}

/// PHP's urldecode.
fn urldecode(s: &str) -> String {
    form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

struct Condition {
    name: String,
    op: String,
    value: String,
}

/// AND of ORs, as Matomo groups `a,b;c`.
type Segment = Vec<Vec<Condition>>;

/// Matomo's decoding of the (form-decoded) segment parameter: the whole is urldecoded,
/// split at `;` and `,` not escaped by a backslash (the backslash is dropped), then each
/// condition is urldecoded and its value urldecoded once more.
fn parse_segment(raw: &str) -> Result<Segment, String> {
    let whole = urldecode(raw);
    let mut groups: Segment = vec![Vec::new()];
    let mut operand = String::new();
    let mut backslash = false;
    let push = |operand: &str, groups: &mut Segment| -> Result<(), String> {
        let operand = urldecode(operand);
        let (name, op, value) = ["==", "!=", ">=", "<=", ">", "<"]
            .iter()
            .filter_map(|op| operand.find(op).map(|at| (at, *op)))
            .min_by_key(|(at, op)| (*at, std::cmp::Reverse(op.len())))
            .map(|(at, op)| (&operand[..at], op, &operand[at + op.len()..]))
            .ok_or_else(|| format!("The segment condition '{operand}' is not valid."))?;
        if !matches!(name, "userId" | "visitorId" | "visitIp" | "visitId") {
            return Err(format!("Segment '{name}' is not a supported segment."));
        }
        groups.last_mut().unwrap().push(Condition {
            name: name.to_string(),
            op: op.to_string(),
            value: urldecode(value),
        });
        Ok(())
    };
    for c in whole.chars() {
        let delimiter = c == ';' || c == ',';
        if delimiter && !backslash {
            push(&std::mem::take(&mut operand), &mut groups)?;
            if c == ';' {
                groups.push(Vec::new());
            }
        } else {
            if delimiter {
                operand.pop();
            }
            operand.push(c);
        }
        backslash = c == '\\';
    }
    push(&operand, &mut groups)?;
    Ok(groups)
}

/// How Matomo's segments compare, as SQL on `log_visit`:
/// - `userId` is `user_id = ?` on a VARCHAR in `utf8mb4_general_ci`, which ignores case
///   and (PAD SPACE) trailing spaces: `ALICE@example.com` and `alice@example.com ` match
///   `userId==alice@example.com` (the collation also folds many accents; no test needs it);
/// - `visitorId` goes through `Common::convertVisitorIdToBin` and compares BINARY(8) bytes,
///   so it is exact (hex digits in either case are the same bytes);
/// - `visitId` is `idvisit <op> ?`, a number.
fn segment_matches(segment: &Segment, v: &FakeVisit) -> bool {
    segment.iter().all(|any| {
        any.iter().any(|c| match (c.name.as_str(), c.op.as_str()) {
            ("userId", "==") => v
                .user_id
                .as_deref()
                .is_some_and(|stored| general_ci_eq(stored, &c.value)),
            ("visitorId", "==") => match (hex::decode(&v.visitor_id), hex::decode(&c.value)) {
                (Ok(stored), Ok(wanted)) => stored == wanted,
                _ => false,
            },
            ("visitId", op) => c.value.parse::<u64>().is_ok_and(|n| match op {
                "==" => v.idvisit == n,
                ">" => v.idvisit > n,
                "<" => v.idvisit < n,
                ">=" => v.idvisit >= n,
                "<=" => v.idvisit <= n,
                _ => false,
            }),
            ("visitIp", op) => match c.value.parse::<Ipv4Addr>() {
                Ok(bound) => match op {
                    ">=" => v.ip >= bound,
                    "<=" => v.ip <= bound,
                    "==" => v.ip == bound,
                    _ => false,
                },
                Err(_) => false,
            },
            _ => false,
        })
    })
}

/// `utf8mb4_general_ci` equality with PAD SPACE, for the ASCII these tests use.
fn general_ci_eq(a: &str, b: &str) -> bool {
    let fold = |s: &str| s.trim_end_matches(' ').to_lowercase();
    fold(a) == fold(b)
}
