//! How the live screen's effects run: following the stream (the reader's
//! events forwarded as messages until the task is aborted) and enabling a
//! stream.

use super::{LiveEffect, LiveMsg};
use crate::app::tui::task::{Deps, Reply};
use crate::dynamo::error::AwsError;
use crate::dynamo::stream::StreamEvent;
use crate::dynamo::stream::reader::{FollowOptions, follow};

/// Runs an effect of the live screen.
pub async fn perform(e: LiveEffect, deps: Deps, reply: Reply<LiveMsg>) {
    match e {
        LiveEffect::Follow {
            id,
            table: _,
            arn,
            start,
        } => {
            let db = match deps.db() {
                Ok(db) => db.clone(),
                Err(e) => {
                    reply.send(LiveMsg::Stream(
                        id,
                        StreamEvent::Failed(AwsError::new("NotConnected", e)),
                    ));
                    return;
                }
            };
            // A small channel: a slow screen slows the reader, which then
            // polls less; nothing is dropped on the way.
            let (tx, mut rx) = tokio::sync::mpsc::channel(64);
            let reader = follow(
                db.streams(),
                db.context(),
                &arn,
                start,
                FollowOptions::default(),
                tx,
            );
            let forward = async {
                while let Some(ev) = rx.recv().await {
                    reply.send(LiveMsg::Stream(id, ev));
                }
            };
            futures::join!(reader, forward);
        }
        LiveEffect::Enable { table, view } => {
            let r = match deps.db() {
                Ok(db) => {
                    crate::app::live::enable_stream(db, deps.audit_log.as_ref(), &table, view).await
                }
                Err(e) => Err(AwsError::new("NotConnected", e)),
            };
            reply.send(LiveMsg::Enabled(table, r));
        }
    }
}
