//! `--explain`: what a command would read and write, in capacity units,
//! time and price, printed as text or JSON without running anything; and
//! the line every bulk run ends with: what it consumed beside the estimate.

use std::io::Write;

use clap::{Args, ValueEnum};

use crate::app::config::{Estimates, Settings, user_config_path};
use crate::dynamo::estimate::Estimate;
use crate::dynamo::meter::Meter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

#[derive(Debug, Args, Clone, Default)]
pub struct ExplainArgs {
    /// Print what the command would read and write (capacity units, time
    /// at the table's capacity, price) and run nothing; `--explain json`
    /// for JSON
    #[arg(
        long,
        value_enum,
        num_args = 0..=1,
        default_missing_value = "text",
        value_name = "FORMAT"
    )]
    pub explain: Option<ExplainFormat>,
}

/// The estimate settings: prices (embedded, then the user's config) and the
/// confirmation threshold.
pub fn settings() -> anyhow::Result<Estimates> {
    Ok(Settings::load_with_user_file(user_config_path().as_deref())?.estimates)
}

/// Prints estimates (and, in JSON, `extra` fields such as the request).
pub fn print(
    out: &mut impl Write,
    format: ExplainFormat,
    estimates: &[Estimate],
    extra: Option<(&str, serde_json::Value)>,
) -> anyhow::Result<()> {
    match format {
        ExplainFormat::Text => {
            if let Some((name, v)) = &extra {
                writeln!(out, "{name}:\n{}", serde_json::to_string_pretty(v)?)?;
            }
            for e in estimates {
                write!(out, "{}", e.text())?;
            }
            if estimates.len() > 1 {
                let price: Option<f64> = estimates.iter().map(|e| e.price).sum();
                let units: f64 = estimates
                    .iter()
                    .map(|e| e.read_units() + e.write_units())
                    .sum();
                writeln!(
                    out,
                    "total: {} capacity units{}",
                    crate::dynamo::estimate::units(units),
                    price
                        .map(|p| format!(
                            ", {}",
                            crate::dynamo::estimate::money(p, &estimates[0].currency)
                        ))
                        .unwrap_or_default()
                )?;
            }
            writeln!(out, "nothing was run (--explain)")?;
        }
        ExplainFormat::Json => {
            let mut v = serde_json::json!({ "estimates": estimates });
            if let Some((name, x)) = extra {
                v[name] = x;
            }
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
    }
    Ok(())
}

/// The line a run ends with on stderr: `consumed ... (estimated ..., +2%)`.
pub fn report(meter: &Meter, estimates: &[Estimate]) {
    let consumed = meter.consumed();
    let line = match estimates {
        [] => consumed.beside(None),
        [one] => consumed.beside(Some(one)),
        many => {
            // One estimate standing for all: their units together.
            let mut sum = many[0].clone();
            sum.read = None;
            sum.write = Some(crate::dynamo::estimate::WriteTally {
                units: many.iter().map(|e| e.read_units() + e.write_units()).sum(),
                ..Default::default()
            });
            consumed.beside(Some(&sum))
        }
    };
    eprintln!("{line}");
}

/// Says so before a run whose estimate is above the threshold.
pub fn warn_above(settings: &Estimates, estimates: &[Estimate]) {
    let units: f64 = estimates.iter().map(Estimate::units_for_threshold).sum();
    if units > settings.confirm_above_units {
        eprintln!(
            "note: this run is estimated at {} capacity units, above [estimates] confirm_above_units ({})",
            crate::dynamo::estimate::units(units),
            crate::dynamo::estimate::units(settings.confirm_above_units)
        );
    }
}
