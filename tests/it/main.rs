//! convmock's integration tests: real HTTP against a server on port 0, and the real binary.

mod admin;
mod auth;
mod cli;
mod concurrency;
mod cors;
mod documented;
mod edge;
mod embedding;
mod errors;
mod faults;
mod hostile;
mod limits;
mod openapi;
mod operations;
mod pagination;
mod properties;
mod readme;
mod support;
mod workspaces;
