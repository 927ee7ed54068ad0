#!/usr/bin/env python3
"""scripts/hostile-specs.py CLASS N — prints a spec of N parts of one class of
hostile input (issue 18), for scripts/bench-hostile.sh:

  unknown   N services, each `after` a near miss of its own name (E0201 with
            a "did you mean")
  warnings  N docker containers with untagged images (W0603)
  syntax    N blocks, each with a syntax error (E0001)
  knot      N services in one dependency cycle (E0202)
  complete  N services, each after every other (a complete graph: N^2 edges)
"""
import sys

HEADER = """stack "hostile" {
  domain = "example.com"
}
host "h" {
  address = "10.0.0.1"
  memory  = 16TiB
  cpus    = 4096
}
"""


def service(name, extra=""):
    return (f'service "{name}" {{\n  runtime = baremetal\n  on = [h]\n'
            f'  memory = 1MiB\n  cpu = 0.001\n  health {{ command = "true" }}\n{extra}}}\n')


def unknown(n):
    return (service(f"svc{i}", f"  after = [svc{i}x]\n") for i in range(n))


def warnings(n):
    yield ('service "docker" {\n  runtime = baremetal\n  provides = [docker]\n'
           '  on = [h]\n  memory = 1GiB\n  cpu = 1\n  health { command = "true" }\n}\n')
    for i in range(n):
        yield (f'service "c{i}" {{\n  runtime = docker\n  on = [h]\n'
               f'  image = "app"\n  memory = 1MiB\n  cpu = 0.001\n}}\n')


def syntax(n):
    return (f'service "s{i}" {{\n  memory = = 1MiB\n}}\n' for i in range(n))


def knot(n):
    return (service(f"s{i}", f"  after = [s{(i + 1) % n}]\n") for i in range(n))


def complete(n):
    for i in range(n):
        others = ", ".join(f"s{j}" for j in range(n) if j != i)
        yield service(f"s{i}", f"  after = [{others}]\n")


CLASSES = {f.__name__: f for f in (unknown, warnings, syntax, knot, complete)}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in CLASSES:
        sys.exit(__doc__)
    out = sys.stdout
    out.write(HEADER)
    for part in CLASSES[sys.argv[1]](int(sys.argv[2])):
        out.write(part)
