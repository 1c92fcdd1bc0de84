#!/usr/bin/env python3
"""Writes the sentence pairs of `ternary4j task sentence-retrieval`: each Debian package's synopsis
(the one-line Description) and its long description, from a dpkg status file (default
/var/lib/dpkg/status). The committed snapshot came from the Debian 12 (bookworm) build machine.

Pairs whose synopsis or long description occurs more than once are dropped (a query with two right
answers, or one answer for two queries, is not a retrieval question); so are long descriptions
under 8 words. Long-description paragraphs (" ." lines) are joined with a space. Output: one pair
per line, "package<TAB>synopsis<TAB>description", sorted by package name.

    scripts/debian-description-pairs.py [STATUS] > eval/src/main/resources/org/ternary4j/eval/task/debian-descriptions.tsv
"""
import collections
import sys


def packages(text):
    for stanza in text.split("\n\n"):
        name, synopsis, long_lines, in_desc = None, None, [], False
        for line in stanza.split("\n"):
            if line.startswith("Package:"):
                name = line.split(":", 1)[1].strip()
                in_desc = False
            elif line.startswith("Description:"):
                synopsis = line.split(":", 1)[1].strip()
                in_desc = True
            elif in_desc and line.startswith(" "):
                body = line[1:]
                long_lines.append("" if body.strip() == "." else body.strip())
            else:
                in_desc = False
        if name and synopsis and long_lines:
            description = " ".join(w for w in " ".join(long_lines).split())
            yield name, " ".join(synopsis.split()), description


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "/var/lib/dpkg/status"
    with open(path, encoding="utf-8") as f:
        rows = list(packages(f.read()))
    syn = collections.Counter(r[1].lower() for r in rows)
    desc = collections.Counter(r[2] for r in rows)
    seen = set()
    for name, s, d in sorted(rows):
        if name in seen or syn[s.lower()] > 1 or desc[d] > 1 or len(d.split()) < 8 or "\t" in s + d:
            continue
        seen.add(name)
        print(f"{name}\t{s}\t{d}")


main()
