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
            SdkError::TimeoutError(_) => AwsError::new("Timeout", "the request timed out"),
            SdkError::DispatchFailure(df) => {
                let lower = full.to_ascii_lowercase();
                if lower.contains("credential") || lower.contains("token") && lower.contains("sso")
                {
                    credentials_error(&full)
                } else if df.is_timeout() {
                    AwsError::new("Timeout", format!("no answer from the endpoint: {full}"))
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
            _ => AwsError::new("UnknownError", full.clone()),
        };
        e.hint = hint_for(&e.code, &e.message, ctx, table);
        e
    }
}

/// The innermost error's message: "Connection refused (os error 111)".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

fn credentials_error(full: &str) -> AwsError {
    let lower = full.to_ascii_lowercase();
    if lower.contains("expired") {
        AwsError::new("ExpiredToken", full.to_string())
    } else {
        AwsError::new("NoCredentials", full.to_string())
    }
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
                    "{what} does not exist at {} ({}). DynamoDB Local keeps one database per access key and region unless started with -sharedDb (scripts/dynamodb-local.sh does that).",
                    ctx.endpoint.as_deref().unwrap_or(""),
                    ctx.describe()
                )
            } else {
                format!(
                    "{what} does not exist in {}. Check --region and --profile.",
                    ctx.describe()
                )
            }
        }
        "EndpointUnreachable" | "Timeout" => {
            if ctx.is_local() {
                "DynamoDB Local is not answering. Start it with `scripts/dynamodb-local.sh start` (or scripts/demo.sh).".to_string()
            } else {
                format!(
                    "check the network and the region ({}); set --endpoint-url only for DynamoDB Local.",
                    ctx.describe()
                )
            }
        }
        "NoCredentials" => format!(
            "no AWS credentials found. Set AWS_PROFILE or pass --profile, run `aws configure`, or `aws sso login{profile_flag}`."
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
