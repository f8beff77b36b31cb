//! `openivs ivs <operation>`: flags, JSON input, output formats, pagination, errors, configuration.

use crate::{Server, clean_command, run, s};
use serde_json::json;

#[test]
fn a_channel_is_created_read_listed_updated_tagged_and_deleted_with_flags() {
    let server = Server::start();
    let created = server.cli(&[
        "ivs",
        "create-channel",
        "--name",
        "demo",
        "--type",
        "BASIC",
        "--tags",
        "team=video",
        "env=dev",
    ]);
    let created = created.json();
    let arn = s(&created, "/channel/arn").to_string();
    assert!(arn.starts_with("arn:aws:ivs:us-east-1:"), "{created}");
    assert_eq!(created["channel"]["type"], "BASIC");
    assert_eq!(created["channel"]["tags"], json!({"team": "video", "env": "dev"}));
    assert!(s(&created, "/streamKey/value").starts_with("sk_us-east-1_"));

    let got = server.cli(&["ivs", "get-channel", "--arn", &arn]).json();
    assert_eq!(got["channel"], created["channel"]);

    let listed = server.cli(&["ivs", "list-channels", "--filter-by-name", "demo"]).json();
    assert_eq!(listed["channels"].as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed["channels"][0]["arn"], arn.as_str());

    let multitrack = "enabled=false,policy=ALLOW,maximumResolution=HD";
    let args = ["--arn", &arn, "--name", "renamed", "--authorized", "--latency-mode", "NORMAL"];
    let updated = server.cli(
        &[&["ivs", "update-channel"][..], &args, &["--multitrack-input-configuration", multitrack]].concat(),
    );
    let updated = updated.json();
    assert_eq!(updated["channel"]["name"], "renamed");
    assert_eq!(updated["channel"]["authorized"], true);
    assert_eq!(updated["channel"]["latencyMode"], "NORMAL");
    assert_eq!(updated["channel"]["multitrackInputConfiguration"]["maximumResolution"], "HD");
    let unauthorized = server.cli(&["ivs", "update-channel", "--arn", &arn, "--no-authorized"]).json();
    assert_eq!(unauthorized["channel"]["authorized"], false);

    // Tag operations bind the ARN to the path and the keys to the query.
    assert_eq!(server.cli(&["ivs", "tag-resource", "--resource-arn", &arn, "--tags", "a=1,b=2"]).ok(), "");
    let tags = server.cli(&["ivs", "list-tags-for-resource", "--resource-arn", &arn]).json();
    assert_eq!(tags["tags"], json!({"team": "video", "env": "dev", "a": "1", "b": "2"}));
    assert_eq!(
        server.cli(&["ivs", "untag-resource", "--resource-arn", &arn, "--tag-keys", "a", "team"]).ok(),
        ""
    );
    let tags = server.cli(&["ivs", "list-tags-for-resource", "--resource-arn", &arn]).json();
    assert_eq!(tags["tags"], json!({"env": "dev", "b": "2"}));

    let batch = server.cli(&[
        "ivs",
        "batch-get-channel",
        "--arns",
        &arn,
        "arn:aws:ivs:us-east-1:123456789012:channel/none",
    ]);
    let batch = batch.json();
    assert_eq!(batch["channels"][0]["arn"], arn.as_str());
    assert_eq!(batch["errors"].as_array().map(Vec::len), Some(1), "{batch}");

    assert_eq!(server.cli(&["ivs", "delete-channel", "--arn", &arn]).ok(), "", "no output, like the AWS CLI");
    let gone = server.cli(&["ivs", "get-channel", "--arn", &arn]);
    assert_eq!(gone.code, 254, "{gone:?}");
}

#[test]
fn cli_input_json_supplies_the_input_and_flags_override_it() {
    let server = Server::start();
    let input = r#"{"name": "from-json", "type": "BASIC", "tags": {"k": "v"}, "latencyMode": "NORMAL"}"#;
    let out = server.cli(&["ivs", "create-channel", "--cli-input-json", input, "--name", "from-flag"]).json();
    assert_eq!(out["channel"]["name"], "from-flag");
    assert_eq!(
        (&out["channel"]["type"], &out["channel"]["latencyMode"]),
        (&json!("BASIC"), &json!("NORMAL"))
    );
    assert_eq!(out["channel"]["tags"], json!({"k": "v"}));

    let file = server.dir().join("input.json");
    std::fs::write(&file, r#"{"name": "from-file", "insecureIngest": true}"#).unwrap();
    let arg = format!("file://{}", file.display());
    let out = server.cli(&["ivs", "create-channel", "--cli-input-json", &arg]).json();
    assert_eq!(
        (&out["channel"]["name"], &out["channel"]["insecureIngest"]),
        (&json!("from-file"), &json!(true))
    );

    // Required members may come from JSON alone.
    let arn = s(&out, "/channel/arn");
    let got =
        server.cli(&["ivs", "get-channel", "--cli-input-json", &format!(r#"{{"arn": "{arn}"}}"#)]).json();
    assert_eq!(got["channel"]["arn"], arn);

    let skeleton = server.cli(&["ivs", "get-channel", "--generate-cli-skeleton"]).json();
    assert_eq!(skeleton, json!({"arn": ""}));
    let json_tags = server.cli(&["ivs", "create-channel", "--name", "j", "--tags", r#"{"x": "1"}"#]).json();
    assert_eq!(json_tags["channel"]["tags"], json!({"x": "1"}));
}

#[test]
fn text_and_table_outputs_are_for_scripts_and_people() {
    let server = Server::start();
    let arn = s(&server.create_channel("shown"), "/channel/arn").to_string();
    let text = server.cli(&["ivs", "get-channel", "--arn", &arn, "--output", "text"]);
    let line = text.ok().lines().find(|l| l.starts_with("CHANNEL\t")).unwrap_or_else(|| panic!("{text:?}"));
    let fields: Vec<&str> = line.split('\t').collect();
    assert!(
        fields.contains(&arn.as_str()) && fields.contains(&"shown") && fields.contains(&"False"),
        "{line}"
    );
    assert!(text.stdout.lines().any(|l| l.starts_with("MULTITRACKINPUTCONFIGURATION\t")), "{text:?}");

    let table = server.cli(&["ivs", "get-channel", "--arn", &arn, "--output", "table"]);
    let lines: Vec<&str> = table.ok().lines().collect();
    assert_eq!(lines[1].trim_matches('|').trim(), "GetChannel", "{}", table.stdout);
    assert!(lines.iter().all(|l| l.chars().count() == lines[0].chars().count()), "{}", table.stdout);
    assert!(lines.iter().any(|l| l.trim_matches('|').trim() == "channel"), "{}", table.stdout);
    assert!(lines.iter().any(|l| l.contains(&arn)) && table.stdout.contains("shown"), "{}", table.stdout);

    // The environment sets the default format, as with the AWS CLI.
    let mut cmd = server.command(&["ivs", "list-channels"]);
    cmd.env("AWS_DEFAULT_OUTPUT", "text");
    assert!(run(cmd).ok().starts_with("CHANNELS\t"));
}

#[test]
fn list_operations_fetch_every_page_unless_told_otherwise() {
    let server = Server::start();
    let mut arns: Vec<String> =
        (0..5).map(|i| s(&server.create_channel(&format!("c{i}")), "/channel/arn").to_string()).collect();
    arns.sort();
    let names = |v: &serde_json::Value| -> Vec<String> {
        let mut a: Vec<String> = v["channels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["arn"].as_str().unwrap().to_string())
            .collect();
        a.sort();
        a
    };
    let all = server.cli(&["ivs", "list-channels", "--page-size", "2"]).json();
    assert_eq!(names(&all), arns);
    assert!(all.get("nextToken").is_none() && all.get("NextToken").is_none(), "{all}");

    let first = server.cli(&["ivs", "list-channels", "--max-items", "3", "--page-size", "2"]).json();
    assert_eq!(first["channels"].as_array().unwrap().len(), 3, "{first}");
    let token = s(&first, "/NextToken");
    let rest = server.cli(&["ivs", "list-channels", "--starting-token", token, "--max-items", "3"]).json();
    assert_eq!(rest["channels"].as_array().unwrap().len(), 2, "{rest}");
    assert!(rest.get("NextToken").is_none(), "{rest}");
    let mut both = [names(&first), names(&rest)].concat();
    both.sort();
    assert_eq!(both, arns);

    // --max-results (or --no-paginate) asks for one page, and shows the service's token.
    let page = server.cli(&["ivs", "list-channels", "--max-results", "2"]).json();
    assert_eq!(page["channels"].as_array().unwrap().len(), 2);
    assert!(page["nextToken"].is_string(), "{page}");
    let page = server.cli(&["ivs", "list-channels", "--no-paginate", "--page-size", "4"]).json();
    assert_eq!(page["channels"].as_array().unwrap().len(), 4);
    let next = s(&page, "/nextToken");
    let last = server.cli(&["ivs", "list-channels", "--no-paginate", "--starting-token", next]).json();
    assert_eq!(last["channels"].as_array().unwrap().len(), 1, "{last}");
}

#[test]
fn errors_print_code_message_and_request_id_and_exit_non_zero() {
    let server = Server::start();
    let missing = "arn:aws:ivs:us-east-1:123456789012:channel/abcdABCDefgh";
    let r = server.cli(&["ivs", "get-channel", "--arn", missing]);
    assert_eq!((r.code, r.stdout.as_str()), (254, ""), "{r:?}");
    let prefix = "An error occurred (ResourceNotFoundException) when calling the GetChannel operation: ";
    assert!(r.stderr.starts_with(prefix), "{r:?}");
    let id =
        r.stderr.trim_end().strip_suffix(')').and_then(|t| t.rsplit_once("(request id ")).map(|(_, id)| id);
    assert!(id.is_some_and(|id| id.len() >= 16), "{r:?}");

    let r = server.cli(&["ivs", "get-channel"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("required") && r.stderr.contains("--arn"), "{r:?}");

    let r = server.cli(&["ivs", "create-channel", "--type", "HUGE"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("HUGE") && r.stderr.contains("BASIC, STANDARD"), "{r:?}");

    let r = server.cli(&["ivs", "list-channels", "--max-results", "many"]);
    assert_eq!(r.code, 2, "{r:?}");
    let r = server.cli(&["ivs", "create-channel", "--cli-input-json", r#"{"nmae": "x"}"#]);
    assert!(r.code == 2 && r.stderr.contains("Unknown parameter in input: \"nmae\""), "{r:?}");
    let r = server.cli(&["ivs", "create-channel", "--multitrack-input-configuration", "policy=SOMETIMES"]);
    assert!(r.code == 2 && r.stderr.contains("must be one of: ALLOW, REQUIRE"), "{r:?}");
    let r = server.cli(&["ivs", "no-such-operation"]);
    assert_eq!(r.code, 2, "{r:?}");

    // The service validates what the CLI does not (lengths, patterns).
    let r = server.cli(&["ivs", "create-channel", "--name", "bad name!"]);
    assert!(r.code == 254 && r.stderr.contains("(ValidationException)"), "{r:?}");

    let r = server.cli(&[
        "ivs",
        "list-channels",
        "--endpoint-url",
        "http://127.0.0.1:1",
        "--region",
        "us-east-1",
    ]);
    assert_eq!(r.code, 253, "an endpoint but no credentials is a configuration error: {r:?}");
}

#[test]
fn explicit_endpoint_region_and_credentials_win_and_nothing_at_all_is_a_configuration_error() {
    let server = Server::start();
    let elsewhere = tempfile::tempdir().unwrap();
    let cli = |env: &[(&str, &str)], args: &[&str]| {
        let mut cmd = clean_command(elsewhere.path(), elsewhere.path());
        cmd.envs(env.iter().copied()).args(args);
        run(cmd)
    };
    let (id, secret) = server.root_key();
    let key = [("AWS_ACCESS_KEY_ID", id.as_str()), ("AWS_SECRET_ACCESS_KEY", secret.as_str())];

    let r = cli(&[], &["ivs", "list-channels"]);
    assert_eq!(r.code, 253, "{r:?}");
    assert!(r.stderr.contains("openivs serve"), "{r:?}");

    let args = [
        "ivs",
        "create-channel",
        "--name",
        "west",
        "--endpoint-url",
        &server.endpoint,
        "--region",
        "us-west-2",
    ];
    let west = cli(&key, &args).json();
    assert!(s(&west, "/channel/arn").starts_with("arn:aws:ivs:us-west-2:"), "{west}");
    // The local default (us-east-1) does not see it.
    assert_eq!(server.cli(&["ivs", "list-channels"]).json()["channels"], json!([]));

    // --data-dir from anywhere, and the AWS way: AWS_PROFILE with the server's files.
    let data_dir = server.data_dir().display().to_string();
    let r = cli(&[], &["ivs", "list-channels", "--region", "us-west-2", "--data-dir", &data_dir]);
    assert_eq!(r.json()["channels"][0]["name"], "west");
    let (config, credentials) = (format!("{data_dir}/config"), format!("{data_dir}/credentials"));
    let profile = [
        ("AWS_PROFILE", "openivs"),
        ("AWS_CONFIG_FILE", config.as_str()),
        ("AWS_SHARED_CREDENTIALS_FILE", credentials.as_str()),
        ("AWS_REGION", "us-west-2"),
    ];
    assert!(cli(&profile, &["ivs", "list-channels", "--output", "text"]).ok().contains("\twest\t"));

    let r = cli(&key, &["ivs", "list-channels", "--endpoint-url", "http://127.0.0.1:1"]);
    assert_eq!(r.code, 255, "{r:?}");
    assert!(r.stderr.starts_with("Could not connect to the endpoint URL: \"http://127.0.0.1:1\""), "{r:?}");
}

#[test]
fn help_lists_operations_and_flags() {
    let server = Server::start();
    let top = server.cli(&["--help"]);
    for cmd in ["ivs", "playback-key", "token", "ingest-url", "serve", "keys"] {
        assert!(top.ok().contains(cmd), "{top:?}");
    }
    let ivs = server.cli(&["ivs", "--help"]);
    for op in [
        "create-channel",
        "list-tags-for-resource",
        "batch-start-viewer-session-revocation",
        "--endpoint-url",
    ] {
        assert!(ivs.ok().contains(op), "{op}: {ivs:?}");
    }
    let create = server.cli(&["ivs", "create-channel", "--help"]);
    for flag in [
        "--name",
        "--type",
        "--tags",
        "--no-authorized",
        "--multitrack-input-configuration",
        "--cli-input-json",
        "ADVANCED_HD",
        "--region",
        "--output",
    ] {
        assert!(create.ok().contains(flag), "{flag}: {create:?}");
    }
    let list = server.cli(&["ivs", "list-channels", "--help"]);
    for flag in ["--filter-by-name", "--max-results", "--max-items", "--no-paginate"] {
        assert!(list.ok().contains(flag), "{flag}: {list:?}");
    }
    for sub in [
        &["token", "--help"][..],
        &["ingest-url", "--help"],
        &["playback-key", "generate", "--help"],
        &["ivs", "get-channel", "-h"],
    ] {
        let r = server.cli(sub);
        assert!(r.ok().contains("Usage: openivs"), "{sub:?}: {r:?}");
    }
}
