//! The OpenAPI document: what poem-openapi derives from the handlers and DTOs, plus the
//! few facts it cannot express, added here in one place (each step is tested):
//!
//! 1. `additionalProperties: false` on every object a request body can carry: every
//!    input object refuses unknown fields (`deny_unknown_fields`), and poem-openapi does
//!    not say so.
//! 2. Operations with an unsafe method that take the session cookie also need the CSRF
//!    header: one security requirement with both schemes. (poem-openapi lists each
//!    scheme of an operation as an alternative.)
//! 3. `415` only on operations that take a body, `412`/`428` only on those that take
//!    `If-Match` (the error type lists them for all).
//! 4. The session cookie's name in this environment (`__Host-sp_session` over HTTPS).
//! 5. No `default: null` on optional parameters (written for the `default` that works
//!    around poem-openapi's panic on an absent `explode = false` parameter).
//!
//! The same document is served at `/api/openapi.json`, embedded in `/docs`, printed by
//! `student-palace openapi`, and read by the allowed-methods table behind `Allow`.

use std::collections::BTreeSet;

use poem::http::Method;
use poem_openapi::ContactObject;
use poem_openapi::OpenApiService;
use serde_json::{Map, Value, json};

use crate::api;
use crate::auth::{CSRF_SCHEME, SESSION_SCHEME, cookie_name};

/// Where the API is mounted.
pub const API_PREFIX: &str = "/api/v1";

fn service(version: &str) -> OpenApiService<api::Apis, ()> {
    OpenApiService::new(api::apis(), "Student Palace API", version)
        .server(API_PREFIX)
        .description(
            "UK student accommodation: listings, search, shortlists, enquiries. Errors are \
             application/problem+json (RFC 9457). Conventions (null and absent fields, errors, \
             authentication, pagination): docs/api.md.",
        )
        .contact(ContactObject::new().name("Student Palace engineering").url("https://student-palace.co.uk/developers"))
}

/// The refined document.
pub fn document(version: &str, secure_cookies: bool) -> Value {
    let mut doc: Value = serde_json::from_str(&service(version).spec()).expect("poem-openapi writes JSON");
    refine(&mut doc, secure_cookies);
    doc
}

/// Swagger UI, showing the refined document.
pub fn swagger_html(version: &str, secure_cookies: bool) -> String {
    let svc = service(version);
    let derived = svc.spec();
    let refined = serde_json::to_string(&document(version, secure_cookies)).expect("a JSON value");
    let html = svc.swagger_ui_html();
    debug_assert!(html.contains(&derived), "poem-openapi embeds the document as written");
    html.replacen(&derived, &refined, 1)
}

/// The Content-Security-Policy for the Swagger UI page: its inline script and style
/// blocks are allowed by their SHA-256 hashes (nothing else runs), it may call the API
/// on this origin (try it out), and it can't be framed.
pub fn swagger_csp(html: &str) -> String {
    let hashes = |tag: &str| -> String {
        use base64::Engine as _;
        use sha2::Digest as _;
        let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
        let mut out = Vec::new();
        let mut rest = html;
        while let Some(start) = rest.find(&open) {
            let after = &rest[start..];
            let Some(body_start) = after.find('>') else { break };
            let Some(end) = after.find(&close) else { break };
            let body = &after[body_start + 1..end];
            let digest = sha2::Sha256::digest(body.as_bytes());
            out.push(format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest)));
            rest = &after[end + close.len()..];
        }
        out.join(" ")
    };
    // Swagger UI also sets style attributes from script: styles need 'unsafe-inline'
    // (low risk: no script can be injected through a style).
    format!(
        "default-src 'none'; script-src {}; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        hashes("script")
    )
}

#[cfg(test)]
mod csp_tests {
    #[test]
    fn the_docs_policy_allows_exactly_the_inline_scripts_by_hash() {
        // printf 'alert(1)' | openssl dgst -sha256 -binary | base64
        let csp = super::swagger_csp("<html><script charset=\"UTF-8\">alert(1)</script><p>x</p><script>\n</script>");
        assert!(csp.contains("script-src 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=' 'sha256-"), "{csp}");
        assert_eq!(csp.matches("'sha256-").count(), 2, "{csp}");
        assert!(csp.starts_with("default-src 'none';"));
    }
}

const UNSAFE_METHODS: [&str; 4] = ["post", "put", "patch", "delete"];
const METHODS: [&str; 8] = ["get", "head", "options", "trace", "post", "put", "patch", "delete"];

/// The operations `middleware::HttpCaching` serves with `ETag`, 304 and a public
/// `Cache-Control` (to requests without a session cookie).
const CACHEABLE_OPERATIONS: [&str; 3] = ["listCities", "stats", "searchListings"];

/// The full paths (`/api/v1/...`) of the cacheable operations in `doc`, for
/// `middleware::HttpCaching`: the document is the one list.
pub fn cacheable_paths(doc: &Value) -> Vec<String> {
    doc["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, item)| item["get"]["operationId"].as_str().is_some_and(|id| CACHEABLE_OPERATIONS.contains(&id)))
        .map(|(path, _)| format!("{API_PREFIX}{path}"))
        .collect()
}

/// Documents what `middleware::HttpCaching` adds to a cacheable operation.
fn document_caching(op: &mut Value) {
    let params = op.as_object_mut().expect("operation").entry("parameters").or_insert_with(|| json!([]));
    params.as_array_mut().expect("parameters").push(json!({
        "name": "If-None-Match",
        "in": "header",
        "required": false,
        "description": "An `ETag` this client holds: 304 if it is still current.",
        "schema": {"type": "string"}
    }));
    let header = |d: &str| json!({"description": d, "schema": {"type": "string"}});
    let headers = json!({
        "ETag": header("A validator of this answer (weak), for `If-None-Match`; only to requests without a session cookie."),
        "Cache-Control": header("`public` to requests without a session cookie (counts: `s-maxage`, `stale-while-revalidate`; search: `no-cache`), else `no-store`."),
        "Vary": header("`Cookie`."),
    });
    if let Some(ok) = op.pointer_mut("/responses/200").and_then(Value::as_object_mut) {
        let existing = ok.entry("headers").or_insert_with(|| json!({}));
        for (k, v) in headers.as_object().expect("an object") {
            existing[k] = v.clone();
        }
    }
    op["responses"]["304"] = json!({
        "description": "Not modified: the `ETag` named in `If-None-Match` is still current. No body.",
        "headers": headers
    });
}

fn refine(doc: &mut Value, secure_cookies: bool) {
    close_input_objects(doc);
    let paths = doc["paths"].as_object_mut().expect("paths");
    for item in paths.values_mut() {
        for (method, op) in item.as_object_mut().expect("path item") {
            for param in op.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten() {
                if let Some(schema) = param.get_mut("schema").and_then(Value::as_object_mut)
                    && schema.get("default") == Some(&Value::Null)
                {
                    schema.remove("default");
                }
            }
            if op.get("operationId").and_then(Value::as_str).is_some_and(|id| CACHEABLE_OPERATIONS.contains(&id)) {
                document_caching(op);
            }
            let has_body = op.get("requestBody").is_some();
            let conditional = op
                .get("parameters")
                .and_then(Value::as_array)
                .is_some_and(|ps| ps.iter().any(|p| p["in"] == "header" && p["name"] == "If-Match"));
            if let Some(r) = op.get_mut("responses").and_then(Value::as_object_mut) {
                if !has_body {
                    r.remove("415");
                }
                if !conditional {
                    r.remove("412");
                    r.remove("428");
                }
            }
            if UNSAFE_METHODS.contains(&method.as_str())
                && let Some(reqs) = op.get_mut("security").and_then(Value::as_array_mut)
            {
                for req in reqs.iter_mut().filter_map(Value::as_object_mut) {
                    if req.contains_key(SESSION_SCHEME) {
                        req.insert(CSRF_SCHEME.to_owned(), json!([]));
                    }
                }
            }
        }
    }
    if let Some(s) = doc.pointer_mut(&format!("/components/securitySchemes/{SESSION_SCHEME}")) {
        s["name"] = json!(cookie_name(secure_cookies));
    }
}

/// Names of the component schemas `v` refers to.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref")
                && let Some(name) = r.strip_prefix("#/components/schemas/")
            {
                out.push(name.to_owned());
            }
            m.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

/// Every object schema reachable from a request body gets `additionalProperties: false`.
fn close_input_objects(doc: &mut Value) {
    let mut pending = Vec::new();
    for item in doc["paths"].as_object().into_iter().flat_map(Map::values) {
        for op in item.as_object().into_iter().flat_map(Map::values) {
            if let Some(body) = op.get("requestBody") {
                refs(body, &mut pending);
            }
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(schema) = doc.pointer_mut(&format!("/components/schemas/{name}")) else { continue };
        refs(schema, &mut pending);
        if schema.get("type").and_then(Value::as_str) == Some("object") {
            schema["additionalProperties"] = json!(false);
        }
    }
}

/// The methods each path of the service answers, for the `Allow` header of a 405.
#[derive(Debug, Clone, Default)]
pub struct AllowedMethods {
    /// Path templates (`/api/v1/listings/{id}`) split into segments, and their methods.
    routes: Vec<(Vec<String>, Vec<Method>)>,
}

/// The document's path templates (`/api/v1/listings/{id}`) by shape (`/api/v1/listings/*`):
/// poem names path parameters `:param0`, the document by their real names.
pub fn route_templates(doc: &Value) -> std::collections::HashMap<String, String> {
    doc["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(path, _)| {
            let template = format!("{API_PREFIX}{path}");
            (crate::metrics::shape(&template, '{'), template)
        })
        .collect()
}

impl AllowedMethods {
    /// From the document's paths (under [`API_PREFIX`]) and the service's other routes.
    pub fn new(doc: &Value, others: &[(&str, &[Method])]) -> Self {
        let mut routes = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            let mut methods: Vec<Method> = METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .filter_map(|m| Method::from_bytes(m.to_uppercase().as_bytes()).ok())
                .collect();
            if methods.contains(&Method::GET) && !methods.contains(&Method::HEAD) {
                methods.insert(1, Method::HEAD);
            }
            routes.push((segments(&format!("{API_PREFIX}{path}")), methods));
        }
        for (path, methods) in others {
            routes.push((segments(path), methods.to_vec()));
        }
        Self { routes }
    }

    /// The `Allow` value for `path`: the methods of the route it matches (GET and HEAD
    /// for a path no route names, such as the Swagger UI's files).
    pub fn allow(&self, path: &str) -> String {
        let asked = segments(path);
        let matched = self.routes.iter().find(|(tpl, _)| {
            tpl.len() == asked.len()
                && tpl.iter().zip(&asked).all(|(t, a)| t == a || (t.starts_with('{') && !a.is_empty()))
        });
        match matched {
            Some((_, methods)) => methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", "),
            None => "GET, HEAD".to_owned(),
        }
    }
}

fn segments(path: &str) -> Vec<String> {
    path.trim_end_matches('/').split('/').map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        document("test", false)
    }

    #[test]
    fn input_objects_refuse_unknown_properties() {
        let d = doc();
        for name in
            ["ListingInput", "ListingPatchInput", "RegisterInput", "LoginInput", "EnquiryInput", "UnpublishInput"]
        {
            assert_eq!(d["components"]["schemas"][name]["additionalProperties"], false, "{name}");
        }
        assert!(d["components"]["schemas"]["ListingDto"].get("additionalProperties").is_none(), "outputs stay open");
    }

    #[test]
    fn unsafe_signed_in_operations_need_the_session_and_the_csrf_header() {
        let d = doc();
        assert_eq!(d["paths"]["/listings"]["post"]["security"], json!([{"session": [], "csrf": []}]));
        assert_eq!(d["paths"]["/me"]["get"]["security"], json!([{"session": []}]));
        assert_eq!(d["paths"]["/listings/{id}"]["get"]["security"], json!([{"session": []}, {}]), "optional");
        assert_eq!(d["paths"]["/auth/logout"]["post"]["security"], json!([{"session": [], "csrf": []}, {}]));
        assert!(d["paths"]["/listings"]["get"].get("security").is_none(), "search is anonymous");
        assert_eq!(d["components"]["securitySchemes"]["csrf"]["name"], "X-CSRF-Token");
        assert_eq!(document("t", true)["components"]["securitySchemes"]["session"]["name"], "__Host-sp_session");
    }

    #[test]
    fn unsupported_media_type_only_where_a_body_is_read() {
        let d = doc();
        assert!(d["paths"]["/listings"]["post"]["responses"].get("415").is_some());
        assert!(d["paths"]["/listings"]["get"]["responses"].get("415").is_none());
        for (path, method) in
            [("/listings/{id}", "patch"), ("/listings/{id}/publish", "post"), ("/listings/{id}", "delete")]
        {
            let responses = &d["paths"][path][method]["responses"];
            assert!(responses.get("412").is_some() && responses.get("428").is_some(), "{method} {path}");
        }
        assert!(d["paths"]["/listings"]["post"]["responses"].get("428").is_none());
        let mut cacheable = cacheable_paths(&d);
        cacheable.sort();
        assert_eq!(cacheable, ["/api/v1/cities", "/api/v1/listings", "/api/v1/stats"]);
        assert!(d["paths"]["/stats"]["get"]["responses"].get("304").is_some());
        assert!(d["paths"]["/listings"]["get"]["responses"].get("503").is_some());
        assert!(d["paths"]["/listings"]["get"]["responses"]["503"]["headers"].get("RETRY-AFTER").is_some());
    }

    #[test]
    fn no_naive_formats_remain() {
        let text = serde_json::to_string(&doc()).unwrap();
        assert!(!text.contains("naive-"), "dates are format: date");
        assert!(text.contains(r#""format":"date""#));
    }

    #[test]
    fn allow_lists_the_methods_of_the_matching_route() {
        let allowed = AllowedMethods::new(&doc(), &[("/livez", &[Method::GET, Method::HEAD])]);
        assert_eq!(allowed.allow("/api/v1/listings"), "GET, HEAD, POST");
        assert_eq!(allowed.allow("/api/v1/listings/0193b4a0-0000-7000-8000-000000000000"), "GET, HEAD, PATCH, DELETE");
        assert_eq!(allowed.allow("/api/v1/listings/x/publish"), "POST");
        assert_eq!(allowed.allow("/livez"), "GET, HEAD");
        assert_eq!(allowed.allow("/docs/oauth-receiver.html"), "GET, HEAD");
    }

    #[test]
    fn swagger_ui_embeds_the_refined_document() {
        let html = swagger_html("t", false);
        assert!(html.contains(r#""additionalProperties":false"#));
    }
}
