#!/usr/bin/env python3
"""The shape of the code, checked: no circle of imports between the files of a crate, and every
module named in its parent's table of contents (the `//!` table of `lib.rs`, a `mod.rs` or the parent
file). Prints the longest functions as a report (lengths are judged in review, not here).

Usage: .ci/structure.py          exits 1 and names each problem when there is one.

A file's imports are its `use` trees and its `crate::`/`super::`/`self::` paths, outside its
`#[cfg(test)]` part; an edge into the crate root (`lib.rs`) is not counted.
"""
import os
import re
import sys

CRATES = [("src", "crate"), ("crates/kusto-emulator/src", "kusto_emulator")]


def modules(root):
    files = {}
    for dp, _, fn in os.walk(root):
        for f in fn:
            if f.endswith(".rs"):
                p = os.path.join(dp, f)
                parts = os.path.relpath(p, root)[:-3].split("/")
                if parts[-1] == "mod":
                    parts = parts[:-1]
                if parts in (["lib"], ["main"]):
                    parts = []
                files[tuple(parts)] = p
    return files


def non_test(src):
    i = src.find("#[cfg(test)]")
    return src if i < 0 else src[:i]


def use_paths(tree, prefix=()):
    tree = tree.strip()
    m = re.match(r"^([\w:]*?)(::)?\{(.*)\}$", tree, re.S)
    if not m:
        tree = re.sub(r"\s+as\s+\w+$", "", tree)
        return [prefix + tuple(x for x in tree.split("::") if x)]
    head = tuple(x for x in m.group(1).split("::") if x)
    items, depth, cur = [], 0, ""
    for c in m.group(3):
        depth += (c == "{") - (c == "}")
        if c == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += c
    items.append(cur)
    return [p for it in items if it.strip() for p in use_paths(it, prefix + head)]


def edges(files, crate):
    def owner(path):
        for k in range(len(path), -1, -1):
            if tuple(path[:k]) in files:
                return tuple(path[:k])
        return None

    out = {}
    for mod, p in files.items():
        if "tests" in mod:
            continue
        src = re.sub(r"//[^\n]*", "", non_test(open(p).read()))
        targets = set()
        for m in re.finditer(r"\buse\s+([^;]+);", src):
            targets.update(use_paths(m.group(1).replace("\n", " ")))
        for m in re.finditer(r"\b((?:crate|super|self)(?:::\w+)+)", src):
            targets.add(tuple(m.group(1).split("::")))
        for t in targets:
            t = list(t)
            if not t:
                continue
            if t[0] in ("crate", crate):
                path = t[1:]
            elif t[0] == "super":
                base = list(mod)
                while t and t[0] == "super":
                    base, t = base[:-1], t[1:]
                path = base + t
            elif t[0] == "self":
                path = list(mod) + t[1:]
            else:
                continue
            f = owner(path)
            if f not in (None, (), mod):
                out.setdefault(mod, set()).add(f)
    return out


def circles(graph, nodes):
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted("/".join(x) for x in comp))

    for v in nodes:
        if v not in index:
            visit(v)
    return found


def missing_from_toc(files):
    problems = []
    for p in files.values():
        s = open(p).read()
        tests = set(re.findall(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", s))
        doc = "\n".join(line for line in s.split("\n") if line.startswith("//!"))
        for m in re.findall(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", s, re.M):
            if m in tests or m == "tests":
                continue
            if not re.search(r"`(?:[\w/]+/)?%s(?:\.rs|/)?[`:/ ]" % m, doc):
                problems.append(f"{p}: module `{m}` is not named in the table of contents")
    return problems


def long_functions(files, over):
    found = []
    for mod, p in files.items():
        if mod and mod[-1] in ("tests", "prop"):
            continue
        lines = non_test(open(p).read()).split("\n")
        i = 0
        while i < len(lines):
            m = re.match(r"\s*(pub(\([^)]*\))?\s+)?(async\s+)?(const\s+)?fn\s+(\w+)", lines[i])
            if not m:
                i += 1
                continue
            depth, started, j = 0, False, i
            while j < len(lines):
                s = re.sub(r'"([^"\\]|\\.)*"', '""', lines[j])
                s = re.sub(r"'(\\.|[^\\'])'", "''", s).split("//")[0]
                for c in s:
                    if c == "{":
                        depth, started = depth + 1, True
                    elif c == "}":
                        depth -= 1
                if (started and depth == 0) or (not started and s.rstrip().endswith(";")):
                    break
                j += 1
            if j - i + 1 > over:
                found.append((j - i + 1, f"{p}:{i + 1}", m.group(5)))
            i = j + 1
    return sorted(found, reverse=True)


def main():
    problems, longest = [], []
    for root, crate in CRATES:
        files = modules(root)
        for ring in circles(edges(files, crate), list(files)):
            problems.append(f"{root}: a circle of imports: {', '.join(ring)}")
        problems += missing_from_toc(files)
        longest += long_functions(files, 45)
    for p in problems:
        print(f"error: {p}")
    print("longest functions (lines, place, name):")
    for n, place, name in sorted(longest, reverse=True)[:8]:
        print(f"  {n:4} {place} {name}")
    print(f"structure: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
