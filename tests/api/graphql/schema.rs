//! The checked-in SDL equals what the server serves.

use super::*;

const REGENERATE: &str = "run `cargo run -q -- schema > schema.graphql`";

fn checked_in_schema() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("reading {}: {err}; {REGENERATE}", path.display()))
}

/// Where two texts first differ, for the failure message.
fn first_difference(expected: &str, actual: &str) -> String {
    let mut expected_lines = expected.lines();
    let mut actual_lines = actual.lines();
    for line in 1.. {
        match (expected_lines.next(), actual_lines.next()) {
            (None, None) => {
                return "they differ only in line endings or a final newline".to_owned();
            }
            (e, a) if e != a => {
                return format!(
                    "first difference at line {line}: schema.graphql has {e:?}, the server serves {a:?}"
                );
            }
            _ => {}
        }
    }
    unreachable!()
}

#[test]
fn schema_graphql_is_the_schema_the_server_serves() {
    let on_disk = checked_in_schema();
    let served = datakeep::graphql::sdl();
    assert!(
        on_disk == served,
        "schema.graphql is out of date: {REGENERATE}.\n{}",
        first_difference(&on_disk, &served)
    );
}

#[test]
fn the_schema_subcommand_prints_the_schema() {
    let output = Command::new(env!("CARGO_BIN_EXE_datakeep"))
        .arg("schema")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running `datakeep schema`");
    assert!(
        output.status.success(),
        "`datakeep schema` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8(output.stdout).expect("the schema is UTF-8");
    assert!(
        printed == datakeep::graphql::sdl(),
        "`datakeep schema` prints something else than the served schema: {}",
        first_difference(&datakeep::graphql::sdl(), &printed)
    );
    let on_disk = checked_in_schema();
    assert!(
        printed == on_disk,
        "schema.graphql is out of date: {REGENERATE}.\n{}",
        first_difference(&on_disk, &printed)
    );
}

const DATE_TIME_SPEC: &str = "https://scalars.graphql.org/andimarek/date-time";

#[test]
fn schema_graphql_names_the_date_time_specification() {
    let sdl = checked_in_schema();
    let declaration = format!("scalar DateTime @specifiedBy(url: \"{DATE_TIME_SPEC}\")");
    assert!(
        sdl.contains(&declaration),
        "no {declaration:?} in schema.graphql"
    );
    assert!(
        sdl.contains("\tid: ID!") || sdl.contains("  id: ID!"),
        "{sdl}"
    );
}

async fn introspection_serves_the_date_time_specification(backend: Backend) {
    let app = TestApp::new(backend).await;
    let body = gql(
        &app,
        None,
        "{ __type(name: \"DateTime\") { kind specifiedByURL } \
           entry: __type(name: \"Entry\") { fields { name type { kind ofType { name } } } } }",
        Value::Null,
    )
    .await;
    assert_no_errors(&body);
    assert_eq!(
        body["data"]["__type"]["specifiedByURL"], DATE_TIME_SPEC,
        "{body}"
    );
    let fields = body["data"]["entry"]["fields"]
        .as_array()
        .expect("Entry's fields");
    let id = fields.iter().find(|f| f["name"] == "id").expect("Entry.id");
    assert_eq!(id["type"]["kind"], "NON_NULL", "{id}");
    assert_eq!(id["type"]["ofType"]["name"], "ID", "{id}");
}
backend_independent_test!(introspection_serves_the_date_time_specification);
