//! Baggage set on a span reaches its children, spawned tasks and other
//! processes; the W3C limits are enforced with a clear error.

use tracing::Instrument;

#[test]
fn children_inherit_baggage_set_before_they_start() {
    let guard = lantern::builder().try_init_local();
    tracing::info_span!("request").in_scope(|| {
        let early = tracing::info_span!("early");
        lantern::context::set_baggage("customer", "ann").unwrap();
        tracing::info_span!("child").in_scope(|| {
            lantern::context::set_baggage("session", "s-1").unwrap();
            tracing::info_span!("grandchild").in_scope(|| {
                let cx = lantern::context::current();
                assert_eq!(cx.baggage().get("customer"), Some("ann"));
                assert_eq!(cx.baggage().get("session"), Some("s-1"));
            });
        });
        // Set on the child only: not visible to the parent.
        assert_eq!(lantern::context::current().baggage().get("session"), None);
        // A span created before the entry was set does not see it.
        early.in_scope(|| assert_eq!(lantern::context::current().baggage().get("customer"), None));
    });
    drop(guard);
}

#[test]
fn spawned_instrumented_tasks_inherit_baggage() {
    let guard = lantern::builder().try_init_local();
    let dispatch = tracing::dispatcher::get_default(|d| d.clone());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .on_thread_start(move || std::mem::forget(tracing::dispatcher::set_default(&dispatch)))
        .enable_all()
        .build()
        .unwrap();
    let seen = rt.block_on(
        async {
            lantern::context::set_baggage("tenant", "acme").unwrap();
            tokio::spawn(
                async {
                    tokio::task::yield_now().await;
                    lantern::context::current().baggage().get("tenant").map(str::to_owned)
                }
                .instrument(tracing::info_span!("task")),
            )
            .await
            .unwrap()
        }
        .instrument(tracing::info_span!("root")),
    );
    assert_eq!(seen.as_deref(), Some("acme"));
    drop(guard);
}

#[test]
fn baggage_travels_through_headers_to_the_remote_child() {
    let guard = lantern::builder().try_init_local();
    let mut headers = http::HeaderMap::new();
    tracing::info_span!("client").in_scope(|| {
        lantern::context::set_baggage("customer", "zoë & co").unwrap();
        lantern::propagation::inject_current(&mut headers);
    });
    assert!(headers.get("baggage").is_some());
    let server = lantern::propagation::extract(&headers).child_span(|| tracing::info_span!("server"));
    server.in_scope(|| {
        tracing::info_span!("handler").in_scope(|| {
            assert_eq!(lantern::context::current().baggage().get("customer"), Some("zoë & co"));
        })
    });
    drop(guard);
}

#[test]
fn setting_baggage_beyond_the_w3c_limits_is_a_clear_error() {
    let guard = lantern::builder().try_init_local();
    tracing::info_span!("s").in_scope(|| {
        for i in 0..64 {
            lantern::context::set_baggage(&format!("k{i}"), "v").unwrap();
        }
        let err = lantern::context::set_baggage("k64", "v").unwrap_err();
        assert!(err.to_string().contains("64"), "{err}");
        let cx = lantern::context::current();
        assert_eq!(cx.baggage().len(), 64, "the failed set changed nothing");
    });
    tracing::info_span!("big").in_scope(|| {
        let err = lantern::context::set_baggage("blob", &"x".repeat(9000)).unwrap_err();
        assert!(err.to_string().contains("8192"), "{err}");
    });
    let err = lantern::context::set_baggage("k", "v").unwrap_err();
    assert!(err.to_string().contains("no current span") || err.to_string().contains("current span"), "{err}");
    drop(guard);
}

#[test]
fn properties_set_on_a_span_travel_with_the_entry() {
    let guard = lantern::builder().try_init_local();
    let mut headers = http::HeaderMap::new();
    tracing::info_span!("s").in_scope(|| {
        lantern::context::set_baggage_with_properties("tenant", "acme", Some("ttl=30;private")).unwrap();
        assert!(lantern::context::set_baggage_with_properties("t2", "v", Some("bad prop,")).is_err());
        tracing::info_span!("child").in_scope(|| lantern::propagation::inject_current(&mut headers));
    });
    assert_eq!(headers.get("baggage").unwrap(), "tenant=acme;ttl=30;private");
    drop(guard);
}
