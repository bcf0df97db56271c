//! No header input makes extraction panic.

use proptest::prelude::*;

proptest! {
    #[test]
    fn arbitrary_text_headers_never_panic(tp in ".{0,80}", ts in ".{0,300}", bg in ".{0,300}") {
        let map: std::collections::HashMap<String, String> =
            [("traceparent", tp), ("tracestate", ts), ("baggage", bg)].into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let cx = lantern::propagation::extract(&map);
        let mut out = http::HeaderMap::new();
        lantern::propagation::inject(&cx, &mut out);
        // What we inject is always valid again.
        prop_assert_eq!(lantern::propagation::extract(&out), cx);
    }

    #[test]
    fn arbitrary_bytes_headers_never_panic(tp in proptest::collection::vec(any::<u8>(), 0..80),
                                           bg in proptest::collection::vec(any::<u8>(), 0..300)) {
        let headers: Vec<(String, Vec<u8>)> = vec![("traceparent".into(), tp), ("baggage".into(), bg)];
        let _ = lantern::propagation::extract(&headers);
    }

    #[test]
    fn near_valid_traceparents_never_panic(version in "[0-9a-f]{2}", trace in "[0-9a-fA-F]{30,34}",
                                           parent in "[0-9a-f]{14,18}", flags in "[0-9a-z]{1,3}", rest in ".{0,10}") {
        let _ = lantern::propagation::parse_traceparent(&format!("{version}-{trace}-{parent}-{flags}{rest}"));
    }
}
