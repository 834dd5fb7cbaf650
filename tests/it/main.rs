//! convmock's integration tests: real HTTP against a server on port 0, and the real binary.

mod admin;
mod auth;
mod chat_documented;
mod cli;
mod concurrency;
mod contacts;
mod cors;
mod dashboard;
mod documented;
mod edge;
mod embedding;
mod errors;
mod events;
mod faults;
mod groups;
mod hostile;
mod limits;
mod linked;
mod messages;
mod openapi;
mod operations;
mod pagination;
mod properties;
mod readme;
mod support;
mod workspaces;
