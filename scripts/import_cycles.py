#!/usr/bin/env python3
"""Checks that no import circle exists between the files of a crate.

Usage: scripts/import_cycles.py [--dot] [--test] [CRATE_SRC_DIR ...]
(default runtime/src, relative to the repository root above this script).

- Module tree: lib.rs (else main.rs) is the root; `mod x;` loads `x.rs` or
  `x/mod.rs` next to a mod.rs/root file, under `<stem>/` for a non-mod.rs
  file, under `<dir>/m/` inside an inline `mod m { }`. `#[path = "p"] mod x;`
  loads p relative to the declaring file's directory (inside inline modules,
  relative to that `<dir>/m/`); the file is module `<declaring module>::x`.
  Files no `mod` item reaches are added by name (`a/b.rs` = `a::b`), noted.
- Paths: those starting with `crate::`/`$crate::`, `super::` (also repeated)
  or `self::`, in `use` items (brace trees, `self`, `as`, globs, any
  visibility) and inline in code, plus those whose first segment is a child
  module of the enclosing module (`pub use child::X;`). Comments, strings,
  raw strings and char literals are blanked first. `pub(in path)` and
  `mod x;` are not imports. Paths are relative to the innermost inline
  module: `use super::*;` in a file's `mod tests {}` names the file itself.
- A path resolves to the file of its longest prefix naming a module
  (`crate::a::b::Item` -> file of `a::b`, else of `a`, ...). In code, not in
  `use`, the last segment is an item: `crate::f()` is the root's `f` even
  if a module `f` exists.
- Edges are file -> file, self-edges dropped; `pub use` re-exports count.
- Errors: each strongly connected component of more than one file, and each
  edge into the crate root from another file (import from the defining
  module, not through the root's re-exports). Edges into the root are left
  out of the circle search: the root re-exports nearly every module and
  would fold them all into one circle.
Exit status 1 on any error. `--dot` prints the graph for Graphviz (the
report then goes to stderr); `--test` runs the built-in self-tests.
"""
import contextlib
import io
import os
import re
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ID = r"[A-Za-z_][A-Za-z0-9_]*"
PREFIX = re.compile(r'[bc]?r(#*)"|[bc]?"')
CHAR = re.compile(r"b?'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F_]*\}|.)|[^\\'\n])'")
TOKENS = re.compile(
    rf"(?P<vis>\bpub\s*\(\s*in\s[^)]*\))"
    rf"|(?P<mod>(?:#\[[^\]]*\]\s*)*(?:pub(?:\s*\([^)]*\))?\s+)?\bmod\s+(?P<name>{ID})\s*(?P<end>[;{{]))"
    rf"|(?P<use>\buse\s+(?=[\w:{{]))"
    rf"|(?P<path>(?<![\w$.])(?<!::)\$?{ID}(?:\s*::\s*{ID})+)"
    rf"|(?P<open>\{{)|(?P<close>\}})")
USE_TOKENS = re.compile(rf"::|{ID}|[{{}},*]")


def strip(text):
    """Blanks comments and literals, keeping offsets and newlines. A string
    literal becomes `"   "`; returns (code, {offset of its `"`: content})."""
    out, strings, i, n = list(text), {}, 0, len(text)
    while i < n:
        m = PREFIX.match(text, i)
        if text.startswith("//", i):
            j = n if text.find("\n", i) < 0 else text.find("\n", i)
        elif text.startswith("/*", i):  # block comments nest
            depth, j = 1, i + 2
            while j < n and depth:
                step = text[j:j + 2] if text[j:j + 2] in ("/*", "*/") else text[j]
                depth, j = depth + (step == "/*") - (step == "*/"), j + len(step)
        elif m and m.group(1) is not None:  # raw string
            close = text.find('"' + m.group(1), m.end())
            j = n if close < 0 else close + 1 + len(m.group(1))
            strings[i] = text[m.end():close]
        elif m:
            j = m.end()
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            strings[i], j = text[m.end():j], min(j + 1, n)
        elif CHAR.match(text, i):  # otherwise `'` starts a lifetime
            j = CHAR.match(text, i).end()
        else:  # skip a whole identifier, so `r"` or `b'` only count at its start
            i = re.compile(r"\w+|.", re.S).match(text, i).end()
            continue
        out[i:j] = [c if c == "\n" else " " for c in text[i:j]]
        if i in strings:
            out[i] = out[j - 1] = '"'
        i = j
    return "".join(out), strings


def flatten_use(code, start, end):
    """[(segments, offset of the last one)] of the use tree code[start:end]."""
    toks = [(m.group(), m.start()) for m in USE_TOKENS.finditer(code, start, end)] + [("", end)]
    out = []

    def tree(i, segs):
        while True:
            t, pos = toks[i]
            if t == "{":
                i += 1
                while toks[i][0] not in ("}", ""):
                    i = tree(i, segs)
                    i += toks[i][0] == ","
                return i + 1
            if t == "*":
                out.append((segs + [t], pos))
                return i + 1
            if not t or t in ",}":
                raise ValueError("bad use tree")
            if t == "::":  # a leading `::` names another crate
                segs, i = segs or ["::"], i + 1
                continue
            segs = segs if t == "self" and segs else segs + [t]
            i += 2 if toks[i + 1][0] == "as" else 0
            if toks[i + 1][0] != "::":
                out.append((segs, pos))
                return i + 1
            i += 1
    tree(0, [])
    return out


def parse(text):
    """(mods, inline, paths) of one file: mods = [(chain, dirs, name, path
    attribute or None)], inline = [chain], paths = [(chain, segments, text,
    line, in code?)]; chain = the names of the enclosing inline modules."""
    code, strings = strip(text)
    line = lambda off: text.count("\n", 0, off) + 1
    mods, inline, paths, stack, depth, pos = [], [], [], [], 0, 0
    while m := TOKENS.search(code, pos):
        pos, chain = m.end(), tuple(s[0] for s in stack)
        if m.group("mod"):
            attr = re.search(r'#\[\s*path\s*=\s*"', m.group("mod"))
            value = strings.get(m.start() + attr.end() - 1) if attr else None
            if m.group("end") == ";":
                mods.append((chain, tuple(s[2] for s in stack), m.group("name"), value))
            else:
                stack.append((m.group("name"), depth, value or m.group("name")))
                inline.append(chain + (m.group("name"),))
                depth += 1
        elif m.group("use"):
            end = code.find(";", m.end())
            pos = end = len(code) if end < 0 else end
            try:
                for segs, at in flatten_use(code, m.end(), end):
                    paths.append((chain, segs, "::".join(segs), line(at), False))
            except (ValueError, IndexError):
                print(f"note: unparsed use item at line {line(m.start())}", file=sys.stderr)
        elif m.group("path"):
            segs = re.split(r"\s*::\s*", m.group("path"))
            paths.append((chain, segs, "::".join(segs), line(m.start()), True))
        else:
            depth += 1 if m.group("open") else -1
            if m.group("close") and stack and stack[-1][1] == depth:
                stack.pop()
    return mods, inline, paths


def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as e:  # e.g. moved by a concurrent edit
        print(f"note: cannot read {path}: {e}", file=sys.stderr)
        return ""


def analyze(src):
    """(files, edges): files = {file: module path}, edges = {(from, to):
    (first line, path text)}; file names are relative to src."""
    src = os.path.abspath(src)
    root = next((f for f in ("lib.rs", "main.rs") if os.path.isfile(os.path.join(src, f))), None)
    if root is None:
        raise SystemExit(f"import_cycles: no lib.rs or main.rs in {src}")
    modules, files, parsed = {(): root}, {root: ()}, {}
    queue = [(os.path.join(src, root), (), src)]  # (file, module, its children's dir)
    while queue:
        path, mod, kids = queue.pop(0)
        rel = os.path.relpath(path, src)
        mods, inline, _ = parsed[rel] = parse(read(path))
        for chain in inline:
            modules.setdefault(mod + chain, rel)
        for chain, dirs, name, attr in mods:
            if attr is not None:
                base = os.path.join(kids, *dirs) if chain else os.path.dirname(path)
                found = os.path.normpath(os.path.join(base, attr))
                child_kids = os.path.dirname(found)
            else:
                child_kids = os.path.join(kids, *dirs, name)
                found = child_kids + ".rs"
                if not os.path.isfile(found) and os.path.isfile(os.path.join(child_kids, "mod.rs")):
                    found = os.path.join(child_kids, "mod.rs")
            child, child_rel = mod + chain + (name,), os.path.relpath(found, src)
            if not os.path.isfile(found):
                print(f"note: {rel}: no file for `mod {name}`", file=sys.stderr)
            elif child_rel not in files:
                modules[child], files[child_rel] = child_rel, child
                queue.append((found, child, child_kids))
    walk = (os.path.relpath(os.path.join(d, f), src) for d, _, fs in os.walk(src) for f in fs)
    for rel in sorted(f for f in walk if f.endswith(".rs") and f not in files):
        print(f"note: {rel} is not declared by any `mod` item", file=sys.stderr)
        parts = rel[:-3].split(os.sep)
        files[rel] = tuple(parts[:-1] if parts[-1] == "mod" else parts)
        modules.setdefault(files[rel], rel)
        parsed[rel] = parse(read(os.path.join(src, rel)))
    edges = {}
    for rel, (_, _, paths) in parsed.items():
        for chain, segs, text, line, in_code in paths:
            target = resolve(segs, files[rel] + chain, modules, in_code)
            if target not in (None, rel) and (rel, target) not in edges:
                edges[(rel, target)] = (line, text)
    return files, edges


def resolve(segs, cur, modules, in_code=False):
    """The file of the longest module prefix of path segs, seen from module cur."""
    if segs[0] in ("crate", "$crate"):
        mod, rest = (), segs[1:]
    elif segs[0] in ("self", "super"):
        mod, i = cur, int(segs[0] == "self")
        while i < len(segs) and segs[i] == "super":
            if not mod:
                return None
            mod, i = mod[:-1], i + 1
        rest = segs[i:]
    elif cur + (segs[0],) in modules:
        mod, rest = cur, segs
    else:
        return None  # another crate, a type, a local name
    for seg in rest[:-1] if in_code else rest:
        if mod + (seg,) not in modules:
            break
        mod += (seg,)
    return modules[mod]


def circles(nodes, edges):
    """Strongly connected components of more than one node, sorted."""
    succ = {n: {b for a, b in edges if a == n} for n in nodes}
    reach = {n: set() for n in nodes}
    for n, seen in reach.items():
        todo = [n]
        while todo:
            new = succ[todo.pop()] - seen
            seen |= new
            todo += new
    comps = {frozenset({v} | {w for w in reach[v] if v in reach[w]}) for v in nodes}
    return sorted(sorted(c) for c in comps if len(c) > 1)


def check(src, label, dot=False, name=None):
    """Prints the report of one crate; returns the number of errors."""
    files, edges = analyze(src)
    root = next(iter(files))
    into_root = sorted((a, e) for (a, b), e in edges.items() if b == root)
    comps = circles(files, {e for e in edges if e[1] != root})
    out = sys.stderr if dot else sys.stdout
    if dot:
        comp_of = {f: i for i, c in enumerate(comps) for f in c}
        print(f'digraph "{name or src}" {{\n  rankdir=LR; node [shape=box];')
        for (a, b), (line, text) in sorted(edges.items()):
            bad = b == root or comp_of.get(a, -1) == comp_of.get(b, -2)
            print(f'  "{a}" -> "{b}" [tooltip="{a}:{line} {text}"{", color=red" if bad else ""}];')
        print("}")
    for n, comp in enumerate(comps, 1):
        print(f"{label}circle {n} ({len(comp)} files): {', '.join(comp)}", file=out)
        for (a, b), (line, text) in sorted(edges.items()):
            if a in comp and b in comp:
                print(f"    {a}:{line} -> {b}    {text}", file=out)
    for a, (line, text) in into_root:
        print(f"{label}import through the crate root: {a}:{line} -> {root}    {text}", file=out)
    plural = lambda k, word: f"{k} {word}{'s' * (k != 1)}"
    status = f"{plural(len(comps), 'circle')} ({sum(map(len, comps))} files)" if comps else "no circle"
    status += f", {plural(len(into_root), 'import')} through {root}" if into_root else ""
    print(f"import_cycles: {label}{len(files)} files, {len(edges)} edges, {status}", file=out)
    return len(comps) + len(into_root)


FAKE = {
    "lib.rs": "//! `crate::b::X` in a doc\nmod a;\nmod b;\nmod c;\npub mod d;\nmod e;\n"
              "pub use d::Thing;\npub struct Root;\npub fn a() {}\npub use c::Z;\n",
    "a.rs": "use crate::b::X;\npub struct Y;\n",
    "b.rs": "use crate::a::Y; // crate::c::Z\npub struct X;\nfn f<'a>(s: &'a str) -> char {\n"
            '    let _ = ("crate::c::Z", r#"crate::c "# , b"crate::c");\n'
            "    /* /* crate::c */ crate::c */\n    '\"'\n}\n",
    "c.rs": "use crate::{d::{inner::{self, Deep}, Thing as T}, a};\npub struct Z;\nfn k() { crate::a() }\n",
    "d/mod.rs": "pub mod inner;\npub use inner::Deep;\npub struct Thing;\n",
    "d/inner.rs": '#[cfg(test)]\n#[path = "inner_tests.rs"]\nmod tests;\npub struct Deep;\n'
                  "pub(in crate::d) fn g() {}\n",
    "d/inner_tests.rs": "use super::Deep;\nuse super::super::Thing;\n",
    "e.rs": "fn f() -> crate::Root {\n    crate::Root\n}\n#[cfg(test)]\nmod tests {\n    use super::*;\n"
            "    use std::{fmt, io};\n    fn g(_: self::super::super::a::Y) {}\n}\n",
}


def self_test():
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in FAKE.items():
            os.makedirs(os.path.dirname(os.path.join(tmp, name)), exist_ok=True)
            with open(os.path.join(tmp, name), "w", encoding="utf-8") as f:
                f.write(text)
        files, edges = analyze(tmp)
        with contextlib.redirect_stdout(io.StringIO()) as report:
            errors = check(tmp, "")
    expected = {("a.rs", "b.rs"): 1, ("b.rs", "a.rs"): 1, ("c.rs", "d/inner.rs"): 1,
                ("c.rs", "d/mod.rs"): 1, ("c.rs", "a.rs"): 1, ("c.rs", "lib.rs"): 3,
                ("d/mod.rs", "d/inner.rs"): 2, ("d/inner_tests.rs", "d/inner.rs"): 1,
                ("d/inner_tests.rs", "d/mod.rs"): 2, ("e.rs", "lib.rs"): 1, ("e.rs", "a.rs"): 8,
                ("lib.rs", "d/mod.rs"): 7, ("lib.rs", "c.rs"): 10}
    checks = [
        ("module of the path-attribute file", files.get("d/inner_tests.rs") == ("d", "inner", "tests")),
        ("edges and first lines", {k: v[0] for k, v in edges.items()} == expected),
        ("use-tree path text", edges.get(("c.rs", "d/inner.rs"), (0, ""))[1] == "crate::d::inner"),
        ("circles", circles(files, edges) == [["a.rs", "b.rs"], ["c.rs", "lib.rs"]]),
        ("report leaves the root out of circles", errors == 3 and report.getvalue().endswith(
            "13 edges, 1 circle (2 files), 2 imports through lib.rs\n")),
        ("strip keeps lines", strip("a /* x\ny */ 'c' \"s\nt\"")[0] == 'a     \n         " \n "'),
    ]
    for name, ok in checks:
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    if not all(ok for _, ok in checks):
        print(f"edges: {edges}\nreport:\n{report.getvalue()}")
    return all(ok for _, ok in checks)


def main(argv):
    if "--test" in argv:
        return 0 if self_test() else 1
    dirs = [a for a in argv if a != "--dot"] or ["runtime/src"]
    errors = 0
    for d in dirs:
        path = d if os.path.isabs(d) else os.path.join(REPO, d)
        errors += check(path, f"{d}: " if len(dirs) > 1 else "", "--dot" in argv, d)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
