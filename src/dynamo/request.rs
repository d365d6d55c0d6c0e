//! Item requests (Scan or Query, on the table or an index) compiled into
//! DynamoDB expressions, and the small filter language of the filter box.

use std::collections::BTreeMap;

use super::AttributeValue;
use super::value;

/// A sort-key condition of a Query.
#[derive(Debug, Clone, PartialEq)]
pub enum SortCondition {
    Eq(AttributeValue),
    Lt(AttributeValue),
    Le(AttributeValue),
    Gt(AttributeValue),
    Ge(AttributeValue),
    BeginsWith(AttributeValue),
    Between(AttributeValue, AttributeValue),
}

/// The sort-key operators, in the order the query form cycles them.
pub const SORT_OPS: [&str; 7] = ["=", "<", "<=", ">", ">=", "begins_with", "between"];

impl SortCondition {
    pub fn op(&self) -> &'static str {
        match self {
            SortCondition::Eq(_) => "=",
            SortCondition::Lt(_) => "<",
            SortCondition::Le(_) => "<=",
            SortCondition::Gt(_) => ">",
            SortCondition::Ge(_) => ">=",
            SortCondition::BeginsWith(_) => "begins_with",
            SortCondition::Between(..) => "between",
        }
    }

    /// Builds a condition from an operator of [`SORT_OPS`].
    pub fn from_op(op: &str, a: AttributeValue, b: Option<AttributeValue>) -> Result<Self, String> {
        Ok(match op {
            "=" => SortCondition::Eq(a),
            "<" => SortCondition::Lt(a),
            "<=" => SortCondition::Le(a),
            ">" => SortCondition::Gt(a),
            ">=" => SortCondition::Ge(a),
            "begins_with" => SortCondition::BeginsWith(a),
            "between" => match b {
                Some(b) => SortCondition::Between(a, b),
                None => return Err("between needs two values".into()),
            },
            other => return Err(format!("unknown sort-key operator `{other}`")),
        })
    }
}

/// Scan or Query. (One per open view: its size does not matter.)
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum RequestKind {
    Scan,
    Query {
        pk_name: String,
        pk: AttributeValue,
        sort: Option<(String, SortCondition)>,
    },
}

/// What the items view (or `dyntui scan`) asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemsRequest {
    pub table: String,
    pub index: Option<String>,
    pub kind: RequestKind,
    pub filter: Option<Filter>,
    pub page_size: Option<i32>,
    /// Query direction: false = newest (highest sort key) first.
    pub forward: bool,
}

impl ItemsRequest {
    pub fn scan(table: impl Into<String>) -> Self {
        ItemsRequest {
            table: table.into(),
            index: None,
            kind: RequestKind::Scan,
            filter: None,
            page_size: None,
            forward: true,
        }
    }

    pub fn is_scan(&self) -> bool {
        matches!(self.kind, RequestKind::Scan)
    }

    /// Expressions, names and values for the SDK request.
    pub fn compile(&self) -> Compiled {
        let mut c = Compiled {
            index: self.index.clone(),
            ..Compiled::default()
        };
        if let RequestKind::Query { pk_name, pk, sort } = &self.kind {
            c.names.insert("#pk".into(), pk_name.clone());
            c.values.insert(":pk".into(), pk.clone());
            let mut kc = "#pk = :pk".to_string();
            if let Some((sk_name, cond)) = sort {
                c.names.insert("#sk".into(), sk_name.clone());
                let part = match cond {
                    SortCondition::Between(a, b) => {
                        c.values.insert(":sk1".into(), a.clone());
                        c.values.insert(":sk2".into(), b.clone());
                        "#sk BETWEEN :sk1 AND :sk2".to_string()
                    }
                    SortCondition::BeginsWith(a) => {
                        c.values.insert(":sk".into(), a.clone());
                        "begins_with(#sk, :sk)".to_string()
                    }
                    SortCondition::Eq(a)
                    | SortCondition::Lt(a)
                    | SortCondition::Le(a)
                    | SortCondition::Gt(a)
                    | SortCondition::Ge(a) => {
                        c.values.insert(":sk".into(), a.clone());
                        format!("#sk {} :sk", cond.op())
                    }
                };
                kc.push_str(" AND ");
                kc.push_str(&part);
            }
            c.key_condition = Some(kc);
        }
        if let Some(f) = &self.filter {
            c.filter = Some(f.compile(&mut c.names, &mut c.values));
        }
        c
    }

    /// One line saying what this request is, Scan named as such.
    pub fn describe(&self) -> String {
        let on = match &self.index {
            Some(i) => format!("{} / index {i}", self.table),
            None => self.table.clone(),
        };
        let mut s = match &self.kind {
            RequestKind::Scan => format!("SCAN {on} (reads every item)"),
            RequestKind::Query { pk_name, pk, sort } => {
                let mut s = format!("QUERY {on}: {pk_name} = {}", value::cell_text(pk, 60));
                if let Some((sk, cond)) = sort {
                    match cond {
                        SortCondition::Between(a, b) => s.push_str(&format!(
                            " and {sk} between {} and {}",
                            value::cell_text(a, 40),
                            value::cell_text(b, 40)
                        )),
                        SortCondition::Eq(a)
                        | SortCondition::Lt(a)
                        | SortCondition::Le(a)
                        | SortCondition::Gt(a)
                        | SortCondition::Ge(a)
                        | SortCondition::BeginsWith(a) => s.push_str(&format!(
                            " and {sk} {} {}",
                            cond.op(),
                            value::cell_text(a, 40)
                        )),
                    }
                }
                if !self.forward {
                    s.push_str(" (descending)");
                }
                s
            }
        };
        if let Some(f) = &self.filter {
            s.push_str(&format!(" | filter: {}", f.source));
        }
        s
    }
}

/// A request compiled to DynamoDB expression parts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Compiled {
    pub index: Option<String>,
    pub key_condition: Option<String>,
    pub filter: Option<String>,
    pub names: BTreeMap<String, String>,
    pub values: BTreeMap<String, AttributeValue>,
}

// ------------------------------------------------------------ filter language

/// A server-side filter: `status = SHIPPED and total > 100 and email exists`.
///
/// Grammar: `cond (and cond)*` where `cond` is `path op value`, `path exists`,
/// `path missing`, or `path between v and v`. Ops: `= != <> < <= > >= begins_with contains`.
/// Values: `"quoted text"`, numbers (kept exact), `true`, `false`, `null`, or a
/// bare word (a string). Paths may be nested: `address.city`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub source: String,
    conds: Vec<Cond>,
}

#[derive(Debug, Clone, PartialEq)]
enum Cond {
    Cmp(Vec<String>, &'static str, AttributeValue),
    Func(Vec<String>, &'static str, AttributeValue),
    Exists(Vec<String>, bool),
    Between(Vec<String>, AttributeValue, AttributeValue),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
}

fn tokenize(s: &str) -> Result<Vec<(usize, Tok)>, String> {
    let mut out = Vec::new();
    let mut chars = s.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' || c == '\'' {
            chars.next();
            let mut text = String::new();
            let mut closed = false;
            while let Some((_, d)) = chars.next() {
                if d == '\\' {
                    if let Some((_, e)) = chars.next() {
                        text.push(e);
                    }
                } else if d == c {
                    closed = true;
                    break;
                } else {
                    text.push(d);
                }
            }
            if !closed {
                return Err(format!("column {}: unclosed quote", i + 1));
            }
            out.push((i, Tok::Quoted(text)));
        } else if "=<>!".contains(c) {
            let mut op = String::new();
            while let Some(&(_, d)) = chars.peek() {
                if "=<>!".contains(d) {
                    op.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push((i, Tok::Word(op)));
        } else {
            let mut w = String::new();
            while let Some(&(_, d)) = chars.peek() {
                if d.is_whitespace() || "=<>!\"'".contains(d) {
                    break;
                }
                w.push(d);
                chars.next();
            }
            out.push((i, Tok::Word(w)));
        }
    }
    Ok(out)
}

fn literal(t: &Tok) -> AttributeValue {
    match t {
        Tok::Quoted(s) => AttributeValue::S(s.clone()),
        Tok::Word(w) => match w.as_str() {
            "true" => AttributeValue::Bool(true),
            "false" => AttributeValue::Bool(false),
            "null" => AttributeValue::Null(true),
            _ if value::validate_number(w).is_ok() => AttributeValue::N(w.clone()),
            _ => AttributeValue::S(w.clone()),
        },
    }
}

impl Filter {
    /// Parses the filter language; errors name the column.
    pub fn parse(src: &str) -> Result<Filter, String> {
        let toks = tokenize(src)?;
        let mut conds = Vec::new();
        let mut i = 0;
        let col = |i: usize| toks.get(i).map(|t| t.0 + 1).unwrap_or(src.len() + 1);
        let word = |i: usize| match toks.get(i) {
            Some((_, Tok::Word(w))) => Some(w.to_ascii_lowercase()),
            _ => None,
        };
        loop {
            let path = match toks.get(i) {
                Some((_, Tok::Word(w))) | Some((_, Tok::Quoted(w))) => w.clone(),
                None => return Err(format!("column {}: expected an attribute name", col(i))),
            };
            if path.is_empty() || "=<>!".contains(path.chars().next().unwrap_or('=')) {
                return Err(format!("column {}: expected an attribute name", col(i)));
            }
            let segs: Vec<String> = path.split('.').map(str::to_string).collect();
            if segs.iter().any(|s| s.is_empty()) {
                return Err(format!("column {}: bad attribute path `{path}`", col(i)));
            }
            let op = word(i + 1).ok_or_else(|| {
                format!("column {}: expected an operator after `{path}`", col(i + 1))
            })?;
            let need_value = |j: usize| {
                toks.get(j)
                    .map(|t| literal(&t.1))
                    .ok_or_else(|| format!("column {}: expected a value", col(j)))
            };
            let (cond, used) = match op.as_str() {
                "exists" => (Cond::Exists(segs, true), 2),
                "missing" | "not_exists" => (Cond::Exists(segs, false), 2),
                "=" | "==" => (Cond::Cmp(segs, "=", need_value(i + 2)?), 3),
                "!=" | "<>" => (Cond::Cmp(segs, "<>", need_value(i + 2)?), 3),
                "<" => (Cond::Cmp(segs, "<", need_value(i + 2)?), 3),
                "<=" => (Cond::Cmp(segs, "<=", need_value(i + 2)?), 3),
                ">" => (Cond::Cmp(segs, ">", need_value(i + 2)?), 3),
                ">=" => (Cond::Cmp(segs, ">=", need_value(i + 2)?), 3),
                "begins_with" => (Cond::Func(segs, "begins_with", need_value(i + 2)?), 3),
                "contains" => (Cond::Func(segs, "contains", need_value(i + 2)?), 3),
                "between" => {
                    let a = need_value(i + 2)?;
                    if word(i + 3).as_deref() != Some("and") {
                        return Err(format!("column {}: expected `and` in between", col(i + 3)));
                    }
                    let b = need_value(i + 4)?;
                    (Cond::Between(segs, a, b), 5)
                }
                other => {
                    return Err(format!(
                        "column {}: unknown operator `{other}` (use = != < <= > >= begins_with contains between exists missing)",
                        col(i + 1)
                    ));
                }
            };
            conds.push(cond);
            i += used;
            match word(i).as_deref() {
                None if i >= toks.len() => break,
                Some("and") => i += 1,
                _ => {
                    return Err(format!(
                        "column {}: expected `and` between conditions (only `and` is supported)",
                        col(i)
                    ));
                }
            }
        }
        Ok(Filter {
            source: src.trim().to_string(),
            conds,
        })
    }

    fn compile(
        &self,
        names: &mut BTreeMap<String, String>,
        values: &mut BTreeMap<String, AttributeValue>,
    ) -> String {
        let name_of = |seg: &str, names: &mut BTreeMap<String, String>| {
            if let Some((k, _)) = names.iter().find(|(k, v)| k.starts_with("#f") && *v == seg) {
                return k.clone();
            }
            let k = format!("#f{}", names.keys().filter(|k| k.starts_with("#f")).count());
            names.insert(k.clone(), seg.to_string());
            k
        };
        let path = |segs: &[String], names: &mut BTreeMap<String, String>| {
            segs.iter()
                .map(|s| name_of(s, names))
                .collect::<Vec<_>>()
                .join(".")
        };
        let val = |v: &AttributeValue, values: &mut BTreeMap<String, AttributeValue>| {
            let k = format!(
                ":f{}",
                values.keys().filter(|k| k.starts_with(":f")).count()
            );
            values.insert(k.clone(), v.clone());
            k
        };
        let parts: Vec<String> = self
            .conds
            .iter()
            .map(|c| match c {
                Cond::Cmp(p, op, v) => {
                    let p = path(p, names);
                    format!("{p} {op} {}", val(v, values))
                }
                Cond::Func(p, f, v) => {
                    let p = path(p, names);
                    format!("{f}({p}, {})", val(v, values))
                }
                Cond::Exists(p, true) => format!("attribute_exists({})", path(p, names)),
                Cond::Exists(p, false) => format!("attribute_not_exists({})", path(p, names)),
                Cond::Between(p, a, b) => {
                    let p = path(p, names);
                    let a = val(a, values);
                    format!("{p} BETWEEN {a} AND {}", val(b, values))
                }
            })
            .collect();
        parts.join(" AND ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    #[test]
    fn query_compiles_every_sort_condition() {
        let cases = [
            (SortCondition::Eq(s("a")), "#pk = :pk AND #sk = :sk"),
            (SortCondition::Lt(s("a")), "#pk = :pk AND #sk < :sk"),
            (SortCondition::Le(s("a")), "#pk = :pk AND #sk <= :sk"),
            (SortCondition::Gt(s("a")), "#pk = :pk AND #sk > :sk"),
            (SortCondition::Ge(s("a")), "#pk = :pk AND #sk >= :sk"),
            (
                SortCondition::BeginsWith(s("ORDER#")),
                "#pk = :pk AND begins_with(#sk, :sk)",
            ),
            (
                SortCondition::Between(s("a"), s("b")),
                "#pk = :pk AND #sk BETWEEN :sk1 AND :sk2",
            ),
        ];
        for (cond, expected) in cases {
            let r = ItemsRequest {
                kind: RequestKind::Query {
                    pk_name: "PK".into(),
                    pk: s("CUSTOMER#1"),
                    sort: Some(("SK".into(), cond)),
                },
                ..ItemsRequest::scan("t")
            };
            let c = r.compile();
            assert_eq!(c.key_condition.as_deref(), Some(expected));
            assert_eq!(c.names.get("#pk").map(String::as_str), Some("PK"));
            assert_eq!(c.names.get("#sk").map(String::as_str), Some("SK"));
        }
    }

    #[test]
    fn filter_language_compiles() {
        let f = Filter::parse(r#"status = SHIPPED and total >= 100.50 and address.city begins_with "New Y" and email exists and note missing and rating between 3 and 5"#).unwrap();
        let r = ItemsRequest {
            filter: Some(f),
            ..ItemsRequest::scan("t")
        };
        let c = r.compile();
        assert_eq!(
            c.filter.as_deref(),
            Some(
                "#f0 = :f0 AND #f1 >= :f1 AND begins_with(#f2.#f3, :f2) AND attribute_exists(#f4) AND attribute_not_exists(#f5) AND #f6 BETWEEN :f3 AND :f4"
            )
        );
        assert_eq!(
            c.values.get(":f1"),
            Some(&AttributeValue::N("100.50".into()))
        );
        assert_eq!(c.values.get(":f0"), Some(&s("SHIPPED")));
        assert_eq!(c.values.get(":f2"), Some(&s("New Y")));
        assert_eq!(c.names.get("#f3").map(String::as_str), Some("city"));
    }

    #[test]
    fn filter_errors_name_the_column() {
        let e = Filter::parse("status").unwrap_err();
        assert!(e.contains("column 7"), "{e}");
        let e = Filter::parse("status ~ x").unwrap_err();
        assert!(
            e.starts_with("column 8") && e.contains("unknown operator"),
            "{e}"
        );
        let e = Filter::parse("a = 1 or b = 2").unwrap_err();
        assert!(e.contains("column 7") && e.contains("and"), "{e}");
        let e = Filter::parse("a = \"open").unwrap_err();
        assert!(e.contains("unclosed quote"), "{e}");
        let e = Filter::parse("a between 1 2").unwrap_err();
        assert!(e.contains("`and`"), "{e}");
    }

    #[test]
    fn describe_says_scan() {
        assert!(ItemsRequest::scan("t").describe().starts_with("SCAN t"));
    }
}
