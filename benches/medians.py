#!/usr/bin/env python3
"""Print the median ns of every case of criterion groups, and its ratio to the
group's floor (its registry_empty_layer case), as markdown tables.

    python3 benches/medians.py                         # every group of the last runs
    python3 benches/medians.py child_span child_span_one_parent   # after `--bench span`
    python3 benches/medians.py event_in_span           # after `cargo bench --bench event`

Reads $CARGO_TARGET_DIR/criterion (default: target/criterion next to this
folder), i.e. the latest run of each case. A group without a
registry_empty_layer case gets "-" as its ratios.
"""

import json
import os
import sys

FLOOR = "registry_empty_layer"


def medians_of(base: str) -> dict:
    medians = {}
    for case in sorted(os.listdir(base)):
        path = os.path.join(base, case, "new", "estimates.json")
        if os.path.exists(path):
            with open(path) as f:
                medians[case] = json.load(f)["median"]["point_estimate"]
    return medians


def table(group: str, medians: dict) -> None:
    floor = medians.get(FLOOR)
    print(f"### {group}")
    print()
    print("| case | median ns | x floor |")
    print("|---|---:|---:|")
    for case, ns in sorted(medians.items(), key=lambda kv: kv[1]):
        ratio = f"{ns / floor:.2f}" if floor else "-"
        print(f"| {case} | {ns:.1f} | {ratio} |")
    print()


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(here, "..", "target"))
    root = os.path.join(target, "criterion")
    groups = sys.argv[1:] or sorted(
        g for g in os.listdir(root) if g != "report" and os.path.isdir(os.path.join(root, g))
    )
    for group in groups:
        base = os.path.join(root, group)
        if not os.path.isdir(base):
            print(f"### {group}\n\nno results in {base}\n")
            continue
        medians = medians_of(base)
        if medians:
            table(group, medians)


if __name__ == "__main__":
    main()
