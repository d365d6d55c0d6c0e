//! Measures the capacity a run consumes: an interceptor on the DynamoDB
//! client asks every read and write for its ConsumedCapacity (INDEXES) and
//! adds up what comes back, retries, probes and bookkeeping writes
//! included. Runs report it beside their estimate.

use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::{
    batch_get_item::{BatchGetItemInput, BatchGetItemOutput},
    batch_write_item::{BatchWriteItemInput, BatchWriteItemOutput},
    delete_item::{DeleteItemInput, DeleteItemOutput},
    get_item::{GetItemInput, GetItemOutput},
    put_item::{PutItemInput, PutItemOutput},
    query::{QueryInput, QueryOutput},
    scan::{ScanInput, ScanOutput},
    transact_get_items::{TransactGetItemsInput, TransactGetItemsOutput},
    transact_write_items::{TransactWriteItemsInput, TransactWriteItemsOutput},
    update_item::{UpdateItemInput, UpdateItemOutput},
};
use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};

use super::estimate::Consumed;

/// Capacity consumed through a metered client (shared by its clones).
#[derive(Debug, Clone, Default)]
pub struct Meter(Arc<Mutex<Consumed>>);

impl Meter {
    /// What was consumed so far.
    pub fn consumed(&self) -> Consumed {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn add(&self, caps: &[ConsumedCapacity], write: bool) {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for c in caps {
            g.add(c, write);
        }
    }
}

/// The interceptor a metered client carries.
#[derive(Debug)]
pub(crate) struct MeterInterceptor(pub Meter);

impl Intercept for MeterInterceptor {
    fn name(&self) -> &'static str {
        "CapacityMeter"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input_mut();
        let want = Some(ReturnConsumedCapacity::Indexes);
        macro_rules! ask {
            ($($t:ty),*) => {
                $(if let Some(i) = input.downcast_mut::<$t>() {
                    i.return_consumed_capacity = want;
                    return Ok(());
                })*
            };
        }
        ask!(
            ScanInput,
            QueryInput,
            GetItemInput,
            BatchGetItemInput,
            TransactGetItemsInput,
            PutItemInput,
            UpdateItemInput,
            DeleteItemInput,
            BatchWriteItemInput,
            TransactWriteItemsInput
        );
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Ok(out) = context.output_or_error() else {
            return Ok(());
        };
        let one = |c: Option<&ConsumedCapacity>| c.cloned().into_iter().collect::<Vec<_>>();
        let (caps, write) = if let Some(o) = out.downcast_ref::<ScanOutput>() {
            (one(o.consumed_capacity()), false)
        } else if let Some(o) = out.downcast_ref::<QueryOutput>() {
            (one(o.consumed_capacity()), false)
        } else if let Some(o) = out.downcast_ref::<GetItemOutput>() {
            (one(o.consumed_capacity()), false)
        } else if let Some(o) = out.downcast_ref::<BatchGetItemOutput>() {
            (o.consumed_capacity().to_vec(), false)
        } else if let Some(o) = out.downcast_ref::<TransactGetItemsOutput>() {
            (o.consumed_capacity().to_vec(), false)
        } else if let Some(o) = out.downcast_ref::<PutItemOutput>() {
            (one(o.consumed_capacity()), true)
        } else if let Some(o) = out.downcast_ref::<UpdateItemOutput>() {
            (one(o.consumed_capacity()), true)
        } else if let Some(o) = out.downcast_ref::<DeleteItemOutput>() {
            (one(o.consumed_capacity()), true)
        } else if let Some(o) = out.downcast_ref::<BatchWriteItemOutput>() {
            (o.consumed_capacity().to_vec(), true)
        } else if let Some(o) = out.downcast_ref::<TransactWriteItemsOutput>() {
            (o.consumed_capacity().to_vec(), true)
        } else {
            return Ok(());
        };
        self.0.add(&caps, write);
        Ok(())
    }
}
