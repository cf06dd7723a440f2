//! The document is usable by a generated client: `openapi-typescript` turns it into
//! TypeScript types and `tsc --noEmit` type-checks a small sample client against them
//! (`tests/contract/client.ts`: register, sign in, `/me`, create and change a listing,
//! search). The sample's `@ts-expect-error` lines must stay errors, so the types refuse
//! what the server refuses (an admin sign-up, unknown fields, a null cursor read as a
//! string). And a document that broke the sample makes the check fail.

use std::path::Path;

use serde_json::Value;
use sp_tests::services;

const CONTRACT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/contract");

/// Generates the types from `doc` next to the sample client and type-checks it; returns
/// whether `tsc` passed and what it printed.
fn type_check(doc: &Value) -> (bool, String) {
    let bin = services::node_bin();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for f in ["client.ts", "tsconfig.json"] {
        std::fs::copy(Path::new(CONTRACT).join(f), d.join(f)).unwrap();
    }
    // `openapi-fetch` resolves from the tools' node_modules.
    std::os::unix::fs::symlink(bin.parent().unwrap(), d.join("node_modules")).unwrap();
    std::fs::write(d.join("openapi.json"), serde_json::to_vec_pretty(doc).unwrap()).unwrap();

    let generated = std::process::Command::new(bin.join("openapi-typescript"))
        .current_dir(d)
        .args(["openapi.json", "--output", "schema.d.ts"])
        .output()
        .expect("openapi-typescript runs");
    assert!(
        generated.status.success(),
        "openapi-typescript refused the document:\n{}{}",
        String::from_utf8_lossy(&generated.stdout),
        String::from_utf8_lossy(&generated.stderr)
    );
    let tsc =
        std::process::Command::new(bin.join("tsc")).current_dir(d).args(["-p", "tsconfig.json"]).output().expect("tsc");
    (tsc.status.success(), format!("{}{}", String::from_utf8_lossy(&tsc.stdout), String::from_utf8_lossy(&tsc.stderr)))
}

fn document() -> Value {
    serde_json::from_str(&sp_http::openapi_json("test", false)).unwrap()
}

#[test]
fn a_generated_typescript_client_type_checks() {
    let (ok, out) = type_check(&document());
    assert!(ok, "the sample client does not type-check against the document:\n{out}");
}

#[test]
fn the_check_fails_when_the_document_breaks_the_client() {
    // Landlords can no longer register: the sample's registration stops type-checking.
    let mut doc = document();
    doc["components"]["schemas"]["SignupRole"]["enum"] = serde_json::json!(["student", "agent"]);
    let (ok, out) = type_check(&doc);
    assert!(!ok, "tsc accepted a client the document no longer allows");
    assert!(out.contains("client.ts"), "{out}");
    // The search's cursor becomes a plain string: the sample's expected error is gone.
    let mut doc = document();
    let page = &mut doc["components"]["schemas"]["SearchPage"]["properties"]["next_cursor"];
    *page = serde_json::json!({"type": "string"});
    let (ok, out) = type_check(&doc);
    assert!(!ok && out.contains("TS2578"), "an unused @ts-expect-error fails the check:\n{out}");
}
