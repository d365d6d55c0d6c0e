//! One request type for every loading slot of the TUI.
//!
//! A [`Request`] is what a screen holds for something it asked AWS (or a
//! file, or a task) for: the id of the attempt in flight, and the state of
//! the slot (idle, loading, ready, failed). Starting it again supersedes the
//! attempt in flight: the old id is returned so that its task is aborted
//! (the effect runner keeps task handles by request id), and a reply that
//! carries an old id is ignored. This is the only way "the latest request
//! wins" is written.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::dynamo::error::AwsError;

/// A request id, unique in the process (never 0).
pub type ReqId = u64;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh request id.
pub fn next_id() -> ReqId {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// The state of a slot that loads.
#[derive(Debug, Clone, Default)]
pub enum Loadable<T, E = AwsError> {
    #[default]
    Idle,
    Loading,
    Ready(T),
    Failed(E),
}

impl<T, E> Loadable<T, E> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Loadable::Ready(t) => Some(t),
            _ => None,
        }
    }

    pub fn failed(&self) -> Option<&E> {
        match self {
            Loadable::Failed(e) => Some(e),
            _ => None,
        }
    }

    pub fn is_loading(&self) -> bool {
        matches!(self, Loadable::Loading)
    }
}

/// A loading slot: its state and the attempt in flight.
#[derive(Debug, Clone)]
pub struct Request<T, E = AwsError> {
    /// What the slot holds. While a refresh is in flight the previous
    /// value stays (see [`Request::refresh`]).
    pub state: Loadable<T, E>,
    in_flight: Option<ReqId>,
}

impl<T, E> Default for Request<T, E> {
    fn default() -> Self {
        Request {
            state: Loadable::Idle,
            in_flight: None,
        }
    }
}

/// A started attempt: its id, and the attempt it superseded (to abort).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Started {
    pub id: ReqId,
    pub superseded: Option<ReqId>,
}

impl<T, E> Request<T, E> {
    /// Starts an attempt; the slot shows "loading" until it answers.
    pub fn start(&mut self) -> Started {
        let s = self.refresh();
        self.state = Loadable::Loading;
        s
    }

    /// Starts an attempt that keeps the current value on show until the
    /// answer arrives (a refresh).
    pub fn refresh(&mut self) -> Started {
        let id = next_id();
        let superseded = self.in_flight.replace(id);
        if matches!(self.state, Loadable::Idle) {
            self.state = Loadable::Loading;
        }
        Started { id, superseded }
    }

    /// Takes an answer: true when `id` is the attempt in flight (the slot
    /// is then settled with `r`); an answer to a superseded attempt changes
    /// nothing.
    pub fn settle(&mut self, id: ReqId, r: Result<T, E>) -> bool {
        if !self.accept(id) {
            return false;
        }
        self.state = match r {
            Ok(t) => Loadable::Ready(t),
            Err(e) => Loadable::Failed(e),
        };
        true
    }

    /// True (and the attempt is over) when `id` is the attempt in flight;
    /// for answers the caller applies itself (pages added to a list, ...).
    pub fn accept(&mut self, id: ReqId) -> bool {
        if self.in_flight == Some(id) {
            self.in_flight = None;
            true
        } else {
            false
        }
    }

    /// True when `id` is the attempt in flight (for progress reports that
    /// do not end it).
    pub fn is_current(&self, id: ReqId) -> bool {
        self.in_flight == Some(id)
    }

    /// Gives up the attempt in flight (returned, to abort its task); a
    /// slot that was loading for the first time goes back to idle.
    pub fn cancel(&mut self) -> Option<ReqId> {
        let id = self.in_flight.take();
        if id.is_some() && matches!(self.state, Loadable::Loading) {
            self.state = Loadable::Idle;
        }
        id
    }

    /// Forgets the value and any attempt (returned, to abort).
    pub fn reset(&mut self) -> Option<ReqId> {
        let id = self.in_flight.take();
        self.state = Loadable::Idle;
        id
    }

    /// Sets the value directly (results produced without a request).
    pub fn set(&mut self, t: T) -> Option<ReqId> {
        let id = self.in_flight.take();
        self.state = Loadable::Ready(t);
        id
    }

    pub fn is_loading(&self) -> bool {
        self.in_flight.is_some()
    }

    pub fn in_flight(&self) -> Option<ReqId> {
        self.in_flight
    }

    pub fn ready(&self) -> Option<&T> {
        self.state.ready()
    }

    pub fn ready_mut(&mut self) -> Option<&mut T> {
        match &mut self.state {
            Loadable::Ready(t) => Some(t),
            _ => None,
        }
    }

    pub fn failed(&self) -> Option<&E> {
        self.state.failed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_attempt_wins() {
        let mut r: Request<u32, String> = Request::default();
        let a = r.start();
        assert_eq!(a.superseded, None);
        assert!(r.is_loading());
        let b = r.start();
        assert_eq!(
            b.superseded,
            Some(a.id),
            "the first attempt is to be aborted"
        );
        assert!(!r.settle(a.id, Ok(1)), "a stale answer changes nothing");
        assert!(r.is_loading());
        assert!(r.settle(b.id, Ok(2)));
        assert_eq!(r.ready(), Some(&2));
        assert!(!r.is_loading());
        assert!(!r.settle(b.id, Ok(3)), "an answer counts once");
        assert_eq!(r.ready(), Some(&2));
    }

    #[test]
    fn a_refresh_keeps_the_value_on_show_and_cancel_gives_the_id_to_abort() {
        let mut r: Request<u32, String> = Request::default();
        let a = r.start();
        r.settle(a.id, Ok(7));
        let b = r.refresh();
        assert_eq!(r.ready(), Some(&7));
        assert!(r.is_loading());
        assert_eq!(r.cancel(), Some(b.id));
        assert_eq!(r.ready(), Some(&7));
        assert!(!r.is_loading());
        let c = r.start();
        assert_eq!(r.cancel(), Some(c.id));
        assert!(matches!(r.state, Loadable::Idle));
    }
}
