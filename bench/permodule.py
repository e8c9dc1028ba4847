"""Counts the packages and the linked code and read-only data of each module
in a Go binary.

Usage: permodule.py MODS BINARY, where MODS has a "package module" line per
package the binary links (go list -deps -f '{{.ImportPath}} {{.Module}}').
Symbols are attributed to the longest package path they start with; what
matches no package (runtime type data, the linker's own) counts as "other".
"""
import collections
import subprocess
import sys

mods, binary = sys.argv[1:3]
module_of = {}
for line in open(mods):
    pkg, mod = line.split()
    module_of[pkg] = mod
packages = collections.Counter(module_of.values())
by_length = sorted(module_of, key=len, reverse=True)
size = collections.Counter()
seen = {}
nm = subprocess.run(["go", "tool", "nm", "-size", binary], capture_output=True, text=True, check=True).stdout
for line in nm.splitlines():
    f = line.split()
    if len(f) < 4 or f[2] not in "TtRr":  # code and read-only data; data and BSS are mostly zeroes
        continue
    key = f[3].split("(")[0]
    mod = seen.get(key)
    if mod is None:
        mod = "other"
        for pkg in by_length:
            if key.startswith(pkg + ".") or key.startswith(pkg + "/"):
                mod = module_of[pkg]
                break
        seen[key] = mod
    size[mod] += int(f[1])
print("| module | packages | code and read-only data, KiB |")
print("|---|---:|---:|")
for mod, n in sorted(size.items(), key=lambda kv: -kv[1])[:20]:
    print(f"| {mod} | {packages.get(mod, '')} | {n // 1024} |")
