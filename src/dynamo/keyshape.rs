//! Named key fields without configuration: reading a key value's own shape.
//!
//! A project file's key templates decode keys exactly
//! ([`super::entity::KeyTemplate`]). Without one, [`decode`] still names the
//! fields packed into a table's partition and sort key values, trying in
//! order:
//!
//! 1. **ElectroDB's format**, exactly: `$service#attr_value#...` for the
//!    partition key and `$entity_version#attr_value#...` (after any
//!    `$collection#` segments) for the sort key. When the item is at hand,
//!    each `attr_value` pair is split where the item has an attribute of
//!    that name (ElectroDB writes names in lower case; the item's spelling
//!    is used), and its `__edb_e__` / `__edb_v__` pick out the entity
//!    segment. The service, collection, entity and version are fields too,
//!    marked as [`KeyField::meta`].
//! 2. **Tokens that are attribute values.** The key is split on `#` (or on
//!    `:` when it has no `#`). A token equal to the text of one of the
//!    item's own attributes (not a key, type or bookkeeping attribute) is
//!    named after that attribute: `ORDER#2025-10-10#o000003` on an item with
//!    `orderDate` and `orderId` reads `orderDate=2025-10-10 orderId=o000003`.
//!    That is a true statement about the item, so it is not marked.
//! 3. **Label and value pairs**, guessed from the shape and so marked
//!    inferred ([`FieldHow::Inferred`], shown as `~label=value`):
//!    `USER#u1` → `USER=u1`, `tenant#t0#user#u1` → `tenant=t0 user=u1`,
//!    `group##tenant#t0` → `group= tenant=t0`, `name#Group 1` →
//!    `name=Group 1`. A label starts with a letter and is made of letters,
//!    digits, `_`, `.` and `-` (at most 40 characters). With `#`, a token
//!    that cannot start a pair joins the value before it
//!    (`ORDER#2024-01-01#123` → `ORDER=2024-01-01#123`); with `:` the pairs
//!    must be exact, so ARNs and times stay whole.
//! 4. Otherwise the **whole value**, named after its key attribute
//!    (`customerId=c1` on a classic table, `SK=PROFILE`).
//!
//! Fields of the sort key that repeat a partition key field (same name and
//! value) are dropped.

use std::fmt;

use super::{AttributeValue, Item, value};

/// How a key field was named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldHow {
    /// A declared key template.
    Template,
    /// ElectroDB's key format.
    ElectroDb,
    /// The token equals the value of an attribute of the item.
    Attribute,
    /// A `label#value` pair guessed from the key's shape.
    Inferred,
    /// The whole key value, named after its key attribute.
    Whole,
}

/// One named field of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyField {
    pub name: String,
    pub value: String,
    pub how: FieldHow,
    /// Describes the key's format rather than the item (ElectroDB's service,
    /// collection, entity and version): shown in the detail view, left out
    /// of the items view's Key column.
    pub meta: bool,
}

impl KeyField {
    /// A field from a declared template.
    pub fn template(name: impl Into<String>, value: impl Into<String>) -> Self {
        KeyField::new(name, value, FieldHow::Template)
    }

    fn new(name: impl Into<String>, value: impl Into<String>, how: FieldHow) -> Self {
        KeyField {
            name: name.into(),
            value: value.into(),
            how,
            meta: false,
        }
    }

    /// Whether the name is a guess from the key's shape.
    pub fn inferred(&self) -> bool {
        self.how == FieldHow::Inferred
    }

    /// The name as shown: `~` marks an inferred one.
    pub fn label(&self) -> String {
        if self.inferred() {
            format!("~{}", self.name)
        } else {
            self.name.clone()
        }
    }
}

impl fmt::Display for KeyField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.label(), self.value)
    }
}

/// The fields as the items view and hot keys show them: `name=value`,
/// space-separated, format fields ([`KeyField::meta`]) left out.
pub fn shown(fields: &[KeyField]) -> String {
    fields
        .iter()
        .filter(|f| !f.meta)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// What [`decode`] reads.
pub struct KeyValues<'a> {
    /// The partition key's attribute name and value.
    pub pk: (&'a str, Option<&'a AttributeValue>),
    /// The sort key's attribute name and value, if the table has one.
    pub sk: Option<(&'a str, Option<&'a AttributeValue>)>,
    /// The item, when there is one (a hot key from Contributor Insights
    /// has none): its attributes name tokens and settle ElectroDB's splits.
    pub item: Option<&'a Item>,
    /// Whether an attribute is a key of the table or an index (never used
    /// to name a token: its value holds a whole key).
    pub is_key_attr: &'a dyn Fn(&str) -> bool,
}

/// A key value as text: `S` as is, `N` as written; `None` for other types
/// (binary keys are not decoded).
fn key_text(v: Option<&AttributeValue>) -> Option<&str> {
    match v {
        Some(AttributeValue::S(s) | AttributeValue::N(s)) => Some(s),
        _ => None,
    }
}

/// The named fields of a table key; see the [module docs](self).
pub fn decode(k: &KeyValues<'_>) -> Vec<KeyField> {
    let (pk_attr, pk_value) = k.pk;
    let pk = key_text(pk_value);
    let sk = k.sk.and_then(|(a, v)| key_text(v).map(|t| (a, t)));
    if let Some(pk) = pk
        && let Some(fields) = electrodb(pk, sk.map(|(_, s)| s), k.item)
    {
        return fields;
    }
    let mut out = Vec::new();
    if let Some(pk) = pk {
        out = value_fields(pk_attr, pk, k);
    }
    if let Some((attr, sk)) = sk {
        for f in value_fields(attr, sk, k) {
            if !out.iter().any(|o| o.name == f.name && o.value == f.value) {
                out.push(f);
            }
        }
    }
    out
}

/// Rules 2 to 4 on one key value.
fn value_fields(attr: &str, text: &str, k: &KeyValues<'_>) -> Vec<KeyField> {
    let whole = || vec![KeyField::new(attr, text, FieldHow::Whole)];
    let Some(sep) = separator(text) else {
        return whole();
    };
    let tokens: Vec<&str> = text.split(sep).collect();
    let named = |t: &str| {
        k.item
            .and_then(|item| attribute_named(item, t, k.is_key_attr))
    };
    let mut out: Vec<KeyField> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        if let Some(name) = named(t) {
            out.push(KeyField::new(name, t, FieldHow::Attribute));
            i += 1;
            continue;
        }
        let next = tokens.get(i + 1).copied();
        if is_label(t) {
            match next {
                // A label before a token that names itself is literal text.
                Some(n) if named(n).is_some() => {
                    i += 1;
                    continue;
                }
                // `User#`: a prefix marker, not a field.
                Some("") if i + 2 == tokens.len() => {
                    i += 2;
                    continue;
                }
                Some(n) => {
                    out.push(KeyField::new(t, n, FieldHow::Inferred));
                    i += 2;
                    continue;
                }
                None => {}
            }
        }
        // A token that starts no pair: with `#` it joins the value of an
        // inferred pair before it; anything else keeps the value whole.
        match out.last_mut() {
            Some(last) if sep == '#' && last.how == FieldHow::Inferred => {
                last.value.push(sep);
                last.value.push_str(t);
                i += 1;
            }
            _ => return whole(),
        }
    }
    if out.is_empty() { whole() } else { out }
}

/// A key label: starts with a letter; letters, digits, `_`, `.`, `-`; at
/// most 40 characters.
fn is_label(t: &str) -> bool {
    let mut chars = t.chars();
    chars.next().is_some_and(char::is_alphabetic)
        && t.len() <= 40
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The separator a key value's tokens are split on: `#`, else `:`, else
/// none (the value is one token).
pub fn separator(text: &str) -> Option<char> {
    if text.contains('#') {
        Some('#')
    } else if text.contains(':') {
        Some(':')
    } else {
        None
    }
}

/// The attribute of `item` whose text is exactly `token` (not a key, type
/// or bookkeeping attribute). When several match, the first by name.
pub fn attribute_named<'i>(
    item: &'i Item,
    token: &str,
    is_key_attr: &dyn Fn(&str) -> bool,
) -> Option<&'i str> {
    if token.is_empty() {
        return None;
    }
    item.iter()
        .filter(|(name, v)| {
            key_text(Some(v)) == Some(token)
                && !is_key_attr(name)
                && !value::is_bookkeeping(name)
                && !TYPE_ATTRS.contains(&name.as_str())
        })
        .map(|(name, _)| name.as_str())
        .min()
}

/// Attributes that hold an entity's type name (a key's label often equals
/// it: `User#01J...` on an item whose `_type` is `User`).
const TYPE_ATTRS: [&str; 4] = ["Type", "type", "entity_type", "entityType"];

/// Rule 1: ElectroDB's key format, or `None` if `pk` is not in it.
fn electrodb(pk: &str, sk: Option<&str>, item: Option<&Item>) -> Option<Vec<KeyField>> {
    let rest = pk.strip_prefix('$')?;
    let mut segments = rest.split('#');
    let service = segments.next().filter(|s| !s.is_empty())?;
    let mut fields = Vec::new();
    for seg in segments {
        fields.push(electrodb_pair(seg, item)?);
    }
    let mut meta = vec![meta_field("service", service)];
    if let Some(sk) = sk {
        let rest = sk.strip_prefix('$')?;
        let segments: Vec<&str> = rest.split('#').collect();
        let at = entity_segment(&segments, item)?;
        let (entity, version) = segments[at].rsplit_once('_')?;
        if at > 0 {
            meta.push(meta_field("collection", &segments[..at].join("#")));
        }
        meta.push(meta_field("entity", entity));
        meta.push(meta_field("version", version));
        for seg in &segments[at + 1..] {
            let f = electrodb_pair(seg, item)?;
            if !fields
                .iter()
                .any(|o: &KeyField| o.name == f.name && o.value == f.value)
            {
                fields.push(f);
            }
        }
    }
    fields.extend(meta);
    Some(fields)
}

fn meta_field(name: &str, value: &str) -> KeyField {
    KeyField {
        meta: true,
        ..KeyField::new(name, value, FieldHow::ElectroDb)
    }
}

/// The index of the `entity_version` segment of an ElectroDB sort key: the
/// one naming the item's `__edb_e__` and `__edb_v__` when it has them, else
/// the first whose text after its last `_` is a number.
fn entity_segment(segments: &[&str], item: Option<&Item>) -> Option<usize> {
    let s = |name: &str| match item.and_then(|i| i.get(name)) {
        Some(AttributeValue::S(s) | AttributeValue::N(s)) => Some(s.as_str()),
        _ => None,
    };
    if let (Some(e), Some(v)) = (s("__edb_e__"), s("__edb_v__")) {
        let want = format!("{e}_{v}").to_lowercase();
        if let Some(at) = segments.iter().position(|g| g.to_lowercase() == want) {
            return Some(at);
        }
    }
    segments.iter().position(|g| {
        g.rsplit_once('_').is_some_and(|(e, v)| {
            !e.is_empty() && !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
        })
    })
}

/// One `attr_value` segment. The split is where the item has an attribute
/// of that name (any case; the item's spelling is used), else at the first
/// `_`.
fn electrodb_pair(seg: &str, item: Option<&Item>) -> Option<KeyField> {
    let splits: Vec<usize> = seg.match_indices('_').map(|(i, _)| i).collect();
    if let Some(item) = item {
        // The longest name first: `team_id_core` is `team_id`=`core` when
        // the item has both `team` and `team_id`.
        for &i in splits.iter().rev() {
            let name = &seg[..i];
            if let Some(real) = item.keys().find(|k| k.eq_ignore_ascii_case(name)) {
                return Some(KeyField::new(
                    real.as_str(),
                    &seg[i + 1..],
                    FieldHow::ElectroDb,
                ));
            }
        }
    }
    let i = splits.first().copied().filter(|&i| i > 0)?;
    Some(KeyField::new(&seg[..i], &seg[i + 1..], FieldHow::ElectroDb))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.to_string())
    }

    fn item(pairs: &[(&str, &str)]) -> Item {
        pairs.iter().map(|(k, v)| (k.to_string(), s(v))).collect()
    }

    const KEYS: [&str; 6] = ["PK", "SK", "pk", "sk", "gsi1pk", "gsi1sk"];

    /// Decodes `item`'s `pk_attr`/`sk_attr` and renders the fields (meta
    /// fields in brackets).
    fn shown(item: &Item, pk_attr: &str, sk_attr: Option<&str>) -> String {
        let is_key = |a: &str| KEYS.contains(&a);
        let k = KeyValues {
            pk: (pk_attr, item.get(pk_attr)),
            sk: sk_attr.map(|a| (a, item.get(a))),
            item: Some(item),
            is_key_attr: &is_key,
        };
        render(&decode(&k))
    }

    fn bare(pk: &str, sk: Option<&str>) -> String {
        let (pk, sk) = (s(pk), sk.map(s));
        let k = KeyValues {
            pk: ("PK", Some(&pk)),
            sk: sk.as_ref().map(|v| ("SK", Some(v))),
            item: None,
            is_key_attr: &|_| false,
        };
        render(&decode(&k))
    }

    fn render(fields: &[KeyField]) -> String {
        fields
            .iter()
            .map(|f| {
                if f.meta {
                    format!("[{f}]")
                } else {
                    f.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn electrodb_keys_name_their_own_fields_exactly() {
        // Shapes from ElectroDB's documentation: `$service#attr_value` and
        // `$entity_version#attr_value`, names in lower case.
        let task = item(&[
            ("pk", "$taskapp#team_core"),
            ("sk", "$tasks_1#project_backend#task_45-662"),
            ("team", "core"),
            ("project", "backend"),
            ("task", "45-662"),
            ("__edb_e__", "tasks"),
            ("__edb_v__", "1"),
        ]);
        assert_eq!(
            shown(&task, "pk", Some("sk")),
            "team=core project=backend task=45-662 [service=taskapp] [entity=tasks] [version=1]"
        );
        // Lower-cased names take the item's spelling; a collection comes
        // before the entity.
        let employee = item(&[
            ("pk", "$task_1#project_p0#employee_e38"),
            ("sk", "$assignments#employee_1#employeeid_e38"),
            ("employeeId", "e38"),
            ("__edb_e__", "employee"),
            ("__edb_v__", "1"),
        ]);
        assert_eq!(
            shown(&employee, "pk", Some("sk")),
            "project=p0 employee=e38 employeeId=e38 [service=task_1] [collection=assignments] \
             [entity=employee] [version=1]"
        );
        // Names with `_`: the longest attribute the item has wins.
        let t = item(&[
            ("pk", "$app#team_id_core_1"),
            ("team", "x"),
            ("team_id", "core_1"),
        ]);
        assert_eq!(shown(&t, "pk", None), "team_id=core_1 [service=app]");
        // A hot key has no item: split at the first `_`.
        assert_eq!(
            bare("$taskapp#task_t98", Some("$task_1#project_p0")),
            "task=t98 project=p0 [service=taskapp] [entity=task] [version=1]"
        );
    }

    #[test]
    fn tokens_equal_to_attributes_are_named_after_them() {
        let order = item(&[
            ("PK", "CUSTOMER#c00001"),
            ("SK", "ORDER#2025-10-10#o000003"),
            ("customerId", "c00001"),
            ("orderDate", "2025-10-10"),
            ("orderId", "o000003"),
            ("Type", "Order"),
        ]);
        assert_eq!(
            shown(&order, "PK", Some("SK")),
            "customerId=c00001 orderDate=2025-10-10 orderId=o000003"
        );
        // OneTable: `${_type}#${id}`; `_type` never names the label.
        let user = item(&[
            ("pk", "User#01JAB3"),
            ("sk", "User#"),
            ("id", "01JAB3"),
            ("_type", "User"),
        ]);
        assert_eq!(shown(&user, "pk", Some("sk")), "id=01JAB3 sk=User#");
    }

    #[test]
    fn label_value_pairs_are_inferred_and_marked() {
        let i = item(&[("PK", "USER#u1"), ("SK", "POST#p0001")]);
        assert_eq!(shown(&i, "PK", Some("SK")), "~USER=u1 ~POST=p0001");
        // boto3-assist style pairs, an empty value kept.
        assert_eq!(
            bare("group##tenant#t0", Some("name#Group 1")),
            "~group= ~tenant=t0 ~name=Group 1"
        );
        assert_eq!(
            bare("tenant#t0#user#u1", Some("account#01J9Z")),
            "~tenant=t0 ~user=u1 ~account=01J9Z"
        );
        // A token that starts no pair joins the value before it.
        assert_eq!(bare("ORDER#2024-01-01#123", None), "~ORDER=2024-01-01#123");
        // The same field in both keys is shown once.
        assert_eq!(bare("USER#u1", Some("USER#u1")), "~USER=u1");
        assert_eq!(bare("account:7", None), "~account=7");
    }

    #[test]
    fn values_without_a_shape_stay_whole_under_their_key_name() {
        // A classic table.
        let c = item(&[("customerId", "c1"), ("name", "Ann")]);
        assert_eq!(shown(&c, "customerId", None), "customerId=c1");
        assert_eq!(bare("c00001", Some("PROFILE")), "PK=c00001 SK=PROFILE");
        // Times and ARNs: `:` pairs must be exact.
        assert_eq!(
            bare("2024-01-01T10:00:00Z", None),
            "PK=2024-01-01T10:00:00Z"
        );
        assert_eq!(bare("arn:aws:s3:::bucket", None), "PK=arn:aws:s3:::bucket");
        // A first token that is no label.
        assert_eq!(bare("2025-10-10#o1", None), "PK=2025-10-10#o1");
        // Numbers are whole; binary keys are not decoded.
        let n = AttributeValue::N("42".into());
        let b = AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(vec![1]));
        let k = KeyValues {
            pk: ("id", Some(&n)),
            sk: Some(("data", Some(&b))),
            item: None,
            is_key_attr: &|_| false,
        };
        assert_eq!(render(&decode(&k)), "id=42");
    }

    #[test]
    fn every_field_reads_back_from_its_key() {
        // Each decoded value appears in its key value as written.
        for (pk, sk) in [
            ("group##tenant#t0", "name#Group 1"),
            ("ORDER#2024-01-01#123", "x"),
            ("$app#a_1#b_2", "$e_1#c_3"),
        ] {
            for f in bare_fields(pk, Some(sk)) {
                assert!(
                    pk.contains(&f.value) || sk.contains(&f.value),
                    "{f} from {pk} / {sk}"
                );
            }
        }
    }

    fn bare_fields(pk: &str, sk: Option<&str>) -> Vec<KeyField> {
        let (pk, sk) = (s(pk), sk.map(s));
        decode(&KeyValues {
            pk: ("PK", Some(&pk)),
            sk: sk.as_ref().map(|v| ("SK", Some(v))),
            item: None,
            is_key_attr: &|_| false,
        })
    }
}
