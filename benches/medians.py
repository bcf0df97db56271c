#!/usr/bin/env python3
"""Print the median ns of every case of a criterion group, and its ratio to the
floor (registry_empty_layer), as a markdown table.

    python3 benches/medians.py child_span      # after `cargo bench --bench span`
    python3 benches/medians.py event_in_span   # after `cargo bench --bench event`

Reads $CARGO_TARGET_DIR/criterion (default: target/criterion next to this
folder), i.e. the latest run of each case.
"""

import json
import os
import sys

FLOOR = "registry_empty_layer"


def main() -> None:
    group = sys.argv[1] if len(sys.argv) > 1 else "child_span"
    here = os.path.dirname(os.path.abspath(__file__))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(here, "..", "target"))
    base = os.path.join(target, "criterion", group)
    medians = {}
    for case in sorted(os.listdir(base)):
        path = os.path.join(base, case, "new", "estimates.json")
        if os.path.exists(path):
            with open(path) as f:
                medians[case] = json.load(f)["median"]["point_estimate"]
    floor = medians.get(FLOOR)
    print("| case | median ns | x floor |")
    print("|---|---:|---:|")
    for case, ns in sorted(medians.items(), key=lambda kv: kv[1]):
        ratio = f"{ns / floor:.2f}" if floor else "-"
        print(f"| {case} | {ns:.1f} | {ratio} |")


if __name__ == "__main__":
    main()
