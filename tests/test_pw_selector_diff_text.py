"""Text selector operators against ProcessWire 3.0.256: minimized cases of a randomized
differential run (a rig kept outside this repository built the same pages, with a PageTitle,
a Textarea and a Text field, in both, on a default MariaDB with its InnoDB fulltext indexes,
and compared thousands of `find()` answers); each test states ProcessWire's answer."""
from __future__ import annotations

import pytest


def names(site, selector):
    return sorted(p.name for p in site.pages.find("template=item, " + selector))


@pytest.fixture
def text_site(site):
    site.fields.add("body", "Textarea")
    site.fields.add("subtitle", "Text")
    site.templates.add("folder", fields=["title"])
    site.templates.add("item", fields=["title", "body", "subtitle"])
    m = site.pages.add("folder", 1, "m", title="M")
    for name, subtitle in (("a", "_foo xyz"), ("b", "foo_bar"), ("c", "foo bar"), ("d", "xyz_foo"),
                           ("e", "the foo_ end")):
        site.pages.add("item", m, name, title=name.upper(), subtitle=subtitle)
    return site


def test_a_value_starting_with_an_underscore_keeps_it_on_its_first_word(text_site):
    # ProcessWire 3.0.256's words array (Sanitizer::wordsArray) splits the value at a separator
    # and the punctuation around it, so a "_" at a word's end goes, and so does one after a
    # space (`~="zzz _foo"` wants foo), but the value's first word has no separator before it
    # and keeps its leading "_": `~=_foo` is the whole word "_foo" (a), `*=_foo`, `~*=_foo`,
    # `~|*=_foo` and `~~=_foo` a word starting so (a), `~%=_foo` and `~|%=_foo` the text
    # "_foo" anywhere (a d); `~=foo_` is still `~=foo` (c) and `*=foo_` b c e.
    site = text_site
    assert names(site, "subtitle~=_foo") == ["a"]
    for op in ("*=", "~*=", "~|*=", "~~="):
        assert names(site, f"subtitle{op}_foo") == ["a"], op
    assert names(site, "subtitle~%=_foo") == ["a", "d"]
    assert names(site, "subtitle~|%=_foo") == ["a", "d"]
    assert names(site, "subtitle~|=\"zzz _foo\"") == ["c"]
    assert names(site, "subtitle~=foo_") == ["c"]
    assert names(site, "subtitle*=foo_") == ["b", "c", "e"]
    assert names(site, "subtitle!~=_foo") == ["b", "c", "d", "e"]


@pytest.fixture
def edge_site(site):
    site.fields.add("body", "Textarea")
    site.fields.add("subtitle", "Text")
    site.templates.add("folder", fields=["title"])
    site.templates.add("item", fields=["title", "body", "subtitle"])
    m = site.pages.add("folder", 1, "m", title="M")
    for name, body, subtitle in (("a", "database_ end", "database_ end"),
                                 ("b", "data #_base x", "data base_"),
                                 ("c", "e-mail-C#_database-go", "e-mail-C#_database-go"),
                                 ("d", "database end", "data base")):
        site.pages.add("item", m, name, title=name.upper(), body=body, subtitle=subtitle)
    return site


def test_starts_and_ends_with_also_ask_the_fulltext_index_for_a_word(edge_site):
    # ProcessWire 3.0.256's matchStartEnd narrows `^=` and `$=` by MATCH ... AGAINST before its
    # RLIKE: `^=` wants the first word of three characters or more whole and the last one
    # starting a word (`+first +last*`: the escape drops the middle words' "+"), `$=` the
    # second such word whole (`+second`: the first may be a word's end). Words come from its
    # words array ("_" goes beside punctuation), the index keeps "_" in words, so a "_" beside
    # such a word in the text makes another word: `^="database_ end"` finds nothing (the word
    # is "database_"), nor does `^="data #_base"` or `$="e-mail-C#_database-go"`, and
    # `subtitle$="data base"` leaves out "data base_"; `$="C#_database-go"` (one such word)
    # and `^="data base"` ("base_" starts with base) find them. A negation takes them all.
    site = edge_site
    assert names(site, 'body^="database_ end"') == []
    assert names(site, 'subtitle^="database_ end"') == []
    assert names(site, 'title|subtitle^="database_ end"') == []
    assert names(site, 'subtitle.data^="database_ end"') == []
    assert names(site, 'body^="data #_base"') == []
    assert names(site, 'body$="e-mail-C#_database-go"') == []
    assert names(site, 'subtitle$="data base"') == ["d"]
    assert names(site, 'subtitle$="C#_database-go"') == ["c"]
    assert names(site, 'subtitle^="data base"') == ["b", "d"]
    assert names(site, '!body^="database_ end"') == ["a", "b", "c", "d"]
    assert names(site, 'body^="database_ end"|"data #_base"|"database"') == ["a", "d"]


def test_contains_a_phrase_also_asks_the_fulltext_index_for_its_words(site):
    # ProcessWire 3.0.256's matchPhrase narrows a `*=` of several words by MATCH ... AGAINST
    # before its RLIKE: the last word as a word's start ('+last*'), and the others whole (one
    # of three characters or more: '+word'; several and no shorter one: the phrase '+"a b"';
    # several beside a shorter one: optional). As for `^=`, a "_" beside such a word in the
    # text makes another word of it: `*="apple_ pie"` does not find "apple_ pie x" (the index
    # holds "apple_"), `*="data #_base"` not "x data #_base", `*="data_ base_ cool"` neither
    # "data_ base_ cool" nor "ab data_ base_ cool", `*="ab data_ cool"` not "ab data_ cool";
    # `*="data base"` finds "data base_" and `*="ab data_ base_ cool"` its text.
    site.fields.add("body", "Textarea")
    site.templates.add("item", fields=["title", "body"])
    for name, body in (("a", "apple_ pie x"), ("b", "x data #_base"), ("c", "data base_"),
                       ("d", "data_ base_ cool"), ("e", "ab data_ cool"), ("f", "ab data_ base_ cool"),
                       ("g", "hash#tag~abc->def-__dunder__")):
        site.pages.add("item", 1, name, title=name.upper(), body=body)
    assert names(site, 'body*="apple_ pie"') == []
    assert names(site, 'body*="data #_base"') == []
    assert names(site, 'body*="data base"') == ["c"]
    assert names(site, 'body*="data_ base_ cool"') == []
    assert names(site, 'body*="ab data_ cool"') == []
    assert names(site, 'body*="ab data_ base_ cool"') == ["f"]
    assert names(site, 'body*="hash#tag~abc->def-__dunder__"') == []
    assert names(site, '!body*="apple_ pie"') == ["a", "b", "c", "d", "e", "f", "g"]
    # its words are keyed by their text: "data" twice beside "ab" is one word, '+data'
    site.pages.add("item", 1, "h", title="H", body="data_ ab data_ pies")
    assert names(site, 'body*="data_ ab data_ pies"') == []


def test_live_search_repeating_its_last_word_asks_it_only_as_a_prefix(site):
    # ProcessWire 3.0.256's getBooleanModeWords keys the boolean words by their text, so a
    # `~~=` value repeating its last word as written makes it '+word*' alone: `~~="data data"`
    # finds "database x" (and "data base"), `~~="Apple’Apple"` "apple_pie" and "pies and
    # apples", `~~="apple pies apple"` the latter; the case counts (`~~="data DATA"`, two
    # keys, still wants "data" whole: "data base" alone).
    site.fields.add("body", "Textarea")
    site.templates.add("item", fields=["title", "body"])
    for name, body in (("a", "database x"), ("b", "data base"), ("c", "apple_pie"), ("d", "pies and apples")):
        site.pages.add("item", 1, name, title=name.upper(), body=body)
    assert names(site, 'body~~="data data"') == ["a", "b"]
    assert names(site, 'body~~="data DATA"') == ["b"]
    assert names(site, 'body~~="Apple’Apple"') == ["c", "d"]
    assert names(site, 'body~~="apple pies apple"') == ["d"]
    assert names(site, 'body~~="pies apple pies"') == []
    assert names(site, '!body~~="data data"') == ["c", "d"]


def test_invisible_format_characters_end_a_word(site):
    # MySQL's fulltext tokenizer ends a word at any character that is no letter, digit or "_",
    # and ProcessWire's words array splits a value at \pC: a zero-width space, a soft hyphen,
    # the zero-width (non-)joiners, a word joiner, direction marks and isolates separate words,
    # as the other signs of Latin-1 and General Punctuation do. ProcessWire 3.0.256 finds
    # every one of these by `~=data`, `~=zebra`, `*=data`, `~|*=dat`, and by
    # `~="zebra<zero-width space>data"` and its `~%=`.
    site.fields.add("subtitle", "Text")
    site.templates.add("item", fields=["title", "subtitle"])
    separators = ("\u200b", "\u00ad", "\u200c", "\u200d", "\u2060", "\u200e", " ", "\u2066")
    for index, separator in enumerate(separators):
        site.pages.add("item", 1, f"p{index}", title=f"P{index}", subtitle=f"zebra{separator}data")
    every = [f"p{index}" for index in range(len(separators))]
    for selector in ("subtitle~=data", "subtitle~=zebra", "subtitle*=data", "subtitle~|*=dat",
                     'subtitle~="zebra\u200bdata"', 'subtitle~%="zebra\u200bdata"'):
        assert names(site, selector) == every, selector
    assert names(site, 'subtitle*="zebra data"') == ["p6"]


def test_words_joined_by_a_hyphen_match_as_a_phrase_that_sees_accents(site):
    # ProcessWire 3.0.256's getBooleanModeWords asks a part of a word operator's value that
    # joins words by "-", ".", ":" or "->" (a part between ASCII spaces) to match by RLIKE,
    # which ignores case but not accents: `~=über-cool` finds "über-cool x" and "über cool x",
    # not "uber-cool x", `~=uber-cool` only that one, `~=ÜBER-COOL` and `~*=über-cool` as the
    # first; `~|=über-cool` (any word) all three. A no-break space does not end such a part:
    # `~="apple-pie<no-break space>crust"` finds only the text holding it.
    site.fields.add("subtitle", "Text")
    site.templates.add("item", fields=["title", "subtitle"])
    for name, subtitle in (("a", "uber-cool x"), ("b", "über-cool x"), ("c", "über cool x"),
                           ("d", "apple-pie crust"), ("e", "apple-pie\u00a0crust")):
        site.pages.add("item", 1, name, title=name.upper(), subtitle=subtitle)
    assert names(site, "subtitle~=über-cool") == ["b", "c"]
    assert names(site, "subtitle~=uber-cool") == ["a"]
    assert names(site, "subtitle~=ÜBER-COOL") == ["b", "c"]
    assert names(site, "subtitle~*=über-cool") == ["b", "c"]
    assert names(site, "subtitle~|=über-cool") == ["a", "b", "c"]
    assert names(site, "!subtitle~=über-cool") == ["a", "d", "e"]
    assert names(site, 'subtitle~="apple-pie crust"') == ["d", "e"]
    assert names(site, 'subtitle~="apple-pie\u00a0crust"') == ["e"]


def test_the_fulltext_index_is_not_asked_for_a_stopword(site):
    # ProcessWire 3.0.256 leaves InnoDB's stopwords ("with", "about" ...) out of the words
    # its `^=`, `$=` and `*=` ask the index for, as the index holds none of them: it finds
    # "a “quoted”_with" by `$="“quoted”_with"` (no second word to ask for), "about_ data" by
    # `*="about_ data"` and "with_ data x" by `^="with_ data"` (only '+data*').
    site.fields.add("body", "Textarea")
    site.templates.add("item", fields=["title", "body"])
    for name, body in (("a", "a “quoted”_with"), ("b", "about_ data"), ("c", "with_ data x")):
        site.pages.add("item", 1, name, title=name.upper(), body=body)
    assert names(site, 'body$="“quoted”_with"') == ["a"]
    assert names(site, 'body*="about_ data"') == ["b"]
    assert names(site, 'body^="with_ data"') == ["c"]
