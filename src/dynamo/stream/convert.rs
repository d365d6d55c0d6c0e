//! Stream records in the data plane's terms: the Streams SDK has its own
//! copy of DynamoDB's AttributeValue, converted here value for value
//! (numbers stay text, binary stays bytes, sets stay sets).

use aws_sdk_dynamodbstreams::types as st;

use super::{ChangeRecord, EventName};
use crate::dynamo::{AttributeValue, Item};

/// One value from a stream record as the DynamoDB SDK's value. None for a
/// type this SDK does not know (a newer service type).
pub fn value(v: &st::AttributeValue) -> Option<AttributeValue> {
    Some(match v {
        st::AttributeValue::S(s) => AttributeValue::S(s.clone()),
        st::AttributeValue::N(n) => AttributeValue::N(n.clone()),
        st::AttributeValue::B(b) => AttributeValue::B(b.clone()),
        st::AttributeValue::Ss(s) => AttributeValue::Ss(s.clone()),
        st::AttributeValue::Ns(s) => AttributeValue::Ns(s.clone()),
        st::AttributeValue::Bs(s) => AttributeValue::Bs(s.clone()),
        st::AttributeValue::Bool(b) => AttributeValue::Bool(*b),
        st::AttributeValue::Null(b) => AttributeValue::Null(*b),
        st::AttributeValue::L(l) => AttributeValue::L(l.iter().filter_map(value).collect()),
        st::AttributeValue::M(m) => AttributeValue::M(item(m)),
        _ => return None,
    })
}

/// A stream image or key map as an [`Item`].
pub fn item(m: &std::collections::HashMap<String, st::AttributeValue>) -> Item {
    m.iter()
        .filter_map(|(k, v)| value(v).map(|v| (k.clone(), v)))
        .collect()
}

/// A stream record as a [`ChangeRecord`] (None when it has no event name or
/// no `dynamodb` part, which AWS always sends).
pub fn record(r: &st::Record, shard: &str) -> Option<ChangeRecord> {
    let event = match r.event_name()? {
        st::OperationType::Insert => EventName::Insert,
        st::OperationType::Modify => EventName::Modify,
        st::OperationType::Remove => EventName::Remove,
        _ => return None,
    };
    let d = r.dynamodb()?;
    let time_ms = d
        .approximate_creation_date_time()
        .and_then(|t| t.to_millis().ok());
    Some(ChangeRecord {
        event,
        keys: d.keys().map(item).unwrap_or_default(),
        old: d.old_image().map(item),
        new: d.new_image().map(item),
        time_ms,
        size_bytes: d.size_bytes().unwrap_or(0),
        sequence: d.sequence_number().unwrap_or_default().to_string(),
        shard: shard.to_string(),
        by_ttl: r.user_identity().is_some_and(|u| {
            u.principal_id() == Some("dynamodb.amazonaws.com") && u.r#type() == Some("Service")
        }),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use aws_smithy_types::Blob;

    #[test]
    fn every_kind_of_value_converts_exactly() {
        let mut m = std::collections::HashMap::new();
        m.insert(
            "n".to_string(),
            st::AttributeValue::N("12345678901234567890.123".into()),
        );
        m.insert(
            "b".to_string(),
            st::AttributeValue::B(Blob::new(vec![0u8, 255, 7])),
        );
        m.insert(
            "ss".to_string(),
            st::AttributeValue::Ss(vec!["a".into(), "b".into()]),
        );
        m.insert(
            "ns".to_string(),
            st::AttributeValue::Ns(vec!["1".into(), "2.50".into()]),
        );
        m.insert(
            "bs".to_string(),
            st::AttributeValue::Bs(vec![Blob::new(vec![1u8])]),
        );
        m.insert("null".to_string(), st::AttributeValue::Null(true));
        m.insert(
            "l".to_string(),
            st::AttributeValue::L(vec![
                st::AttributeValue::Bool(false),
                st::AttributeValue::S("x".into()),
            ]),
        );
        let mut inner = std::collections::HashMap::new();
        inner.insert("k".to_string(), st::AttributeValue::N("0.10".into()));
        m.insert("m".to_string(), st::AttributeValue::M(inner));
        let it = item(&m);
        assert_eq!(
            it["n"],
            AttributeValue::N("12345678901234567890.123".into())
        );
        assert_eq!(it["b"], AttributeValue::B(Blob::new(vec![0u8, 255, 7])));
        assert_eq!(it["ss"], AttributeValue::Ss(vec!["a".into(), "b".into()]));
        assert_eq!(
            it["ns"],
            AttributeValue::Ns(vec!["1".into(), "2.50".into()])
        );
        assert_eq!(it["bs"], AttributeValue::Bs(vec![Blob::new(vec![1u8])]));
        assert_eq!(it["null"], AttributeValue::Null(true));
        assert_eq!(
            it["l"],
            AttributeValue::L(vec![
                AttributeValue::Bool(false),
                AttributeValue::S("x".into())
            ])
        );
        let AttributeValue::M(inner) = &it["m"] else {
            panic!("map")
        };
        assert_eq!(inner["k"], AttributeValue::N("0.10".into()));
    }

    #[test]
    fn a_modify_diffs_changed_added_and_removed_attributes() {
        let s = |v: &str| AttributeValue::S(v.into());
        let old: Item = [("PK", s("A")), ("status", s("new")), ("gone", s("x"))]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let new: Item = [("PK", s("A")), ("status", s("paid")), ("added", s("y"))]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let r = ChangeRecord {
            event: EventName::Modify,
            keys: [("PK".to_string(), s("A"))].into_iter().collect(),
            old: Some(old),
            new: Some(new),
            time_ms: None,
            size_bytes: 0,
            sequence: "1".into(),
            shard: "s".into(),
            by_ttl: false,
        };
        let d = r.diff();
        let names: Vec<&str> = d.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["added", "gone", "status"]);
        assert_eq!(d[0].old, None);
        assert_eq!(d[1].new, None);
        assert_eq!(d[2].old, Some(s("new")));
        assert_eq!(d[2].new, Some(s("paid")));
    }
}
