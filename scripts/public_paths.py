#!/usr/bin/env python3
"""Every public item of `lantern` has one path, and the root stays small.

Reads the crate's rustdoc JSON (built here with the stable toolchain and
RUSTC_BOOTSTRAP=1, which the JSON output needs), walks the public modules
from the root, follows re-exports (`pub use`), and collects every path under
which each item can be named. It fails when:

- an item (struct, enum, trait, function, macro, constant, type alias) is
  reachable by more than one path, the `prelude` and hidden items aside;
- the crate root names more than MAX_ROOT items besides its modules.

Usage: scripts/public_paths.py [--json FILE]   (default: builds it)
"""

import json
import os
import subprocess
import sys
from collections import defaultdict

MAX_ROOT = 15
MIN_ITEMS = 50  # fewer means the walk failed (a changed JSON schema), not a small crate
FORMAT_VERSIONS = range(50, 80)  # rustdoc JSON versions this walker was written for
ALLOWED_SECOND_PATHS = {"prelude"}  # module names whose re-exports are second paths on purpose
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build():
    env = dict(os.environ, RUSTC_BOOTSTRAP="1")
    subprocess.run(
        ["cargo", "rustdoc", "-q", "-p", "lantern", "--all-features", "--lib", "--",
         "-Z", "unstable-options", "--output-format", "json"],
        cwd=ROOT, env=env, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "doc", "lantern.json")


def kind_of(item):
    inner = item.get("inner", {})
    return next(iter(inner)) if isinstance(inner, dict) and inner else str(inner)


def hidden(item):
    attrs = item.get("attrs") or []
    return any("hidden" in json.dumps(a) for a in attrs)


def main():
    path = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else build()
    doc = json.load(open(path))
    if doc.get("format_version") not in FORMAT_VERSIONS:
        print(f"public_paths: rustdoc JSON format {doc.get('format_version')} is not one this script knows")
        return 1
    index = doc["index"]
    paths = defaultdict(set)  # item id -> set of paths
    root_names = []

    def walk(module_id, prefix, seen):
        if module_id in seen:
            return
        seen = seen | {module_id}
        module = index[str(module_id)]
        for child_id in module["inner"]["module"]["items"]:
            child = index.get(str(child_id))
            if child is None or child.get("visibility") != "public" or hidden(child):
                continue
            kind = kind_of(child)
            if kind == "use":
                use = child["inner"]["use"]
                target = use.get("id")
                name = use["name"]
                if use.get("is_glob"):
                    problems.append(f"a glob re-export in {prefix}: `pub use {use.get('source')}::*` hides what it names")
                    continue
                if target is None:
                    continue
                target_item = index.get(str(target))
                if target_item is not None and kind_of(target_item) == "module":
                    walk(target, f"{prefix}::{name}", seen)
                    continue
                record(target, f"{prefix}::{name}", prefix)
            elif kind == "module":
                walk(child_id, f"{prefix}::{child['name']}", seen)
            elif kind in ("struct", "enum", "trait", "function", "macro", "constant", "type_alias", "static",
                          "proc_macro", "union"):
                record(child_id, f"{prefix}::{child['name']}", prefix)

    def record(item_id, full, prefix):
        paths[item_id].add(full)
        if prefix == "lantern":
            root_names.append(full)

    problems = []
    walk(doc["root"], "lantern", frozenset())
    if len(paths) < MIN_ITEMS:
        problems.append(f"only {len(paths)} public items found: the walk does not understand this JSON")
    for item_id, ps in sorted(paths.items(), key=lambda kv: sorted(kv[1])):
        named = sorted(p for p in ps if p.split("::")[1] not in ALLOWED_SECOND_PATHS)
        if len(named) > 1:
            problems.append("more than one path: " + ", ".join(named))
    if len(root_names) > MAX_ROOT:
        problems.append(f"the root names {len(root_names)} items (at most {MAX_ROOT}): {', '.join(sorted(root_names))}")
    for p in problems:
        print("public_paths:", p)
    print(f"public_paths: {len(paths)} public items, {len(root_names)} at the root, "
          f"{'no item with two paths' if not problems else str(len(problems)) + ' problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
