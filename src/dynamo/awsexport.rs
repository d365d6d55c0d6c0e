//! AWS's own export layout (ExportTableToPointInTime, DynamoDB JSON),
//! read from a local folder or an S3 prefix (one code path over a
//! [`Store`]: list and open a file): `manifest-summary.json`, `manifest-files.json`
//! (one line per data file: its key, item count and MD5) and
//! `data/*.json.gz`, whose lines are `{"Item": {...DynamoDB JSON...}}`.
//!
//! Before anything is imported, every data file is checked against the
//! manifest: it exists, its MD5 matches, it holds the item count the
//! manifest gives, and the counts add up to the summary's. A mismatch is
//! refused, naming the file.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use md5::{Digest, Md5};
use serde_json::Value;

use super::Item;
use super::value;

/// The summary's name in an export folder.
pub const SUMMARY: &str = "manifest-summary.json";
/// The data files' list in an export folder.
pub const FILES: &str = "manifest-files.json";

/// Where an export folder's files are: a local folder, or an S3 prefix.
/// Files are named relative to the folder (`manifest-summary.json`,
/// `data/NAME.json.gz`).
pub trait Store: Send + Sync + std::fmt::Debug {
    /// The file's name for messages (a path, or an s3:// URL).
    fn name_of(&self, rel: &str) -> String;
    /// The whole of a small file (the manifests).
    fn read(&self, rel: &str) -> Result<Vec<u8>, String>;
    /// A file as a stream (the data files): memory stays flat.
    fn open(&self, rel: &str) -> Result<Box<dyn Read + Send>, String>;
    /// What to check when a listed file is missing.
    fn missing_hint(&self) -> &'static str;
}

/// A local export folder.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalStore(pub PathBuf);

impl Store for LocalStore {
    fn name_of(&self, rel: &str) -> String {
        self.0.join(rel).display().to_string()
    }

    fn read(&self, rel: &str) -> Result<Vec<u8>, String> {
        std::fs::read(self.0.join(rel)).map_err(|e| format!("{}: {e}", self.name_of(rel)))
    }

    fn open(&self, rel: &str) -> Result<Box<dyn Read + Send>, String> {
        std::fs::File::open(self.0.join(rel))
            .map(|f| Box::new(f) as Box<dyn Read + Send>)
            .map_err(|e| format!("{}: {e}", self.name_of(rel)))
    }

    fn missing_hint(&self) -> &'static str {
        "was the export downloaded whole?"
    }
}

/// One data file of an export, as the manifest lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct DataFile {
    /// Its name in the export folder: `data/NAME.json.gz`.
    pub name: String,
    pub item_count: u64,
    /// Base64 MD5 of the (gzip) file.
    pub md5: String,
}

/// An AWS export folder, its manifest read.
#[derive(Debug, Clone)]
pub struct AwsExport {
    pub store: Arc<dyn Store>,
    pub export_arn: String,
    pub table_arn: String,
    pub export_time: String,
    pub item_count: u64,
    pub files: Vec<DataFile>,
    /// A hash of both manifests: the same export, file for file.
    pub manifest_hash: String,
}

impl PartialEq for AwsExport {
    fn eq(&self, other: &AwsExport) -> bool {
        self.store.name_of("") == other.store.name_of("")
            && self.manifest_hash == other.manifest_hash
    }
}

/// The export folder under `path`: `path` itself when it holds
/// `manifest-summary.json`, else the one `AWSDynamoDB/<id>/` folder under it
/// (an S3 prefix as downloaded). None when `path` is not an export.
pub fn find(path: &Path) -> Result<Option<PathBuf>, String> {
    if !path.is_dir() {
        return Ok(None);
    }
    if path.join(SUMMARY).is_file() {
        return Ok(Some(path.to_path_buf()));
    }
    let root = path.join("AWSDynamoDB");
    if !root.is_dir() {
        return Ok(None);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(&root)
        .map_err(|e| format!("{}: {e}", root.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join(SUMMARY).is_file())
        .collect();
    found.sort();
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(format!(
            "{} holds {} exports ({}); name one of their folders",
            path.display(),
            found.len(),
            found
                .iter()
                .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn field<'a>(v: &'a Value, file: &str, name: &str) -> Result<&'a Value, String> {
    v.get(name).ok_or_else(|| format!("{file}: no `{name}`"))
}

impl AwsExport {
    /// Reads the manifest of the export folder `dir`.
    pub fn open(dir: &Path) -> Result<AwsExport, String> {
        AwsExport::open_in(Arc::new(LocalStore(dir.to_path_buf())))
    }

    /// Reads the manifest of the export folder in `store`.
    pub fn open_in(store: Arc<dyn Store>) -> Result<AwsExport, String> {
        let summary_path = store.name_of(SUMMARY);
        let summary_bytes = store.read(SUMMARY)?;
        let summary: Value = serde_json::from_slice(&summary_bytes)
            .map_err(|e| format!("{summary_path}: not JSON: {e}"))?;
        let format = summary
            .get("outputFormat")
            .and_then(Value::as_str)
            .unwrap_or("DYNAMODB_JSON");
        if format != "DYNAMODB_JSON" {
            return Err(format!(
                "{summary_path}: the export is in {format}; only DYNAMODB_JSON exports are read (export again with --export-format DYNAMODB_JSON)"
            ));
        }
        if summary.get("exportType").and_then(Value::as_str) == Some("INCREMENTAL_EXPORT") {
            return Err(format!(
                "{summary_path}: an incremental export holds changes (old and new images), not a table's items; import a full export"
            ));
        }
        let item_count = field(&summary, &summary_path, "itemCount")?
            .as_u64()
            .ok_or_else(|| format!("{summary_path}: `itemCount` is not a count"))?;
        let text_of = |name: &str| {
            summary
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let files_path = store.name_of(FILES);
        let list_bytes = store.read(FILES)?;
        let list = String::from_utf8_lossy(&list_bytes);
        let mut files = Vec::new();
        for (i, line) in list.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let at = format!("{files_path}:{}", i + 1);
            let v: Value =
                serde_json::from_str(line).map_err(|e| format!("{at}: not JSON: {e}"))?;
            let key = v
                .get("dataFileS3Key")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{at}: no `dataFileS3Key`"))?;
            let name = key
                .rsplit('/')
                .next()
                .filter(|n| !n.is_empty())
                .ok_or_else(|| format!("{at}: `{key}` names no file"))?;
            files.push(DataFile {
                name: format!("data/{name}"),
                item_count: v
                    .get("itemCount")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| format!("{at}: no `itemCount`"))?,
                md5: v
                    .get("md5Checksum")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("{at}: no `md5Checksum`"))?
                    .to_string(),
            });
        }
        let mut h = super::hash::Fnv64::new();
        h.write(&summary_bytes);
        h.write(&list_bytes);
        Ok(AwsExport {
            store,
            export_arn: text_of("exportArn"),
            table_arn: text_of("tableArn"),
            export_time: text_of("exportTime"),
            item_count,
            files,
            manifest_hash: h.hex(),
        })
    }

    /// Where the export is, for messages.
    pub fn location(&self) -> String {
        self.store.name_of("")
    }

    /// Checks every data file against the manifest (present, MD5, item
    /// count, the total) and returns the number of items.
    pub fn verify(&self) -> Result<u64, String> {
        let listed: u64 = self.files.iter().map(|f| f.item_count).sum();
        if listed != self.item_count {
            return Err(format!(
                "{}: the data files list {listed} items but {SUMMARY} says {}; the export is incomplete or its manifests do not belong together",
                self.store.name_of(FILES),
                self.item_count
            ));
        }
        for f in &self.files {
            let name = self.store.name_of(&f.name);
            let stream = self
                .store
                .open(&f.name)
                .map_err(|e| format!("{e} (listed in {FILES}; {})", self.store.missing_hint()))?;
            // One pass: the MD5 of the gzip bytes as they are decoded.
            let mut md5 = Md5::new();
            let mut n = 0u64;
            let mut lines = DataLines::new(
                name.clone(),
                Hashing {
                    inner: stream,
                    md5: &mut md5,
                },
            );
            let mut bad = None;
            for r in lines.by_ref() {
                if let Err(e) = r {
                    bad = Some(e);
                    break;
                }
                n += 1;
            }
            let mut rest = lines.into_inner();
            std::io::copy(&mut rest, &mut std::io::sink()).map_err(|e| format!("{name}: {e}"))?;
            drop(rest);
            let sum = base64::engine::general_purpose::STANDARD.encode(md5.finalize());
            if sum != f.md5 {
                return Err(format!(
                    "{name}: its MD5 is {sum} but {FILES} says {}; the file is damaged or from another export",
                    f.md5
                ));
            }
            if let Some(e) = bad {
                return Err(e);
            }
            if n != f.item_count {
                return Err(format!(
                    "{name}: holds {n} items but {FILES} says {}",
                    f.item_count
                ));
            }
        }
        Ok(self.item_count)
    }

    /// Every item of the export, file by file, with where it is
    /// (`data/NAME.json.gz:LINE`). Memory stays flat: each file is read as
    /// a gzip stream.
    pub fn items(&self) -> impl Iterator<Item = Result<(String, Item), String>> + Send + use<> {
        let store = self.store.clone();
        self.files.clone().into_iter().flat_map(move |f| {
            let name = store.name_of(&f.name);
            let lines: Box<dyn Iterator<Item = Result<(String, Item), String>> + Send> =
                match store.open(&f.name) {
                    Ok(stream) => Box::new(DataLines::new(name, stream)),
                    Err(e) => Box::new(std::iter::once(Err(e))),
                };
            lines
        })
    }
}

/// The items of one gzip data file (`name` for messages), as a stream.
pub fn data_file_items<R: Read>(
    name: String,
    r: R,
) -> impl Iterator<Item = Result<(String, Item), String>> {
    DataLines::new(name, r)
}

/// A reader that adds what passes through it to an MD5.
struct Hashing<'a, R: Read> {
    inner: R,
    md5: &'a mut Md5,
}

impl<R: Read> Read for Hashing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.md5.update(&buf[..n]);
        Ok(n)
    }
}

/// The items of one gzip data file.
struct DataLines<R: Read> {
    name: String,
    reader: BufReader<flate2::read::MultiGzDecoder<R>>,
    line: usize,
    done: bool,
}

impl<R: Read> DataLines<R> {
    fn new(name: String, r: R) -> DataLines<R> {
        DataLines {
            name,
            reader: BufReader::new(flate2::read::MultiGzDecoder::new(r)),
            line: 0,
            done: false,
        }
    }

    /// The raw stream, for what the decoder left unread.
    fn into_inner(self) -> R {
        self.reader.into_inner().into_inner()
    }
}

impl<R: Read> Iterator for DataLines<R> {
    type Item = Result<(String, Item), String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut buf = String::new();
        loop {
            buf.clear();
            self.line += 1;
            match self.reader.read_line(&mut buf) {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(_) if buf.trim().is_empty() => continue,
                Ok(_) => break,
                Err(e) => {
                    self.done = true;
                    return Some(Err(format!("{}: {e}", self.name)));
                }
            }
        }
        let at = format!("{}:{}", self.name, self.line);
        let parsed = serde_json::from_str::<Value>(&buf)
            .map_err(|e| format!("{at}: not JSON: {e}"))
            .and_then(|v| {
                let inner = v.get("Item").ok_or_else(|| {
                    format!("{at}: no `Item` (an export line is {{\"Item\": {{...}}}})")
                })?;
                value::item_from_dynamo(inner).map_err(|e| format!("{at}: {e}"))
            });
        Some(parsed.map(|item| (at, item)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(lines: &[&str]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        for l in lines {
            writeln!(e, "{l}").unwrap();
        }
        e.finish().unwrap()
    }

    fn export(dir: &Path, files: &[(&str, &[&str])], summary_count: u64) {
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let mut list = String::new();
        for (name, lines) in files {
            let bytes = gz(lines);
            std::fs::write(dir.join("data").join(name), &bytes).unwrap();
            let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(&bytes));
            list += &format!(
                "{{\"itemCount\":{},\"md5Checksum\":\"{md5}\",\"etag\":\"x-1\",\"dataFileS3Key\":\"p/AWSDynamoDB/01/data/{name}\"}}\n",
                lines.len()
            );
        }
        std::fs::write(dir.join(FILES), list).unwrap();
        std::fs::write(
            dir.join(SUMMARY),
            format!("{{\"version\":\"2020-06-30\",\"exportArn\":\"arn:aws:dynamodb:us-east-1:1:table/T/export/01\",\"tableArn\":\"arn:aws:dynamodb:us-east-1:1:table/T\",\"exportTime\":\"2026-12-01T00:00:00Z\",\"itemCount\":{summary_count},\"outputFormat\":\"DYNAMODB_JSON\",\"manifestFilesS3Key\":\"p/AWSDynamoDB/01/manifest-files.json\"}}"),
        )
        .unwrap();
    }

    const A: &str =
        r#"{"Item":{"PK":{"S":"A"},"n":{"N":"1.50"},"b":{"B":"AAE="},"ss":{"SS":["x","y"]}}}"#;
    const B: &str =
        r#"{"Item":{"PK":{"S":"B"},"m":{"M":{"l":{"L":[{"NULL":true},{"BOOL":false}]}}}}}"#;

    #[test]
    fn an_export_folder_reads_every_item_exactly() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("AWSDynamoDB/01");
        export(&dir, &[("one.json.gz", &[A]), ("two.json.gz", &[B])], 2);
        // Found from the downloaded prefix, or named directly.
        assert_eq!(find(t.path()).unwrap(), Some(dir.clone()));
        assert_eq!(find(&dir).unwrap(), Some(dir.clone()));
        let e = AwsExport::open(&dir).unwrap();
        assert_eq!(e.verify(), Ok(2));
        let items: Vec<Item> = e.items().map(|r| r.unwrap().1).collect();
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[0].get("n"),
            Some(&crate::dynamo::AttributeValue::N("1.50".into())),
            "numbers keep their text"
        );
        assert_eq!(
            items[0].get("b"),
            Some(&crate::dynamo::AttributeValue::B(vec![0u8, 1].into()))
        );
    }

    #[test]
    fn a_count_that_does_not_match_is_refused_naming_the_file() {
        let t = tempfile::tempdir().unwrap();
        export(t.path(), &[("one.json.gz", &[A, B])], 3);
        let e = AwsExport::open(t.path()).unwrap().verify().unwrap_err();
        assert!(
            e.contains("manifest-files.json") && e.contains("says 3"),
            "{e}"
        );

        // A data file holding fewer items than its manifest line says.
        let t = tempfile::tempdir().unwrap();
        export(t.path(), &[("one.json.gz", &[A, B])], 2);
        let list = std::fs::read_to_string(t.path().join(FILES)).unwrap();
        std::fs::write(
            t.path().join(FILES),
            list.replace("\"itemCount\":2", "\"itemCount\":3"),
        )
        .unwrap();
        let summary = std::fs::read_to_string(t.path().join(SUMMARY)).unwrap();
        std::fs::write(
            t.path().join(SUMMARY),
            summary.replace("\"itemCount\":2", "\"itemCount\":3"),
        )
        .unwrap();
        let e = AwsExport::open(t.path()).unwrap().verify().unwrap_err();
        assert!(e.contains("one.json.gz: holds 2 items but"), "{e}");
    }

    #[test]
    fn a_damaged_or_missing_data_file_is_refused() {
        let t = tempfile::tempdir().unwrap();
        export(t.path(), &[("one.json.gz", &[A])], 1);
        std::fs::write(t.path().join("data/one.json.gz"), gz(&[B])).unwrap();
        let e = AwsExport::open(t.path()).unwrap().verify().unwrap_err();
        assert!(e.contains("one.json.gz: its MD5 is"), "{e}");
        std::fs::remove_file(t.path().join("data/one.json.gz")).unwrap();
        let e = AwsExport::open(t.path()).unwrap().verify().unwrap_err();
        assert!(e.contains("was the export downloaded whole"), "{e}");
    }

    #[test]
    fn ion_and_incremental_exports_are_refused_with_why() {
        let t = tempfile::tempdir().unwrap();
        export(t.path(), &[("one.json.gz", &[A])], 1);
        let s = std::fs::read_to_string(t.path().join(SUMMARY)).unwrap();
        std::fs::write(t.path().join(SUMMARY), s.replace("DYNAMODB_JSON", "ION")).unwrap();
        let e = AwsExport::open(t.path()).unwrap_err();
        assert!(e.contains("only DYNAMODB_JSON"), "{e}");
        std::fs::write(
            t.path().join(SUMMARY),
            s.replace(
                "\"outputFormat\"",
                "\"exportType\":\"INCREMENTAL_EXPORT\",\"outputFormat\"",
            ),
        )
        .unwrap();
        let e = AwsExport::open(t.path()).unwrap_err();
        assert!(e.contains("incremental"), "{e}");
    }
}
