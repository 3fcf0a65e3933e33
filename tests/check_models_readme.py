#!/usr/bin/env python3
"""models/README.md documents every embedded model.

usage: check_models_readme.py README.md --default NAME NAME=FILE...
       check_models_readme.py --self-test

The arguments are what models/meson.build passes to models/embed.py. For
each embedded model the README's "Embedded models" section must have a
heading `### NAME` whose table gives the file's SHA-256 (`| sha256 |
`HEX` |`), so that the provenance written there is about the bytes that
are compiled in; the default's heading, and only it, ends in "(default)".
"""
import hashlib
import re
import sys

SECTION = "## Embedded models"


def sections(text):
    """{name: (heading line, body)} of the `### ` headings of the section."""
    if SECTION not in text:
        return None
    part = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    out = {}
    for block in part.split("\n### ")[1:]:
        head, _, body = block.partition("\n")
        out[head.split()[0]] = (head, body)
    return out


def check(readme_text, default, models):
    """Error messages; models: [(name, file bytes)]."""
    found = sections(readme_text)
    if found is None:
        return ["no '%s' section" % SECTION]
    errors = []
    for name, data in models:
        if name not in found:
            errors.append("embedded model %s has no '### %s' heading" % (name, name))
            continue
        head, body = found[name]
        want = hashlib.sha256(data).hexdigest()
        m = re.search(r"^\|\s*sha256\s*\|\s*`([0-9a-f]{64})`", body, re.M)
        if not m:
            errors.append("%s: no '| sha256 | `HEX` |' row" % name)
        elif m.group(1) != want:
            errors.append("%s: sha256 %s in the README, %s compiled in" % (name, m.group(1), want))
        marked = head.rstrip().endswith("(default)")
        if marked != (name == default):
            errors.append("%s: heading %s '(default)' but the default is %s"
                          % (name, "has" if marked else "lacks", default))
    return errors


GOOD = """# x
## Embedded models
### a (default)
| field | value |
|---|---|
| sha256 | `%s` |
### b
| sha256 | `%s` |
## Next
"""


def self_test():
    a, b = b"model a", b"model b"
    ha, hb = hashlib.sha256(a).hexdigest(), hashlib.sha256(b).hexdigest()
    good = GOOD % (ha, hb)
    cases = [
        ("good", good, "a", [("a", a), ("b", b)], None),
        ("no section", good.replace(SECTION, "## Other"), "a", [("a", a)], "no '## Embedded"),
        ("missing model", good, "a", [("a", a), ("c", b)], "no '### c'"),
        ("stale digest", good, "a", [("a", a), ("b", b"retrained")], "compiled in"),
        ("no digest row", good.replace("| sha256 | `%s` |" % hb, ""), "a",
         [("b", b)], "no '| sha256"),
        ("default moved", good, "b", [("a", a), ("b", b)], "the default is b"),
    ]
    failures = 0
    for what, text, default, models, want in cases:
        errors = check(text, default, models)
        ok = not errors if want is None else any(want in e for e in errors)
        if not ok:
            print("self-test %s: got %s" % (what, errors))
            failures += 1
    print("self-test: %d cases, %d failed" % (len(cases), failures))
    return 1 if failures else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) < 5 or argv[2] != "--default":
        sys.exit(__doc__)
    with open(argv[1], encoding="utf-8") as f:
        text = f.read()
    models = []
    for spec in argv[4:]:
        name, _, path = spec.partition("=")
        with open(path, "rb") as f:
            models.append((name, f.read()))
    errors = check(text, argv[3], models)
    for e in errors:
        print("models/README.md: " + e)
    if not errors:
        print("models/README.md documents %d embedded models" % len(models))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
