//! W3C Baggage header: percent-encoding, properties, combining, limits.

use lantern::Baggage;
use lantern::propagation::{Extractor, format_baggage, parse_baggage};

#[test]
fn values_are_percent_decoded_and_encoded_on_the_way_out() {
    let b = parse_baggage(["userId=alice%20smith, serverNode=DF%2028,isProduction=false"]);
    assert_eq!(b.get("userId"), Some("alice smith"));
    assert_eq!(b.get("serverNode"), Some("DF 28"));
    let mut own = Baggage::default();
    own.insert("quote", "a \"b\", c;d %e").unwrap();
    let header = format_baggage(&own);
    assert!(!header.contains(' ') && !header.contains('"') && !header.contains(';'));
    assert_eq!(parse_baggage([header.as_str()]).get("quote"), Some("a \"b\", c;d %e"), "round trip");
}

#[test]
fn properties_are_kept() {
    let b = parse_baggage(["key1=value1;property1;property2=v2, key2 = value2 ; p"]);
    assert_eq!(b.entry("key1").unwrap().properties(), Some("property1;property2=v2"));
    assert_eq!(b.get("key2"), Some("value2"));
    assert_eq!(b.entry("key2").unwrap().properties(), Some("p"));
    assert_eq!(format_baggage(&b), "key1=value1;property1;property2=v2,key2=value2;p");
}

#[test]
fn several_headers_combine_and_later_members_win() {
    let mut h = http::HeaderMap::new();
    h.append("baggage", "a=1,b=2".parse().unwrap());
    h.append("baggage", "b=3".parse().unwrap());
    assert_eq!(h.get_all("baggage").iter().count(), 2);
    let cx = lantern::propagation::extract(&h);
    assert_eq!((cx.baggage().get("a"), cx.baggage().get("b")), (Some("1"), Some("3")));
}

#[test]
fn invalid_members_are_skipped_and_counted() {
    let before = lantern::propagation::rejected().baggage_member_invalid;
    let b = parse_baggage(["good=1, bad key=2, noequals, =empty, ok=%E2%82%AC, worse=\"q\""]);
    assert_eq!(b.iter().map(|e| e.key()).collect::<Vec<_>>(), ["good", "ok"]);
    assert_eq!(b.get("ok"), Some("€"));
    assert!(lantern::propagation::rejected().baggage_member_invalid >= before + 4);
}

#[test]
fn limits_drop_excess_members_on_extract() {
    let before = lantern::propagation::rejected().baggage_over_limit;
    let many = (0..70).map(|i| format!("k{i}=v")).collect::<Vec<_>>().join(",");
    let b = parse_baggage([many.as_str()]);
    assert_eq!(b.len(), 64);
    let big = format!("a={},b={}", "x".repeat(5000), "y".repeat(5000));
    let b = parse_baggage([big.as_str()]);
    assert_eq!(b.len(), 1, "the member that would pass 8192 bytes is dropped");
    assert!(lantern::propagation::rejected().baggage_over_limit >= before + 7);
}

#[test]
fn carriers_inject_and_extract_the_same_context() {
    let mut h = http::HeaderMap::new();
    h.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
    h.insert("tracestate", "v=1".parse().unwrap());
    h.insert("baggage", "customer=ann%20b".parse().unwrap());
    let cx = lantern::propagation::extract(&h);

    let mut map = std::collections::HashMap::new();
    lantern::propagation::inject(&cx, &mut map);
    let mut kafka: Vec<(String, Vec<u8>)> = vec![("traceparent".into(), b"stale".to_vec())];
    lantern::propagation::inject(&cx, &mut kafka);
    assert_eq!(kafka.iter().filter(|(k, _)| k == "traceparent").count(), 1, "replaced, not added");
    let mut headers = http::HeaderMap::new();
    lantern::propagation::inject(&cx, &mut headers);

    for back in [
        lantern::propagation::extract(&map),
        lantern::propagation::extract(&kafka),
        lantern::propagation::extract(&headers),
    ] {
        assert_eq!(back, cx);
    }
    // Non-UTF-8 byte headers are ignored, not a panic.
    let broken: Vec<(String, Vec<u8>)> = vec![("baggage".into(), vec![0xff, 0xfe])];
    assert!(broken.get_all("baggage").is_empty());
}
