//! What an effect gets when it runs: the clients and files it may use
//! ([`Deps`]) and where its results go ([`Reply`]). Screens write how their
//! effects run (`perform`) against these; the effect runner spawns them.

use std::sync::Arc;

use crate::app::audit::AuditLog;
use crate::dynamo::client::Dynamo;
use crate::dynamo::error::ConnContext;

/// The clients and files an effect may use (cheap to clone).
#[derive(Clone)]
pub struct Deps {
    /// None when not connected.
    pub db: Option<Dynamo>,
    pub conn: ConnContext,
    /// Where writes are recorded (None: no state directory).
    pub audit_log: Option<AuditLog>,
}

impl Deps {
    /// The client, or the error effects report when there is none.
    pub fn db(&self) -> Result<&Dynamo, String> {
        self.db.as_ref().ok_or_else(|| "not connected".to_string())
    }
}

/// Sends a screen's messages back to the application (from any task).
pub struct Reply<M>(Arc<dyn Fn(M) + Send + Sync>);

impl<M> Clone for Reply<M> {
    fn clone(&self) -> Self {
        Reply(self.0.clone())
    }
}

impl<M> Reply<M> {
    pub fn new(f: impl Fn(M) + Send + Sync + 'static) -> Self {
        Reply(Arc::new(f))
    }

    pub fn send(&self, m: M) {
        (self.0)(m)
    }
}

/// An effect that belongs to a request: its task is aborted when the
/// request is superseded or abandoned.
pub trait Tracked {
    fn request_id(&self) -> Option<crate::app::tui::request::ReqId>;
}

impl Deps {
    /// The CloudWatch client: none for DynamoDB Local, which has no
    /// CloudWatch (built once, beside the DynamoDB client).
    pub fn cloudwatch(&self) -> Option<aws_sdk_cloudwatch::Client> {
        if self.conn.is_local() {
            return None;
        }
        self.db.as_ref().map(|d| d.cloudwatch().clone())
    }
}
