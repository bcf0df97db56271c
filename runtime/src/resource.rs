//! The resource: who is producing the telemetry.

use crate::record::{KeyValue, Value};

/// The entity producing telemetry: `service.name` and other attributes,
/// as [`Builder::service_name`](crate::Builder::service_name) and
/// [`Builder::resource_attribute`](crate::Builder::resource_attribute) set
/// them, plus the `telemetry.sdk.*` attributes. Exporters send it with every
/// batch; the debug pages show it.
///
/// ```
/// let lantern = lantern::builder().service_name("checkout").try_init_local();
/// let resource = lantern.handle().resource();
/// assert_eq!(resource.service_name(), "checkout");
/// assert_eq!(resource.attribute("telemetry.sdk.name").and_then(|v| v.as_str()), Some("lantern"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    attributes: Vec<KeyValue>,
}

impl Resource {
    pub(crate) fn new(service_name: String, extra: Vec<KeyValue>) -> Resource {
        let mut attributes = vec![
            KeyValue::new("service.name", service_name),
            KeyValue::new("telemetry.sdk.name", "lantern"),
            KeyValue::new("telemetry.sdk.language", "rust"),
            KeyValue::new("telemetry.sdk.version", env!("CARGO_PKG_VERSION")),
            KeyValue::new("service.instance.id", instance_id()),
            KeyValue::new("process.pid", i64::from(std::process::id())),
            KeyValue::new("process.runtime.name", "rust"),
        ];
        if let Some(host) = host_name() {
            attributes.push(KeyValue::new("host.name", host));
        }
        if let Some(exe) =
            std::env::current_exe().ok().and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
        {
            attributes.push(KeyValue::new("process.executable.name", exe));
        }
        for kv in extra {
            attributes.retain(|a| a.key != kv.key);
            attributes.push(kv);
        }
        Resource { attributes }
    }

    /// The executable's file name, the default service name.
    pub(crate) fn default_service_name() -> String {
        std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "unknown_service".into())
    }

    /// The `service.name` attribute.
    ///
    /// ```
    /// let handle = lantern::layer().handle();
    /// assert!(!handle.resource().service_name().is_empty());
    /// ```
    pub fn service_name(&self) -> &str {
        self.attribute("service.name").and_then(Value::as_str).unwrap_or("unknown_service")
    }

    /// The value of one attribute.
    ///
    /// ```
    /// let handle = lantern::layer().handle();
    /// assert!(handle.resource().attribute("telemetry.sdk.language").is_some());
    /// ```
    pub fn attribute(&self, key: &str) -> Option<&Value> {
        crate::record::attribute(&self.attributes, key)
    }

    /// Every attribute.
    ///
    /// ```
    /// let handle = lantern::layer().handle();
    /// assert!(handle.resource().attributes().len() >= 4);
    /// ```
    pub fn attributes(&self) -> &[KeyValue] {
        &self.attributes
    }
}

/// A random id for this process, the same for every resource it makes.
fn instance_id() -> String {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| crate::ids::TraceId::random().to_string()).clone()
}

fn host_name() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
}

impl Default for Resource {
    fn default() -> Self {
        Resource::new(Resource::default_service_name(), Vec::new())
    }
}
