//! The stream follower against a fake DynamoDB Streams (aws-smithy-mocks
//! rules over one shared fake: shards with records, iterators as
//! `shard#position`, DescribeStream paged two shards at a time, errors
//! injected per call). Virtual time (tokio's paused clock): back-offs cost
//! nothing and call counts over simulated minutes are exact.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::config::retry::RetryConfig;
use aws_sdk_dynamodbstreams::error::ErrorMetadata;
use aws_sdk_dynamodbstreams::operation::describe_stream::{
    DescribeStreamError, DescribeStreamOutput,
};
use aws_sdk_dynamodbstreams::operation::get_records::{GetRecordsError, GetRecordsOutput};
use aws_sdk_dynamodbstreams::operation::get_shard_iterator::{
    GetShardIteratorError, GetShardIteratorOutput,
};
use aws_sdk_dynamodbstreams::types::error::{
    ExpiredIteratorException, InternalServerError, LimitExceededException,
    ResourceNotFoundException, TrimmedDataAccessException,
};
use aws_sdk_dynamodbstreams::types::{
    AttributeValue as SAV, OperationType, Record, SequenceNumberRange, Shard, ShardIteratorType,
    StreamDescription, StreamRecord, StreamStatus,
};
use aws_smithy_mocks::{MockResponse, Rule, RuleMode, mock, mock_client};
use dyntui::dynamo::AttributeValue;
use dyntui::dynamo::error::ConnContext;
use dyntui::dynamo::stream::{ChangeRecord, FollowOptions, StartAt, StreamEvent, follow};
use tokio::sync::mpsc;

const ARN: &str =
    "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-12-07T00:00:00.000";

// ------------------------------------------------------------- the fake

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Describe,
    Iterator,
    Records,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Expired,
    Trimmed,
    NotFound,
    LimitExceeded,
    Throttling,
    Internal,
    AccessDenied,
}

impl Fault {
    fn code(self) -> &'static str {
        match self {
            Fault::Expired => "ExpiredIteratorException",
            Fault::Trimmed => "TrimmedDataAccessException",
            Fault::NotFound => "ResourceNotFoundException",
            Fault::LimitExceeded => "LimitExceededException",
            Fault::Throttling => "ThrottlingException",
            Fault::Internal => "InternalServerError",
            Fault::AccessDenied => "AccessDeniedException",
        }
    }
    fn meta(self) -> ErrorMetadata {
        ErrorMetadata::builder()
            .code(self.code())
            .message(format!("injected {}", self.code()))
            .build()
    }
    /// As GetRecords' modeled errors (ThrottlingException is not modeled:
    /// it comes unhandled with its code, as from the service).
    fn records(self) -> GetRecordsError {
        let (m, msg) = (self.meta(), format!("injected {}", self.code()));
        match self {
            Fault::Expired => GetRecordsError::ExpiredIteratorException(
                ExpiredIteratorException::builder()
                    .message(msg)
                    .meta(m)
                    .build(),
            ),
            Fault::Trimmed => GetRecordsError::TrimmedDataAccessException(
                TrimmedDataAccessException::builder()
                    .message(msg)
                    .meta(m)
                    .build(),
            ),
            Fault::NotFound => GetRecordsError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message(msg)
                    .meta(m)
                    .build(),
            ),
            Fault::LimitExceeded => GetRecordsError::LimitExceededException(
                LimitExceededException::builder()
                    .message(msg)
                    .meta(m)
                    .build(),
            ),
            Fault::Internal => GetRecordsError::InternalServerError(
                InternalServerError::builder().message(msg).meta(m).build(),
            ),
            Fault::Throttling | Fault::AccessDenied => GetRecordsError::generic(m),
        }
    }
}

#[derive(Debug, Default)]
struct FakeShard {
    id: String,
    parent: Option<String>,
    /// (sequence number, partition key)
    records: Vec<(u64, String)>,
    closed: bool,
    /// Records before this position are trimmed.
    trimmed: usize,
}

#[derive(Debug, Default)]
struct Fake {
    shards: Vec<FakeShard>,
    next_seq: u64,
    /// Injected errors: (operation, shard or "" for any, fault, times).
    faults: Vec<(Op, String, Fault, usize)>,
    /// Every call: `Describe <from>`, `Iterator <shard> <type> <seq>`,
    /// `Records <shard>#<pos>`.
    log: Vec<String>,
    gone: bool,
    disabled: bool,
}

type Shared = Arc<Mutex<Fake>>;

impl Fake {
    fn shard(&mut self, id: &str, parent: Option<&str>) {
        self.shards.push(FakeShard {
            id: id.into(),
            parent: parent.map(str::to_string),
            ..FakeShard::default()
        });
    }

    fn get(&mut self, id: &str) -> &mut FakeShard {
        self.shards.iter_mut().find(|s| s.id == id).expect("shard")
    }

    /// An INSERT of `pk` into a shard; its sequence number.
    fn write(&mut self, shard: &str, pk: &str) -> u64 {
        self.next_seq += 1;
        let seq = self.next_seq;
        let s = self.get(shard);
        assert!(!s.closed, "write to closed shard {shard}");
        s.records.push((seq, pk.to_string()));
        seq
    }

    fn close(&mut self, shard: &str) {
        self.get(shard).closed = true;
    }

    fn fault(&mut self, op: Op, shard: &str, fault: Fault, times: usize) {
        self.faults.push((op, shard.to_string(), fault, times));
    }

    fn take_fault(&mut self, op: Op, shard: &str) -> Option<Fault> {
        let i = self
            .faults
            .iter()
            .position(|(o, s, _, n)| *o == op && (s.is_empty() || s == shard) && *n > 0)?;
        self.faults[i].3 -= 1;
        Some(self.faults[i].2)
    }

    fn calls(&self, prefix: &str) -> usize {
        self.log.iter().filter(|l| l.starts_with(prefix)).count()
    }

    fn describe(
        &mut self,
        from: Option<&str>,
    ) -> MockResponse<DescribeStreamOutput, DescribeStreamError> {
        self.log.push(format!("Describe {}", from.unwrap_or("-")));
        if let Some(f) = self.take_fault(Op::Describe, "") {
            return MockResponse::Error(DescribeStreamError::generic(f.meta()));
        }
        if self.gone {
            return MockResponse::Error(DescribeStreamError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message("Requested resource not found: Stream not found")
                    .meta(Fault::NotFound.meta())
                    .build(),
            ));
        }
        let start = match from {
            Some(f) => self.shards.iter().position(|s| s.id == f).expect("from") + 1,
            None => 0,
        };
        let page: Vec<&FakeShard> = self.shards.iter().skip(start).take(2).collect();
        let more = start + page.len() < self.shards.len();
        let mut d = StreamDescription::builder()
            .stream_arn(ARN)
            .stream_status(if self.disabled {
                StreamStatus::Disabled
            } else {
                StreamStatus::Enabled
            });
        for s in &page {
            let mut range = SequenceNumberRange::builder().starting_sequence_number("1");
            if s.closed {
                range = range.ending_sequence_number(self.next_seq.to_string());
            }
            let mut b = Shard::builder()
                .shard_id(&s.id)
                .sequence_number_range(range.build());
            if let Some(p) = &s.parent {
                b = b.parent_shard_id(p);
            }
            d = d.shards(b.build());
        }
        if more {
            d = d.last_evaluated_shard_id(&page[page.len() - 1].id);
        }
        MockResponse::Output(
            DescribeStreamOutput::builder()
                .stream_description(d.build())
                .build(),
        )
    }

    fn iterator(
        &mut self,
        shard: &str,
        ty: &ShardIteratorType,
        seq: Option<&str>,
    ) -> MockResponse<GetShardIteratorOutput, GetShardIteratorError> {
        self.log.push(format!(
            "Iterator {shard} {} {}",
            ty.as_str(),
            seq.unwrap_or("-")
        ));
        if let Some(f) = self.take_fault(Op::Iterator, shard) {
            return MockResponse::Error(GetShardIteratorError::generic(f.meta()));
        }
        let gone = self.gone;
        let Some(s) = self.shards.iter().find(|s| s.id == shard).filter(|_| !gone) else {
            return MockResponse::Error(GetShardIteratorError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message("Requested resource not found: Shard does not exist")
                    .meta(Fault::NotFound.meta())
                    .build(),
            ));
        };
        let pos = match ty {
            ShardIteratorType::TrimHorizon => s.trimmed,
            ShardIteratorType::Latest => s.records.len(),
            ShardIteratorType::AfterSequenceNumber => {
                let seq: u64 = seq.expect("a sequence number").parse().unwrap();
                let at = s
                    .records
                    .iter()
                    .position(|(q, _)| *q == seq)
                    .expect("a sequence number of the shard");
                if at < s.trimmed {
                    return MockResponse::Error(GetShardIteratorError::generic(
                        Fault::Trimmed.meta(),
                    ));
                }
                at + 1
            }
            other => panic!("unexpected iterator type {other:?}"),
        };
        MockResponse::Output(
            GetShardIteratorOutput::builder()
                .shard_iterator(format!("{shard}#{pos}"))
                .build(),
        )
    }

    fn records(
        &mut self,
        iterator: &str,
        limit: usize,
    ) -> MockResponse<GetRecordsOutput, GetRecordsError> {
        self.log.push(format!("Records {iterator}"));
        let (shard, pos) = iterator.split_once('#').expect("an iterator");
        let pos: usize = pos.parse().unwrap();
        if let Some(f) = self.take_fault(Op::Records, shard) {
            return MockResponse::Error(f.records());
        }
        if self.gone {
            return MockResponse::Error(Fault::NotFound.records());
        }
        let s = self.get(shard);
        if pos < s.trimmed {
            return MockResponse::Error(Fault::Trimmed.records());
        }
        let end = (pos + limit).min(s.records.len());
        let records = s.records[pos..end]
            .iter()
            .map(|(seq, pk)| {
                Record::builder()
                    .event_name(OperationType::Insert)
                    .dynamodb(
                        StreamRecord::builder()
                            .keys("PK", SAV::S(pk.clone()))
                            .new_image("PK", SAV::S(pk.clone()))
                            .sequence_number(seq.to_string())
                            .size_bytes(10)
                            .build(),
                    )
                    .build()
            })
            .collect::<Vec<_>>();
        let next = (!(s.closed && end == s.records.len())).then(|| format!("{shard}#{end}"));
        MockResponse::Output(
            GetRecordsOutput::builder()
                .set_records(Some(records))
                .set_next_shard_iterator(next)
                .build(),
        )
    }
}

fn client(fake: &Shared) -> Client {
    let f = fake.clone();
    let describe = mock!(Client::describe_stream).then_compute_response(move |req| {
        assert_eq!(req.stream_arn(), Some(ARN));
        f.lock().unwrap().describe(req.exclusive_start_shard_id())
    });
    let f = fake.clone();
    let iterator = mock!(Client::get_shard_iterator).then_compute_response(move |req| {
        f.lock().unwrap().iterator(
            req.shard_id().expect("shard id"),
            req.shard_iterator_type().expect("type"),
            req.sequence_number(),
        )
    });
    let f = fake.clone();
    let records = mock!(Client::get_records).then_compute_response(move |req| {
        f.lock().unwrap().records(
            req.shard_iterator().expect("iterator"),
            req.limit().unwrap_or(1000) as usize,
        )
    });
    let rules: [&Rule; 3] = [&describe, &iterator, &records];
    mock_client!(aws_sdk_dynamodbstreams, RuleMode::MatchAny, rules, |c| c
        .retry_config(RetryConfig::disabled()))
}

// ------------------------------------------------------------- helpers

struct Run {
    rx: mpsc::Receiver<StreamEvent>,
    task: tokio::task::JoinHandle<()>,
}

fn start(fake: &Shared, at: StartAt, opts: FollowOptions) -> Run {
    let client = client(fake);
    let (tx, rx) = mpsc::channel(256);
    let task = tokio::spawn(async move {
        let ctx = ConnContext::default();
        follow(&client, &ctx, ARN, at, opts, tx).await;
    });
    Run { rx, task }
}

impl Run {
    async fn next(&mut self) -> StreamEvent {
        tokio::time::timeout(Duration::from_secs(600), self.rx.recv())
            .await
            .expect("an event within 10 virtual minutes")
            .expect("the follower is running")
    }

    async fn ready(&mut self) -> (usize, usize) {
        loop {
            match self.next().await {
                StreamEvent::Shards { reading, finished } => return (reading, finished),
                StreamEvent::Failed(e) => panic!("failed: {e}"),
                StreamEvent::Records(r) => panic!("records before ready: {r:?}"),
                StreamEvent::Notice(_) => {}
            }
        }
    }

    /// Events until `count` records arrived: the records, the notices and
    /// the shard counts seen on the way.
    async fn records(
        &mut self,
        count: usize,
    ) -> (Vec<ChangeRecord>, Vec<String>, Vec<(usize, usize)>) {
        let (mut recs, mut notices, mut shards) = (Vec::new(), Vec::new(), Vec::new());
        while recs.len() < count {
            match self.next().await {
                StreamEvent::Records(r) => recs.extend(r),
                StreamEvent::Notice(n) => notices.push(n),
                StreamEvent::Shards { reading, finished } => shards.push((reading, finished)),
                StreamEvent::Failed(e) => panic!("failed: {e}"),
            }
        }
        (recs, notices, shards)
    }

    /// Everything sent during `secs` virtual seconds more.
    async fn drain_for(&mut self, secs: u64) -> Vec<StreamEvent> {
        let until = tokio::time::Instant::now() + Duration::from_secs(secs);
        let mut out = Vec::new();
        while let Ok(Some(e)) = tokio::time::timeout_at(until, self.rx.recv()).await {
            out.push(e);
        }
        out
    }

    async fn failed(&mut self) -> dyntui::dynamo::error::AwsError {
        loop {
            if let StreamEvent::Failed(e) = self.next().await {
                return e;
            }
        }
    }
}

fn pks(r: &[ChangeRecord]) -> Vec<String> {
    r.iter()
        .map(|r| match &r.keys["PK"] {
            AttributeValue::S(s) => s.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

fn names(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("{prefix}{i}")).collect()
}

fn fake() -> Shared {
    Arc::new(Mutex::new(Fake::default()))
}

// ------------------------------------------------------------- tests

#[tokio::test(start_paused = true)]
async fn an_expired_iterator_is_renewed_after_the_last_record_read() {
    let fake = fake();
    {
        let mut f = fake.lock().unwrap();
        f.shard("s1", None);
        for pk in names("a", 0..3) {
            f.write("s1", &pk);
        }
    }
    let mut run = start(&fake, StartAt::Oldest, FollowOptions::default());
    run.ready().await;
    let (first, _, _) = run.records(3).await;
    assert_eq!(pks(&first), names("a", 0..3));
    {
        let mut f = fake.lock().unwrap();
        f.fault(Op::Records, "s1", Fault::Expired, 1);
        f.write("s1", "a3");
        f.write("s1", "a4");
    }
    let (rest, notices, _) = run.records(2).await;
    assert_eq!(pks(&rest), ["a3", "a4"], "nothing lost, nothing repeated");
    assert!(
        notices
            .iter()
            .any(|n| n.contains("expired") && n.contains("s1")),
        "{notices:?}"
    );
    let last = &first[2].sequence;
    assert!(
        fake.lock()
            .unwrap()
            .log
            .contains(&format!("Iterator s1 AFTER_SEQUENCE_NUMBER {last}")),
        "renewed after the last record read"
    );
    let later = run.drain_for(60).await;
    assert!(
        !later.iter().any(|e| matches!(e, StreamEvent::Records(_))),
        "a record came twice: {later:?}"
    );
    run.task.abort();
}

#[tokio::test(start_paused = true)]
async fn an_iterator_that_expires_before_any_record_is_renewed_with_its_first_type() {
    let fake = fake();
    {
        let mut f = fake.lock().unwrap();
        f.shard("s1", None);
        f.write("s1", "old");
        f.fault(Op::Records, "s1", Fault::Expired, 1);
    }
    let mut run = start(&fake, StartAt::Latest, FollowOptions::default());
    run.ready().await;
    // The expiry is seen and renewed (at LATEST: "old" stays the past).
    let notice = loop {
        match run.next().await {
            StreamEvent::Notice(n) => break n,
            StreamEvent::Records(r) => panic!("{r:?}"),
            _ => {}
        }
    };
    assert!(notice.contains("LATEST"), "{notice}");
    fake.lock().unwrap().write("s1", "new");
    let (got, _, _) = run.records(1).await;
    assert_eq!(pks(&got), ["new"]);
    let f = fake.lock().unwrap();
    assert_eq!(f.calls("Iterator s1 LATEST"), 2, "{:?}", f.log);
    drop(f);
    run.task.abort();
}

#[tokio::test(start_paused = true)]
async fn trimmed_records_are_named_and_the_shard_restarts_at_trim_horizon() {
    let fake = fake();
    {
        let mut f = fake.lock().unwrap();
        f.shard("shard-7", None);
        for pk in names("t", 0..5) {
            f.write("shard-7", &pk);
        }
    }
    {
        // The first two records have aged out, and the first read comes
        // too late for its iterator's position as well.
        let mut f = fake.lock().unwrap();
        f.get("shard-7").trimmed = 2;
        f.fault(Op::Records, "shard-7", Fault::Trimmed, 1);
    }
    let mut run = start(&fake, StartAt::Oldest, FollowOptions::default());
    run.ready().await;
    let (got, notices, _) = run.records(3).await;
    assert_eq!(pks(&got), names("t", 2..5));
    assert!(
        notices
            .iter()
            .any(|n| n.contains("trimmed") && n.contains("shard-7")),
        "{notices:?}"
    );
    let f = fake.lock().unwrap();
    assert_eq!(
        f.calls("Iterator shard-7 TRIM_HORIZON"),
        2,
        "restarted from TRIM_HORIZON: {:?}",
        f.log
    );
    drop(f);
    run.task.abort();
}

#[tokio::test(start_paused = true)]
async fn a_split_reads_the_parent_to_its_end_before_either_child() {
    let fake = fake();
    {
        let mut f = fake.lock().unwrap();
        // Children listed first and on two pages (two shards a page): the
        // second child is only seen by following LastEvaluatedShardId.
        f.shard("child-1", Some("parent"));
        f.shard("child-2", Some("parent"));
        f.shard("parent", None);
        for pk in names("p", 0..4) {
            f.write("parent", &pk);
        }
        f.close("parent");
        for i in 0..3 {
            f.write("child-1", &format!("c1-{i}"));
            f.write("child-2", &format!("c2-{i}"));
        }
    }
    // One record a call: the parent takes four polls, and a follower that
    // read the children early would interleave them.
    let opts = FollowOptions {
        limit: 1,
        ..FollowOptions::default()
    };
    let mut run = start(&fake, StartAt::Oldest, opts);
    assert_eq!(run.ready().await, (1, 0), "only the parent is read first");
    let (got, _, shards) = run.records(10).await;
    let got = pks(&got);
    assert_eq!(got[..4], names("p", 0..4), "{got:?}");
    let c1: Vec<&String> = got.iter().filter(|p| p.starts_with("c1")).collect();
    let c2: Vec<&String> = got.iter().filter(|p| p.starts_with("c2")).collect();
    assert_eq!(c1, ["c1-0", "c1-1", "c1-2"]);
    assert_eq!(c2, ["c2-0", "c2-1", "c2-2"]);
    assert!(shards.contains(&(2, 1)), "{shards:?}");
    let later = run.drain_for(60).await;
    assert!(
        !later.iter().any(|e| matches!(e, StreamEvent::Records(_))),
        "{later:?}"
    );
    let f = fake.lock().unwrap();
    for s in ["parent", "child-1", "child-2"] {
        assert_eq!(
            f.calls(&format!("Iterator {s} ")),
            1,
            "one iterator per shard: {:?}",
            f.log
        );
    }
    // Every first iterator before the first GetRecords.
    let first_read = f.log.iter().position(|l| l.starts_with("Records")).unwrap();
    let parent_it = f
        .log
        .iter()
        .position(|l| l.starts_with("Iterator parent"))
        .unwrap();
    assert!(parent_it < first_read);
    drop(f);
    run.task.abort();
}

#[tokio::test(start_paused = true)]
async fn latest_skips_closed_shards_and_reads_later_children_from_their_start() {
    let fake = fake();
    {
        let mut f = fake.lock().unwrap();
        f.shard("old", None);
        f.write("old", "past-0");
        f.close("old");
        f.shard("now", Some("old"));
        f.write("now", "past-1");
    }
    let mut run = start(&fake, StartAt::Latest, FollowOptions::default());
    assert_eq!(run.ready().await, (1, 0));
    fake.lock().unwrap().write("now", "n0");
    let (got, _, _) = run.records(1).await;
    assert_eq!(pks(&got), ["n0"], "the past is not read");
    {
        // `now` splits; its child has records before the follower sees it.
        let mut f = fake.lock().unwrap();
        f.write("now", "n1");
        f.close("now");
        f.shard("next", Some("now"));
        f.write("next", "x0");
        f.write("next", "x1");
    }
    let (got, _, _) = run.records(3).await;
    assert_eq!(pks(&got), ["n1", "x0", "x1"]);
    let f = fake.lock().unwrap();
    assert_eq!(f.calls("Iterator old"), 0, "{:?}", f.log);
    assert_eq!(f.calls("Iterator now LATEST"), 1, "{:?}", f.log);
    assert_eq!(f.calls("Iterator next TRIM_HORIZON"), 1, "{:?}", f.log);
    drop(f);
    run.task.abort();
}

#[tokio::test(start_paused = true)]
async fn a_deleted_stream_fails_and_the_follower_returns() {
    let fake = fake();
    fake.lock().unwrap().shard("s1", None);
    let mut run = start(&fake, StartAt::Latest, FollowOptions::default());
    run.ready().await;
    fake.lock().unwrap().gone = true;
    let e = run.failed().await;
    assert_eq!(e.code, "ResourceNotFoundException");
    assert!(e.message.contains(ARN), "{e}");
    tokio::time::timeout(Duration::from_secs(5), run.task)
        .await
        .expect("the follower returns after Failed")
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_missing_stream_at_start_fails() {
    let fake = fake();
    fake.lock().unwrap().gone = true;
    let mut run = start(&fake, StartAt::Latest, FollowOptions::default());
    let e = run.failed().await;
    assert_eq!(e.code, "ResourceNotFoundException");
}

#[tokio::test(start_paused = true)]
async fn a_disabled_stream_is_read_to_its_end_then_fails() {
    let fake = fake();
    {
        let mut f = fake.lock().unwrap();
        f.shard("s1", None);
        f.write("s1", "last");
        f.close("s1");
        f.disabled = true;
    }
    let mut run = start(&fake, StartAt::Oldest, FollowOptions::default());
    run.ready().await;
    let (got, _, _) = run.records(1).await;
    assert_eq!(pks(&got), ["last"]);
    let e = run.failed().await;
    assert_eq!(e.code, "StreamDisabled", "{e}");
}

#[tokio::test(start_paused = true)]
async fn throttling_is_retried_as_long_as_it_lasts() {
    let fake = fake();
    {
        let mut f = fake.lock().unwrap();
        f.shard("s1", None);
        f.write("s1", "a");
        // More throttles than max_retries, of both kinds.
        f.fault(Op::Records, "s1", Fault::LimitExceeded, 8);
        f.fault(Op::Records, "s1", Fault::Throttling, 8);
        f.fault(Op::Describe, "", Fault::Throttling, 6);
    }
    let mut run = start(&fake, StartAt::Oldest, FollowOptions::default());
    run.ready().await;
    let (got, _, _) = run.records(1).await;
    assert_eq!(pks(&got), ["a"]);
    assert!(fake.lock().unwrap().calls("Records") >= 17);
    run.task.abort();
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_retried_a_few_times_then_fail() {
    let fake = fake();
    {
        let mut f = fake.lock().unwrap();
        f.shard("s1", None);
        f.write("s1", "a");
        f.fault(Op::Records, "s1", Fault::Internal, 2);
    }
    let mut run = start(&fake, StartAt::Oldest, FollowOptions::default());
    run.ready().await;
    let (got, _, _) = run.records(1).await;
    assert_eq!(pks(&got), ["a"], "two failures are retried");

    fake.lock()
        .unwrap()
        .fault(Op::Records, "s1", Fault::Internal, usize::MAX);
    let before = fake.lock().unwrap().calls("Records");
    let e = run.failed().await;
    assert_eq!(e.code, "InternalServerError");
    let tries = fake.lock().unwrap().calls("Records") - before;
    let max = FollowOptions::default().max_retries as usize;
    assert_eq!(tries, max + 1, "one try and {max} retries");
}

#[tokio::test(start_paused = true)]
async fn an_idle_follower_polls_each_shard_at_its_back_off() {
    let fake = fake();
    {
        let mut f = fake.lock().unwrap();
        f.shard("s1", None);
        f.shard("s2", None);
    }
    let opts = FollowOptions::default();
    let mut run = start(&fake, StartAt::Latest, opts.clone());
    run.ready().await;
    const SECS: u64 = 120;
    let events = run.drain_for(SECS).await;
    assert!(events.is_empty(), "{events:?}");
    let f = fake.lock().unwrap();
    for s in ["s1", "s2"] {
        let polls = f.calls(&format!("Records {s}#"));
        eprintln!("idle shard {s}: {polls} GetRecords in {SECS} virtual seconds");
        // 250 ms, 500 ms, 1 s, then every 2 s: about SECS / 2.
        let at_max = SECS / opts.idle_max.as_secs();
        assert!(polls as u64 <= at_max + 4, "{s}: {polls} polls in {SECS} s");
        assert!(polls as u64 >= at_max - 2, "{s}: {polls} polls in {SECS} s");
        assert!((polls as u64) < 5 * SECS, "under 5 a second");
    }
    // DescribeStream every 10 s (one page: two shards).
    let describes = f.calls("Describe") as u64;
    eprintln!("{describes} DescribeStream in {SECS} virtual seconds");
    let every = opts.describe_every.as_secs();
    assert!(
        (SECS / every..=SECS / every + 2).contains(&describes),
        "{describes} describes"
    );
    drop(f);
    run.task.abort();
}

#[tokio::test(start_paused = true)]
async fn dropping_the_receiver_stops_the_follower() {
    let fake = fake();
    fake.lock().unwrap().shard("s1", None);
    let mut run = start(&fake, StartAt::Latest, FollowOptions::default());
    run.ready().await;
    let Run { rx, task } = run;
    drop(rx);
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the follower stops when its receiver is gone")
        .unwrap();
    let calls = fake.lock().unwrap().log.len();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(
        fake.lock().unwrap().log.len(),
        calls,
        "no call after the stop"
    );
}

#[tokio::test(start_paused = true)]
async fn shards_appearing_later_are_read_once_each() {
    let fake = fake();
    fake.lock().unwrap().shard("a", None);
    let mut run = start(&fake, StartAt::Oldest, FollowOptions::default());
    run.ready().await;
    let mut expected = Vec::new();
    let mut prev = "a".to_string();
    // Five generations, one after another, each with two records.
    for g in 0..5 {
        let next = format!("g{g}");
        {
            let mut f = fake.lock().unwrap();
            for i in 0..2 {
                let pk = format!("{prev}-{i}");
                f.write(&prev, &pk);
                expected.push(pk);
            }
            f.close(&prev);
            f.shard(&next, Some(&prev));
        }
        prev = next;
    }
    let (got, _, _) = run.records(expected.len()).await;
    assert_eq!(pks(&got), expected);
    let later = run.drain_for(60).await;
    assert!(
        !later.iter().any(|e| matches!(e, StreamEvent::Records(_))),
        "{later:?}"
    );
    let f = fake.lock().unwrap();
    let its: Vec<&String> = f.log.iter().filter(|l| l.starts_with("Iterator")).collect();
    let unique: HashSet<&&String> = its.iter().collect();
    assert_eq!(
        its.len(),
        unique.len(),
        "a shard was started twice: {its:?}"
    );
    assert_eq!(its.len(), 6);
    drop(f);
    run.task.abort();
}

#[tokio::test(start_paused = true)]
async fn access_denied_fails_at_once() {
    let fake = fake();
    {
        let mut f = fake.lock().unwrap();
        f.shard("s1", None);
        f.fault(Op::Describe, "", Fault::AccessDenied, usize::MAX);
    }
    let mut run = start(&fake, StartAt::Latest, FollowOptions::default());
    let e = run.failed().await;
    assert_eq!(e.code, "AccessDeniedException");
    assert_eq!(fake.lock().unwrap().calls("Describe"), 1, "not retried");
}

#[tokio::test(start_paused = true)]
async fn a_shard_gone_before_it_is_read_is_named_and_its_child_read() {
    let fake = fake();
    {
        let mut f = fake.lock().unwrap();
        f.shard("p", None);
        f.write("p", "lost");
        f.close("p");
        f.shard("c", Some("p"));
        f.write("c", "kept");
        // The stream still lists `p`, but GetShardIterator no longer finds it.
        f.fault(Op::Iterator, "p", Fault::NotFound, 1);
    }
    let mut run = start(&fake, StartAt::Oldest, FollowOptions::default());
    let (got, notices, _) = run.records(1).await;
    assert_eq!(pks(&got), ["kept"]);
    assert!(
        notices.iter().any(|n| n.contains("shard p ")),
        "{notices:?}"
    );
    run.task.abort();
}
