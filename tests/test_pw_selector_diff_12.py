"""Selectors against ProcessWire 3.0.256, a randomized differential run on text operators
(`*=`, `~=`, `%=`, `^=`, `$=` and the word operators over varied text: short words, stopwords,
apostrophes, hyphens, accented and non-Latin letters, quoted commas), numbers and dates
(negative values, 0 and its spellings, empty values, OR values), checkboxes, and sorting and
paging (several keys, ties, empty values, `start=` past the end, `limit=0`, `.total`). A rig
kept outside this repository built the same random site in both and compared the pages found.
Each test states ProcessWire's answer, or, where README's table of differences holds ours,
our answer."""

from __future__ import annotations


def names(found):
    return sorted(page.name for page in found)


def test_an_apostrophe_in_a_word_operators_joined_part_matches_either_kind(site):
    # ProcessWire 3.0.256 matches a value's part joining words by ".", "-", ":" or "->" as a
    # phrase by RLIKE, built by DatabaseQuerySelectFulltext::rlikeValue, which turns a straight
    # or curly apostrophe into ('|’): `title~="v1.2's"` runs RLIKE '\bv1\.2('|('|’))s\b' and
    # finds "v1.2’s hello"; `title~="x.y’s"` finds "x.y's z"; `title~*="l’été."` (RLIKE
    # '\bl('|’)été\.') finds "Apple xy; under? l'été. red,". Every other apostrophe of a
    # value matches either kind here too (`title*="it's"` finds "it’s").
    site.templates.add("item", fields=["title"])
    site.pages.add("item", 1, "curly", title="v1.2’s hello")
    site.pages.add("item", 1, "straight", title="x.y's z")
    site.pages.add("item", 1, "french", title="Apple xy; under? l'été. red,")
    assert names(site.pages.find('template=item, title~="v1.2\'s"')) == ["curly"]
    assert names(site.pages.find('template=item, title~="x.y’s"')) == ["straight"]
    assert names(site.pages.find('template=item, title~*="l’été."')) == ["french"]
    assert names(site.pages.find('template=item, title~*="Apple xy; under? l’été. red,"')) == ["french"]
    assert names(site.pages.find('template=item, title~~="x.y’s"')) == ["straight"]
    assert names(site.pages.find('template=item, title~="x.y’s z"')) == ["straight"]
    # a curly one ending the part may be left out, as rlikeValue's "('|’)? " allows
    assert names(site.pages.find('template=item, title~="x.y’"')) == ["straight"]
    # the apostrophe kind written still matches, and a word the phrase lacks still fails
    assert names(site.pages.find('template=item, title~="x.y\'s"')) == ["straight"]
    assert names(site.pages.find('template=item, title~="x.y’t"')) == []
