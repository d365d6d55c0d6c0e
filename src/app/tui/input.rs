//! The text inputs drawn over a screen (one open at a time): filters, the
//! query form, the pattern form, the command palette, one-line edits and
//! the typed table name that unlocks a protected table.

use crate::app::tui::keymap::Action;
use crate::app::tui::palette::Palette;
use crate::app::tui::widgets::Confirm;
use crate::dynamo::request::SortOp;

/// Which text input is open.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    TablesFilter,
    TextFilter,
    ServerFilter {
        text: String,
        error: Option<String>,
    },
    Query(QueryForm),
    PatternsFilter,
    PatternForm(PatternForm),
    /// The command line (`:`).
    Palette(Palette),
    /// `name=value` for the marked items.
    BulkSet {
        text: String,
        error: Option<String>,
    },
    /// A new value for one string or number attribute (detail view).
    QuickEdit {
        attr: String,
        text: String,
        error: Option<String>,
    },
    /// The table name, typed to unlock writes to a protected table; then
    /// the write that asked for it runs (passed explicitly).
    Unlock {
        table: String,
        confirm: Confirm,
        then: Option<Action>,
    },
    /// `:init` found the project file there: replace it?
    Overwrite {
        path: String,
        table: String,
        confirm: Confirm,
    },
    ContextsFilter,
    AuditFilter,
    /// The live screen's key filter (`NAME=VALUE` or text), applied as typed.
    LiveKeyFilter(String),
    /// `G` would read more than `[estimates] confirm_above_units`: read
    /// everything anyway?
    ReadAll {
        estimate: Box<crate::dynamo::estimate::Estimate>,
        confirm: Confirm,
    },
}

/// The query form: index, partition key value, sort-key condition, filter.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryForm {
    /// 0 = table, i = indexes[i-1].
    pub index: usize,
    pub pk: String,
    /// `None`: no sort-key condition.
    pub sk_op: Option<SortOp>,
    pub sk: String,
    pub sk2: String,
    pub filter: String,
    pub descending: bool,
    pub field: usize,
    pub error: Option<String>,
}

impl Default for QueryForm {
    fn default() -> Self {
        QueryForm {
            index: 0,
            pk: String::new(),
            sk_op: Some(SortOp::Eq),
            sk: String::new(),
            sk2: String::new(),
            filter: String::new(),
            descending: false,
            field: 0,
            error: None,
        }
    }
}

impl QueryForm {
    pub const FIELDS: [&'static str; 7] = [
        "Index",
        "Partition key",
        "Sort op",
        "Sort key",
        "…and",
        "Filter",
        "Order",
    ];
}

/// The parameter form of one pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternForm {
    pub name: String,
    /// (param name, value) in declaration order.
    pub values: Vec<(String, String)>,
    pub field: usize,
    /// Per-field type errors, checked as you type.
    pub errors: Vec<Option<String>>,
    /// Error from compiling the request (shown under the fields).
    pub error: Option<String>,
}
