//! The error of the lower-level `traceparent` parser.

use std::fmt;

/// Why a `traceparent` header value was refused.
///
/// Opaque on purpose: match on success or failure, and read the reason in
/// its [`Display`](fmt::Display) text.
///
/// ```
/// let err = lantern::propagation::parse_traceparent("garbage").unwrap_err();
/// assert_eq!(err.to_string(), "invalid traceparent: shorter than 55 characters");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropagationError {
    kind: ErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    NotAscii,
    TooShort,
    Version,
    VersionFf,
    Version00Length,
    FutureVersionSeparator,
    Separator,
    TraceId,
    ZeroTraceId,
    ParentId,
    ZeroParentId,
    Flags,
}

impl PropagationError {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        PropagationError { kind }
    }
}

impl fmt::Display for PropagationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid traceparent: ")?;
        f.write_str(match self.kind {
            ErrorKind::NotAscii => "not ASCII",
            ErrorKind::TooShort => "shorter than 55 characters",
            ErrorKind::Version => "version is not 2 lower-case hex digits",
            ErrorKind::VersionFf => "version ff is invalid",
            ErrorKind::Version00Length => "version 00 must be exactly 55 characters",
            ErrorKind::FutureVersionSeparator => "a longer value must continue with '-' after the flags",
            ErrorKind::Separator => "fields must be separated by '-'",
            ErrorKind::TraceId => "trace id is not 32 lower-case hex digits",
            ErrorKind::ZeroTraceId => "trace id is all zeros",
            ErrorKind::ParentId => "parent id is not 16 lower-case hex digits",
            ErrorKind::ZeroParentId => "parent id is all zeros",
            ErrorKind::Flags => "flags are not 2 lower-case hex digits",
        })
    }
}

impl std::error::Error for PropagationError {}
