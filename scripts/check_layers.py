#!/usr/bin/env python3
"""Checks nuq's include graph: layer rules and file-level include cycles.

Usage: python3 scripts/check_layers.py INCLUDE_DIR   (the folder that holds nuq/)

A header's layer is the first folder under nuq/ (nuq/quant/x.hpp is in `quant`); the
top-level headers (nuq/error.hpp, nuq/tensor.hpp, ...) and nuq/detail/ are the layer `core`.
Reports, one line each: an include of a layer the file's layer may not use, an include of a
nuq header that does not exist, a folder missing from LAYERS, an include cycle.
Exit 1 if anything was reported, else print a one-line summary and exit 0.
Standard library only (it runs from ctest: tests/CMakeLists.txt, include_layers*).
"""
import os
import re
import sys

# Which layers each layer may include directly. Every layer may also use `core` and itself,
# and whatever its allowed layers may use (the script takes the transitive closure).
LAYERS = {
    "core": ["numeric"],
    "numeric": ["core"],
    "kernels": ["numeric"],
    "quant": ["kernels", "numeric"],
    "format": ["quant"],
    "io": ["numeric"],
    "tokenizer": [],
    "recipe": ["quant", "format"],
    "reader": ["io", "format", "quant", "recipe"],  # compressed-checkpoint reader (targets)
    "linear": ["quant", "format", "kernels"],  # packed inference kernels
    "model": ["io", "reader", "quant", "format", "linear"],
    "calib": ["quant", "model", "tokenizer", "recipe"],
    "check": ["recipe", "reader", "io", "format", "quant"],  # vLLM loadability rules
    "plan": ["calib", "recipe", "check"],
    "dist": [],
    "pipeline": ["calib", "check", "model", "recipe", "reader", "io", "tokenizer", "dist",
                 "plan", "linear", "format", "quant", "kernels", "numeric"],
}
UMBRELLA = "nuq/nuq.hpp"  # may include every layer

def own_bodies(name, target):
    """x.hpp including x_impl.hpp: only under NUQ_HEADER_ONLY (nuq/detail/library.hpp), after
    its declarations, which x_impl.hpp includes; left out of the cycle search."""
    return target == name[: -len(".hpp")] + "_impl.hpp"


INCLUDE_RE = re.compile(r'^\s*#\s*include\s*[<"](nuq/[^>"]+)[>"]')


def closure(layer):
    """The layers `layer` may use: itself, core, and what its allowed layers may use."""
    seen, todo = {layer, "core"}, [layer, "core"]
    while todo:
        for used in LAYERS.get(todo.pop(), []):
            if used not in seen:
                seen.add(used)
                todo.append(used)
    return seen


def layer_of(name):
    """nuq/quant/x.hpp -> quant; nuq/error.hpp and nuq/detail/... -> core."""
    parts = name.split("/")
    return "core" if len(parts) == 2 or parts[1] == "detail" else parts[1]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_layers.py INCLUDE_DIR")
    root = sys.argv[1]
    if not os.path.isdir(os.path.join(root, "nuq")):
        sys.exit(f"{root}: no nuq/ folder here")

    # Every header as nuq/..., with its nuq includes: name -> [(line number, included name)].
    graph = {}
    for folder, dirs, files in os.walk(os.path.join(root, "nuq")):
        dirs.sort()
        for f in sorted(files):
            if f.endswith(".hpp"):
                path = os.path.join(folder, f)
                name = os.path.relpath(path, root).replace(os.sep, "/")
                with open(path, encoding="utf-8", errors="replace") as fh:
                    graph[name] = [(n, m.group(1)) for n, line in enumerate(fh, 1)
                                   if (m := INCLUDE_RE.match(line))]

    problems = []
    where = lambda name, n=None: os.path.join(root, name) + (f":{n}" if n else "")

    # Unknown layers: once per folder, naming its first header.
    for name in graph:
        layer = layer_of(name)
        if layer not in LAYERS:
            LAYERS[layer] = []  # reported once; not again for its other headers
            problems.append(f"{where(name)}: unknown layer {layer}: "
                            f"add it to the table in scripts/check_layers.py")

    # Layer rules and includes of headers that do not exist.
    checked = 0
    for name, includes in graph.items():
        layer = layer_of(name)
        may_use = closure(layer)
        for n, target in includes:
            checked += 1
            if target not in graph:
                problems.append(f"{where(name, n)}: includes {target}, which does not exist")
            elif name != UMBRELLA and layer_of(target) not in may_use:
                problems.append(f"{where(name, n)}: layer {layer} may not include {target} "
                                f"({layer_of(target)}); {layer} may use: "
                                f"{', '.join(sorted(may_use))}")

    # Cycles: a depth-first search; every edge back to a header on the stack closes one.
    state = {}  # name -> 1 while on the stack, 2 when done
    stack = []

    def visit(name):
        state[name] = 1
        stack.append(name)
        for n, target in graph[name]:
            if target not in graph or own_bodies(name, target):
                continue
            if state.get(target) == 1:
                chain = stack[stack.index(target):] + [target]
                problems.append(f"{where(name, n)}: include cycle: {' -> '.join(chain)}")
            elif target not in state:
                visit(target)
        stack.pop()
        state[name] = 2

    sys.setrecursionlimit(max(1000, 4 * len(graph)))
    for name in graph:
        if name not in state:
            visit(name)

    for p in problems:
        print(p)
    if problems:
        print(f"check_layers: {len(problems)} problem(s) in {len(graph)} headers, "
              f"{checked} nuq includes")
        return 1
    print(f"check_layers: OK, {len(graph)} headers, {checked} nuq includes checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
