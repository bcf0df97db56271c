//! The W3C Baggage limits, 64 members and 8192 bytes serialised: refused on
//! insert, dropped (and counted) on extract, never exceeded on inject.

mod counters_support;
use counters_support::*;

use lantern::context::Baggage;
use lantern::propagation::{format_baggage, parse_baggage, rejected};

fn full(n: usize) -> Baggage {
    let mut b = Baggage::default();
    for i in 0..n {
        b.insert(&format!("k{i}"), "v").unwrap();
    }
    b
}

#[test]
fn insert_refuses_a_65th_member() {
    let mut b = full(64);
    let before = b.clone();
    let err = b.insert("one-more", "v").unwrap_err();
    assert_eq!(err.to_string(), "baggage would exceed 64 members");
    assert_eq!(b, before, "a refused insert changes nothing");
    // Replacing a member of a full baggage is not a new member.
    b.insert("k0", "new").unwrap();
    assert_eq!((b.len(), b.get("k0")), (64, Some("new")));
    // Removing one makes room again.
    b.remove("k1");
    b.insert("one-more", "v").unwrap();
    assert_eq!(b.len(), 64);
}

#[test]
fn insert_refuses_more_than_8192_bytes() {
    let mut b = Baggage::default();
    b.insert("k", &"x".repeat(8190)).unwrap(); // "k=" + 8190 = 8192
    assert_eq!(format_baggage(&b).len(), 8192);
    let err = b.insert("k", &"x".repeat(8191)).unwrap_err();
    assert_eq!(err.to_string(), "baggage would exceed 8192 bytes");
    assert_eq!(b.get("k").map(str::len), Some(8190), "a refused insert changes nothing");
    assert!(b.insert("j", "").is_err(), "even \"j=\" and its ',' do not fit");
}

#[test]
fn the_byte_limit_counts_separators_properties_and_encoding() {
    let mut b = Baggage::default();
    b.insert("a", &"x".repeat(4094)).unwrap(); // 4096
    assert!(b.insert("b", &"y".repeat(4094)).is_err(), "4096 + ',' + 4096 = 8193");
    b.insert("b", &"y".repeat(4093)).unwrap(); // 4096 + ',' + 4095 = 8192
    assert_eq!(format_baggage(&b).len(), 8192);

    let mut b = Baggage::default();
    // A space is sent as "%20": 3 bytes each.
    b.insert("k", &" ".repeat(2730)).unwrap(); // 2 + 8190
    assert!(b.insert("k", &" ".repeat(2731)).is_err());
    // Properties count too, with their ';'.
    let mut b = Baggage::default();
    assert!(b.insert_with_properties("k", &"x".repeat(8180), Some(&"p".repeat(9))).is_ok()); // 8182 + 10
    assert!(b.insert_with_properties("k", &"x".repeat(8180), Some(&"p".repeat(10))).is_err());
    // Shrinking a member of a full baggage is always possible.
    b.insert("k", "small").unwrap();
    assert_eq!(format_baggage(&b), "k=small");
}

#[test]
fn extract_keeps_the_first_64_members_and_counts_the_rest() {
    let _lock = counters();
    let before = rejected();
    let many = (0..70).map(|i| format!("k{i}=v")).collect::<Vec<_>>().join(",");
    let b = parse_baggage([many.as_str()]);
    assert_eq!(b.len(), 64);
    assert_eq!((b.get("k63"), b.get("k64")), (Some("v"), None));
    let after = rejected();
    assert_eq!(after.baggage_over_limit, before.baggage_over_limit + 6);
    assert_eq!(after.baggage_member_invalid, before.baggage_member_invalid);
}

#[test]
fn extract_drops_a_member_that_would_pass_8192_bytes_but_keeps_later_ones_that_fit() {
    let _lock = counters();
    let before = rejected().baggage_over_limit;
    let header = format!("a={},b={},c=z", "x".repeat(5000), "y".repeat(5000));
    let b = parse_baggage([header.as_str()]);
    assert_eq!(b.iter().map(|e| e.key()).collect::<Vec<_>>(), ["a", "c"]);
    assert_eq!(rejected().baggage_over_limit, before + 1);

    // Exactly 8192 bytes is accepted; one more is not.
    let exact = format!("a={},b={}", "x".repeat(4094), "y".repeat(4093));
    assert_eq!(exact.len(), 8192);
    assert_eq!(parse_baggage([exact.as_str()]).len(), 2);
    let over = format!("a={},b={}", "x".repeat(4094), "y".repeat(4094));
    assert_eq!(parse_baggage([over.as_str()]).len(), 1);
    assert_eq!(rejected().baggage_over_limit, before + 2);
}

#[test]
fn extract_measures_members_as_they_would_be_sent_on() {
    let _lock = counters();
    // "%41" decodes to "A", which is sent on as 1 byte: 9002 bytes received,
    // 3002 to send.
    let compact = format!("a={}", "%41".repeat(3000));
    assert_eq!(parse_baggage([compact.as_str()]).get("a").map(str::len), Some(3000));
    // A raw '%' not followed by hex is kept, and sent on as "%25": 4002
    // bytes received would be 12002 to send, so the member is dropped.
    let growing = format!("a={}", "%".repeat(4000));
    assert!(parse_baggage([growing.as_str()]).is_empty());
}

#[test]
fn repeated_and_invalid_members_take_no_room() {
    let _lock = counters();
    let before = rejected();
    let header = std::iter::repeat_n("k=v", 100).collect::<Vec<_>>().join(",");
    assert_eq!(parse_baggage([header.as_str()]).len(), 1);
    let mut values: Vec<String> = (0..64).map(|i| format!("k{i}=v")).collect();
    values.push("bad key=1".into());
    values.push("k0=updated".into());
    let b = parse_baggage(values.iter().map(String::as_str));
    assert_eq!((b.len(), b.get("k0")), (64, Some("updated")));
    let after = rejected();
    assert_eq!(after.baggage_over_limit, before.baggage_over_limit);
    assert_eq!(after.baggage_member_invalid, before.baggage_member_invalid + 1);
}

#[test]
fn extracted_baggage_always_injects_within_the_limits() {
    let _lock = counters();
    let headers: Vec<String> = (0..200).map(|i| format!("key{i}={}", "%E2%82%AC".repeat(i))).collect();
    let b = parse_baggage(headers.iter().map(String::as_str));
    let out = format_baggage(&b);
    assert!(out.len() <= 8192 && b.len() <= 64, "{} bytes, {} members", out.len(), b.len());
    assert_eq!(parse_baggage([out.as_str()]), b, "and the result reads back the same");
    // Once full, the baggage still takes a member made smaller.
    let mut b = b;
    let last = b.iter().last().unwrap().key().to_owned();
    b.insert(&last, "v").unwrap();
}
