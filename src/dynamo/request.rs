//! Item requests (Scan or Query, on the table or an index) compiled into
//! DynamoDB expressions, and the small filter language of the filter box.

use std::borrow::Cow;
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

/// A sort-key operator, written as in key conditions, project files
/// (`sk = { op = "begins_with", .. }`) and on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortOp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
    BeginsWith,
    Between,
}

/// Text that is not a sort-key operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown sort-key operator `{0}` (use one of =, <, <=, >, >=, begins_with, between)")]
pub struct UnknownSortOp(pub String);

impl SortOp {
    /// Every operator, in the order the query form cycles them.
    pub const ALL: [SortOp; 7] = [
        SortOp::Eq,
        SortOp::Lt,
        SortOp::Le,
        SortOp::Gt,
        SortOp::Ge,
        SortOp::BeginsWith,
        SortOp::Between,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortOp::Eq => "=",
            SortOp::Lt => "<",
            SortOp::Le => "<=",
            SortOp::Gt => ">",
            SortOp::Ge => ">=",
            SortOp::BeginsWith => "begins_with",
            SortOp::Between => "between",
        }
    }
}

impl std::fmt::Display for SortOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SortOp {
    type Err = UnknownSortOp;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SortOp::ALL
            .into_iter()
            .find(|op| op.as_str() == s)
            .ok_or_else(|| UnknownSortOp(s.to_string()))
    }
}

/// `between` was given one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("between needs two values")]
pub struct BetweenNeedsTwoValues;

impl SortCondition {
    pub fn op(&self) -> SortOp {
        match self {
            SortCondition::Eq(_) => SortOp::Eq,
            SortCondition::Lt(_) => SortOp::Lt,
            SortCondition::Le(_) => SortOp::Le,
            SortCondition::Gt(_) => SortOp::Gt,
            SortCondition::Ge(_) => SortOp::Ge,
            SortCondition::BeginsWith(_) => SortOp::BeginsWith,
            SortCondition::Between(..) => SortOp::Between,
        }
    }

    /// Builds a condition from an operator and its value(s); `b` is used by
    /// `between` only.
    pub fn from_op(
        op: SortOp,
        a: AttributeValue,
        b: Option<AttributeValue>,
    ) -> Result<Self, BetweenNeedsTwoValues> {
        Ok(match op {
            SortOp::Eq => SortCondition::Eq(a),
            SortOp::Lt => SortCondition::Lt(a),
            SortOp::Le => SortCondition::Le(a),
            SortOp::Gt => SortCondition::Gt(a),
            SortOp::Ge => SortCondition::Ge(a),
            SortOp::BeginsWith => SortCondition::BeginsWith(a),
            SortOp::Between => SortCondition::Between(a, b.ok_or(BetweenNeedsTwoValues)?),
        })
    }
}

/// A sort-key condition as text: an operator, its value and, for
/// `between`, the second value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortText<'a> {
    pub op: SortOp,
    pub value: &'a str,
    pub and: Option<&'a str>,
}

impl<'a> SortText<'a> {
    /// The command line's form: `=V`, `<V`, `<=V`, `>V`, `>=V`,
    /// `begins_with:V`, `between:A,B`.
    pub fn parse(s: &'a str) -> Result<SortText<'a>, String> {
        if let Some(v) = s.strip_prefix("begins_with:") {
            return Ok(SortText {
                op: SortOp::BeginsWith,
                value: v,
                and: None,
            });
        }
        if let Some(v) = s.strip_prefix("between:") {
            let (a, b) = v
                .split_once(',')
                .ok_or("between needs two values: between:A,B")?;
            return Ok(SortText {
                op: SortOp::Between,
                value: a,
                and: Some(b),
            });
        }
        // Two-character operators first: `<=V` is not `<` of `=V`.
        for op in [SortOp::Le, SortOp::Ge, SortOp::Lt, SortOp::Gt, SortOp::Eq] {
            if let Some(v) = s.strip_prefix(op.as_str()) {
                return Ok(SortText {
                    op,
                    value: v,
                    and: None,
                });
            }
        }
        Err(format!(
            "`{s}` is not a sort-key condition (use =V, <V, <=V, >V, >=V, begins_with:V, between:A,B)"
        ))
    }
}

/// Why key text does not make a Query (see [`query_of_text`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryTextError {
    #[error("table `{table}` has no index `{index}`{hint}")]
    NoIndex {
        table: String,
        index: String,
        /// ` (did you mean `GSI1`?)` or ` (its indexes: ...)`.
        hint: String,
    },
    /// A key value is not of its attribute's type.
    #[error("{attr}: {message}")]
    KeyValue { attr: String, message: String },
    /// A sort-key condition on a table or index without a sort key.
    #[error("{} has no sort key", index.as_ref().map_or("the table".to_string(), |i| format!("index {i}")))]
    NoSortKey { index: Option<String> },
    #[error("between needs a second value")]
    BetweenNeedsSecondValue,
}

/// The Query of a partition key value and an optional sort-key condition,
/// given as text and typed as the key attributes of the table or `index`:
/// the one way both the items view's query form and `dyntui query --pk
/// --sk` build their requests. Errors name the key attribute.
pub fn query_of_text(
    info: &super::client::TableInfo,
    index: Option<&str>,
    pk: &str,
    sort: Option<SortText<'_>>,
) -> Result<RequestKind, QueryTextError> {
    let (pk_def, sk_def) = info.keys_of(index).ok_or_else(|| {
        let want = index.unwrap_or("");
        let names = || info.indexes.iter().map(|i| i.name.as_str());
        let hint = match super::suggest::nearest(want, names()) {
            Some(n) => format!(" (did you mean `{n}`?)"),
            None if info.indexes.is_empty() => " (it has no indexes)".to_string(),
            None => format!(" (its indexes: {})", names().collect::<Vec<_>>().join(", ")),
        };
        QueryTextError::NoIndex {
            table: info.name.clone(),
            index: want.to_string(),
            hint,
        }
    })?;
    let typed = |v: &str, def: &super::client::KeyDef| {
        super::pattern::typed_value(v, def.kind).map_err(|message| QueryTextError::KeyValue {
            attr: def.name.clone(),
            message,
        })
    };
    let pk_val = typed(pk, pk_def)?;
    let sort = match sort {
        None => None,
        Some(t) => {
            let sk_def = sk_def.ok_or_else(|| QueryTextError::NoSortKey {
                index: index.map(str::to_string),
            })?;
            let a = typed(t.value, sk_def)?;
            let b = match (t.op, t.and) {
                (SortOp::Between, Some(b)) if !b.is_empty() => Some(typed(b, sk_def)?),
                (SortOp::Between, _) => return Err(QueryTextError::BetweenNeedsSecondValue),
                _ => None,
            };
            let cond = SortCondition::from_op(t.op, a, b)
                .map_err(|_| QueryTextError::BetweenNeedsSecondValue)?;
            Some((sk_def.name.clone(), cond))
        }
    };
    Ok(RequestKind::Query {
        pk_name: pk_def.name.clone(),
        pk: pk_val,
        sort,
    })
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
    /// Attributes to return (ProjectionExpression); empty = all.
    pub projection: Vec<String>,
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
            projection: Vec::new(),
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
        if !self.projection.is_empty() {
            let mut parts = Vec::new();
            for (i, attr) in self.projection.iter().enumerate() {
                let k = format!("#p{i}");
                c.names.insert(k.clone(), attr.clone());
                parts.push(k);
            }
            c.projection = Some(parts.join(", "));
        }
        c
    }

    /// The request as DynamoDB's JSON request body (Query or Scan input).
    pub fn to_json_request(&self) -> serde_json::Value {
        let c = self.compile();
        let mut m = serde_json::Map::new();
        m.insert("TableName".into(), self.table.clone().into());
        if let Some(i) = &self.index {
            m.insert("IndexName".into(), i.clone().into());
        }
        if let Some(k) = &c.key_condition {
            m.insert("KeyConditionExpression".into(), k.clone().into());
        }
        if let Some(f) = &c.filter {
            m.insert("FilterExpression".into(), f.clone().into());
        }
        if let Some(p) = &c.projection {
            m.insert("ProjectionExpression".into(), p.clone().into());
        }
        if !c.names.is_empty() {
            m.insert(
                "ExpressionAttributeNames".into(),
                serde_json::Value::Object(
                    c.names
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone().into()))
                        .collect(),
                ),
            );
        }
        if !c.values.is_empty() {
            m.insert(
                "ExpressionAttributeValues".into(),
                serde_json::Value::Object(
                    c.values
                        .iter()
                        .map(|(k, v)| (k.clone(), value::to_dynamo(v)))
                        .collect(),
                ),
            );
        }
        if !self.is_scan() && !self.forward {
            m.insert("ScanIndexForward".into(), false.into());
        }
        if let Some(l) = self.page_size {
            m.insert("Limit".into(), l.into());
        }
        m.insert("ReturnConsumedCapacity".into(), "TOTAL".into());
        serde_json::Value::Object(m)
    }

    /// The request as an `aws dynamodb query` (or `scan`) command line;
    /// fails on a NUL byte (see [`shell_word`]).
    pub fn to_cli(&self, ctx: &super::error::ConnContext) -> Result<String, shlex::QuoteError> {
        let c = self.compile();
        let q = shell_word;
        let json = |v: serde_json::Value| serde_json::to_string(&v).unwrap_or_default();
        let mut cmd = format!(
            "aws dynamodb {} --table-name {}",
            if self.is_scan() { "scan" } else { "query" },
            q(&self.table)?
        );
        if let Some(i) = &self.index {
            cmd.push_str(&format!(" --index-name {}", q(i)?));
        }
        if let Some(k) = &c.key_condition {
            cmd.push_str(&format!(" --key-condition-expression {}", q(k)?));
        }
        if let Some(f) = &c.filter {
            cmd.push_str(&format!(" --filter-expression {}", q(f)?));
        }
        if let Some(p) = &c.projection {
            cmd.push_str(&format!(" --projection-expression {}", q(p)?));
        }
        if !c.names.is_empty() {
            let names: serde_json::Map<String, serde_json::Value> = c
                .names
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().into()))
                .collect();
            cmd.push_str(&format!(
                " --expression-attribute-names {}",
                q(&json(names.into()))?
            ));
        }
        if !c.values.is_empty() {
            let values: serde_json::Map<String, serde_json::Value> = c
                .values
                .iter()
                .map(|(k, v)| (k.clone(), value::to_dynamo(v)))
                .collect();
            cmd.push_str(&format!(
                " --expression-attribute-values {}",
                q(&json(values.into()))?
            ));
        }
        if !self.is_scan() && !self.forward {
            cmd.push_str(" --no-scan-index-forward");
        }
        if let Some(l) = self.page_size {
            cmd.push_str(&format!(" --limit {l}"));
        }
        if let Some(r) = &ctx.region {
            cmd.push_str(&format!(" --region {}", q(r)?));
        }
        if let Some(p) = &ctx.profile {
            cmd.push_str(&format!(" --profile {}", q(p)?));
        }
        if let Some(e) = &ctx.endpoint {
            cmd.push_str(&format!(" --endpoint-url {}", q(e)?));
        }
        Ok(cmd)
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
    pub projection: Option<String>,
    pub names: BTreeMap<String, String>,
    pub values: BTreeMap<String, AttributeValue>,
}

/// `s` as one word of a shell command line (POSIX shells and fish), quoted
/// by [`shlex::try_quote`]. Single quotes are written as `\'` between the
/// quoted pieces around them, so JSON (full of double quotes) stays in
/// single quotes: `'{"S":"O'\''Brien"}'`, not `"{\"S\":\"O'Brien\"}"`.
///
/// Fails on a NUL byte, which no command-line argument can hold.
pub fn shell_word(s: &str) -> Result<String, shlex::QuoteError> {
    if !s.contains('\'') {
        return shlex::try_quote(s).map(Cow::into_owned);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for (i, piece) in s.split('\'').enumerate() {
        if i > 0 {
            out.push_str("\\'");
        }
        if !piece.is_empty() {
            out.push_str(&shlex::try_quote(piece)?);
        }
    }
    Ok(out)
}

/// [`shell_word`] for text that is only shown, never copied or run: a NUL
/// byte is shown as `␀`.
pub fn shell_word_shown(s: &str) -> String {
    shell_word(s).unwrap_or_else(|_| shell_word(&s.replace('\0', "␀")).unwrap_or_default())
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
    /// Both filters (`a and b`).
    pub fn and(mut self, other: Filter) -> Filter {
        self.source = format!("{} and {}", self.source, other.source);
        self.conds.extend(other.conds);
        self
    }

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
    use crate::dynamo::client::{IndexInfo, KeyDef, KeyKind, TableInfo};

    fn key(name: &str, kind: KeyKind) -> KeyDef {
        KeyDef::new(name, kind)
    }

    fn orders() -> TableInfo {
        TableInfo {
            name: "orders".into(),
            pk: Some(key("PK", KeyKind::S)),
            sk: Some(key("SK", KeyKind::S)),
            indexes: vec![IndexInfo {
                name: "ByTotal".into(),
                global: true,
                pk: key("customer", KeyKind::S),
                sk: Some(key("total", KeyKind::N)),
                projection: "ALL".into(),
                status: None,
                capacity: None,
                item_count: None,
                size_bytes: None,
            }],
            ..TableInfo::default()
        }
    }

    #[test]
    fn key_text_becomes_one_typed_query_for_both_front_ends() {
        let info = orders();
        let q = query_of_text(
            &info,
            None,
            "CUSTOMER#c1",
            Some(SortText::parse("begins_with:ORDER#").expect("parses")),
        )
        .expect("a query");
        assert_eq!(
            q,
            RequestKind::Query {
                pk_name: "PK".into(),
                pk: AttributeValue::S("CUSTOMER#c1".into()),
                sort: Some((
                    "SK".into(),
                    SortCondition::BeginsWith(AttributeValue::S("ORDER#".into()))
                )),
            }
        );
        // Index keys are typed as the index declares them: `total` is a number.
        let q = query_of_text(
            &info,
            Some("ByTotal"),
            "c1",
            Some(SortText::parse("between:10,20.5").expect("parses")),
        )
        .expect("a query");
        assert_eq!(
            q,
            RequestKind::Query {
                pk_name: "customer".into(),
                pk: AttributeValue::S("c1".into()),
                sort: Some((
                    "total".into(),
                    SortCondition::Between(
                        AttributeValue::N("10".into()),
                        AttributeValue::N("20.5".into())
                    )
                )),
            }
        );
        let e = query_of_text(
            &info,
            Some("ByTotal"),
            "c1",
            Some(SortText::parse(">=lots").expect("parses")),
        )
        .expect_err("not a number")
        .to_string();
        assert!(e.starts_with("total: "), "{e}");
        let e = query_of_text(&info, Some("Nope"), "c1", None)
            .expect_err("no index")
            .to_string();
        assert!(e.contains("has no index `Nope`"), "{e}");
        let between = SortText {
            op: SortOp::Between,
            value: "1",
            and: Some(""),
        };
        assert_eq!(
            query_of_text(&info, Some("ByTotal"), "c1", Some(between)).map_err(|e| e.to_string()),
            Err("between needs a second value".into())
        );
        assert!(SortText::parse("~x").is_err());
    }

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
    fn copies_as_cli_and_json_request() {
        let r = ItemsRequest {
            index: Some("GSI1".into()),
            kind: RequestKind::Query {
                pk_name: "GSI1PK".into(),
                pk: s("ORDER#o'1"),
                sort: Some(("GSI1SK".into(), SortCondition::BeginsWith(s("ITEM#")))),
            },
            filter: Some(Filter::parse("qty > 2").unwrap()),
            page_size: Some(25),
            forward: false,
            projection: vec!["sku".into(), "qty".into()],
            ..ItemsRequest::scan("shop")
        };
        let ctx = crate::dynamo::error::ConnContext {
            profile: None,
            region: Some("us-east-1".into()),
            endpoint: Some("http://127.0.0.1:8000".into()),
        };
        assert_eq!(
            r.to_cli(&ctx).expect("no NUL"),
            "aws dynamodb query --table-name shop --index-name GSI1 \
--key-condition-expression '#pk = :pk AND begins_with(#sk, :sk)' \
--filter-expression '#f0 > :f0' --projection-expression '#p0, #p1' \
--expression-attribute-names '{\"#f0\":\"qty\",\"#p0\":\"sku\",\"#p1\":\"qty\",\"#pk\":\"GSI1PK\",\"#sk\":\"GSI1SK\"}' \
--expression-attribute-values '{\":f0\":{\"N\":\"2\"},\":pk\":{\"S\":\"ORDER#o'\\''1\"},\":sk\":{\"S\":\"ITEM#\"}}' \
--no-scan-index-forward --limit 25 --region us-east-1 --endpoint-url http://127.0.0.1:8000"
        );
        let j = r.to_json_request();
        assert_eq!(j["TableName"], "shop");
        assert_eq!(j["IndexName"], "GSI1");
        assert_eq!(
            j["KeyConditionExpression"],
            "#pk = :pk AND begins_with(#sk, :sk)"
        );
        assert_eq!(j["ExpressionAttributeValues"][":f0"]["N"], "2");
        assert_eq!(j["ScanIndexForward"], false);
        assert_eq!(j["Limit"], 25);
        assert!(
            ItemsRequest::scan("t")
                .to_cli(&Default::default())
                .expect("no NUL")
                .starts_with("aws dynamodb scan --table-name t")
        );
    }

    #[test]
    fn describe_says_scan() {
        assert!(ItemsRequest::scan("t").describe().starts_with("SCAN t"));
    }

    #[test]
    fn sort_ops_round_trip_through_their_text() {
        let texts: Vec<&str> = SortOp::ALL.iter().map(|op| op.as_str()).collect();
        assert_eq!(
            texts,
            ["=", "<", "<=", ">", ">=", "begins_with", "between"],
            "the query form's order"
        );
        for op in SortOp::ALL {
            assert_eq!(op.as_str().parse::<SortOp>(), Ok(op));
            assert_eq!(op.to_string(), op.as_str());
            let cond = SortCondition::from_op(op, s("a"), Some(s("b"))).expect("both values");
            assert_eq!(cond.op(), op);
        }
    }

    #[test]
    fn unknown_sort_ops_are_named_with_the_list() {
        let e = "~=".parse::<SortOp>().unwrap_err();
        assert_eq!(e, UnknownSortOp("~=".into()));
        assert_eq!(
            e.to_string(),
            "unknown sort-key operator `~=` (use one of =, <, <=, >, >=, begins_with, between)"
        );
        // Spellings are exact: no case folding, no spaces.
        for bad in ["", "BEGINS_WITH", " =", "==", "beginswith"] {
            assert!(bad.parse::<SortOp>().is_err(), "{bad:?}");
        }
        assert_eq!(
            SortCondition::from_op(SortOp::Between, s("a"), None),
            Err(BetweenNeedsTwoValues)
        );
        assert_eq!(
            SortCondition::from_op(SortOp::Lt, s("a"), Some(s("ignored"))),
            Ok(SortCondition::Lt(s("a")))
        );
    }

    #[test]
    fn command_line_sort_text_gives_typed_ops() {
        let cases = [
            ("=a", SortOp::Eq, "a", None),
            ("<a", SortOp::Lt, "a", None),
            ("<=a", SortOp::Le, "a", None),
            (">a", SortOp::Gt, "a", None),
            (">==a", SortOp::Ge, "=a", None),
            ("begins_with:A#", SortOp::BeginsWith, "A#", None),
            ("between:1,2", SortOp::Between, "1", Some("2")),
        ];
        for (text, op, value, and) in cases {
            assert_eq!(
                SortText::parse(text),
                Ok(SortText { op, value, and }),
                "{text}"
            );
        }
        assert_eq!(
            SortText::parse("between:1"),
            Err("between needs two values: between:A,B".into())
        );
    }

    #[test]
    fn query_text_errors_are_variants_with_the_same_messages() {
        let info = TableInfo {
            name: "flat".into(),
            pk: Some(key("id", KeyKind::S)),
            ..TableInfo::default()
        };
        let sort = SortText::parse("=x").ok();
        let e = query_of_text(&info, None, "a", sort).unwrap_err();
        assert_eq!(e, QueryTextError::NoSortKey { index: None });
        assert_eq!(e.to_string(), "the table has no sort key");
        let e = query_of_text(&orders(), Some("ByTotal"), "c1", SortText::parse("<x").ok())
            .unwrap_err();
        assert_eq!(
            e,
            QueryTextError::KeyValue {
                attr: "total".into(),
                message: "`x` is not a number".into()
            }
        );
        let mut no_sk = orders();
        no_sk.indexes[0].sk = None;
        let e = query_of_text(&no_sk, Some("ByTotal"), "c1", sort).unwrap_err();
        assert_eq!(e.to_string(), "index ByTotal has no sort key");
        let e = query_of_text(&info, Some("GSI9"), "a", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "table `flat` has no index `GSI9` (it has no indexes)"
        );
        // A mistyped index gets the nearest name; a stranger the list.
        let e = query_of_text(&orders(), Some("ByTotl"), "c1", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "table `orders` has no index `ByTotl` (did you mean `ByTotal`?)"
        );
        let e = query_of_text(&orders(), Some("Zzz"), "c1", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "table `orders` has no index `Zzz` (its indexes: ByTotal)"
        );
        let between = SortText {
            op: SortOp::Between,
            value: "1",
            and: None,
        };
        assert_eq!(
            query_of_text(&orders(), None, "c1", Some(between)),
            Err(QueryTextError::BetweenNeedsSecondValue)
        );
    }

    /// What a POSIX shell (as shlex models it) makes of a command line.
    fn words(line: &str) -> Vec<String> {
        shlex::split(line).expect("a complete command line")
    }

    #[test]
    fn shell_words_are_shlex_quoted_with_single_quotes_kept_outside() {
        assert_eq!(shell_word("orders").as_deref(), Ok("orders"));
        assert_eq!(shell_word("").as_deref(), Ok("''"));
        assert_eq!(shell_word("{\"a\":1}").as_deref(), Ok("'{\"a\":1}'"));
        assert_eq!(
            shell_word("{\"S\":\"O'Brien\"}").as_deref(),
            Ok("'{\"S\":\"O'\\''Brien\"}'")
        );
        // Where shlex differs from plain single quoting: a quote between
        // plain words, `=` and `,` are quoted, backslashes go in double
        // quotes (fish reads `\\` in single quotes as one backslash).
        assert_eq!(shell_word("it's").as_deref(), Ok("it\\'s"));
        assert_eq!(shell_word("a=b").as_deref(), Ok("'a=b'"));
        assert_eq!(shell_word("a,b").as_deref(), Ok("'a,b'"));
        assert_eq!(shell_word("a+b").as_deref(), Ok("a+b"));
        assert_eq!(shell_word("a\\b").as_deref(), Ok("\"a\\\\b\""));
        assert_eq!(shell_word("'").as_deref(), Ok("\\'"));
        // NUL cannot be an argument: an error, or `␀` where only shown.
        assert_eq!(shell_word("a\0b"), Err(shlex::QuoteError::Nul));
        assert_eq!(shell_word_shown("a\0b"), "'a␀b'");
        assert_eq!(shell_word_shown("it's"), "it\\'s");
    }

    #[test]
    fn shell_words_split_back_into_the_same_word() {
        let cases = [
            "",
            "plain",
            "two words",
            "it's",
            "''",
            "'quoted'",
            "{\"PK\":{\"S\":\"O'Brien\"},\"SK\":{\"S\":\"a\\\\b\\\"c\"}}",
            "$HOME `id` $(id) !! ^caret a^b",
            "tab\there\nnewline\rreturn",
            "#not a comment",
            "~user *.json [ab] {a,b} a=b",
            "ünïcödé 日本 \u{a0}nbsp",
            "back\\slash\\",
            "\"double\" 'single' \\'mixed\\\"",
        ];
        for s in cases {
            let q = shell_word(s).expect("no NUL");
            assert_eq!(words(&q), [s], "{s:?} quoted as {q}");
            assert_eq!(words(&format!("cmd {q} --x")), ["cmd", s, "--x"], "{q}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_without_nul_splits_back(s in "[^\u{0}]{0,40}") {
            let q = shell_word(&s).expect("no NUL");
            proptest::prop_assert_eq!(words(&q), vec![s]);
        }
    }

    #[test]
    fn copies_keep_nul_out_of_commands() {
        let r = ItemsRequest {
            index: Some("G\0SI".into()),
            ..ItemsRequest::scan("t")
        };
        assert_eq!(r.to_cli(&Default::default()), Err(shlex::QuoteError::Nul));
        // JSON escapes NUL, so key values never reach the quoting raw.
        let r = ItemsRequest {
            kind: RequestKind::Query {
                pk_name: "PK".into(),
                pk: s("a\0b"),
                sort: None,
            },
            ..ItemsRequest::scan("t")
        };
        let cli = r.to_cli(&Default::default()).expect("no raw NUL");
        // A backslash (here JSON's escape) puts the word in double quotes.
        assert!(
            cli.ends_with(r#" --expression-attribute-values "{\":pk\":{\"S\":\"a\\u0000b\"}}""#),
            "{cli}"
        );
        assert_eq!(
            words(&cli).last().map(String::as_str),
            Some(r#"{":pk":{"S":"a\u0000b"}}"#)
        );
    }
}
