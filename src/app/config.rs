//! Configuration: the embedded defaults (`config/default.toml`), the user's
//! file in the XDG config dir, and the project file `dyntui.toml`.
//!
//! Every file is parsed on its own with unknown keys denied, so an error
//! names the file, line and column where it is.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use ratatui::style::Color;
use serde::Deserialize;
use toml::Spanned;

use crate::app::tui::keymap::{Action, Key, Keymap, Mode};
use crate::dynamo::client::KeyKind;
use crate::dynamo::design::{IndexDesign, KeyAttr, Projection, TableDesign};
use crate::dynamo::entity::{DecodeConfig, EntityDef, KeyTemplate};
use crate::dynamo::generate::{FieldRule, GeneratorSpec};
use crate::dynamo::pattern::{DesignKeys, ParamDef, ParamType, Pattern, SortSpec};
use crate::dynamo::request::UnknownSortOp;
use crate::dynamo::seeding::{SeedSet, SeedSettings, SeedSource};
use crate::metrics::alerts::AlertConfig;

/// The defaults shipped in the binary.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

/// A configuration error that names where it is.
pub use crate::dynamo::error::FileError as ConfigError;
use crate::dynamo::error::line_col;

// ---------------------------------------------------------------- settings

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    #[serde(default)]
    ui: UiFile,
    #[serde(default)]
    theme: ThemeFile,
    #[serde(default)]
    keymap: BTreeMap<Mode, BTreeMap<Spanned<String>, Action>>,
    #[serde(default)]
    estimates: EstimatesFile,
    /// Per region, replacing or adding to `config/prices.toml`.
    #[serde(default)]
    prices: BTreeMap<Spanned<String>, crate::dynamo::estimate::RegionPrices>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EstimatesFile {
    confirm_above_units: Option<Spanned<f64>>,
}

/// Estimate settings after merging: the price table (embedded, then the
/// user's `[prices.REGION]`) and when to ask before a read or write.
#[derive(Debug, Clone)]
pub struct Estimates {
    pub prices: crate::dynamo::estimate::Prices,
    /// Capacity units above which the items view asks before reading
    /// everything, and bulk runs show their estimate as a warning.
    pub confirm_above_units: f64,
}

impl Default for Estimates {
    fn default() -> Self {
        Estimates {
            prices: crate::dynamo::estimate::Prices::embedded(),
            confirm_above_units: 10_000.0,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UiFile {
    page_size: Option<Spanned<i64>>,
    prefetch_rows: Option<usize>,
    show_index_keys: Option<bool>,
    max_cell_width: Option<Spanned<i64>>,
    metrics_refresh_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    accent: Option<Spanned<String>>,
    selection_bg: Option<Spanned<String>>,
    error: Option<Spanned<String>>,
    warning: Option<Spanned<String>>,
    string: Option<Spanned<String>>,
    number: Option<Spanned<String>>,
    key: Option<Spanned<String>>,
    muted: Option<Spanned<String>>,
}

/// UI settings after merging.
#[derive(Debug, Clone)]
pub struct Ui {
    pub page_size: i32,
    pub prefetch_rows: usize,
    pub show_index_keys: bool,
    pub max_cell_width: usize,
    pub metrics_refresh_secs: u64,
}

impl Default for Ui {
    fn default() -> Self {
        Ui {
            page_size: 200,
            prefetch_rows: 20,
            show_index_keys: false,
            max_cell_width: 40,
            metrics_refresh_secs: 60,
        }
    }
}

/// Colours used by the views.
#[derive(Debug, Clone)]
pub struct Theme {
    pub accent: Color,
    pub selection_bg: Color,
    pub error: Color,
    pub warning: Color,
    pub string: Color,
    pub number: Color,
    pub key: Color,
    pub muted: Color,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            accent: Color::Cyan,
            selection_bg: Color::DarkGray,
            error: Color::Red,
            warning: Color::Yellow,
            string: Color::Green,
            number: Color::Magenta,
            key: Color::Cyan,
            muted: Color::Gray,
        }
    }
}

/// Defaults merged with the user's file.
#[derive(Debug, Clone)]
pub struct Settings {
    pub ui: Ui,
    pub theme: Theme,
    pub keymap: Keymap,
    pub estimates: Estimates,
}

impl Settings {
    /// The embedded defaults only.
    pub fn defaults() -> Result<Settings, ConfigError> {
        Settings::load(&[("<embedded config/default.toml>", DEFAULT_TOML)])
    }

    /// Merges files in order; later files override earlier ones.
    pub fn load(files: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let mut ui = Ui::default();
        let mut theme = Theme::default();
        let mut estimates = Estimates::default();
        let mut keys: BTreeMap<Mode, BTreeMap<Key, Action>> = BTreeMap::new();
        for (name, src) in files {
            let f: SettingsFile =
                toml::from_str(src).map_err(|e| ConfigError::from_toml(name, src, e))?;
            if let Some(v) = f.ui.page_size {
                let n = *v.get_ref();
                if !(1..=10_000).contains(&n) {
                    return Err(ConfigError::at_span(
                        name,
                        src,
                        Some(v.span()),
                        format!("ui.page_size must be between 1 and 10000, got {n}"),
                    ));
                }
                ui.page_size = n as i32;
            }
            if let Some(v) = f.ui.prefetch_rows {
                ui.prefetch_rows = v;
            }
            if let Some(v) = f.ui.show_index_keys {
                ui.show_index_keys = v;
            }
            if let Some(v) = f.ui.metrics_refresh_secs {
                ui.metrics_refresh_secs = v;
            }
            if let Some(v) = f.ui.max_cell_width {
                let n = *v.get_ref();
                if !(4..=1000).contains(&n) {
                    return Err(ConfigError::at_span(
                        name,
                        src,
                        Some(v.span()),
                        format!("ui.max_cell_width must be between 4 and 1000, got {n}"),
                    ));
                }
                ui.max_cell_width = n as usize;
            }
            let colour = |v: &Option<Spanned<String>>,
                          slot: &mut Color|
             -> Result<(), ConfigError> {
                if let Some(v) = v {
                    *slot = parse_color(v.get_ref()).ok_or_else(|| {
                        ConfigError::at_span(
                            name,
                            src,
                            Some(v.span()),
                            format!(
                                "`{}` is not a colour (use a name like \"cyan\", \"dark_gray\", or \"#rrggbb\")",
                                v.get_ref()
                            ),
                        )
                    })?;
                }
                Ok(())
            };
            colour(&f.theme.accent, &mut theme.accent)?;
            colour(&f.theme.selection_bg, &mut theme.selection_bg)?;
            colour(&f.theme.error, &mut theme.error)?;
            colour(&f.theme.warning, &mut theme.warning)?;
            colour(&f.theme.string, &mut theme.string)?;
            colour(&f.theme.number, &mut theme.number)?;
            colour(&f.theme.key, &mut theme.key)?;
            colour(&f.theme.muted, &mut theme.muted)?;
            if let Some(v) = f.estimates.confirm_above_units {
                let n = *v.get_ref();
                if !n.is_finite() || n < 0.0 {
                    return Err(ConfigError::at_span(
                        name,
                        src,
                        Some(v.span()),
                        format!(
                            "estimates.confirm_above_units must be 0 or more capacity units, got {n}"
                        ),
                    ));
                }
                estimates.confirm_above_units = n;
            }
            for (region, p) in f.prices {
                estimates
                    .prices
                    .set_region(region.get_ref(), p)
                    .map_err(|m| {
                        ConfigError::at_span(
                            name,
                            src,
                            Some(region.span()),
                            format!("prices.{}: {m}", region.get_ref()),
                        )
                    })?;
            }
            for (mode, map) in f.keymap {
                let slot = keys.entry(mode).or_default();
                for (k, action) in map {
                    let key = Key::parse(k.get_ref())
                        .map_err(|m| ConfigError::at_span(name, src, Some(k.span()), m))?;
                    slot.insert(key, action);
                }
            }
        }
        Ok(Settings {
            ui,
            theme,
            keymap: Keymap::new(keys),
            estimates,
        })
    }

    /// Defaults, then `$XDG_CONFIG_HOME/dyntui/config.toml` when it exists.
    pub fn load_with_user_file(user: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut files: Vec<(String, String)> = vec![(
            "<embedded config/default.toml>".to_string(),
            DEFAULT_TOML.to_string(),
        )];
        if let Some(p) = user
            && p.exists()
        {
            let src = std::fs::read_to_string(p).map_err(|e| ConfigError {
                file: p.display().to_string(),
                line: None,
                column: None,
                message: e.to_string(),
            })?;
            files.push((p.display().to_string(), src));
        }
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        Settings::load(&refs)
    }
}

/// The user's settings file: `$XDG_CONFIG_HOME/dyntui/config.toml`.
pub fn user_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "dyntui").map(|d| d.config_dir().join("config.toml"))
}

fn parse_color(s: &str) -> Option<Color> {
    let norm = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    Some(match norm.as_str() {
        "reset" | "default" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "dark_gray" | "dark_grey" => Color::DarkGray,
        "light_red" => Color::LightRed,
        "light_green" => Color::LightGreen,
        "light_yellow" => Color::LightYellow,
        "light_blue" => Color::LightBlue,
        "light_magenta" => Color::LightMagenta,
        "light_cyan" => Color::LightCyan,
        "white" => Color::White,
        hex if hex.len() == 7 && hex.starts_with('#') => {
            let v = u32::from_str_radix(&hex[1..], 16).ok()?;
            Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8)
        }
        _ => return None,
    })
}

// ---------------------------------------------------------------- project

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectFile {
    #[serde(default)]
    project: ProjectMeta,
    #[serde(default)]
    decode: DecodeFile,
    #[serde(default)]
    entity: Vec<EntityFile>,
    #[serde(default)]
    table: Vec<TableFile>,
    #[serde(default)]
    pattern: Vec<Spanned<PatternFile>>,
    #[serde(default)]
    metrics: Option<MetricsFile>,
    /// `[alerts]`: thresholds of the on-call alert rules.
    #[serde(default)]
    alerts: Option<AlertConfig>,
    #[serde(default)]
    seeding: Option<SeedingFile>,
    #[serde(default)]
    seed: Vec<Spanned<SeedFile>>,
    #[serde(default)]
    migrations: Option<MigrationsFile>,
    #[serde(default)]
    protection: Option<ProtectionFile>,
    /// `[redact]`: attribute = fake kind, for `dyntui copy --redact`.
    #[serde(default)]
    redact: Option<Spanned<std::collections::BTreeMap<String, String>>>,
}

/// `[protection]`: tables and profiles that are read-only until writes are
/// unlocked for the session (with the table name typed).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProtectionFile {
    /// Table-name patterns (`*` and `?`); replaces the default `*prod*`.
    tables: Option<Vec<String>>,
    /// Profile-name patterns.
    #[serde(default)]
    profiles: Vec<String>,
}

/// `[migrations]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MigrationsFile {
    /// The folder of `NNN_name.toml` files, relative to the project file.
    dir: Option<String>,
}

/// `[metrics]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricsFile {
    /// A snapshot shown when CloudWatch is not reachable (DynamoDB Local),
    /// relative to the project file.
    offline_snapshot: Option<String>,
}

/// `[seeding]`: markers and protection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedingFile {
    /// Attribute marking seeded items; "" turns markers off.
    marker_attribute: Option<String>,
    protected_tables: Option<Vec<String>>,
    #[serde(default)]
    protected_profiles: Vec<String>,
}

/// `[[seed]]`: a seed set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedFile {
    name: String,
    #[serde(default)]
    description: String,
    table: Option<String>,
    #[serde(default = "default_seed_number")]
    seed: u64,
    builtin: Option<String>,
    #[serde(default)]
    files: Vec<String>,
    #[serde(default)]
    generator: Vec<GeneratorFile>,
}

fn default_seed_number() -> u64 {
    42
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct GeneratorFile {
    entity: String,
    count: usize,
    /// Field rules in declaration order (toml's preserve_order).
    #[serde(default)]
    fields: toml::Table,
}

/// `[[pattern]]`: a saved access pattern (format in `crate::dynamo::pattern`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternFile {
    name: String,
    #[serde(default)]
    description: String,
    entity: Option<String>,
    index: Option<String>,
    pk_attr: Option<String>,
    pk: Option<KeyFile>,
    sk_attr: Option<String>,
    sk: Option<SortFile>,
    filter: Option<String>,
    #[serde(default)]
    projection: Vec<String>,
    #[serde(default)]
    descending: bool,
    limit: Option<i32>,
    /// In declaration order.
    #[serde(default)]
    params: OrderedParams,
}

/// A key: a template, or `{ entity = "Order" }` for that entity's template.
#[derive(Debug, Clone)]
enum KeyFile {
    Template(String),
    Entity { entity: String },
}

impl<'de> Deserialize<'de> for KeyFile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match toml::Value::deserialize(d)? {
            toml::Value::String(s) => Ok(KeyFile::Template(s)),
            toml::Value::Table(t) if t.len() == 1 => match t.get("entity") {
                Some(toml::Value::String(e)) => Ok(KeyFile::Entity { entity: e.clone() }),
                _ => Err(D::Error::custom(
                    "a key is a template string or { entity = \"Name\" }",
                )),
            },
            _ => Err(D::Error::custom(
                "a key is a template string or { entity = \"Name\" }",
            )),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SortFile {
    op: String,
    value: Option<String>,
    /// Second value of `between`.
    and: Option<String>,
    /// Use this entity's sort-key template as the value.
    entity: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamFile {
    #[serde(rename = "type", default = "default_param_type")]
    kind: String,
    #[serde(default)]
    values: Vec<String>,
    default: Option<String>,
    example: Option<String>,
    description: Option<String>,
}

/// `[pattern.params]` in the order the file declares them (errors keep the
/// position of the offending key).
#[derive(Debug, Clone, Default)]
struct OrderedParams(Vec<(String, ParamFile)>);

impl<'de> Deserialize<'de> for OrderedParams {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = OrderedParams;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of parameters")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<OrderedParams, A::Error> {
                let mut v = Vec::new();
                while let Some((k, p)) = m.next_entry::<String, ParamFile>()? {
                    v.push((k, p));
                }
                Ok(OrderedParams(v))
            }
        }
        d.deserialize_map(V)
    }
}

fn default_param_type() -> String {
    "string".into()
}

/// A pattern as read, with where it was read, before entity references are
/// resolved (that needs every file of the project).
#[derive(Debug, Clone)]
struct RawPattern {
    file: String,
    line: usize,
    body: PatternFile,
}

/// A saved access pattern and where it is declared.
#[derive(Debug, Clone)]
pub struct SavedPattern {
    pub pattern: Pattern,
    pub file: String,
    pub line: usize,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectMeta {
    name: Option<String>,
    /// Table opened when none is given on the command line.
    default_table: Option<String>,
    /// Further project files (entities, tables, patterns), relative to this one.
    #[serde(default)]
    include: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecodeFile {
    type_attribute: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntityFile {
    name: String,
    type_value: Option<String>,
    pk: Option<Spanned<String>>,
    sk: Option<Spanned<String>>,
    #[serde(default)]
    index_keys: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    columns: Vec<String>,
    version_attribute: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    name: String,
    partition_key: KeyAttrFile,
    sort_key: Option<KeyAttrFile>,
    #[serde(default = "default_billing")]
    billing_mode: Spanned<String>,
    read_capacity: Option<i64>,
    write_capacity: Option<i64>,
    ttl_attribute: Option<String>,
    /// A DynamoDB Stream: KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES.
    stream: Option<Spanned<String>>,
    #[serde(default)]
    gsi: Vec<IndexFile>,
    #[serde(default)]
    lsi: Vec<IndexFile>,
    /// Refuse seeding and resets unless allowed and confirmed.
    #[serde(default)]
    protected: bool,
}

fn default_billing() -> Spanned<String> {
    Spanned::new(0..0, "PAY_PER_REQUEST".to_string())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyAttrFile {
    name: String,
    #[serde(rename = "type")]
    kind: KeyKind,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndexFile {
    name: String,
    partition_key: Option<KeyAttrFile>,
    sort_key: Option<KeyAttrFile>,
    projection: Option<Spanned<ProjectionFile>>,
    read_capacity: Option<i64>,
    write_capacity: Option<i64>,
}

/// `projection = "ALL" | "KEYS_ONLY" | ["attr", ...]`
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ProjectionFile {
    Kind(String),
    Include(Vec<String>),
}

/// The project file: entity decoding and table designs.
#[derive(Debug, Clone, Default)]
pub struct Project {
    /// Where it was loaded from, if anywhere.
    pub path: Option<PathBuf>,
    pub name: Option<String>,
    pub default_table: Option<String>,
    pub decode: DecodeConfig,
    pub tables: Vec<TableDesign>,
    pub patterns: Vec<SavedPattern>,
    raw_patterns: Vec<RawPattern>,
    includes: Vec<String>,
    /// `[seeding]` settings.
    pub seeding: SeedSettings,
    /// `[[seed]]` sets.
    pub seed_sets: Vec<SeedSet>,
    /// Tables marked `protected = true` in their design.
    pub protected_tables: Vec<String>,
    /// (seed set, file, line) for messages.
    seed_origins: Vec<(String, String, usize)>,
    /// `[metrics] offline_snapshot`, as written (relative to the project file).
    pub offline_snapshot: Option<PathBuf>,
    /// `[alerts]` thresholds (defaults where not given).
    pub alerts: AlertConfig,
    /// `[migrations] dir` (relative to the project file once loaded).
    pub migrations_dir: Option<PathBuf>,
    /// `[redact]`: attributes replaced by fake values in `dyntui copy --redact`.
    pub redact: Vec<(String, crate::dynamo::generate::FakeKind)>,
}

impl Project {
    /// Why writes to `table` (with `profile`) are protected, if they are: a
    /// table marked `protected = true`, a table or profile matching a
    /// `[protection]` pattern (default `*prod*`).
    pub fn protection(&self, table: &str, profile: Option<&str>) -> Option<String> {
        self.seeding.protection(
            table,
            profile,
            self.protected_tables.iter().any(|t| t == table),
        )
    }

    /// Parses a project file (without includes); `file` names it in errors.
    pub fn parse(file: &str, src: &str) -> Result<Project, ConfigError> {
        let mut p = Project::parse_unresolved(file, src)?;
        p.resolve_patterns()?;
        Ok(p)
    }

    fn parse_unresolved(file: &str, src: &str) -> Result<Project, ConfigError> {
        let f: ProjectFile =
            toml::from_str(src).map_err(|e| ConfigError::from_toml(file, src, e))?;
        let tmpl = |s: &Spanned<String>| {
            KeyTemplate::parse(s.get_ref()).map_err(|e| {
                ConfigError::at_span(
                    file,
                    src,
                    Some(s.span()),
                    format!("bad key template `{}`: {e}", s.get_ref()),
                )
            })
        };
        let mut entities = Vec::new();
        for e in &f.entity {
            if entities.iter().any(|x: &EntityDef| x.name == e.name) {
                return Err(ConfigError::at_span(
                    file,
                    src,
                    e.pk.as_ref().map(|p| p.span()),
                    format!("entity `{}` is declared twice", e.name),
                ));
            }
            let mut index_keys = Vec::new();
            for (attr, t) in &e.index_keys {
                index_keys.push((attr.clone(), tmpl(t)?));
            }
            entities.push(EntityDef {
                name: e.name.clone(),
                type_value: e.type_value.clone(),
                pk: e.pk.as_ref().map(tmpl).transpose()?,
                sk: e.sk.as_ref().map(tmpl).transpose()?,
                index_keys,
                columns: e.columns.clone(),
                version_attribute: e.version_attribute.clone(),
            });
        }
        let mut tables = Vec::new();
        let mut protected_tables = Vec::new();
        for t in f.table {
            let billing = t.billing_mode.get_ref().to_ascii_uppercase();
            let provisioned = match billing.as_str() {
                "PAY_PER_REQUEST" | "ON_DEMAND" => None,
                "PROVISIONED" => {
                    Some((t.read_capacity.unwrap_or(5), t.write_capacity.unwrap_or(5)))
                }
                other => {
                    return Err(ConfigError::at_span(
                        file,
                        src,
                        Some(t.billing_mode.span()),
                        format!(
                            "billing_mode must be PAY_PER_REQUEST or PROVISIONED, got `{other}`"
                        ),
                    ));
                }
            };
            let stream = match &t.stream {
                None => None,
                Some(s) => match crate::dynamo::stream::ViewType::parse(s.get_ref()) {
                    Some(v) => Some(v),
                    None => {
                        return Err(ConfigError::at_span(
                            file,
                            src,
                            Some(s.span()),
                            format!(
                                "stream must be KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES, got `{}`",
                                s.get_ref()
                            ),
                        ));
                    }
                },
            };
            let key = |k: KeyAttrFile| KeyAttr {
                name: k.name,
                kind: k.kind,
            };
            let pk = key(t.partition_key);
            let index = |i: IndexFile, lsi: bool| -> Result<IndexDesign, ConfigError> {
                let ipk = match (i.partition_key, lsi) {
                    (Some(k), _) => key(k),
                    (None, true) => pk.clone(),
                    (None, false) => {
                        return Err(ConfigError {
                            file: file.to_string(),
                            line: None,
                            column: None,
                            message: format!(
                                "table `{}`: GSI `{}` needs a partition_key",
                                t.name, i.name
                            ),
                        });
                    }
                };
                let projection = match i.projection {
                    None => Projection::All,
                    Some(p) => match p.get_ref() {
                        ProjectionFile::Kind(k) if k.eq_ignore_ascii_case("ALL") => Projection::All,
                        ProjectionFile::Kind(k) if k.eq_ignore_ascii_case("KEYS_ONLY") => {
                            Projection::KeysOnly
                        }
                        ProjectionFile::Kind(k) => {
                            return Err(ConfigError::at_span(
                                file,
                                src,
                                Some(p.span()),
                                format!(
                                    "projection must be \"ALL\", \"KEYS_ONLY\" or a list of attributes, got `{k}`"
                                ),
                            ));
                        }
                        ProjectionFile::Include(a) => Projection::Include(a.clone()),
                    },
                };
                Ok(IndexDesign {
                    name: i.name,
                    partition_key: ipk,
                    sort_key: i.sort_key.map(key),
                    projection,
                    provisioned: match (i.read_capacity, i.write_capacity) {
                        (None, None) => None,
                        (r, w) => Some((r.unwrap_or(5), w.unwrap_or(5))),
                    },
                })
            };
            let mut gsis = Vec::new();
            for g in t.gsi {
                gsis.push(index(g, false)?);
            }
            let mut lsis = Vec::new();
            for l in t.lsi {
                lsis.push(index(l, true)?);
            }
            if t.protected {
                protected_tables.push(t.name.clone());
            }
            tables.push(TableDesign {
                name: t.name,
                partition_key: pk.clone(),
                sort_key: t.sort_key.map(key),
                provisioned,
                ttl_attribute: t.ttl_attribute,
                stream,
                gsis,
                lsis,
            });
        }
        let raw_patterns = f
            .pattern
            .into_iter()
            .map(|p| {
                let (line, _) = line_col(src, p.span().start);
                RawPattern {
                    file: file.to_string(),
                    line,
                    body: p.into_inner(),
                }
            })
            .collect();
        let mut seeding = SeedSettings::default();
        if let Some(sf) = f.seeding {
            if let Some(m) = sf.marker_attribute {
                seeding.marker_attribute = (!m.is_empty()).then_some(m);
            }
            if let Some(t) = sf.protected_tables {
                seeding.protected_tables = t;
            }
            seeding.protected_profiles = sf.protected_profiles;
        }
        if let Some(pf) = f.protection {
            if let Some(t) = pf.tables {
                seeding.protected_tables = t;
            }
            seeding.protected_profiles.extend(pf.profiles);
        }
        let mut seed_sets = Vec::new();
        let mut seed_origins = Vec::new();
        for sp in f.seed {
            let span = sp.span();
            let sf = sp.into_inner();
            let at = |message: String| {
                let (line, _) = line_col(src, span.start);
                ConfigError {
                    file: file.to_string(),
                    line: Some(line),
                    column: None,
                    message: format!("seed set `{}`: {message}", sf.name),
                }
            };
            if sf.name.is_empty() || sf.name.contains('#') {
                return Err(at(
                    "a seed set name must be non-empty and must not contain `#` (it separates the set from the run id in markers)".into(),
                ));
            }
            if seed_sets.iter().any(|s: &SeedSet| s.name == sf.name) {
                return Err(at("declared twice".into()));
            }
            let kinds = [
                sf.builtin.is_some(),
                !sf.files.is_empty(),
                !sf.generator.is_empty(),
            ];
            let source = match kinds {
                [true, false, false] => SeedSource::Builtin(sf.builtin.clone().unwrap_or_default()),
                [false, true, false] => {
                    SeedSource::Files(sf.files.iter().map(PathBuf::from).collect())
                }
                [false, false, true] => {
                    let mut specs = Vec::new();
                    for g in &sf.generator {
                        let mut fields = Vec::new();
                        for (name, rule) in &g.fields {
                            let r = FieldRule::from_toml(rule).map_err(|e| {
                                at(format!("generator `{}`: field `{name}`: {e}", g.entity))
                            })?;
                            fields.push((name.clone(), r));
                        }
                        specs.push(GeneratorSpec {
                            entity: g.entity.clone(),
                            count: g.count,
                            fields,
                        });
                    }
                    SeedSource::Generators(specs)
                }
                _ => {
                    return Err(at(
                        "give exactly one of `builtin`, `files` or [[seed.generator]]".into(),
                    ));
                }
            };
            if let SeedSource::Builtin(b) = &source
                && b != "demo"
            {
                return Err(at(format!("unknown builtin `{b}` (available: demo)")));
            }
            let (line, _) = line_col(src, span.start);
            seed_origins.push((sf.name.clone(), file.to_string(), line));
            seed_sets.push(SeedSet {
                name: sf.name.clone(),
                description: sf.description.clone(),
                table: sf.table.clone(),
                source,
                seed: sf.seed,
            });
        }
        let mut redact = Vec::new();
        if let Some(r) = f.redact {
            let span = r.span();
            for (attr, kind) in r.into_inner() {
                let k = crate::dynamo::generate::FakeKind::from_name(&kind).ok_or_else(|| {
                    let (line, _) = line_col(src, span.start);
                    ConfigError {
                        file: file.to_string(),
                        line: Some(line),
                        column: None,
                        message: format!(
                            "[redact] {attr} = \"{kind}\": unknown kind; one of {}",
                            crate::dynamo::generate::FakeKind::ALL
                                .iter()
                                .map(|(n, _)| *n)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    }
                })?;
                redact.push((attr, k));
            }
        }
        let p = Project {
            path: None,
            name: f.project.name,
            default_table: f.project.default_table,
            decode: DecodeConfig {
                type_attribute: f.decode.type_attribute,
                entities,
            },
            tables,
            patterns: Vec::new(),
            raw_patterns,
            includes: f.project.include,
            seeding,
            seed_sets,
            seed_origins,
            protected_tables,
            offline_snapshot: f
                .metrics
                .and_then(|m| m.offline_snapshot)
                .map(PathBuf::from),
            alerts: f.alerts.unwrap_or_default(),
            migrations_dir: f.migrations.and_then(|m| m.dir).map(PathBuf::from),
            redact,
        };
        Ok(p)
    }

    /// Merges another file's entities, tables and patterns into this project.
    fn merge(&mut self, other: Project) {
        self.decode.entities.extend(other.decode.entities);
        self.tables.extend(other.tables);
        self.raw_patterns.extend(other.raw_patterns);
        self.seed_sets.extend(other.seed_sets);
        self.seed_origins.extend(other.seed_origins);
        self.protected_tables.extend(other.protected_tables);
        self.redact.extend(other.redact);
        if self.decode.type_attribute.is_none() {
            self.decode.type_attribute = other.decode.type_attribute;
        }
    }

    /// Builds and validates every pattern: names unique, entity references
    /// resolved, parameters declared, indexes and keys as in the design.
    fn resolve_patterns(&mut self) -> Result<(), ConfigError> {
        let mut seen: Vec<&str> = Vec::new();
        for e in &self.decode.entities {
            if seen.contains(&e.name.as_str()) {
                return Err(ConfigError {
                    file: self
                        .path
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "dyntui.toml".into()),
                    line: None,
                    column: None,
                    message: format!(
                        "entity `{}` is declared twice (across included files)",
                        e.name
                    ),
                });
            }
            seen.push(&e.name);
        }
        // Generators must name declared entities (in any file of the project).
        for set in &self.seed_sets {
            if let SeedSource::Generators(specs) = &set.source {
                for (i, g) in specs.iter().enumerate() {
                    if !self.decode.entities.iter().any(|e| e.name == g.entity) {
                        let (file, line) = self
                            .seed_origins
                            .iter()
                            .find(|(n, _, _)| *n == set.name)
                            .map(|(_, f, l)| (f.clone(), Some(*l)))
                            .unwrap_or_else(|| ("dyntui.toml".into(), None));
                        return Err(ConfigError {
                            file,
                            line,
                            column: None,
                            message: format!(
                                "seed set `{}`: generator {} names entity `{}`, which is not declared (declared: {})",
                                set.name,
                                i + 1,
                                g.entity,
                                self.decode
                                    .entities
                                    .iter()
                                    .map(|e| e.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        });
                    }
                }
            }
        }
        let mut out: Vec<SavedPattern> = Vec::new();
        for raw in &self.raw_patterns {
            let at = |message: String| ConfigError {
                file: raw.file.clone(),
                line: Some(raw.line),
                column: None,
                message: format!("pattern `{}`: {message}", raw.body.name),
            };
            if let Some(prev) = out.iter().find(|p| p.pattern.name == raw.body.name) {
                return Err(at(format!(
                    "declared twice (first at {}:{})",
                    prev.file, prev.line
                )));
            }
            let pattern = self.build_pattern(&raw.body).map_err(at)?;
            let design = self.design_keys(pattern.index.as_deref());
            let problems = pattern.validate(&self.decode.entities, design.as_ref());
            if let Some(first) = problems.into_iter().next() {
                // validate() already names the pattern.
                let prefix = format!("pattern `{}`: ", raw.body.name);
                return Err(at(first
                    .strip_prefix(&prefix)
                    .unwrap_or(&first)
                    .to_string()));
            }
            out.push(SavedPattern {
                pattern,
                file: raw.file.clone(),
                line: raw.line,
            });
        }
        self.patterns = out;
        Ok(())
    }

    /// Key attributes of the table design (the first one, which patterns
    /// describe) and its indexes, for load-time checks.
    fn design_keys(&self, _index: Option<&str>) -> Option<DesignKeys> {
        let t = self.tables.first()?;
        let mut keys = DesignKeys::new();
        keys.insert(
            String::new(),
            (
                t.partition_key.name.clone(),
                t.sort_key.as_ref().map(|k| k.name.clone()),
            ),
        );
        for i in t.gsis.iter().chain(&t.lsis) {
            keys.insert(
                i.name.clone(),
                (
                    i.partition_key.name.clone(),
                    i.sort_key.as_ref().map(|k| k.name.clone()),
                ),
            );
        }
        Some(keys)
    }

    fn build_pattern(&self, f: &PatternFile) -> Result<Pattern, String> {
        let entity_def = |name: &str| {
            self.decode
                .entities
                .iter()
                .find(|e| e.name == name)
                .ok_or_else(|| format!("unknown entity `{name}`"))
        };
        // The key attribute names of the index, from the design when there is one.
        let design = self.design_keys(None);
        if let (Some(d), Some(i)) = (&design, &f.index)
            && !d.contains_key(i)
        {
            return Err(format!(
                "index `{i}` is not in the table design (indexes: {})",
                d.keys()
                    .filter(|k| !k.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let index_keys = design
            .as_ref()
            .and_then(|d| d.get(f.index.as_deref().unwrap_or("")).cloned());
        let template_for = |entity: &str, sort: bool| -> Result<KeyTemplate, String> {
            let def = entity_def(entity)?;
            let on_table = f.index.is_none();
            let t = if on_table {
                if sort { def.sk.clone() } else { def.pk.clone() }
            } else {
                let attr = if sort {
                    f.sk_attr
                        .clone()
                        .or_else(|| index_keys.as_ref().and_then(|k| k.1.clone()))
                } else {
                    f.pk_attr
                        .clone()
                        .or_else(|| index_keys.as_ref().map(|k| k.0.clone()))
                };
                let attr = attr.ok_or_else(|| {
                    format!(
                        "`entity = \"{entity}\"` on index `{}` needs the index in a [[table]] design, or {}",
                        f.index.as_deref().unwrap_or(""),
                        if sort { "sk_attr" } else { "pk_attr" }
                    )
                })?;
                def.index_keys
                    .iter()
                    .find(|(a, _)| *a == attr)
                    .map(|(_, t)| t.clone())
            };
            t.ok_or_else(|| {
                format!(
                    "entity `{entity}` declares no {} key template",
                    if sort { "sort" } else { "partition" }
                )
            })
        };
        let parse = |s: &str| KeyTemplate::parse(s).map_err(|e| format!("bad template `{s}`: {e}"));
        let pk = match &f.pk {
            None => None,
            Some(KeyFile::Template(t)) => Some(parse(t)?),
            Some(KeyFile::Entity { entity }) => Some(template_for(entity, false)?),
        };
        let sk = match &f.sk {
            None => None,
            Some(s) => {
                let value = match (&s.value, &s.entity) {
                    (Some(v), None) => parse(v)?,
                    (None, Some(e)) => template_for(e, true)?,
                    (Some(_), Some(_)) => {
                        return Err("sk: give `value` or `entity`, not both".into());
                    }
                    (None, None) => return Err("sk needs a `value` (or `entity`)".into()),
                };
                let value2 = s.and.as_deref().map(parse).transpose()?;
                Some(SortSpec {
                    op: s.op.parse().map_err(|e: UnknownSortOp| e.to_string())?,
                    value,
                    value2,
                })
            }
        };
        let mut params = Vec::new();
        for (name, p) in &f.params.0 {
            let kind = ParamType::parse(&p.kind, p.values.clone())
                .map_err(|e| format!("param `{name}`: {e}"))?;
            let def = ParamDef {
                name: name.clone(),
                kind,
                default: p.default.clone(),
                example: p.example.clone(),
                description: p.description.clone(),
            };
            for v in p.default.iter().chain(p.example.iter()) {
                def.check(v).map_err(|e| format!("param `{name}`: {e}"))?;
            }
            params.push(def);
        }
        Ok(Pattern {
            name: f.name.clone(),
            description: f.description.clone(),
            entity: f.entity.clone(),
            index: f.index.clone(),
            pk_attr: f.pk_attr.clone(),
            pk,
            sk_attr: f.sk_attr.clone(),
            sk,
            filter: f.filter.clone(),
            projection: f.projection.clone(),
            descending: f.descending,
            limit: f.limit,
            params,
        })
    }

    /// A saved pattern by name.
    pub fn pattern(&self, name: &str) -> Option<&SavedPattern> {
        self.patterns.iter().find(|p| p.pattern.name == name)
    }

    /// Loads a project file and the files it includes.
    pub fn load(path: &Path) -> Result<Project, ConfigError> {
        let mut p = Project::load_unresolved(path, 0)?;
        p.resolve_patterns()?;
        Ok(p)
    }

    fn load_unresolved(path: &Path, depth: usize) -> Result<Project, ConfigError> {
        let err = |message: String| ConfigError {
            file: path.display().to_string(),
            line: None,
            column: None,
            message,
        };
        if depth > 8 {
            return Err(err("includes nest deeper than 8 files (a cycle?)".into()));
        }
        let src = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        let mut p = Project::parse_unresolved(&path.display().to_string(), &src)?;
        p.path = Some(path.to_path_buf());
        let dir = path.parent().unwrap_or(Path::new("."));
        p.offline_snapshot = p.offline_snapshot.take().map(|s| dir.join(s));
        p.migrations_dir = p.migrations_dir.take().map(|s| dir.join(s));
        for inc in std::mem::take(&mut p.includes) {
            let inc_path = dir.join(&inc);
            if !inc_path.is_file() {
                return Err(err(format!(
                    "include `{inc}`: no such file ({})",
                    inc_path.display()
                )));
            }
            let other = Project::load_unresolved(&inc_path, depth + 1)?;
            p.merge(other);
        }
        Ok(p)
    }

    /// `dyntui.toml` in `start` or the nearest parent directory that has one.
    pub fn find(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .map(|d| d.join("dyntui.toml"))
            .find(|p| p.is_file())
    }

    /// The design of a table by name.
    pub fn table(&self, name: &str) -> Option<&TableDesign> {
        self.tables.iter().find(|t| t.name == name)
    }
}

/// The embedded demo project (`config/demo/dyntui.toml`).
pub const DEMO_PROJECT_TOML: &str = include_str!("../../config/demo/dyntui.toml");

/// The demo project, parsed.
pub fn demo_project() -> Result<Project, ConfigError> {
    Project::parse("<embedded config/demo/dyntui.toml>", DEMO_PROJECT_TOML)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_default_config_parses() {
        let s = Settings::defaults().expect("default.toml parses");
        assert_eq!(s.ui.page_size, 200);
        // Every mode has bindings and every view can be left.
        for mode in [Mode::Tables, Mode::Items, Mode::Detail, Mode::Help] {
            assert!(
                s.keymap.key_for(mode, Action::Back).is_some(),
                "{mode:?} has no back key"
            );
        }
        assert!(s.keymap.key_for(Mode::Global, Action::Quit).is_some());
    }

    #[test]
    fn shipped_demo_project_parses() {
        let p = demo_project().expect("demo project parses");
        assert!(p.tables.iter().any(|t| t.name == "dyntui-demo"));
        let names: Vec<_> = p.decode.entities.iter().map(|e| e.name.as_str()).collect();
        for e in ["Customer", "Order", "OrderItem", "Product", "Review"] {
            assert!(names.contains(&e), "missing entity {e}");
        }
    }

    #[test]
    fn user_file_overrides_and_unbinds() {
        let user = "[ui]\npage_size = 50\n[keymap.items]\n\"x\" = \"quit\"\n\"j\" = \"none\"\n";
        let s = Settings::load(&[("default", DEFAULT_TOML), ("user.toml", user)]).unwrap();
        assert_eq!(s.ui.page_size, 50);
        assert_eq!(
            s.keymap
                .key_for(Mode::Items, Action::Quit)
                .map(|k| k.to_string()),
            Some("x".to_string())
        );
        let down: Vec<String> = s
            .keymap
            .bindings(Mode::Items)
            .into_iter()
            .find(|(a, _)| *a == Action::Down)
            .map(|(_, ks)| ks.iter().map(|k| k.to_string()).collect())
            .unwrap_or_default();
        assert_eq!(down, vec!["↓".to_string()]);
    }

    #[test]
    fn unknown_key_names_file_line_and_column() {
        let user = "[ui]\npage_size = 50\ncolour = \"red\"\n";
        let e = Settings::load(&[("user.toml", user)]).unwrap_err();
        assert_eq!(e.file, "user.toml");
        assert_eq!(e.line, Some(3));
        assert_eq!(e.column, Some(1));
        assert!(e.message.contains("colour"), "{e}");
    }

    #[test]
    fn user_prices_add_regions_and_the_threshold_is_read() {
        let user = "[estimates]\nconfirm_above_units = 500\n[prices.eu-west-1]\non_demand_read_per_million = 0.2\non_demand_write_per_million = 0.9\nprovisioned_read_per_hour = 0.0002\nprovisioned_write_per_hour = 0.001\n";
        let s = Settings::load(&[("default", DEFAULT_TOML), ("user.toml", user)]).unwrap();
        assert_eq!(s.estimates.confirm_above_units, 500.0);
        let p = &s.estimates.prices;
        assert_eq!(
            p.region("eu-west-1").map(|r| r.on_demand_write_per_million),
            Some(0.9)
        );
        assert_eq!(p.overridden, vec!["eu-west-1".to_string()]);
        // The embedded regions stay.
        assert!(p.region("us-east-1").is_some());
        assert_eq!(
            Settings::defaults().unwrap().estimates.confirm_above_units,
            10_000.0
        );
    }

    #[test]
    fn bad_prices_are_located() {
        // A missing field, a negative price, a negative threshold.
        let e = Settings::load(&[(
            "u.toml",
            "[prices.eu-west-1]\non_demand_read_per_million = 0.1\n",
        )])
        .unwrap_err();
        assert_eq!(e.file, "u.toml");
        assert!(e.message.contains("on_demand_write_per_million"), "{e}");
        let e = Settings::load(&[(
            "u.toml",
            "[prices.r]\non_demand_read_per_million = -1\non_demand_write_per_million = 1\nprovisioned_read_per_hour = 1\nprovisioned_write_per_hour = 1\n",
        )])
        .unwrap_err();
        assert_eq!(e.line, Some(1), "{e}");
        assert!(
            e.message.contains("prices.r: on_demand_read_per_million"),
            "{e}"
        );
        let e =
            Settings::load(&[("u.toml", "[estimates]\nconfirm_above_units = -5\n")]).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn bad_values_are_located() {
        let e = Settings::load(&[("u.toml", "[ui]\npage_size = 0\n")]).unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(13)));
        assert!(
            e.to_string().starts_with("u.toml:2:13: ui.page_size"),
            "{e}"
        );

        let e = Settings::load(&[("u.toml", "[theme]\naccent = \"purple-ish\"\n")]).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("not a colour"));

        let e =
            Settings::load(&[("u.toml", "[keymap.items]\n\"hyper-x\" = \"quit\"\n")]).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("unknown key"));

        let e = Settings::load(&[("u.toml", "[keymap.items]\n\"x\" = \"fly\"\n")]).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("fly"), "{e}");

        let e = Settings::load(&[("u.toml", "[keymap.nowhere]\n\"x\" = \"quit\"\n")]).unwrap_err();
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn project_errors_are_located() {
        let src = "[[entity]]\nname = \"Order\"\npk = \"ORDER#{id\"\n";
        let e = Project::parse("dyntui.toml", src).unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("bad key template"), "{e}");

        let src = "[[entity]]\nname = \"Order\"\nprimary = \"x\"\n";
        let e = Project::parse("dyntui.toml", src).unwrap_err();
        assert_eq!(e.line, Some(3));

        let src = "[[table]]\nname = \"t\"\npartition_key = { name = \"PK\", type = \"Q\" }\n";
        let e = Project::parse("dyntui.toml", src).unwrap_err();
        assert_eq!(e.line, Some(3));

        let src = "[[table]]\nname = \"t\"\nbilling_mode = \"FREE\"\npartition_key = { name = \"PK\", type = \"S\" }\n";
        let e = Project::parse("dyntui.toml", src).unwrap_err();
        assert_eq!(e.line, Some(3));
    }

    #[test]
    fn project_found_upwards() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        assert_eq!(Project::find(&nested), None);
        std::fs::write(dir.path().join("dyntui.toml"), "").unwrap();
        assert_eq!(Project::find(&nested), Some(dir.path().join("dyntui.toml")));
    }

    // ------------------------------------------------------------ patterns

    /// A table design (GSI1 with a sort key, `byEmail` without one), one
    /// entity and one good pattern (its `[[pattern]]` is on line 20); the
    /// pattern under test is appended after it.
    const PATTERN_BASE: &str = r#"[[table]]
name = "shop"
partition_key = { name = "PK", type = "S" }
sort_key = { name = "SK", type = "S" }
[[table.gsi]]
name = "GSI1"
partition_key = { name = "GSI1PK", type = "S" }
sort_key = { name = "GSI1SK", type = "S" }
[[table.gsi]]
name = "byEmail"
partition_key = { name = "email", type = "S" }

[[entity]]
name = "Order"
pk = "CUSTOMER#{customerId}"
sk = "ORDER#{orderDate}#{orderId}"
[entity.index_keys]
GSI1PK = "ORDER#{orderId}"

[[pattern]]
name = "ok"
pk = "CUSTOMER#{c}"
[pattern.params]
c = {}
"#;

    /// `[[pattern]]` of the appended pattern: PATTERN_BASE is 24 lines, then
    /// a blank line.
    const BAD_LINE: usize = 26;

    fn with_pattern(body: &str) -> String {
        format!("{PATTERN_BASE}\n[[pattern]]\n{body}")
    }

    /// Parses PATTERN_BASE plus the pattern as `shop.toml` and checks that
    /// the error names the file and the line of the appended `[[pattern]]`.
    fn pattern_error(body: &str) -> ConfigError {
        let src = with_pattern(body);
        assert_eq!(src.lines().nth(BAD_LINE - 1), Some("[[pattern]]"));
        let e = Project::parse("shop.toml", &src).expect_err(&format!("should not parse:\n{body}"));
        assert_eq!(e.file, "shop.toml", "{e}");
        assert_eq!(e.line, Some(BAD_LINE), "{e}");
        assert_eq!(e.column, None, "{e}");
        assert!(e.to_string().starts_with("shop.toml:26: pattern `"), "{e}");
        e
    }

    #[test]
    fn pattern_base_is_valid() {
        let p = Project::parse("shop.toml", PATTERN_BASE).expect("parses");
        assert_eq!(p.patterns.len(), 1);
        assert_eq!(
            (p.patterns[0].file.as_str(), p.patterns[0].line),
            ("shop.toml", 20)
        );
        // A good second pattern is fine too (so the cases below fail for
        // their own reason only).
        let p = Project::parse(
            "shop.toml",
            &with_pattern("name = \"fine\"\nindex = \"GSI1\"\npk = { entity = \"Order\" }\nsk = { op = \"begins_with\", value = \"ITEM#\" }\n[pattern.params]\norderId = {}\n"),
        )
        .expect("parses");
        let sp = p.pattern("fine").expect("second pattern");
        assert_eq!(sp.line, BAD_LINE);
        assert_eq!(
            sp.pattern.pk.as_ref().map(|t| t.source()),
            Some("ORDER#{orderId}")
        );
    }

    #[test]
    fn malformed_patterns_are_located_and_explained() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "unknown index",
                "name = \"bad\"\nindex = \"GSI9\"\npk = \"X\"\n",
                "index `GSI9` is not in the table design (indexes: GSI1, byEmail)",
            ),
            (
                "template param not declared",
                "name = \"bad\"\npk = \"CUSTOMER#{who}\"\n",
                "parameter `who` is used but not declared in [pattern.params]",
            ),
            (
                "sort value param not declared",
                "name = \"bad\"\npk = \"X\"\nsk = { op = \"between\", value = \"A#{a}\", and = \"B#{b}\" }\n[pattern.params]\na = {}\n",
                "parameter `b` is used but not declared in [pattern.params]",
            ),
            (
                "filter param not declared",
                "name = \"bad\"\npk = \"X\"\nfilter = \"status = {zz}\"\n",
                "parameter `zz` is used but not declared in [pattern.params]",
            ),
            (
                "pk_attr is not the index's partition key",
                "name = \"bad\"\nindex = \"GSI1\"\npk_attr = \"PK\"\npk = \"X\"\n",
                "pk_attr `PK` is not the partition key of index `GSI1` (`GSI1PK`)",
            ),
            (
                "pk_attr is not the table's partition key",
                "name = \"bad\"\npk_attr = \"GSI1PK\"\npk = \"X\"\n",
                "pk_attr `GSI1PK` is not the partition key of the table (`PK`)",
            ),
            (
                "sk_attr is not the index's sort key",
                "name = \"bad\"\nindex = \"GSI1\"\nsk_attr = \"SK\"\npk = \"X\"\n",
                "sk_attr `SK` is not the sort key of index `GSI1` (`GSI1SK`)",
            ),
            (
                "sort condition on an index without a sort key",
                "name = \"bad\"\nindex = \"byEmail\"\npk = \"X\"\nsk = { op = \"=\", value = \"a\" }\n",
                "sort-key condition on index `byEmail`, which has no sort key",
            ),
            (
                "unknown entity",
                "name = \"bad\"\nentity = \"Nope\"\npk = \"X\"\n",
                "unknown entity `Nope` (declared: Order)",
            ),
            (
                "pk = { entity } undeclared",
                "name = \"bad\"\npk = { entity = \"Nope\" }\n",
                "unknown entity `Nope`",
            ),
            (
                "sk = { entity } undeclared",
                "name = \"bad\"\npk = \"X\"\nsk = { op = \"=\", entity = \"Nope\" }\n",
                "unknown entity `Nope`",
            ),
            (
                "entity without the index's key template",
                "name = \"bad\"\nindex = \"GSI1\"\npk = \"X\"\nsk = { op = \"=\", entity = \"Order\" }\n",
                "entity `Order` declares no sort key template",
            ),
            (
                "between without and",
                "name = \"bad\"\npk = \"X\"\nsk = { op = \"between\", value = \"a\" }\n",
                "`between` needs a second value (`and`)",
            ),
            (
                "and without between",
                "name = \"bad\"\npk = \"X\"\nsk = { op = \"<\", value = \"a\", and = \"b\" }\n",
                "a second value (`and`) is only for `between`, not `<`",
            ),
            (
                "unknown op",
                "name = \"bad\"\npk = \"X\"\nsk = { op = \"~\", value = \"a\" }\n",
                "unknown sort-key operator `~` (use one of =, <, <=, >, >=, begins_with, between)",
            ),
            (
                "sk without value",
                "name = \"bad\"\npk = \"X\"\nsk = { op = \"=\" }\n",
                "sk needs a `value` (or `entity`)",
            ),
            (
                "sk with value and entity",
                "name = \"bad\"\npk = \"X\"\nsk = { op = \"=\", value = \"a\", entity = \"Order\" }\n",
                "sk: give `value` or `entity`, not both",
            ),
            (
                "sort condition on a scan",
                "name = \"bad\"\nsk = { op = \"=\", value = \"a\" }\n",
                "sort-key condition `=` without `pk` (a Scan cannot use one)",
            ),
            (
                "bad key template",
                "name = \"bad\"\npk = \"X#{id\"\n",
                "bad template `X#{id`",
            ),
            (
                "param of unknown type",
                "name = \"bad\"\npk = \"X#{n}\"\n[pattern.params]\nn = { type = \"uuid\" }\n",
                "param `n`: unknown parameter type `uuid` (use string, number, date, datetime or enum)",
            ),
            (
                "enum without values",
                "name = \"bad\"\npk = \"X#{s}\"\n[pattern.params]\ns = { type = \"enum\" }\n",
                "param `s`: type `enum` needs a non-empty `values` list",
            ),
            (
                "enum with an empty values list",
                "name = \"bad\"\npk = \"X#{s}\"\n[pattern.params]\ns = { type = \"enum\", values = [] }\n",
                "param `s`: type `enum` needs a non-empty `values` list",
            ),
            (
                "number default of the wrong type",
                "name = \"bad\"\npk = \"X\"\nfilter = \"total > {n}\"\n[pattern.params]\nn = { type = \"number\", default = \"abc\" }\n",
                "param `n`: `abc` is not a number",
            ),
            (
                "date example of the wrong type",
                "name = \"bad\"\npk = \"X#{d}\"\n[pattern.params]\nd = { type = \"date\", example = \"2024-02-30\" }\n",
                "param `d`: `2024-02-30` is not a date (YYYY-MM-DD)",
            ),
            (
                "enum default not in values",
                "name = \"bad\"\npk = \"X#{s}\"\n[pattern.params]\ns = { type = \"enum\", values = [\"A\", \"B\"], default = \"C\" }\n",
                "param `s`: `C` is not one of A, B",
            ),
            (
                "invalid param name",
                "name = \"bad\"\npk = \"X\"\n[pattern.params]\n\"a-b\" = {}\n",
                "parameter `a-b` has an invalid name (allowed: A-Z, a-z, 0-9, _)",
            ),
            (
                "filter that does not parse",
                "name = \"bad\"\npk = \"X\"\nfilter = \"a = 1 or b = 2\"\n",
                "filter `a = 1 or b = 2` does not parse: column 7: expected `and` between conditions",
            ),
            (
                "filter that does not parse with its example values",
                "name = \"bad\"\npk = \"X\"\nfilter = \"total >= {n} or b = 2\"\n[pattern.params]\nn = { type = \"number\", example = \"5\" }\n",
                "filter `total >= {n} or b = 2` does not parse (with example values: `total >= 5 or b = 2`): column 12:",
            ),
            (
                "limit below 1",
                "name = \"bad\"\npk = \"X\"\nlimit = 0\n",
                "limit must be at least 1, not 0",
            ),
            (
                "empty projection name",
                "name = \"bad\"\npk = \"X\"\nprojection = [\"a\", \" \"]\n",
                "projection has an empty attribute name",
            ),
        ];
        for (what, body, want) in cases {
            let e = pattern_error(body);
            assert!(e.message.starts_with("pattern `bad`: "), "{what}: {e}");
            assert!(
                e.message.contains(want),
                "{what}: expected `{want}` in\n{e}"
            );
        }
    }

    #[test]
    fn validation_errors_name_the_pattern_once() {
        let e = pattern_error("name = \"bad\"\nindex = \"GSI9\"\npk = \"X\"\n");
        assert_eq!(
            e.message,
            "pattern `bad`: index `GSI9` is not in the table design (indexes: GSI1, byEmail)"
        );
    }

    #[test]
    fn duplicate_pattern_names_point_at_both() {
        let e = pattern_error("name = \"ok\"\npk = \"Y\"\n");
        assert_eq!(
            e.message,
            "pattern `ok`: declared twice (first at shop.toml:20)"
        );
        assert_eq!(
            e.to_string(),
            "shop.toml:26: pattern `ok`: declared twice (first at shop.toml:20)"
        );
    }

    #[test]
    fn unknown_keys_in_a_pattern_are_located_at_the_key() {
        // serde (deny_unknown_fields): the error is at the key itself.
        let src = with_pattern("name = \"bad\"\npk = \"X\"\nfoo = 1\n");
        let e = Project::parse("shop.toml", &src).unwrap_err();
        assert_eq!(e.file, "shop.toml");
        assert_eq!((e.line, e.column), (Some(BAD_LINE + 3), Some(1)), "{e}");
        assert!(
            e.message
                .starts_with("unknown field `foo`, expected one of `name`"),
            "{e}"
        );
        // ... in a parameter, and in a sort condition.
        let src = with_pattern(
            "name = \"bad\"\npk = \"X#{n}\"\n[pattern.params]\nn = { typ = \"number\" }\n",
        );
        let e = Project::parse("shop.toml", &src).unwrap_err();
        assert_eq!((e.line, e.column), (Some(BAD_LINE + 4), Some(7)), "{e}");
        assert!(e.message.contains("unknown field `typ`"), "{e}");
        let src = with_pattern("name = \"bad\"\npk = \"X\"\nsk = { op = \"=\", valu = \"a\" }\n");
        let e = Project::parse("shop.toml", &src).unwrap_err();
        assert_eq!(e.line, Some(BAD_LINE + 3), "{e}");
        assert!(e.message.contains("unknown field `valu`"), "{e}");
        // A pattern without a name.
        let src = with_pattern("pk = \"X\"\n");
        let e = Project::parse("shop.toml", &src).unwrap_err();
        assert_eq!(e.line, Some(BAD_LINE), "{e}");
        assert!(e.message.contains("missing field `name`"), "{e}");
    }

    #[test]
    fn demo_patterns_are_located_at_their_headers() {
        let p = demo_project().expect("demo project parses");
        assert_eq!(p.patterns.len(), 14);
        let lines: Vec<&str> = DEMO_PROJECT_TOML.lines().collect();
        for sp in &p.patterns {
            assert_eq!(sp.file, "<embedded config/demo/dyntui.toml>");
            assert_eq!(lines[sp.line - 1], "[[pattern]]", "{}", sp.pattern.name);
            assert_eq!(
                lines[sp.line],
                format!("name = \"{}\"", sp.pattern.name),
                "{}",
                sp.pattern.name
            );
        }
    }

    /// Writes `files` (relative path, contents) under a temporary directory.
    fn project_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    #[test]
    fn include_of_a_missing_file_names_the_including_file() {
        let dir = project_dir(&[(
            "dyntui.toml",
            "[project]\ninclude = [\"patterns/nope.toml\"]\n",
        )]);
        let main = dir.path().join("dyntui.toml");
        let e = Project::load(&main).unwrap_err();
        assert_eq!(e.file, main.display().to_string());
        assert_eq!(
            e.message,
            format!(
                "include `patterns/nope.toml`: no such file ({})",
                dir.path().join("patterns/nope.toml").display()
            )
        );
        // Deeper down, the error names the file that has the include.
        let dir = project_dir(&[
            ("dyntui.toml", "[project]\ninclude = [\"a/one.toml\"]\n"),
            ("a/one.toml", "[project]\ninclude = [\"two.toml\"]\n"),
        ]);
        let e = Project::load(&dir.path().join("dyntui.toml")).unwrap_err();
        assert_eq!(e.file, dir.path().join("a/one.toml").display().to_string());
        assert!(
            e.message.starts_with("include `two.toml`: no such file"),
            "{e}"
        );
        // A cycle stops.
        let dir = project_dir(&[("dyntui.toml", "[project]\ninclude = [\"dyntui.toml\"]\n")]);
        let e = Project::load(&dir.path().join("dyntui.toml")).unwrap_err();
        assert!(
            e.message.contains("includes nest deeper than 8 files"),
            "{e}"
        );
    }

    #[test]
    fn patterns_split_across_included_files_share_entities_and_design() {
        // The main file has the design and the entity Order; the included
        // file (in a subdirectory, including one more file next to itself)
        // has patterns on Order and the entity Review, which a pattern in
        // the main file uses.
        let main_src = format!(
            "[project]\ninclude = [\"patterns/orders.toml\"]\n{PATTERN_BASE}\n[[pattern]]\nname = \"reviews\"\nentity = \"Review\"\npk = {{ entity = \"Review\" }}\n[pattern.params]\nsku = {{}}\n"
        );
        let orders = "# Order patterns\n[project]\ninclude = [\"more.toml\"]\n\n[[pattern]]\nname = \"order\"\nentity = \"Order\"\nindex = \"GSI1\"\npk = { entity = \"Order\" }\n[pattern.params]\norderId = {}\n\n[[entity]]\nname = \"Review\"\npk = \"PRODUCT#{sku}\"\nsk = \"REVIEW#{date}\"\n";
        let more = "[[pattern]]\nname = \"customer-orders\"\nentity = \"Order\"\npk = { entity = \"Order\" }\nsk = { op = \"begins_with\", entity = \"Order\" }\ndescending = true\n[pattern.params]\ncustomerId = {}\norderDate = { type = \"date\" }\norderId = {}\n";
        let dir = project_dir(&[
            ("dyntui.toml", &main_src),
            ("patterns/orders.toml", orders),
            ("patterns/more.toml", more),
        ]);
        let main = dir.path().join("dyntui.toml");
        let p = Project::load(&main).expect("loads");
        let got: Vec<(String, String, usize, String)> = p
            .patterns
            .iter()
            .map(|sp| {
                (
                    sp.pattern.name.clone(),
                    sp.file.clone(),
                    sp.line,
                    sp.pattern
                        .pk
                        .as_ref()
                        .map(|t| t.source().to_string())
                        .unwrap_or_default(),
                )
            })
            .collect();
        let path = |f: &str| dir.path().join(f).display().to_string();
        assert_eq!(
            got,
            [
                (
                    "ok".to_string(),
                    path("dyntui.toml"),
                    22,
                    "CUSTOMER#{c}".to_string()
                ),
                (
                    "reviews".into(),
                    path("dyntui.toml"),
                    28,
                    "PRODUCT#{sku}".into()
                ),
                (
                    "order".into(),
                    path("patterns/orders.toml"),
                    5,
                    "ORDER#{orderId}".into()
                ),
                (
                    "customer-orders".into(),
                    path("patterns/more.toml"),
                    1,
                    "CUSTOMER#{customerId}".into()
                ),
            ]
        );
        let co = &p.pattern("customer-orders").unwrap().pattern;
        assert_eq!(
            co.sk.as_ref().map(|s| (s.op.as_str(), s.value.source())),
            Some(("begins_with", "ORDER#{orderDate}#{orderId}"))
        );
        assert_eq!(p.tables.len(), 1);

        // An error in an included file names that file and its line; the
        // design of the main file applies there.
        let bad = format!("{orders}\n[[pattern]]\nname = \"bad\"\nindex = \"GSI9\"\npk = \"X\"\n");
        let dir = project_dir(&[
            ("dyntui.toml", &main_src),
            ("patterns/orders.toml", &bad),
            ("patterns/more.toml", more),
        ]);
        let e = Project::load(&dir.path().join("dyntui.toml")).unwrap_err();
        assert_eq!(
            e.file,
            dir.path()
                .join("patterns/orders.toml")
                .display()
                .to_string()
        );
        assert_eq!(e.line, Some(18), "{e}");
        assert!(
            e.message
                .contains("index `GSI9` is not in the table design (indexes: GSI1, byEmail)"),
            "{e}"
        );
        // A name used in two files.
        let dup = format!("{orders}\n[[pattern]]\nname = \"ok\"\npk = \"X\"\n");
        let dir = project_dir(&[
            ("dyntui.toml", &main_src),
            ("patterns/orders.toml", &dup),
            ("patterns/more.toml", more),
        ]);
        let e = Project::load(&dir.path().join("dyntui.toml")).unwrap_err();
        assert_eq!(
            e.file,
            dir.path()
                .join("patterns/orders.toml")
                .display()
                .to_string()
        );
        assert_eq!(e.line, Some(18), "{e}");
        assert_eq!(
            e.message,
            format!(
                "pattern `ok`: declared twice (first at {}:22)",
                path_in(&dir, "dyntui.toml")
            )
        );
    }

    fn path_in(dir: &tempfile::TempDir, f: &str) -> String {
        dir.path().join(f).display().to_string()
    }

    #[test]
    fn alert_thresholds_come_from_the_project_and_unknown_ones_are_located() {
        let p = Project::parse(
            "dyntui.toml",
            "[alerts]\nlatency_p99_ms = 250.0\nskew_share = 0.5\n",
        )
        .unwrap();
        assert_eq!(p.alerts.latency_p99_ms, 250.0);
        assert_eq!(p.alerts.skew_share, 0.5);
        assert_eq!(
            p.alerts.capacity_share,
            AlertConfig::default().capacity_share
        );
        // The stream rule's threshold: 20 unless given.
        assert_eq!(p.alerts.hot_write_min_writes, 20);
        let p = Project::parse("dyntui.toml", "[alerts]\nhot_write_min_writes = 5\n").unwrap();
        assert_eq!(p.alerts.hot_write_min_writes, 5);
        let e = Project::parse("dyntui.toml", "[alerts]\nlatency_p99 = 250.0\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("latency_p99"), "{e}");
    }
}
