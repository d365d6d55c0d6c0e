//! The estimate a bulk confirmation shows: computed on a task (or at once
//! for known items), compared with `[estimates] confirm_above_units`.

use crate::app::tui::request::{Loadable, ReqId, Request};
use crate::dynamo::estimate::{Estimate, units};

/// An estimate in a confirmation: estimating, ready or failed (the failure
/// is shown, the confirmation is not blocked).
#[derive(Debug, Clone, Default)]
pub struct ConfirmEstimate {
    pub slot: Request<Estimate, String>,
    /// `[estimates] confirm_above_units` when the confirmation opened.
    pub threshold: f64,
}

impl ConfirmEstimate {
    /// An estimate still to come, compared with `threshold` when it does.
    pub fn new(threshold: f64) -> ConfirmEstimate {
        ConfirmEstimate {
            slot: Request::default(),
            threshold,
        }
    }

    /// An estimate known at once (known items).
    pub fn ready(e: Estimate, threshold: f64) -> ConfirmEstimate {
        let mut c = ConfirmEstimate::new(threshold);
        c.slot.set(e);
        c
    }

    /// Takes the answer of the estimate's task: true when it was the one
    /// asked for.
    pub fn settle(&mut self, id: ReqId, r: Result<Estimate, String>) -> bool {
        self.slot.settle(id, r)
    }

    pub fn estimate(&self) -> Option<&Estimate> {
        self.slot.ready()
    }

    /// True when the estimate is above the threshold.
    pub fn above(&self) -> bool {
        self.estimate()
            .is_some_and(|e| e.units_for_threshold() > self.threshold)
    }

    /// The line a confirmation shows, and whether it is a warning.
    pub fn text(&self) -> Option<(String, bool)> {
        match &self.slot.state {
            Loadable::Idle => None,
            Loadable::Loading => Some(("estimating…".into(), false)),
            Loadable::Failed(e) => Some((format!("no estimate: {e}"), true)),
            Loadable::Ready(e) if self.above() => Some((
                format!(
                    "{} (above your confirm_above_units, {})",
                    e.line(),
                    units(self.threshold)
                ),
                true,
            )),
            Loadable::Ready(e) => Some((e.line(), false)),
        }
    }
}

/// Two confirmations' estimates are alike when they show the same.
impl PartialEq for ConfirmEstimate {
    fn eq(&self, o: &Self) -> bool {
        self.threshold == o.threshold && self.estimate() == o.estimate() && self.text() == o.text()
    }
}
