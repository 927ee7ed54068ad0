//! No rendering of a diagnostic shows a secret value: not when the spec is
//! well formed, and not when a syntax error, a misspelt attribute or block,
//! or a value of the wrong shape stands on or next to the secret's line.

mod common;

use proptest::prelude::*;

const HEAD: &str = "stack \"s\" {\n  domain = \"example.com\"\n}\nhost \"h\" {\n  address = \"10.0.0.1\"\n  memory = 8GiB\n  cpus = 4\n}\n";

/// A service holding `KEY = "VALUE"` in one of the ways a careless edit
/// leaves it.
fn service(shape: usize, key: &str, value: &str) -> String {
    let env = format!("{key} = \"{value}\"");
    let body = "  runtime = baremetal\n  on = [h]\n  memory = 1GiB\n  cpu = 1\n";
    match shape {
        0 => format!("service \"a\" {{\n{body}  env = {{ {env} }}\n}}\n"),
        1 => format!("service \"a\" {{\n{body}  env = {{ {env}\n LOG = \"a\nb\" }}\n}}\n"),
        2 => format!("service \"a\" {{\n{body}  env = {{ {env} ] }}\n}}\n"),
        3 => format!("service \"a\" {{\n{body}  env = {{ {env} LOG = \"\\q\" }}\n}}\n"),
        4 => format!("service \"a\" {{\n{body}  env = {{ {env} }}\n/* never closed\n}}\n"),
        5 => format!("service \"a\" {{\n{body}  env = {{ {env} }}\n}}\n}}\n"),
        6 => format!("service \"a\" {{\n{body}  env = {{ {key} \"{value}\" }}\n}}\n"),
        7 => format!("service \"a\" {{\n{body}  evn = {{ {env} }}\n}}\n"),
        8 => format!("servce \"a\" {{\n{body}  env = {{ {env} }}\n}}\n"),
        9 => format!("service \"a\" {{\n{body}  env = [\"{key}={value}\"]\n}}\n"),
        10 => format!("service \"a\" {{\n{body}  env = {{ {key}: \"{value}\" }}\n}}\n"),
        11 => format!("service \"a\" {{\n{body}  env = {{ {env} }}\n  memory = 2GiB\n  port \"p\" {{ number = 99999 }}\n}}\n"),
        // found by the fuzzer: a value followed by `{`, a comment never
        // closed before it, and a message that quotes the value
        12 => format!("service \"a\" {{\n{body}  env = {{ {env} {{ LOG = \"a\n\" }}\n}}\n"),
        13 => format!("service \"a\" {{\n{body}  evn = {{ }}/*\n  env = {{ {env} }}\n}}\n"),
        _ => format!("service \"a\" {{\n{body}}}\nservice {key} \"{value}\"\n"),
    }
}

fn renderings(text: &str) -> String {
    let checked = common::check_text(text);
    assert!(
        !checked.diagnostics.is_empty() || text.contains("env = {"),
        "{text}"
    );
    format!("{}\n{}", common::human(&checked), common::json(&checked))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn no_rendering_shows_a_secret_value(
        shape in 0usize..15,
        key in prop::sample::select(vec!["DB_PASSWORD", "API_TOKEN", "aws_secret_key", "Signing_Key"]),
        value in "[A-Za-z0-9][A-Za-z0-9+/ !@#%^&*().,;<>?~-]{5,20}",
    ) {
        let text = format!("{HEAD}{}", service(shape, key, &value));
        let shown = renderings(&text);
        prop_assert!(!shown.contains(&value), "shape {}: {}", shape, shown);
    }
}
