//! [`InitError`]: why Lantern could not be installed.

/// Why Lantern could not be installed (usually: a global subscriber exists).
///
/// ```
/// let _first = lantern::builder().http_addr(None).try_init().unwrap();
/// let err = lantern::builder().http_addr(None).try_init().unwrap_err();
/// assert!(err.is_global_subscriber_set());
/// assert!(std::error::Error::source(&err).is_some());
/// ```
#[derive(Debug)]
pub struct InitError {
    kind: InitErrorKind,
}

#[derive(Debug)]
enum InitErrorKind {
    /// `tracing`'s global default was already set.
    GlobalSubscriber(tracing_subscriber::util::TryInitError),
    /// Tail policies were set with `RecordingMode::SampledOnly`.
    TailNeedsRecording,
}

impl InitError {
    pub(crate) fn global_subscriber(source: tracing_subscriber::util::TryInitError) -> InitError {
        InitError { kind: InitErrorKind::GlobalSubscriber(source) }
    }

    pub(crate) fn tail_needs_recording() -> InitError {
        InitError { kind: InitErrorKind::TailNeedsRecording }
    }

    /// Whether another global subscriber was installed first.
    ///
    /// ```
    /// let _first = lantern::builder().http_addr(None).try_init().unwrap();
    /// assert!(lantern::builder().http_addr(None).try_init().unwrap_err().is_global_subscriber_set());
    /// ```
    pub fn is_global_subscriber_set(&self) -> bool {
        matches!(self.kind, InitErrorKind::GlobalSubscriber(_))
    }

    /// The underlying error's text, for a one-line message.
    pub(crate) fn source_text(&self) -> String {
        std::error::Error::source(self).map(ToString::to_string).unwrap_or_default()
    }
}

impl std::fmt::Display for InitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            InitErrorKind::GlobalSubscriber(_) => f.write_str("could not install Lantern as the global subscriber"),
            InitErrorKind::TailNeedsRecording => f.write_str(
                "tail sampling needs RecordingMode::All: with SampledOnly, the spans of dropped traces are not recorded, so none can be kept",
            ),
        }
    }
}

impl std::error::Error for InitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            InitErrorKind::GlobalSubscriber(e) => Some(e),
            InitErrorKind::TailNeedsRecording => None,
        }
    }
}
