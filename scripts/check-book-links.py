#!/usr/bin/env python3
"""Checks the links of a built mdBook (mdBook itself does not).

    scripts/check-book-links.py BOOK_HTML_DIR [MARKDOWN_FILE ...]

Walks every .html file under BOOK_HTML_DIR and checks that every relative link (href) and
every image/script/stylesheet (src, href) resolves to a file of the built book, and that every
#fragment names an id (or a named anchor) of its target page. Links with a scheme (https:,
mailto:, …) are outside the book and not fetched. Prints each broken link with the page it is
on and exits 1 if there is any; 0 otherwise.

MARKDOWN_FILEs (README.md, ARCHITECTURE.md: the pages that link into the guide's sources) are
checked too: every relative link target must exist in the source tree.
"""

import os
import re
import sys
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.links = []  # (attribute, value, line)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key) and (key == "id" or tag == "a"):
                self.ids.add(a[key])
        line = self.getpos()[0]
        if tag in ("a", "link", "area") and a.get("href") is not None:
            self.links.append(("href", a["href"], line))
        if tag in ("img", "script", "source", "iframe") and a.get("src") is not None:
            self.links.append(("src", a["src"], line))

    handle_startendtag = handle_starttag


MD_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def check_markdown(path):
    broken = []
    base = os.path.dirname(os.path.abspath(path))
    in_code = False
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.lstrip().startswith("```"):
                in_code = not in_code
            if in_code:
                continue
            for target in MD_LINK.findall(line):
                parts = urlsplit(target)
                if parts.scheme or parts.netloc or not parts.path:
                    continue
                if not os.path.exists(os.path.join(base, unquote(parts.path))):
                    broken.append(f"{path}:{n}: link {target!r}: no such file")
    return broken


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    root = os.path.abspath(argv[1])
    if not os.path.isfile(os.path.join(root, "index.html")):
        print(f"{root}: no index.html (is this a built book?)", file=sys.stderr)
        return 2
    pages = {}
    for d, _, files in os.walk(root):
        for f in files:
            if f.endswith(".html"):
                p = os.path.join(d, f)
                parser = Page()
                with open(p, encoding="utf-8") as fh:
                    parser.feed(fh.read())
                pages[p] = parser
    broken = []
    checked = 0
    for path, page in sorted(pages.items()):
        rel_page = os.path.relpath(path, root)
        for attr, value, line in page.links:
            v = value.strip()
            if not v or v.startswith("javascript:"):
                continue
            parts = urlsplit(v)
            if parts.scheme or parts.netloc:
                continue  # outside the book
            checked += 1
            target = path
            if parts.path:
                target = os.path.normpath(os.path.join(os.path.dirname(path), unquote(parts.path)))
                if v.endswith("/") or os.path.isdir(target):
                    target = os.path.join(target, "index.html")
                if not target.startswith(root + os.sep):
                    broken.append(f"{rel_page}:{line}: {attr}={value!r} points outside the book")
                    continue
                if not os.path.isfile(target):
                    broken.append(f"{rel_page}:{line}: {attr}={value!r}: no such file {os.path.relpath(target, root)}")
                    continue
            if parts.fragment and target.endswith(".html"):
                ids = pages[target].ids if target in pages else set()
                if unquote(parts.fragment) not in ids:
                    broken.append(
                        f"{rel_page}:{line}: {attr}={value!r}: no anchor #{parts.fragment} in {os.path.relpath(target, root)}"
                    )
    for md in argv[2:]:
        broken += check_markdown(md)
    for b in broken:
        print(b)
    print(f"checked {checked} links and images in {len(pages)} pages: {len(broken)} broken", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
