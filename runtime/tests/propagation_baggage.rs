//! W3C Baggage header: percent-encoding, properties, combining headers,
//! malformed members. (The 64-member and 8192-byte limits are in
//! `baggage_limits.rs`.)

mod counters_support;
use counters_support::*;

use lantern::context::Baggage;
use lantern::propagation::{extract, format_baggage, parse_baggage, rejected};

fn keys(b: &Baggage) -> Vec<&str> {
    b.iter().map(|e| e.key()).collect()
}

#[test]
fn values_are_percent_decoded() {
    let b = parse_baggage(["userId=alice%20smith, serverNode=DF%2028,isProduction=false,euro=%E2%82%AC"]);
    assert_eq!(b.get("userId"), Some("alice smith"));
    assert_eq!(b.get("serverNode"), Some("DF 28"));
    assert_eq!(b.get("isProduction"), Some("false"));
    assert_eq!(b.get("euro"), Some("€"));
    // '+' is not a space here, and a '%' not followed by two hex digits stays.
    let b = parse_baggage(["a=1+1,b=100%,c=%zz,d=%41%42"]);
    assert_eq!([b.get("a"), b.get("b"), b.get("c"), b.get("d")], [Some("1+1"), Some("100%"), Some("%zz"), Some("AB")]);
    assert_eq!(parse_baggage(["empty="]).get("empty"), Some(""), "an empty value is valid");
}

#[test]
fn exactly_the_non_baggage_octets_and_percent_are_encoded() {
    let octet = |b: u8| matches!(b, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e);
    for byte in 0u8..=0x7f {
        let mut b = Baggage::default();
        b.insert("k", &char::from(byte).to_string()).unwrap();
        let header = format_baggage(&b);
        let expected =
            if octet(byte) && byte != b'%' { format!("k={}", char::from(byte)) } else { format!("k=%{byte:02X}") };
        assert_eq!(header, expected, "byte {byte:#04x}");
        assert_eq!(parse_baggage([header.as_str()]), b, "byte {byte:#04x} round trips");
    }
    let mut b = Baggage::default();
    b.insert("k", "zoë").unwrap();
    assert_eq!(format_baggage(&b), "k=zo%C3%AB", "non-ASCII is encoded as UTF-8");
}

#[test]
fn awkward_values_round_trip() {
    let mut own = Baggage::default();
    for (i, value) in ["a \"b\", c;d %e", "%25", "\\", "tab\tnew\nline", "日本語", "", "=,;"].iter().enumerate() {
        own.insert(&format!("k{i}"), value).unwrap();
    }
    let header = format_baggage(&own);
    assert!(header.bytes().all(|b| b.is_ascii_graphic()), "{header}");
    assert_eq!(parse_baggage([header.as_str()]), own);
}

#[test]
fn properties_are_kept_raw() {
    let b = parse_baggage(["key1=value1;property1;property2=v2, key2 = value2 ; p ;q = %20"]);
    assert_eq!(b.entry("key1").unwrap().properties(), Some("property1;property2=v2"));
    assert_eq!(b.get("key2"), Some("value2"));
    assert_eq!(b.entry("key2").unwrap().properties(), Some("p ;q = %20"), "not decoded, inner OWS kept");
    assert_eq!(format_baggage(&b), "key1=value1;property1;property2=v2,key2=value2;p ;q = %20");
    assert_eq!(parse_baggage(["k=v;"]).entry("k").unwrap().properties(), None, "a lone ';' is no property");
    let mut own = Baggage::default();
    own.insert_with_properties("k", "v", Some("ttl=30;private")).unwrap();
    assert_eq!(format_baggage(&own), "k=v;ttl=30;private");
    assert_eq!(parse_baggage(["k=v;ttl=30;private"]), own);
}

#[test]
fn invalid_properties_are_refused() {
    let _lock = counters();
    for props in ["", "bad prop", "a;;b", "=v", "k=a b", "k=\"q\"", "k=é"] {
        let err = Baggage::default().insert_with_properties("k", "v", Some(props)).unwrap_err();
        assert!(err.to_string().starts_with("invalid baggage properties"), "{props:?}: {err}");
    }
    assert!(parse_baggage(["k=v;bad prop", "k=v;a;;b", "k=v;x=\"q\""]).is_empty());
}

#[test]
fn several_headers_combine_and_later_members_win() {
    let mut h = http::HeaderMap::new();
    h.append("baggage", "a=1,b=2".parse().unwrap());
    h.append("baggage", "c=3".parse().unwrap());
    h.append("baggage", "b=4;p".parse().unwrap());
    let cx = extract(&h);
    let b = cx.baggage();
    assert_eq!(keys(b), ["a", "c", "b"], "a repeated key moves to where it was last given");
    assert_eq!((b.get("a"), b.get("b"), b.get("c")), (Some("1"), Some("4"), Some("3")));
    assert_eq!(b.entry("b").unwrap().properties(), Some("p"));
}

#[test]
fn white_space_and_empty_members_are_allowed() {
    let b = parse_baggage([" \ta = 1 \t, ,,\tb=2 ;\tp\t,", ""]);
    assert_eq!(keys(&b), ["a", "b"]);
    assert_eq!(b.get("a"), Some("1"));
    assert_eq!(b.entry("b").unwrap().properties(), Some("p"));
    assert!(parse_baggage(Vec::<&str>::new()).is_empty());
}

#[test]
fn invalid_members_are_skipped_and_counted() {
    let _lock = counters();
    let before = rejected();
    let b = parse_baggage([
        "good=1, bad key=2, noequals, =empty, quoted=\"q\", back=a\\b, space=a b, utf8=%FF, ok=%E2%82%AC, k(=1",
    ]);
    assert_eq!(keys(&b), ["good", "ok"]);
    let after = rejected();
    assert_eq!(after.baggage_member_invalid, before.baggage_member_invalid + 8);
    assert_eq!(after.baggage_over_limit, before.baggage_over_limit);
    // Empty members are not malformed.
    parse_baggage([",, ,"]);
    assert_eq!(rejected().baggage_member_invalid, after.baggage_member_invalid);
}

#[test]
fn insert_get_entry_remove() {
    let mut b = Baggage::default();
    b.insert("a", "1").unwrap();
    b.insert("b", "2").unwrap();
    b.insert("a", "3").unwrap();
    assert_eq!(keys(&b), ["b", "a"], "a replaced key moves to the end");
    assert_eq!(b.get("a"), Some("3"));
    let shared = b.clone();
    assert_eq!(b.remove("a").map(|e| e.value().to_owned()), Some("3".to_owned()));
    assert_eq!(b.remove("a"), None);
    assert_eq!(shared.get("a"), Some("3"), "clones are copy-on-write");
    b.remove("b");
    assert!(b.is_empty());
    assert_eq!(b, Baggage::default());
    let err = b.insert("", "v").unwrap_err();
    assert_eq!(err.to_string(), "invalid baggage key: expected an RFC 7230 token");
    assert!(b.insert("k:colon", "v").is_err() && b.insert("k=eq", "v").is_err());
    assert!(b.insert("!#$%&'*+-.^_`|~09azAZ", "v").is_ok(), "every tchar is allowed");
}
