//! DynamoDB data plane. Nothing here knows about ratatui.

use std::collections::HashMap;

pub use aws_sdk_dynamodb::types::AttributeValue;

/// One DynamoDB item, as the SDK returns it.
pub type Item = HashMap<String, AttributeValue>;

pub mod awsexport;
pub mod client;
pub mod compact;
pub mod demo;
pub mod design;
pub mod edit;
pub mod entity;
pub mod error;
pub mod estimate;
pub mod export;
pub mod generate;
pub mod hash;
pub mod itemfile;
pub mod keyshape;
pub mod load;
pub mod meter;
pub mod migrate;
pub mod native;
pub mod pages;
pub mod pattern;
pub mod redact;
pub mod request;
pub mod s3;
pub mod seed;
pub mod seeding;
pub mod size;
pub mod split;
pub mod stream;
pub mod suggest;
pub mod time;
pub mod value;
pub mod write;
