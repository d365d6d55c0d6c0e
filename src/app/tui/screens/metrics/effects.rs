//! How the metrics view's effects run: the CloudWatch and Contributor
//! Insights refresh, and enabling Contributor Insights.

use super::{Fetched, MetricsEffect, MetricsMsg, no_cloudwatch};
use crate::app::tui::task::{Deps, Reply};
use crate::dynamo::error::AwsError;
use crate::metrics::insights::{self, InsightsStatus};
use crate::metrics::{Range, Target};

/// Runs an effect of the metrics view.
pub async fn perform(e: MetricsEffect, deps: Deps, reply: Reply<MetricsMsg>) {
    match e {
        MetricsEffect::Fetch { id, target, range } => {
            let r = fetch(&deps, &target, range).await;
            reply.send(MetricsMsg::Fetched(id, Box::new(r)));
        }
        MetricsEffect::Enable { table, mode } => {
            let r = match deps.db() {
                Ok(db) => insights::enable(db, &table, None, &mode).await,
                Err(e) => Err(AwsError::new("NotConnected", e)),
            };
            reply.send(MetricsMsg::Enabled(r));
        }
    }
}

/// The metrics of `target` over `range` (ending now), then the Contributor
/// Insights statuses and the top-key reports of the rules that are on.
async fn fetch(deps: &Deps, target: &Target, range: Range) -> Result<Fetched, AwsError> {
    let (Some(cw), Some(db)) = (deps.cloudwatch(), deps.db.as_ref()) else {
        return Err(no_cloudwatch());
    };
    let now = super::now_epoch();
    let data = crate::metrics::fetch::fetch(&cw, &deps.conn, target, range, now).await?;
    let statuses = insights::statuses(db, target).await;
    let on: Vec<InsightsStatus> = statuses.iter().flatten().cloned().collect();
    let reports = insights::reports(&cw, &deps.conn, &on, data.start, data.end, data.period).await;
    Ok(Fetched {
        data,
        statuses,
        reports,
    })
}
