//! The password rules: length, likeness to the username or email, and common passwords.

use super::*;

async fn passwords_must_be_8_to_72_bytes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let bad = [
        "Xq7#vbn".to_owned(),              // 7 bytes
        "äöüx".to_owned(),                 // 4 characters, 7 bytes
        format!("Xq7#{}", "v".repeat(69)), // 73 bytes
        "é".repeat(37),                    // 37 characters, 74 bytes
        format!("{}Xq7#", "€".repeat(23)), // 27 characters, 73 bytes
    ];
    let bodies: Vec<Value> = bad.iter().map(|p| with("password", json!(p))).collect();
    expect_rejected(&app, "INVALID_PASSWORD", &bodies).await;

    // Length is counted in bytes: 4 two-byte characters are enough.
    expect_accepted(&app, &[with("password", json!("äöüß"))]).await;
}
backend_test!(passwords_must_be_8_to_72_bytes);

async fn a_password_of_exactly_72_bytes_is_accepted_and_logs_in(backend: Backend) {
    let app = TestApp::new(backend).await;
    let passwords = [
        format!("Xq7#{}", "v".repeat(68)),
        // 36 characters, 72 bytes.
        "é".repeat(36),
    ];
    for password in passwords {
        assert_eq!(password.len(), 72);
        let username = unique_username();
        let body = registration(&username, &format!("{username}@example.com"), &password);
        expect_accepted(&app, &[body]).await;
        let token = send(app.post_json(
            "/api/token",
            &json!({ "username": username, "password": password }),
        ))
        .await;
        assert_eq!(token.status, StatusCode::OK, "{token:?}");
    }
}
backend_test!(a_password_of_exactly_72_bytes_is_accepted_and_logs_in);

async fn a_password_over_72_bytes_is_refused_not_truncated(backend: Backend) {
    // bcrypt only looks at 72 bytes; an account must never be created whose
    // password would silently match any string with the same first 72 bytes.
    let app = TestApp::new(backend).await;
    let long = format!("Xq7#{}", "v".repeat(70));
    let reply = register(&app, &with("password", json!(long))).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_PASSWORD");
}
backend_test!(a_password_over_72_bytes_is_refused_not_truncated);

async fn passwords_must_not_equal_the_username_or_email_in_any_case(backend: Backend) {
    let app = TestApp::new(backend).await;
    let username = format!("Carol{}", unique_username());
    let email = format!("Dave.{username}@Example.com");
    let bodies = [
        registration(&username, &email, &username.to_lowercase()),
        registration(&username, &email, &username.to_uppercase()),
        registration(&username, &email, &email.to_lowercase()),
        registration(&username, &email, &email.to_uppercase()),
    ];
    expect_rejected(&app, "INVALID_PASSWORD", &bodies).await;
    // The username itself stayed free.
    expect_accepted(&app, &[registration(&username, &email, PASSWORD)]).await;
}
backend_test!(passwords_must_not_equal_the_username_or_email_in_any_case);

async fn common_passwords_are_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    let bodies: Vec<Value> = ["password123", "password1", "qwerty123", "iloveyou"]
        .iter()
        .map(|p| with("password", json!(p)))
        .collect();
    expect_rejected(&app, "INVALID_PASSWORD", &bodies).await;
}
backend_test!(common_passwords_are_refused);

/// The list of common passwords zxcvbn ships, read from the crate's source
/// as Cargo.lock pins it (the crate keeps the list private).
fn zxcvbn_common_passwords() -> Vec<String> {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running cargo metadata");
    assert!(output.status.success(), "cargo metadata failed: {output:?}");
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata's JSON");
    let manifest = metadata["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|p| p["name"] == "zxcvbn"))
        .and_then(|package| package["manifest_path"].as_str())
        .expect("zxcvbn among the packages (a dev-dependency)");
    let source = std::path::Path::new(manifest).with_file_name("src/frequency_lists.rs");
    let text = std::fs::read_to_string(&source).expect("reading zxcvbn's frequency lists");
    let list = text
        .split_once("const PASSWORDS: &str = \"")
        .and_then(|(_, rest)| rest.split_once("\";"))
        .map(|(list, _)| list)
        .unwrap_or_else(|| panic!("{} no longer holds the PASSWORDS list", source.display()));
    list.split(',').map(str::to_owned).collect()
}

/// Contract section 11: every 8–72-byte entry, in any letter case. Each
/// entry is sent in one of three cases (as listed, upper case, or with
/// every other letter raised), so all three are walked across the list.
async fn every_common_password_of_zxcvbn_is_refused(backend: Backend) {
    let app = Arc::new(TestApp::new(backend).await);
    let list = zxcvbn_common_passwords();
    assert_eq!(list.len(), 30_000, "zxcvbn's list changed size");
    let candidates: Vec<String> = list
        .iter()
        .filter(|p| (8..=72).contains(&p.len()))
        .enumerate()
        .map(|(i, p)| match i % 3 {
            0 => p.clone(),
            1 => p.to_uppercase(),
            _ => p
                .chars()
                .enumerate()
                .map(|(j, c)| {
                    if j % 2 == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect(),
        })
        .collect();
    assert!(candidates.len() > 10_000, "{} candidates", candidates.len());
    let chunks: Vec<Vec<String>> = candidates
        .chunks(candidates.len() / 16 + 1)
        .map(<[_]>::to_vec)
        .collect();
    let mut workers = tokio::task::JoinSet::new();
    for chunk in chunks {
        let app = Arc::clone(&app);
        workers.spawn(async move {
            let username = unique_username();
            let email = format!("{username}@example.com");
            for password in chunk {
                let reply = register(&app, &registration(&username, &email, &password)).await;
                assert_eq!(
                    (reply.status, reply.body["code"].as_str()),
                    (StatusCode::BAD_REQUEST, Some("INVALID_PASSWORD")),
                    "{password:?} was not refused: {reply:?}"
                );
            }
        });
    }
    while let Some(worker) = workers.join_next().await {
        worker.expect("a common password was accepted");
    }
}
backend_independent_test!(every_common_password_of_zxcvbn_is_refused);

async fn password_messages_say_which_rule_was_broken(backend: Backend) {
    let app = TestApp::new(backend).await;
    let username = unique_username();
    let email = format!("{username}@example.com");
    let attempts = [
        registration(&username, &email, "Xq7#vbn"),
        registration(&username, &email, &"v".repeat(73)),
        registration(&username, &email, &username),
        registration(&username, &email, "password123"),
    ];
    let mut messages = Vec::new();
    for body in &attempts {
        let reply = register(&app, body).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_PASSWORD");
        messages.push(
            reply.body["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let mut distinct = messages.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        messages.len(),
        "too short, too long, same as username and too common need different messages: {messages:?}"
    );
}
backend_test!(password_messages_say_which_rule_was_broken);
