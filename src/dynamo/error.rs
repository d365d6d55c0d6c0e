//! AWS errors as users need to see them: the error code, the message, and a
//! hint about what to do.

use std::fmt;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::error::display::DisplayErrorContext;

/// Where requests go: named in messages and hints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnContext {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint: Option<String>,
}

impl ConnContext {
    /// True when the endpoint is on this machine (DynamoDB Local).
    pub fn is_local(&self) -> bool {
        self.endpoint.as_deref().is_some_and(is_loopback_url)
    }

    /// `profile X, region Y, endpoint Z` for messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = &self.profile {
            parts.push(format!("profile {p}"));
        }
        parts.push(format!(
            "region {}",
            self.region.as_deref().unwrap_or("(none)")
        ));
        if let Some(e) = &self.endpoint {
            parts.push(format!("endpoint {e}"));
        }
        parts.join(", ")
    }
}

/// True for http(s)://localhost, 127.x.x.x or [::1] URLs.
pub fn is_loopback_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or(url);
    let host = if let Some(r) = rest.strip_prefix('[') {
        r.split(']').next().unwrap_or("")
    } else {
        rest.split([':', '/']).next().unwrap_or("")
    };
    host.eq_ignore_ascii_case("localhost") || host.starts_with("127.") || host == "::1"
}

/// An error in a file the user wrote (project file, migration, ...) that
/// names where it is: `file:line:column: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for FileError {}

impl FileError {
    /// An error at a byte offset of `src` (or the whole file).
    pub fn at(file: &str, src: &str, offset: Option<usize>, message: impl Into<String>) -> Self {
        let (line, column) = match offset {
            Some(o) => {
                let (l, c) = line_col(src, o);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        FileError {
            file: file.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    /// An error at the start of a span of `src`.
    pub fn at_span(
        file: &str,
        src: &str,
        span: Option<std::ops::Range<usize>>,
        message: impl Into<String>,
    ) -> Self {
        FileError::at(file, src, span.map(|r| r.start), message)
    }

    /// A TOML syntax or schema error, located.
    pub fn from_toml(file: &str, src: &str, e: toml::de::Error) -> Self {
        let msg = e.message().trim().to_string();
        FileError::at_span(file, src, e.span(), msg)
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// One throttling reason from a throttling error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleReason {
    pub reason: String,
    pub resource: String,
}

/// An error from AWS (or from reaching it), ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// AWS error code (`ResourceNotFoundException`) or our own
    /// (`EndpointUnreachable`, `NoCredentials`, `Timeout`).
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
    pub throttling: Vec<ThrottleReason>,
    /// The SDK's own error chain when the message is a summary of it:
    /// logged, and printed only with `--verbose` ([`set_verbose`]).
    pub detail: Option<String>,
}

/// Whether errors print their [`AwsError::detail`] (`--verbose`).
static VERBOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--verbose`: errors print the SDK's own error chain after the hint.
pub fn set_verbose(on: bool) {
    VERBOSE.store(on, std::sync::atomic::Ordering::Relaxed);
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        for t in &self.throttling {
            write!(f, " [{} on {}]", t.reason, t.resource)?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\nhint: {h}")?;
        }
        if let Some(d) = &self.detail {
            if VERBOSE.load(std::sync::atomic::Ordering::Relaxed) {
                write!(f, "\ndetail: {d}")?;
            } else {
                write!(f, "\n(--verbose adds the SDK's own error)")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for AwsError {}

impl AwsError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        AwsError {
            code: code.into(),
            message: message.into(),
            hint: None,
            throttling: Vec::new(),
            detail: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// A request we could not even build (a bug or bad input).
    pub fn build(e: aws_sdk_dynamodb::error::BuildError) -> Self {
        AwsError::new("InvalidRequest", e.to_string())
    }

    /// True for errors worth retrying with backoff.
    pub fn is_throttle(&self) -> bool {
        matches!(
            self.code.as_str(),
            "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "Throttling"
        )
    }

    /// True for failures worth trying again after a pause in bulk work
    /// (besides throttling): server errors (HTTP 500/503), timeouts, a
    /// connection reset or refused mid-run, a response cut short.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.code.as_str(),
            "InternalServerError"
                | "InternalFailure"
                | "ServiceUnavailable"
                | "ServiceUnavailableException"
                | "Timeout"
                | "EndpointUnreachable"
                | "ResponseError"
        )
    }

    /// Converts an SDK error, naming the table (if any) and connection in hints.
    pub fn from_sdk<E, R>(err: SdkError<E, R>, ctx: &ConnContext, table: Option<&str>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: fmt::Debug + Send + Sync + 'static,
    {
        let full = DisplayErrorContext(&err).to_string();
        let mut e = match &err {
            SdkError::ServiceError(se) => {
                let inner = se.err();
                AwsError::new(
                    inner.code().unwrap_or("UnknownError"),
                    inner.message().unwrap_or(&full).to_string(),
                )
            }
            SdkError::TimeoutError(_) => timeout_error(&full, ctx),
            SdkError::DispatchFailure(df) => {
                let lower = full.to_ascii_lowercase();
                if lower.contains("credential") || lower.contains("token") && lower.contains("sso")
                {
                    credentials_error(&full)
                } else if df.is_timeout() {
                    timeout_error(&full, ctx)
                } else {
                    AwsError::new(
                        "EndpointUnreachable",
                        format!(
                            "cannot reach {}: {}",
                            ctx.endpoint.as_deref().unwrap_or("the DynamoDB endpoint"),
                            root_cause(&err)
                        ),
                    )
                }
            }
            SdkError::ConstructionFailure(_) => {
                if full.to_ascii_lowercase().contains("credential") {
                    credentials_error(&full)
                } else {
                    AwsError::new("InvalidRequest", full.clone())
                }
            }
            SdkError::ResponseError(_) => AwsError::new(
                "ResponseError",
                format!(
                    "an unreadable response from {}: {full}",
                    ctx.endpoint.as_deref().unwrap_or("the DynamoDB endpoint")
                ),
            ),
            _ => AwsError::new("UnknownError", full.clone()),
        };
        e.hint = hint_for(&e.code, &e.message, ctx, table);
        e
    }
}

/// Which timeout ended a request, from the SDK's error text (`HTTP connect
/// timeout occurred after 3s`, `operation attempt timeout (single attempt)
/// occurred after 10s`, `operation timeout (all attempts including retries)
/// occurred after 30s`): named with the endpoint and the setting to change.
fn timeout_error(full: &str, ctx: &ConnContext) -> AwsError {
    let endpoint = match (&ctx.endpoint, &ctx.region) {
        (Some(e), _) => e.clone(),
        (None, Some(r)) => format!("the DynamoDB endpoint of {r}"),
        (None, None) => "the DynamoDB endpoint".to_string(),
    };
    let after = |marker: &str| -> Option<String> {
        let at = full.find(marker)?;
        let rest = &full[at + marker.len()..];
        let rest = rest.split(" occurred after ").nth(1).unwrap_or(rest);
        Some(
            rest.split(|c: char| c.is_whitespace() || c == ')' || c == ':' || c == ',')
                .next()
                .unwrap_or("")
                .to_string(),
        )
    };
    let within = |d: Option<String>| match d.filter(|d| !d.is_empty()) {
        Some(d) => format!(" within {d}"),
        None => String::new(),
    };
    let message = if let Some(d) = after("HTTP connect timeout") {
        format!(
            "connect timeout: no connection to {endpoint}{} (--connect-timeout, DYNTUI_CONNECT_TIMEOUT)",
            within(Some(d))
        )
    } else if let Some(d) = after("operation attempt timeout") {
        format!(
            "response timeout: {endpoint} accepted the request but sent no response{} (the attempt timeout, for each try: --attempt-timeout, DYNTUI_ATTEMPT_TIMEOUT)",
            within(Some(d))
        )
    } else if let Some(d) = after("operation timeout") {
        format!(
            "operation timeout: no response from {endpoint}{}, retries included (--operation-timeout, DYNTUI_OPERATION_TIMEOUT)",
            within(Some(d))
        )
    } else if let Some(d) = after("HTTP read timeout") {
        format!(
            "response timeout: {endpoint} sent no response{} (--attempt-timeout, DYNTUI_ATTEMPT_TIMEOUT)",
            within(Some(d))
        )
    } else {
        format!("no answer from {endpoint}: {full}")
    };
    AwsError::new("Timeout", message)
}

/// The innermost error's message: "Connection refused (os error 111)".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// The SDK's credential failures are a long chain of provider errors: the
/// message says what is wrong in a few words, the chain is logged and kept
/// for `--verbose`.
fn credentials_error(full: &str) -> AwsError {
    tracing::warn!("credentials: {full}");
    let lower = full.to_ascii_lowercase();
    let mut e = if lower.contains("expired") {
        AwsError::new("ExpiredToken", "the AWS session has expired")
    } else {
        AwsError::new("NoCredentials", "no AWS credentials were found")
    };
    e.detail = Some(full.to_string());
    e
}

fn hint_for(code: &str, message: &str, ctx: &ConnContext, table: Option<&str>) -> Option<String> {
    let profile_flag = ctx
        .profile
        .as_deref()
        .map(|p| format!(" --profile {p}"))
        .unwrap_or_default();
    Some(match code {
        "ResourceNotFoundException" => {
            let what = table.map(|t| format!("table `{t}`")).unwrap_or_else(|| "the resource".into());
            if ctx.is_local() {
                format!(
                    "{what} does not exist at {}. DynamoDB Local keeps one database per access key and region unless it was started with -sharedDb (the scripts in dyntui's repository do that): use the same credentials and region that created it.",
                    ctx.describe()
                )
            } else {
                format!(
                    "{what} does not exist in {}. Check --region and --profile.",
                    ctx.describe()
                )
            }
        }
        "Timeout" if message.starts_with("response timeout") || message.starts_with("operation timeout") => {
            if ctx.is_local() {
                "the endpoint accepts connections but does not answer: DynamoDB Local may be stuck or overloaded (restart it; from dyntui's repository: `scripts/dynamodb-local.sh stop` then `start`), or another program listens on that port.".to_string()
            } else {
                format!(
                    "the endpoint accepts connections but does not answer in time; check the network, a proxy, or the AWS Health Dashboard ({}). A slow network may need a longer timeout.",
                    ctx.describe()
                )
            }
        }
        "EndpointUnreachable" | "Timeout" => {
            if ctx.is_local() {
                format!(
                    "nothing answers at {}. Start DynamoDB Local there (`java -Djava.library.path=DynamoDBLocal_lib -jar DynamoDBLocal.jar -sharedDb -port PORT`; from dyntui's repository: `scripts/dynamodb-local.sh start`), or fix --endpoint-url.",
                    ctx.endpoint.as_deref().unwrap_or("the endpoint")
                )
            } else {
                format!(
                    "check the network and the region ({}); set --endpoint-url only for DynamoDB Local.",
                    ctx.describe()
                )
            }
        }
        "NoCredentials" => format!(
            "set AWS_PROFILE or pass --profile, run `aws configure`, or `aws sso login{profile_flag}`."
        ),
        "ExpiredToken" | "ExpiredTokenException" => {
            format!("your session has expired: run `aws sso login{profile_flag}` then `:reconnect` in the TUI (or run the command again).")
        }
        "UnrecognizedClientException" | "InvalidSignatureException" => format!(
            "the credentials were rejected ({}). Check the access key, or run `aws sso login{profile_flag}`.",
            ctx.describe()
        ),
        "AccessDeniedException" => {
            let what = table.map(|t| format!(" on table `{t}`")).unwrap_or_default();
            format!(
                "your identity lacks permission{what}; the message names the missing action. ({})",
                ctx.describe()
            )
        }
        "ProvisionedThroughputExceededException" | "ThrottlingException" | "RequestLimitExceeded" => {
            "the request was throttled; dyntui retries bulk work with backoff. The metrics view shows which keys are hot.".to_string()
        }
        "ValidationException" if message.contains("contains duplicates") => {
            "two writes of one batch have the same key; remove the duplicate items (dyntui seed and import report them with file and line before writing).".to_string()
        }
        "ValidationException" if message.contains("key") => {
            "the key does not match the table or index key schema (names and types).".to_string()
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_detection() {
        assert!(is_loopback_url("http://127.0.0.1:8000"));
        assert!(is_loopback_url("http://localhost:8000/"));
        assert!(is_loopback_url("http://[::1]:8000"));
        assert!(!is_loopback_url("https://dynamodb.us-east-1.amazonaws.com"));
        assert!(!is_loopback_url("http://localhost.evil.com"));
    }

    #[test]
    fn timeouts_say_which_one_fired_where_and_the_setting() {
        let local = ConnContext {
            endpoint: Some("http://127.0.0.1:8000".into()),
            ..ConnContext::default()
        };
        let e = timeout_error(
            "dispatch failure: timeout: HTTP connect timeout occurred after 3s",
            &local,
        );
        assert_eq!(e.code, "Timeout");
        assert_eq!(
            e.message,
            "connect timeout: no connection to http://127.0.0.1:8000 within 3s (--connect-timeout, DYNTUI_CONNECT_TIMEOUT)"
        );
        let e = timeout_error(
            "timeout error: operation attempt timeout (single attempt) occurred after 10s",
            &local,
        );
        assert!(
            e.message.starts_with(
                "response timeout: http://127.0.0.1:8000 accepted the request but sent no response within 10s"
            ),
            "{e}"
        );
        assert!(e.message.contains("--attempt-timeout"), "{e}");
        let aws = ConnContext {
            region: Some("eu-west-1".into()),
            ..ConnContext::default()
        };
        let e = timeout_error(
            "timeout error: operation timeout (all attempts including retries) occurred after 30s",
            &aws,
        );
        assert_eq!(
            e.message,
            "operation timeout: no response from the DynamoDB endpoint of eu-west-1 within 30s, retries included (--operation-timeout, DYNTUI_OPERATION_TIMEOUT)"
        );
        let h = hint_for(&e.code, &e.message, &aws, None).unwrap();
        assert!(
            h.contains("does not answer") && h.contains("eu-west-1"),
            "{h}"
        );
        let h = hint_for(&e.code, "connect timeout: ...", &local, None).unwrap();
        assert!(h.contains("dynamodb-local.sh start"), "{h}");
    }

    #[test]
    fn transient_errors_are_told_apart_from_the_rest() {
        for code in [
            "InternalServerError",
            "Timeout",
            "EndpointUnreachable",
            "ResponseError",
        ] {
            assert!(AwsError::new(code, "").is_transient(), "{code}");
        }
        for code in [
            "ValidationException",
            "ResourceNotFoundException",
            "AccessDeniedException",
        ] {
            assert!(!AwsError::new(code, "").is_transient(), "{code}");
        }
    }

    #[test]
    fn hints_name_the_table_and_connection() {
        let ctx = ConnContext {
            profile: Some("dev".into()),
            region: Some("eu-west-1".into()),
            endpoint: None,
        };
        let h = hint_for("ResourceNotFoundException", "", &ctx, Some("orders")).unwrap();
        assert!(h.contains("`orders`") && h.contains("eu-west-1") && h.contains("profile dev"));
        let h = hint_for("ExpiredTokenException", "", &ctx, None).unwrap();
        assert!(h.contains("aws sso login --profile dev"));
        let local = ConnContext {
            endpoint: Some("http://127.0.0.1:8000".into()),
            ..ConnContext::default()
        };
        let h = hint_for("EndpointUnreachable", "", &local, None).unwrap();
        assert!(h.contains("dynamodb-local.sh"));
    }

    #[test]
    fn duplicate_keys_in_a_batch_are_not_blamed_on_the_key_schema() {
        let ctx = ConnContext::default();
        let h = hint_for(
            "ValidationException",
            "Provided list of item keys contains duplicates",
            &ctx,
            Some("orders"),
        )
        .unwrap();
        assert!(h.contains("same key"), "{h}");
        assert!(!h.contains("key schema"), "{h}");
    }
}
