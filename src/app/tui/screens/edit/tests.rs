//! Unit tests of the edit screen: no DynamoDB Local, no tokio runtime.

use super::*;
use crate::app::tui::cx::testing::Parts;
use crate::app::tui::cx::testing::keyed_table;
use crate::dynamo::AttributeValue;

fn info(name: &str) -> TableInfo {
    keyed_table(name)
}

fn item(sk: &str) -> Item {
    Item::from([
        ("PK".to_string(), AttributeValue::S("C#1".into())),
        ("SK".to_string(), AttributeValue::S(sk.into())),
        ("status".to_string(), AttributeValue::S("NEW".into())),
    ])
}

/// The detail view's item `sk` of table `t`.
fn front(t: &str, sk: &str) -> Front {
    Front {
        table: Some((t.into(), Some(info(t)))),
        item: Some((info(t), item(sk), Some(0))),
        marked: Vec::new(),
        attr: Some("status".into()),
    }
}

fn parts() -> Parts {
    let mut p = Parts::new();
    p.project.protected_tables = vec!["shop-prod".into()];
    p
}

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::from(c)
}

/// Opens the quick edit of `status` and types `value`, then enter.
fn quick_edit(st: &mut EditState, parts: &mut Parts, t: &str, value: &str) {
    let mut cx = parts.cx();
    st.start_quick_edit(&mut cx, front(t, "O#1"), Action::QuickEdit);
    let Some(Input::QuickEdit { attr, .. }) = cx.input.take() else {
        panic!("quick edit opens: {:?}", cx.flash);
    };
    st.on_quick_edit_key(
        &mut cx,
        front(t, "O#1"),
        attr,
        value.into(),
        &key(KeyCode::Enter),
    );
}

#[test]
fn a_protected_table_asks_for_its_name_then_runs_the_write_that_asked() {
    let mut parts = parts();
    let st = EditState::default();
    let mut cx = parts.cx();
    st.start_edit(
        &mut cx,
        front("shop-prod", "O#1"),
        EditFormat::Plain,
        Action::Edit,
    );
    assert!(cx.core.is_empty(), "no editor before the unlock");
    let Some(Input::Unlock {
        table,
        mut confirm,
        then,
    }) = cx.input.take()
    else {
        panic!("the unlock prompt opens");
    };
    assert_eq!(
        then,
        Some(Action::Edit),
        "the pending write is passed along"
    );
    // Enter without the name keeps the prompt open with the reason.
    EditState::on_unlock_key(
        &mut cx,
        table.clone(),
        confirm.clone(),
        then,
        &key(KeyCode::Enter),
    );
    assert!(matches!(&*cx.input, Some(Input::Unlock { confirm, .. }) if confirm.error.is_some()));
    *cx.input = None;
    confirm.typed = "shop-prod".into();
    EditState::on_unlock_key(&mut cx, table, confirm, then, &key(KeyCode::Enter));
    assert!(matches!(
        cx.core.as_slice(),
        [Core::Unlock(t), Core::RunAction(Action::Edit)] if t == "shop-prod"
    ));
}

#[test]
fn read_only_refuses_every_write() {
    let mut parts = parts();
    parts.read_only = true;
    let mut st = EditState::default();
    let mut cx = parts.cx();
    st.start_delete(&mut cx, front("shop", "O#1"), Action::Delete);
    assert!(st.modal.is_none());
    assert!(cx.fx.is_empty());
    assert!(matches!(&*cx.flash, Some((Level::Error, m)) if m.contains("read-only")));
}

#[test]
fn y_on_the_review_asks_for_a_conditional_write_and_its_answer_updates_the_views() {
    let mut parts = parts();
    let mut st = EditState::default();
    quick_edit(&mut st, &mut parts, "shop", "SHIPPED");
    assert!(matches!(st.modal, Some(Modal::Review(_))));
    let mut cx = parts.cx();
    st.on_modal_key(&mut cx, &key(KeyCode::Char('y')));
    let id = match cx.fx.as_slice() {
        [EditEffect::Write { id, change, .. }] => {
            assert_eq!(
                change.after.as_ref().and_then(|a| a.get("status")),
                Some(&AttributeValue::S("SHIPPED".into()))
            );
            *id
        }
        other => panic!("{other:?}"),
    };
    assert!(st.busy());
    // Another write waits for this one.
    let mut cx = parts.cx();
    st.start_delete(&mut cx, front("shop", "O#2"), Action::Delete);
    assert!(st.modal.is_none());
    assert!(matches!(&*cx.flash, Some((Level::Warn, m)) if m.contains("in flight")));
    // A stale answer changes nothing; the current one updates the views.
    let written = {
        let mut i = item("O#1");
        i.insert("status".into(), AttributeValue::S("SHIPPED".into()));
        i
    };
    let answer = |id| EditMsg::Written {
        id,
        info: info("shop"),
        change: Change {
            before: Some(item("O#1")),
            after: Some(written.clone()),
        },
        written: Some(written.clone()),
        row: Some(0),
        audit_error: None,
    };
    let mut cx = parts.cx();
    assert!(!st.update(&mut cx, answer(id + 1_000_000)));
    assert!(st.busy());
    assert!(st.update(&mut cx, answer(id)));
    assert!(!st.busy());
    assert!(matches!(
        cx.core.as_slice(),
        [Core::ApplyWrite { row: Some(0), .. }]
    ));
    assert!(matches!(&*cx.flash, Some((Level::Info, m)) if m.starts_with("done: update")));
}

#[test]
fn a_delete_on_a_protected_unlocked_table_is_confirmed_only_by_its_name() {
    let mut parts = parts();
    parts.unlocked.insert("shop-prod".into());
    let mut st = EditState::default();
    let mut cx = parts.cx();
    st.start_delete(&mut cx, front("shop-prod", "O#1"), Action::Delete);
    assert!(matches!(&st.modal, Some(Modal::Review(r)) if r.confirm.name.is_some()));
    st.on_modal_key(&mut cx, &key(KeyCode::Char('y')));
    st.on_modal_key(&mut cx, &key(KeyCode::Enter));
    assert!(cx.fx.is_empty(), "`y` is typed, not a yes");
    let Some(Modal::Review(r)) = &mut st.modal else {
        panic!("still asking");
    };
    assert!(r.confirm.error.is_some());
    r.confirm.typed = "shop-prod".into();
    st.on_modal_key(&mut cx, &key(KeyCode::Enter));
    assert!(
        matches!(cx.fx.as_slice(), [EditEffect::Write { change, .. }] if change.after.is_none())
    );
}

#[test]
fn marked_items_are_deleted_in_one_bulk_write_and_esc_writes_nothing() {
    let mut parts = parts();
    let mut st = EditState::default();
    let f = Front {
        marked: vec![item("O#1"), item("O#2"), item("O#3")],
        ..front("shop", "O#1")
    };
    let mut cx = parts.cx();
    st.start_delete(&mut cx, f.clone(), Action::Delete);
    assert!(matches!(&st.modal, Some(Modal::Bulk { changes, .. }) if changes.len() == 3));
    st.on_modal_key(&mut cx, &key(KeyCode::Esc));
    assert!(st.modal.is_none());
    assert!(cx.fx.is_empty());
    st.start_delete(&mut cx, f, Action::Delete);
    st.on_modal_key(&mut cx, &key(KeyCode::Enter));
    match cx.fx.as_slice() {
        [EditEffect::Bulk { groups, kind, .. }] => {
            assert_eq!(*kind, BulkKind::Delete);
            assert_eq!(groups.iter().map(|(_, c)| c.len()).sum::<usize>(), 3);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(st.what, "delete 3 items");
}

#[test]
fn what_the_editor_saved_is_reviewed_and_unparsable_text_is_kept() {
    let mut parts = parts();
    let mut st = EditState::default();
    let req = EditorRequest {
        info: info("shop"),
        before: Some(item("O#1")),
        format: EditFormat::Plain,
        text: String::new(),
        row: Some(0),
    };
    let mut cx = parts.cx();
    st.on_edited(&mut cx, req.clone(), Ok(Some("{ not json".into())));
    assert!(matches!(&st.modal, Some(Modal::Invalid { req, .. }) if req.text == "{ not json"));
    st.on_modal_key(&mut cx, &key(KeyCode::Char('e')));
    assert!(matches!(cx.core.as_slice(), [Core::Editor(r)] if r.text == "{ not json"));
    let mut cx = parts.cx();
    st.on_edited(&mut cx, req, Ok(None));
    assert!(st.modal.is_none());
    assert!(matches!(&*cx.flash, Some((Level::Info, m)) if m.starts_with("no change")));
}

#[test]
fn a_bulk_confirmation_carries_the_estimate_of_its_writes_marked_above_the_threshold() {
    let mut parts = parts();
    parts.conn.region = Some("us-east-1".into());
    let mut st = EditState::default();
    let f = Front {
        marked: vec![item("O#1"), item("O#2"), item("O#3")],
        ..front("shop", "O#1")
    };
    let mut cx = parts.cx();
    st.start_delete(&mut cx, f.clone(), Action::Delete);
    let Some(Modal::Bulk { estimate, .. }) = &st.modal else {
        panic!("a bulk confirmation: {:?}", st.modal);
    };
    let e = estimate
        .estimate()
        .cloned()
        .unwrap_or_else(|| panic!("known at once: {estimate:?}"));
    // Three small items deleted: a write unit each.
    let w = e.write.clone().unwrap_or_default();
    assert_eq!((w.items, w.deletes, w.total()), (3, 3, 3.0));
    assert!(e.price.is_some(), "priced in the session's region");
    assert!(!estimate.above());
    assert_eq!(estimate.text(), Some((e.line(), false)));

    // Above the threshold, the line says so.
    st.modal = None;
    parts.settings.estimates.confirm_above_units = 2.0;
    let mut cx = parts.cx();
    st.start_delete(&mut cx, f.clone(), Action::Delete);
    let Some(Modal::Bulk { estimate, .. }) = &st.modal else {
        panic!("a bulk confirmation");
    };
    assert!(estimate.above());
    let (text, warn) = estimate.text().unwrap_or_default();
    assert!(
        warn && text.contains("above your confirm_above_units"),
        "{text}"
    );

    // The outcome says what was consumed beside the estimate.
    st.on_modal_key(&mut cx, &key(KeyCode::Char('y')));
    let id = match cx.fx.as_slice() {
        [EditEffect::Bulk { id, .. }] => *id,
        other => panic!("{other:?}"),
    };
    let mut cx = parts.cx();
    assert!(st.update(
        &mut cx,
        EditMsg::Bulk {
            id,
            info: info("shop"),
            kind: BulkKind::Delete,
            report: BulkReport::default(),
            audit_error: None,
        }
    ));
    let Some(Modal::BulkDone(o)) = &st.modal else {
        panic!("done: {:?}", st.modal);
    };
    assert_eq!(
        o.consumed,
        crate::dynamo::estimate::Consumed::default().beside(Some(&e))
    );
}

#[test]
fn a_bulk_set_is_estimated_by_the_larger_size_of_each_item() {
    let mut parts = parts();
    let mut st = EditState::default();
    let f = Front {
        marked: vec![item("O#1"), item("O#2")],
        ..front("shop", "O#1")
    };
    let mut cx = parts.cx();
    let long = "x".repeat(1500);
    st.on_bulk_set_key(&mut cx, f, format!("status={long}"), &key(KeyCode::Enter));
    let Some(Modal::Bulk { estimate, .. }) = &st.modal else {
        panic!("a bulk confirmation: {:?} {:?}", st.modal, cx.input);
    };
    let w = estimate
        .estimate()
        .and_then(|e| e.write.clone())
        .unwrap_or_default();
    // Each item grows past 1 KB: two write units each, no deletes.
    assert_eq!((w.items, w.deletes, w.total()), (2, 0, 4.0));
}
