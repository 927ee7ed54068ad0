#!/usr/bin/env python3
"""Rewrites a single-file stack (the output of `eosc-bench gen N`) in the
shapes of LANGUAGE.md 0.2, for scripts/bench-compose.sh:

  split SPEC DIR FILES      DIR/stack.eos holds the `stack` block and
                            `include = ["parts/*.eos"]`; the other top-level
                            blocks go, in order, into FILES files
                            DIR/parts/NNNNN.eos. Same stack, same artifacts.

  modules SPEC DIR          every `service "TEAM-db-K"` becomes an instance of a
                            module: `module "TEAM-db-K" { source = ... }` with
                            one service `pg` (so the service is `TEAM-db-K-pg`);
                            the values that differ between databases of one
                            shape are the module's parameters, one module file
                            per shape. DIR/stack.eos is the modular stack,
                            DIR/expanded/stack.eos the same stack written out
                            by hand in one file (the instances' services under
                            their full names): the two build byte-identical.

The root files are both named stack.eos, because artifacts name their root file.
"""

import os
import re
import sys


def top_level_blocks(text):
    """(head, header lines, blocks) of a generated stack: each block is the
    text from a line starting a top-level block to its closing `}` line."""
    lines = text.splitlines(keepends=True)
    blocks, current, header = [], None, []
    for line in lines:
        if current is None:
            if re.match(r'^[a-z]+ "', line):
                current = [line]
            elif not blocks:
                header.append(line)
            continue
        current.append(line)
        if line.startswith("}"):
            blocks.append("".join(current))
            current = None
    return "".join(header), blocks


def split(spec, out, files):
    header, blocks = top_level_blocks(open(spec).read())
    stack = [b for b in blocks if b.startswith("stack ")]
    rest = [b for b in blocks if not b.startswith("stack ")]
    assert len(stack) == 1, "one stack block"
    root = stack[0].replace("{\n", '{\n  include = ["parts/*.eos"]\n', 1)
    os.makedirs(os.path.join(out, "parts"), exist_ok=True)
    write(os.path.join(out, "stack.eos"), header + root)
    per_file = -(-len(rest) // files)
    for index in range(files):
        chunk = rest[index * per_file:(index + 1) * per_file]
        write(os.path.join(out, "parts", f"{index:05}.eos"), "\n".join(chunk))


DB_NAME = re.compile(r"\b([a-z]+-db-\d+)(?![0-9])")
# `  key = value` lines whose value becomes a parameter, and its type.
VALUE = re.compile(r'^(\s+)([a-z_]+)(\s*=\s*)(.+?)\s*$')
KEEP = {"runtime", "protocol", "io", "hook", "backend", "image"}


def param_type(key, value):
    if value.startswith('"'):
        return "string"
    if re.fullmatch(r"\d+(\.\d+)?(KiB|MiB|GiB|TiB|KB|MB|GB|TB)", value):
        return "size"
    if re.fullmatch(r"\d+", value):
        return "int"
    if re.fullmatch(r"\d+\.\d+", value):
        return "number"
    if key == "disk":
        return "disk"
    if key == "on":
        return "[host]"
    if key == "after":
        return "[service]"
    return None


def module_shape(block):
    """The block as a module service `pg`: (skeleton, [(type, value)])."""
    lines = block.splitlines(keepends=True)
    lines[0] = 'service "pg" {\n'
    params, skeleton, depth = [], [], 0
    for line in lines:
        match = VALUE.match(line)
        key = match and match.group(2)
        kind = match and param_type(key, match.group(4))
        if match and key not in KEEP and kind and "{" not in line and depth <= 2:
            skeleton.append(f"{match.group(1)}{key}{match.group(3)}param.p{len(params)}\n")
            params.append((kind, match.group(4)))
        else:
            skeleton.append(line)
        depth += line.count("{") - line.count("}")
    return "".join(skeleton), params


def modules(spec, out):
    header, blocks = top_level_blocks(open(spec).read())
    renamed = [DB_NAME.sub(r"\1-pg", b) for b in blocks]
    shapes, modular, expanded = {}, [], []
    for original, block in zip(blocks, renamed):
        name = re.match(r'^service "([a-z]+-db-\d+)" ', original)
        expanded.append(block)
        if not name:
            modular.append(block)
            continue
        skeleton, params = module_shape(block)
        types = tuple(kind for kind, _ in params)
        number = shapes.setdefault((skeleton, types), len(shapes))
        arguments = "".join(f"  p{i} = {value}\n" for i, (_, value) in enumerate(params))
        modular.append(
            f'module "{name.group(1)}" {{\n'
            f'  source = "modules/db-{number}.eos"\n{arguments}}}\n'
        )
    os.makedirs(os.path.join(out, "modules"), exist_ok=True)
    os.makedirs(os.path.join(out, "expanded"), exist_ok=True)
    for (skeleton, types), number in shapes.items():
        declared = "".join(
            f'param "p{i}" {{ type = {kind} }}\n' for i, kind in enumerate(types)
        )
        write(os.path.join(out, "modules", f"db-{number}.eos"), declared + "\n" + skeleton)
    write(os.path.join(out, "stack.eos"), header + "\n".join(modular))
    write(os.path.join(out, "expanded", "stack.eos"), header + "\n".join(expanded))
    print(f"{len(shapes)} module files, {sum(1 for b in modular if b.startswith('module'))} instances")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "split":
        split(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) == 4 and sys.argv[1] == "modules":
        modules(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
