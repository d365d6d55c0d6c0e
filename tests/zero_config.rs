//! Keys decoded with no project file: items shaped as ElectroDB,
//! dynamodb-toolbox and OneTable write them (shapes from their
//! documentation), boto3-assist style label/value keys, a prefix-only design
//! and a classic table, in `tests/fixtures/zero_config/`.
//!
//! Each fixture item gives the entity type it must get (`null` for none;
//! absent when not checked), the Key column's text (`key`: named fields of
//! the table key, inferred ones marked `~`) and, where it differs, every
//! field the detail view lists (`detail`, with the key format's own fields).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use dyntui::dynamo::entity::{DecodeConfig, Decoder, TableKeys};
use dyntui::dynamo::keyshape;
use dyntui::dynamo::value;
use serde_json::Value;

fn check(file: &str) -> usize {
    let path = format!(
        "{}/tests/fixtures/zero_config/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("fixture exists");
    let doc: Value = serde_json::from_str(&text).expect("fixture is JSON");
    let keys = &doc["keys"];
    let table_keys = TableKeys {
        pk: keys["pk"].as_str().expect("pk").to_string(),
        sk: keys["sk"].as_str().map(str::to_string),
        index_key_attrs: keys["index"]
            .as_array()
            .expect("index")
            .iter()
            .map(|v| v.as_str().expect("index name").to_string())
            .collect(),
    };
    let mut decoder = Decoder::new(&DecodeConfig::default(), table_keys);
    let items = doc["items"].as_array().expect("items");
    for (n, case) in items.iter().enumerate() {
        let item = value::item_from_plain(&case["item"]).expect("plain item");
        let c = decoder.classify(&item);
        let at = format!("{file} item {n}");
        if let Some(want) = case.get("type") {
            let got = c.entity.map(|e| decoder.entity_name(e).to_string());
            assert_eq!(got.as_deref(), want.as_str(), "{at}: type");
        }
        let primary = decoder.primary_key_fields(&item, &c);
        assert_eq!(
            keyshape::shown(&primary),
            case["key"].as_str().expect("key"),
            "{at}: key fields"
        );
        let want_detail = case
            .get("detail")
            .or(case.get("key"))
            .and_then(Value::as_str)
            .expect("detail or key");
        let all = decoder.key_fields(&item, &c);
        let detail: Vec<String> = all.iter().map(ToString::to_string).collect();
        assert_eq!(detail.join(" "), want_detail, "{at}: detail fields");
        // Inferred names, and only those, are marked.
        for f in &all {
            assert_eq!(f.to_string().starts_with('~'), f.inferred(), "{at}: {f}");
        }
    }
    items.len()
}

#[test]
fn electrodb_keys_decode_exactly() {
    assert_eq!(check("electrodb.json"), 3);
}

#[test]
fn dynamodb_toolbox_keys_decode() {
    assert_eq!(check("dynamodb-toolbox.json"), 2);
}

#[test]
fn onetable_keys_decode() {
    assert_eq!(check("onetable.json"), 3);
}

#[test]
fn boto3_assist_label_value_keys_are_inferred() {
    assert_eq!(check("boto3-assist.json"), 2);
}

#[test]
fn prefix_keys_are_inferred() {
    assert_eq!(check("prefix.json"), 3);
}

#[test]
fn classic_keys_are_named_after_their_attribute() {
    assert_eq!(check("classic.json"), 2);
}

#[test]
fn every_demo_item_shows_named_key_fields_without_its_project_file() {
    use dyntui::dynamo::demo::{DemoSize, generate};
    use dyntui::dynamo::keyshape::FieldHow;
    let keys = TableKeys {
        pk: "PK".into(),
        sk: Some("SK".into()),
        index_key_attrs: ["GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"]
            .map(String::from)
            .to_vec(),
    };
    let mut decoder = Decoder::new(&DecodeConfig::default(), keys);
    let items = generate(42, DemoSize::default());
    assert!(items.len() > 6000);
    for item in &items {
        let c = decoder.classify(item);
        let fields = decoder.primary_key_fields(item, &c);
        assert!(!fields.is_empty());
        assert!(
            fields.iter().all(|f| f.how == FieldHow::Attribute),
            "{}",
            keyshape::shown(&fields)
        );
    }
}
