"""Float, Checkbox, Email, URL, Textarea and Integer fields against ProcessWire 3.0.256:
minimized cases of a randomized differential run (a rig kept outside this repository built the
same random site in both, its Float field on a double column, and compared some 9,000 `find()`
answers and what saving odd values stores); each test states ProcessWire's answer."""
from __future__ import annotations

import pytest


def names(site, selector):
    return sorted(p.name for p in site.pages.find(selector + ", parent=/m/"))


@pytest.fixture
def price_site(site):
    site.fields.add("price", "Float")
    site.templates.add("folder", fields=["title"])
    site.templates.add("item", fields=["title", "price"])
    m = site.pages.add("folder", 1, "m", title="M")
    site.pages.add("item", m, "big", title="Big", price=1e20)
    site.pages.add("item", m, "small", title="Small", price=2.5)
    site.pages.add("item", m, "none", title="None")
    return site


def test_a_float_field_finds_a_number_past_the_whole_number_range(price_site):
    # ProcessWire 3.0.256 stores a Float of 1e20 and finds it with `price=1e20`, `price>1e19`
    # and `price=100000000000000000000`; `price>1e308` and `price<-1e308` find nothing. A
    # float's range is a double's, not a 64-bit whole number's (which an Integer keeps).
    site = price_site
    assert names(site, "price=1e20") == ["big"]
    assert names(site, "price>1e19") == ["big"]
    assert names(site, "price=100000000000000000000") == ["big"]
    assert names(site, "price<1e19") == ["none", "small"]
    assert names(site, "price>1e308") == []
    assert names(site, "price<-1e308") == []
    assert names(site, "price>-1e308") == ["big", "none", "small"]


def test_a_float_is_stored_as_processwire_stores_it_to_fourteen_significant_digits(site):
    # ProcessWire 3.0.256 saves a Float with no precision set (FieldtypeFloat::sleepValue) by
    # number_format() with as many decimals as PHP's 14-digit text of the number shows, also on
    # a double column: 0.1 + 0.2 is stored as 0.3, 0.1 + 0.7 as 0.8, 1/3 as 0.33333333333333,
    # 123456789.12345679 as 123456789.12346 and 1.2345678901234566e-7 as 1.2345678901235e-7;
    # from 1e14 up (where that text has an exponent) with one decimal, so 99999999999999.98 is
    # 1e14 and 1.2345678901234566e17 is kept; never with fewer than one decimal, so
    # 12345678901234.56 (whose text, 12345678901235, shows none) is 12345678901234.6.
    # `price=0.3` then finds the computed 0.1 + 0.2, and `price=0.30000000000000004` nothing.
    site.fields.add("price", "Float")
    site.templates.add("folder", fields=["title"])
    site.templates.add("item", fields=["title", "price"])
    m = site.pages.add("folder", 1, "m", title="M")
    values = {"a": (0.1 + 0.2, 0.3), "b": (1 / 3, 0.33333333333333), "c": (0.1 + 0.7, 0.8),
              "d": (123456789.12345679, 123456789.12346), "e": (1.2345678901234566e17, 1.2345678901234566e17),
              "f": (1.2345678901234566e-7, 1.2345678901235e-7), "g": (99999999999999.98, 1e14),
              "h": (-2.5, -2.5), "i": (1e20, 1e20), "j": (12345678901234.56, 12345678901234.6),
              "k": (1e-20, 1e-20)}
    for name, (value, _) in values.items():
        site.pages.add("item", m, name, title=name.upper(), price=value)
    for name, (_, stored) in values.items():
        assert site.pages.get(f"/m/{name}/").price == stored, name
    assert names(site, "price=0.3") == ["a"]
    assert names(site, "price=0.30000000000000004") == []
    assert names(site, "price=0.8") == ["c"]
    assert names(site, "price=0.33333333333333") == ["b"]
    assert names(site, "price=0.3333333333333333") == []


def test_a_float_takes_true_and_false_as_an_integer_does(price_site):
    # ProcessWire 3.0.256 stores a Float set to true as 1 (and false as no value); here an
    # Integer reads True and False as 1 and 0, and a Float did not take them at all ("True is
    # not a finite number"): now it reads them as the Integer does.
    site = price_site
    small = site.pages.get("/m/small/")
    small.set_and_save("price", True)
    assert site.pages.get(small.id).get("price") == 1.0 and names(site, "price=1") == ["small"]
    small.set_and_save("price", False)
    assert site.pages.get(small.id).get("price") == 0.0
