//! S3 as a [`Store`] of an AWS export folder: the manifests read whole,
//! the data files as streams (GetObject's body, a chunk at a time, never
//! the whole object in memory). The readers are synchronous (gzip, lines)
//! and run inside the runtime: each chunk is awaited with
//! `block_in_place`, so they need the multi-threaded runtime the binary
//! uses (or a blocking thread).

use std::io::Read;

use aws_sdk_s3::Client;
use bytes::Buf;

use super::awsexport::{SUMMARY, Store};
use super::native::S3Url;

/// An export folder at an S3 prefix.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    /// The folder (`.../AWSDynamoDB/<id>`).
    pub url: S3Url,
    handle: tokio::runtime::Handle,
}

/// Runs `f` to completion from synchronous code inside (or outside) the
/// runtime.
fn block_on<F: std::future::Future>(handle: &tokio::runtime::Handle, f: F) -> F::Output {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| handle.block_on(f))
        }
        _ => handle.block_on(f),
    }
}

fn s3_error<E, R>(e: aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match &e {
        aws_sdk_s3::error::SdkError::ServiceError(se) => format!(
            "{}: {}",
            se.err().code().unwrap_or("S3Error"),
            se.err().message().unwrap_or("no message")
        ),
        other => aws_sdk_s3::error::DisplayErrorContext(other).to_string(),
    }
}

impl S3Store {
    /// The export folder at `url` (its handle: the current runtime's).
    pub fn new(client: Client, url: S3Url) -> Result<S3Store, String> {
        let handle = tokio::runtime::Handle::try_current()
            .map_err(|_| "reading S3 needs the async runtime".to_string())?;
        Ok(S3Store {
            client,
            url,
            handle,
        })
    }

    async fn get(
        &self,
        rel: &str,
    ) -> Result<aws_sdk_s3::operation::get_object::GetObjectOutput, String> {
        self.client
            .get_object()
            .bucket(&self.url.bucket)
            .key(self.url.key(rel))
            .send()
            .await
            .map_err(|e| format!("{}: {}", self.name_of(rel), s3_error(e)))
    }
}

impl Store for S3Store {
    fn name_of(&self, rel: &str) -> String {
        if rel.is_empty() {
            self.url.to_string()
        } else {
            format!("s3://{}/{}", self.url.bucket, self.url.key(rel))
        }
    }

    fn read(&self, rel: &str) -> Result<Vec<u8>, String> {
        block_on(&self.handle, async {
            let out = self.get(rel).await?;
            out.body
                .collect()
                .await
                .map(|b| b.to_vec())
                .map_err(|e| format!("{}: {e}", self.name_of(rel)))
        })
    }

    fn open(&self, rel: &str) -> Result<Box<dyn Read + Send>, String> {
        let out = block_on(&self.handle, self.get(rel))?;
        Ok(Box::new(BodyReader {
            name: self.name_of(rel),
            body: out.body,
            chunk: bytes::Bytes::new(),
            handle: self.handle.clone(),
        }))
    }

    fn missing_hint(&self) -> &'static str {
        "is the export complete in S3?"
    }
}

/// GetObject's body as a `Read`: one chunk in memory at a time.
struct BodyReader {
    name: String,
    body: aws_sdk_s3::primitives::ByteStream,
    chunk: bytes::Bytes,
    handle: tokio::runtime::Handle,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while !self.chunk.has_remaining() {
            match block_on(&self.handle, self.body.try_next()) {
                Ok(Some(c)) => self.chunk = c,
                Ok(None) => return Ok(0),
                Err(e) => {
                    return Err(std::io::Error::other(format!("{}: {e}", self.name)));
                }
            }
        }
        let n = buf.len().min(self.chunk.remaining());
        self.chunk.copy_to_slice(&mut buf[..n]);
        Ok(n)
    }
}

/// True when the object `key` exists in `bucket`.
async fn exists(client: &Client, bucket: &str, key: &str) -> Result<bool, String> {
    match client.head_object().bucket(bucket).key(key).send().await {
        Ok(_) => Ok(true),
        Err(aws_sdk_s3::error::SdkError::ServiceError(se)) if se.raw().status().as_u16() == 404 => {
            Ok(false)
        }
        Err(e) => Err(format!("s3://{bucket}/{key}: {}", s3_error(e))),
    }
}

/// The export folder at or under `url`: `url` itself when it holds
/// `manifest-summary.json`, else the one `AWSDynamoDB/<id>/` folder under
/// it (where ExportTableToPointInTime writes under its prefix). None when
/// there is no export there. Lists the folders under `AWSDynamoDB/`, not
/// their data files.
pub async fn find_export(client: &Client, url: &S3Url) -> Result<Option<S3Url>, String> {
    if exists(client, &url.bucket, &url.key(SUMMARY)).await? {
        return Ok(Some(url.clone()));
    }
    let root = url.key("AWSDynamoDB/");
    let mut ids = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let out = client
            .list_objects_v2()
            .bucket(&url.bucket)
            .prefix(&root)
            .delimiter("/")
            .set_continuation_token(next.take())
            .send()
            .await
            .map_err(|e| format!("{url}: {}", s3_error(e)))?;
        ids.extend(
            out.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix())
                .filter_map(|p| p.strip_prefix(&root))
                .map(|id| id.trim_end_matches('/').to_string())
                .filter(|id| !id.is_empty()),
        );
        match out.next_continuation_token() {
            Some(t) if out.is_truncated() == Some(true) => next = Some(t.to_string()),
            _ => break,
        }
    }
    let mut found = Vec::new();
    for id in ids {
        if exists(client, &url.bucket, &format!("{root}{id}/{SUMMARY}")).await? {
            found.push(id);
        }
    }
    found.sort();
    let folder = |id: &str| S3Url {
        bucket: url.bucket.clone(),
        prefix: format!("{root}{id}"),
    };
    match found.len() {
        0 => Ok(None),
        1 => Ok(Some(folder(&found[0]))),
        n => Err(format!(
            "{url} holds {n} exports ({}); name one of their folders (s3://{}/{root}ID)",
            found.join(", "),
            url.bucket
        )),
    }
}

/// The object named by `url` (its whole key is the prefix): its size and
/// ETag, or None when there is no such object.
pub async fn object_at(client: &Client, url: &S3Url) -> Result<Option<(i64, String)>, String> {
    if url.prefix.is_empty() {
        return Ok(None);
    }
    match client
        .head_object()
        .bucket(&url.bucket)
        .key(&url.prefix)
        .send()
        .await
    {
        Ok(h) => Ok(Some((
            h.content_length().unwrap_or(0),
            h.e_tag().unwrap_or_default().trim_matches('"').to_string(),
        ))),
        Err(aws_sdk_s3::error::SdkError::ServiceError(se)) if se.raw().status().as_u16() == 404 => {
            Ok(None)
        }
        Err(e) => Err(format!("{url}: {}", s3_error(e))),
    }
}

/// Copies the object at `url` into the file `dest` as a stream (a chunk
/// at a time; written as `dest.partial` and renamed when whole). Returns
/// the bytes written.
pub async fn download(client: &Client, url: &S3Url, dest: &std::path::Path) -> Result<u64, String> {
    use tokio::io::AsyncWriteExt;
    let out = client
        .get_object()
        .bucket(&url.bucket)
        .key(&url.prefix)
        .send()
        .await
        .map_err(|e| format!("{url}: {}", s3_error(e)))?;
    let partial = dest.with_extension("partial");
    let mut f = tokio::fs::File::create(&partial)
        .await
        .map_err(|e| format!("{}: {e}", partial.display()))?;
    let mut body = out.body;
    let mut n = 0u64;
    while let Some(chunk) = body.try_next().await.map_err(|e| format!("{url}: {e}"))? {
        f.write_all(&chunk)
            .await
            .map_err(|e| format!("{}: {e}", partial.display()))?;
        n += chunk.len() as u64;
    }
    f.flush()
        .await
        .map_err(|e| format!("{}: {e}", partial.display()))?;
    drop(f);
    tokio::fs::rename(&partial, dest)
        .await
        .map_err(|e| format!("{}: {e}", dest.display()))?;
    Ok(n)
}
