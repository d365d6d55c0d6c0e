//! What guards a write, from the project's entity definitions: the same for
//! the TUI's editing and `dyntui put|edit|set|delete`.

use crate::app::config::Project;
use crate::dynamo::Item;
use crate::dynamo::client::TableInfo;
use crate::dynamo::edit;
use crate::dynamo::entity::{Decoder, TableKeys};
use crate::dynamo::write::Guard;

/// The guard of writes to `item`: its entity's version attribute, if any.
pub fn guard_of(project: &Project, info: &TableInfo, item: &Item) -> Guard {
    let mut decoder = Decoder::new(
        &project.decode,
        TableKeys {
            pk: info.pk.as_ref().map(|k| k.name.clone()).unwrap_or_default(),
            sk: info.sk.as_ref().map(|k| k.name.clone()),
            index_key_attrs: info.index_key_attrs(),
        },
    );
    let c = decoder.classify(item);
    let version = c
        .entity
        .and_then(|id| decoder.entity_def(id))
        .and_then(|d| d.version_attribute.clone());
    edit::guard_for(version.as_deref())
}
