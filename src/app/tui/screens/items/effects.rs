//! How the items view's effects run.

use super::{ItemsEffect, ItemsMsg};
use crate::app::tui::task::{Deps, Reply};
use crate::dynamo::error::AwsError;

pub async fn perform(e: ItemsEffect, deps: Deps, reply: Reply<ItemsMsg>) {
    match e {
        ItemsEffect::FetchPage { id, request, start } => {
            let r = match &deps.db {
                Some(db) => db.fetch_page(&request, start).await,
                None => Err(AwsError::new("NotConnected", "not connected")),
            };
            reply.send(ItemsMsg::Page(id, r));
        }
    }
}
