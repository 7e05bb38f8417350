#!/usr/bin/env python3
"""The rules the folders make visible (docs/layout.md), checked on the tree
and on the built objects; `make check-layout`, and the first group of
`make test`:

  1. src/core/ includes only core/ and util/: no I/O, MPI, CUDA, run,
     report, command line, config or suite code reaches the pure cores;
  2. a suite (src/suites/X/) includes nothing of another suite;
  3. includes are path-qualified: each quoted include names a file under
     src/ or the repository's top (build/'s generated git-commit.h aside);
  4. no include cycle among the headers;
  5. no two object files call each other in a loop (from `nm`: file A
     uses a symbol file B defines), so every file has a place in one order;
  6. only src/io/results.c includes <hdf5.h>, only mpi/ includes <mpi.h>;
  7. no cycle among the folders (core/ with its subfolders as one, each
     suite as its own): the layers have one order.

Prints a line per rule, "layout: N passed, N failed, 0 skipped", and the
counts for tests/run-all.sh to $COUNTS when set. Standard library only.
"""
import os
import re
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]', re.M)
GENERATED = {"git-commit.h"}
CORE_MAY_INCLUDE = ("core/", "util/")


def sources():
    out = []
    for top in ("src", "mpi", "cuda"):
        for d, _, files in os.walk(top):
            out += [os.path.join(d, f) for f in files if f.endswith((".c", ".h", ".cu"))]
    return sorted(out)


def includes(path):
    with open(path, encoding="utf-8") as f:
        return INCLUDE.findall(f.read())


def resolve(inc):
    """The file a quoted include names: under src/ or the top, else None."""
    for base in ("src", "."):
        p = os.path.normpath(os.path.join(base, inc))
        if os.path.isfile(p):
            return p
    return None


def sccs(graph):
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def folder_of(path):
    """The layer a file belongs to: src/<top> (core/ and its subfolders as
    one, each suite on its own), mpi, cuda, or main for src/main.c."""
    parts = path.split("/")
    if parts[0] in ("mpi", "cuda"):
        return parts[0]
    if len(parts) == 2:
        return "main"
    if parts[1] == "suites" and len(parts) > 3:
        return "suites/" + parts[2]
    return parts[1]


def object_of(src):
    return os.path.join("build", os.path.splitext(src)[0] + ".o")


def symbols(obj):
    out = subprocess.run(["nm", "-g", obj], capture_output=True, text=True, check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDRBCVW":
            defined.add(parts[2])
        elif len(parts) == 2 and parts[0] == "U":
            used.add(parts[1])
    return defined, used


def layer_order(graph):
    """The folders from the top layer down (a topological order; ties by name)."""
    indeg = {v: 0 for v in graph}
    for v in graph:
        for w in graph[v]:
            indeg[w] = indeg.get(w, 0) + 1
    order, ready = [], sorted(v for v, k in indeg.items() if k == 0)
    while ready:
        v = ready.pop(0)
        order.append(v)
        for w in sorted(graph.get(v, ())):
            indeg[w] -= 1
            if indeg[w] == 0:
                ready.append(w)
                ready.sort()
    return order


def main():
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    files = sources()
    problems = {k: [] for k in ("core", "suites", "qualified", "include cycles", "call cycles", "hdf5 and mpi",
                                "folder cycles")}
    header_graph, folder_graph = {}, {}
    for f in files:
        quoted = [inc for kind, inc in includes(f) if kind == '"']
        system = [inc for kind, inc in includes(f) if kind == "<"]
        if f.startswith("src/core/"):
            problems["core"] += [f"{f} includes {inc}" for inc in quoted if not inc.startswith(CORE_MAY_INCLUDE)]
        m = re.match(r"src/suites/([^/]+)/", f)
        if m:
            problems["suites"] += [f"{f} includes {inc}" for inc in quoted
                                   if inc.startswith("suites/") and not inc.startswith(f"suites/{m.group(1)}/")]
        for inc in quoted:
            target = resolve(inc)
            if target is None and inc not in GENERATED:
                problems["qualified"].append(f"{f} includes \"{inc}\", which names no file under src/ or the top")
            if f.endswith(".h") and target and target.endswith(".h"):
                header_graph.setdefault(f, set()).add(target)
            if target and folder_of(target) != folder_of(f):
                folder_graph.setdefault(folder_of(f), set()).add(folder_of(target))
        folder_graph.setdefault(folder_of(f), set())
        header_graph.setdefault(f, set())
        if "hdf5.h" in system and f != "src/io/results.c":
            problems["hdf5 and mpi"].append(f"{f} includes <hdf5.h> (only src/io/results.c may)")
        if "mpi.h" in system and not f.startswith("mpi/"):
            problems["hdf5 and mpi"].append(f"{f} includes <mpi.h> (only mpi/ may)")
    problems["include cycles"] = [" -> ".join(c) for c in sccs(header_graph)]
    problems["folder cycles"] = [" <-> ".join(c) for c in sccs(folder_graph)]

    # calls between the program's object files: every built source's object
    objs = [object_of(f) for f in files if f.endswith((".c", ".cu")) and os.path.exists(object_of(f))]
    if not objs:
        problems["call cycles"].append("no objects under build/: build first (make)")
    owner, used = {}, {}
    for o in objs:
        d, u = symbols(o)
        used[o] = u
        for s in d:
            owner.setdefault(s, o)
    call_graph = {o: {owner[s] for s in used[o] if s in owner and owner[s] != o} for o in objs}
    problems["call cycles"] += [" <-> ".join(c) for c in sccs(call_graph)]

    rules = {
        "core": "src/core/ includes only core/ and util/",
        "suites": "no suite includes another suite",
        "qualified": f"every quoted include is path-qualified ({len(files)} files)",
        "include cycles": f"no include cycle among {sum(f.endswith('.h') for f in files)} headers",
        "call cycles": f"no two of {len(objs)} object files call each other in a loop",
        "hdf5 and mpi": "<hdf5.h> only in src/io/results.c, <mpi.h> only in mpi/",
        "folder cycles": f"no cycle among {len(folder_graph)} folders: "
                         + " > ".join(layer_order(folder_graph)),
    }
    passed = failed = 0
    print("layout (docs/layout.md)")
    for key, text in rules.items():
        if problems[key]:
            failed += 1
            print(f"FAILED   {text}:")
            for p in problems[key][:20]:
                print(f"         | {p}")
        else:
            passed += 1
            print(f"ok       {text}")
    print(f"layout: {passed} passed, {failed} failed, 0 skipped")
    if os.environ.get("COUNTS"):
        with open(os.environ["COUNTS"], "w") as f:
            f.write(f"{passed} {failed} 0 0\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
