//! How the items view's effects run.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use tokio::sync::{Semaphore, mpsc};

use super::{ItemsEffect, ItemsMsg, Ticket};
use crate::app::tui::task::{Deps, Reply};
use crate::dynamo::error::AwsError;
use crate::dynamo::export::{ReadOptions, ReadProgress, SegmentPage, read_segments};

/// Pages of a read of everything sent to the view and not yet taken by it.
const PAGES_TO_VIEW: usize = 2;
/// Pages read ahead per segment, waiting to be sent to the view.
const PAGES_READ_AHEAD: usize = 1;

pub async fn perform(e: ItemsEffect, deps: Deps, reply: Reply<ItemsMsg>) {
    match e {
        ItemsEffect::FetchPage { id, request, start } => {
            let r = match &deps.db {
                Some(db) => db.fetch_page(&request, start).await,
                None => Err(not_connected()),
            };
            reply.send(ItemsMsg::Page(id, r));
        }
        ItemsEffect::ReadAll {
            id,
            request,
            start,
            segments,
        } => {
            let Some(db) = &deps.db else {
                reply.send(ItemsMsg::AllRead(id, Err(not_connected())));
                return;
            };
            let opts = ReadOptions {
                segments,
                ..ReadOptions::default()
            };
            let (tx, mut rx) =
                mpsc::channel::<SegmentPage>(PAGES_READ_AHEAD * segments.max(1) as usize);
            let read = read_segments(
                db,
                &request,
                &opts,
                start,
                Arc::new(ReadProgress::default()),
                Arc::new(AtomicBool::new(false)),
                tx,
            );
            // Pages go to the view as they arrive, at most PAGES_TO_VIEW
            // at a time: memory stays bounded however slow the view is.
            let gate = Arc::new(Semaphore::new(PAGES_TO_VIEW));
            let forward = async {
                while let Some(SegmentPage { segment, page }) = rx.recv().await {
                    let Ok(permit) = gate.clone().acquire_owned().await else {
                        return;
                    };
                    reply.send(ItemsMsg::Part {
                        id,
                        segment,
                        page,
                        ticket: Ticket(Some(permit)),
                    });
                }
            };
            let (r, ()) = tokio::join!(read, forward);
            reply.send(ItemsMsg::AllRead(id, r));
        }
    }
}

fn not_connected() -> AwsError {
    AwsError::new("NotConnected", "not connected")
}
