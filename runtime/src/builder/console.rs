//! The builder's console settings (see [`crate::fmt`]).

use std::io::Write;

use super::{Builder, Guard};
use crate::fmt::ConsoleFormat;

impl Builder {
    /// What the console shows (default: `LANTERN_LOG_FORMAT`, else
    /// [`ConsoleFormat::Pretty`] for [`Builder::init`] and
    /// [`Builder::try_init`], and [`ConsoleFormat::Off`] for
    /// [`Builder::try_init_local`], whatever the environment says). See
    /// [`crate::fmt`].
    ///
    /// ```no_run
    /// use lantern::fmt::ConsoleFormat;
    /// let _lantern = lantern::builder().console(ConsoleFormat::Json).init();
    /// tracing::info_span!("checkout").in_scope(|| tracing::info!(items = 3, "paid"));
    /// ```
    pub fn console(mut self, format: ConsoleFormat) -> Self {
        self.console.format = Some(format);
        self
    }

    /// Which events the console prints, as `RUST_LOG` would say it (an
    /// `EnvFilter`: `info`, `warn,checkout=debug`, ...); default `RUST_LOG`,
    /// else `info`. It filters the console only, not what Lantern records.
    /// Directives that do not parse are reported on stderr and left out.
    ///
    /// ```
    /// use lantern::fmt::ConsoleFormat;
    /// let lantern = lantern::builder().console(ConsoleFormat::Pretty).console_filter("warn").try_init_local();
    /// tracing::info!("recorded, not printed");
    /// assert_eq!(lantern.buffer().snapshot().logs(&Default::default()).len(), 1);
    /// ```
    pub fn console_filter(mut self, directives: impl Into<String>) -> Self {
        self.console.filter = Some(directives.into());
        self
    }

    /// Where the console's lines go (default: stderr), for a file, a pipe or
    /// a test. It is moved to the writer thread `lantern-console` and
    /// written to there; when it is slow or stuck, lines are dropped and
    /// counted ([`Guard::console_dropped_lines`]), the application never
    /// waits. No colours when it is set.
    ///
    /// ```
    /// use lantern::fmt::ConsoleFormat;
    /// let file = std::fs::File::create(std::env::temp_dir().join("lantern-doc-console.log")).unwrap();
    /// let lantern = lantern::builder().console(ConsoleFormat::Json).console_writer(file).try_init_local();
    /// tracing::info!("to the file");
    /// drop(lantern); // flushes the queue
    /// ```
    pub fn console_writer(mut self, writer: impl Write + Send + 'static) -> Self {
        self.console.writer = Some(Box::new(writer));
        self
    }

    /// How many lines the console's queue holds before it drops them
    /// (default 16 384; at least 1).
    ///
    /// ```
    /// let builder = lantern::builder().console_queue_lines(1024);
    /// # drop(builder);
    /// ```
    pub fn console_queue_lines(mut self, lines: usize) -> Self {
        self.console.queue_lines = Some(lines);
        self
    }
}

impl Guard {
    /// Console lines dropped so far because the writer's queue was full (a
    /// slow or stuck terminal); `None` when the console is off. Also the
    /// metric `lantern.console.dropped`.
    ///
    /// ```
    /// use lantern::fmt::ConsoleFormat;
    /// let lantern = lantern::builder().console(ConsoleFormat::Pretty).console_writer(std::io::sink()).try_init_local();
    /// tracing::info!("hello");
    /// assert_eq!(lantern.console_dropped_lines(), Some(0));
    /// assert_eq!(lantern::builder().try_init_local().console_dropped_lines(), None);
    /// ```
    pub fn console_dropped_lines(&self) -> Option<u64> {
        self.console.as_ref().map(|running| running.dropped_lines())
    }
}
