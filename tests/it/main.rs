//! convmock's integration tests: real HTTP against a server on port 0, and the real binary.

mod auth;
mod cli;
mod cors;
mod documented;
mod errors;
mod operations;
mod pagination;
mod support;
