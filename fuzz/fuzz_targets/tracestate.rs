//! `tracestate`: `parse_tracestate` on any list of header values (the input
//! split on NUL, so that values may hold `\n` and `\r`, as message headers
//! can) never panics. What it accepts is at most 32 members, one per
//! non-empty member of the input whose key did not come earlier (a repeated
//! key keeps its first occurrence), in order, each of which
//! `TraceState::insert` accepts too; and `header_value()` is valid header
//! text that parses back to the same state.
#![no_main]

use lantern::context::TraceState;
use lantern::propagation::parse_tracestate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let values: Vec<&str> = input.split('\0').collect();
    let state = match parse_tracestate(values.iter().copied()) {
        Ok(state) => state,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let mut members: Vec<(&str, &str)> = Vec::new();
    for member in values.iter().flat_map(|v| v.split(',')).map(|m| m.trim_matches([' ', '\t'])) {
        if member.is_empty() {
            continue;
        }
        let (k, v) = member.split_once('=').expect("an accepted member has '='");
        if !members.iter().any(|(key, _)| *key == k) {
            members.push((k, v));
        }
    }
    assert!(state.len() <= 32, "{} members", state.len());
    assert_eq!(state.iter().collect::<Vec<_>>(), members, "members lost, added or reordered");
    assert_eq!(state.is_empty(), members.is_empty());
    for (k, v) in state.iter() {
        assert_eq!(state.get(k), Some(v));
        // What the parser accepts, the builder accepts too.
        let one = TraceState::default().insert(k, v).unwrap_or_else(|e| panic!("insert({k:?}, {v:?}): {e}"));
        assert_eq!(one.header_value(), format!("{k}={v}"));
    }

    let header = state.header_value();
    if !state.is_empty() {
        assert!(http::HeaderValue::from_str(&header).is_ok(), "{header:?} is not a header value");
    }
    let again = parse_tracestate([header.as_str()]).unwrap_or_else(|e| panic!("{header:?} does not parse back: {e}"));
    assert_eq!(again, state, "{input:?} -> {header:?}");
    assert_eq!(again.header_value(), header);
});
