"""Hooks: code that runs before or after a named method, as ProcessWire's `Class::method` hooks.

A method marked `@hookable` costs one set lookup when nothing hooks it, so the page save path
stays fast until a module asks for more.
"""
from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass, field
from typing import Any, Callable


class HookEvent:
    """What a hook sees: the object, the arguments (a mutable list), the return value.

    A before hook that sets `replace = True` replaces the method: it is not called, and
    `return_value` is what the caller gets.
    """

    __slots__ = ("object", "method", "arguments", "kwargs", "return_value", "replace")

    def __init__(self, object: Any, method: str, arguments: list, kwargs: dict):
        self.object = object
        self.method = method
        self.arguments = arguments
        self.kwargs = kwargs
        self.return_value: Any = None
        self.replace = False

    def argument(self, index: int, default: Any = None) -> Any:
        return self.arguments[index] if index < len(self.arguments) else default

    def __repr__(self) -> str:
        return f"<HookEvent {type(self.object).__name__}::{self.method}>"


@dataclass(order=True)
class Hook:
    priority: int
    id: int
    when: str = field(compare=False)
    key: Any = field(compare=False)
    fn: Callable[[HookEvent], Any] = field(compare=False)


class Hooks:
    """The site's hook registry: class hooks by "Class::method" and hooks on one object."""

    def __init__(self) -> None:
        self._hooks: dict[Any, list[Hook]] = {}
        self._by_id: dict[int, Hook] = {}
        self._ids = itertools.count(1)
        self.hooked_methods: set[str] = set()
        self.hooked_timings: set[tuple[str, str]] = set()     # (method, "before" / "after")
        self._cache: dict[tuple[type, str, int], list[Hook]] = {}

    def add(self, when: str, key: Any, fn: Callable[[HookEvent], Any], priority: int = 100) -> int:
        """Register `fn`; `key` is "Class::method" or (object id, method). Returns the hook's id."""
        if when not in ("before", "after"):
            raise ValueError(f"hook timing must be 'before' or 'after', not {when!r}")
        if not callable(fn):
            raise TypeError(f"hook handler {fn!r} is not callable")
        # Checked before the hook joins its list: the list's sort compares priorities, and one
        # that cannot be compared stayed there, failing every later call of the method.
        if isinstance(priority, bool) or not isinstance(priority, (int, float)) or priority != priority:
            raise ValueError(f"hook priority must be a number (default 100), not {priority!r}")
        if isinstance(key, str):
            if "::" not in key:
                raise ValueError(f"hook name {key!r} must look like 'Class::method', e.g. 'Pages::save'")
            class_name, method = key.split("::", 1)
            method = hookable_name(class_name, hookable_methods().get(class_name), method)
            key = f"{class_name}::{method}"
        hook = Hook(priority, next(self._ids), when, key, fn)
        hooks = self._hooks.setdefault(key, [])
        hooks.append(hook)
        hooks.sort()
        self._by_id[hook.id] = hook
        self._refresh()
        return hook.id

    def ids(self) -> set[int]:
        """The ids of the hooks registered now (to take back those some code adds after)."""
        return set(self._by_id)

    def remove(self, hook_id: int) -> bool:
        """Remove a hook by the id `add` returned; False if there was none."""
        hook = self._by_id.pop(hook_id, None)
        if hook is None:
            return False
        self._hooks[hook.key].remove(hook)
        if not self._hooks[hook.key]:
            del self._hooks[hook.key]
        self._refresh()
        return True

    def _refresh(self) -> None:
        self.hooked_timings = {(key.split("::", 1)[1] if isinstance(key, str) else key[1], hook.when)
                               for key, hooks in self._hooks.items() for hook in hooks}
        self.hooked_methods = {method for method, _ in self.hooked_timings}
        self._cache = {}

    def _matching(self, obj: Any, method: str) -> tuple[list[Hook], list[Hook]]:
        """The before and the after hooks for `method` of `obj`, each in the order they run."""
        # Worked out once per (class, method, hooked object) until the hooks change: walking the
        # MRO and sorting on every call cost a save ~10% with five hooks (bench/bench_hooks.py).
        # A change replaces the cache dict, so a list worked out from the old hooks by another
        # thread lands in the discarded dict, never in the new one.
        cache = self._cache
        own = self._hooks.get((id(obj), method))
        key = (type(obj), method, id(obj) if own else 0)
        found = cache.get(key)
        if found is None:
            hooks: list[Hook] = []
            for cls in type(obj).__mro__:
                hooks += self._hooks.get(f"{cls.__name__}::{method}", ())
            hooks = sorted(hooks + (own or []))
            found = cache[key] = ([h for h in hooks if h.when == "before"],
                                  [h for h in hooks if h.when == "after"])
        return found

    def call(self, obj: Any, method: str, impl: Callable, args: tuple, kwargs: dict) -> Any:
        before, after = self._matching(obj, method)
        if not before and not after:
            return impl(obj, *args, **kwargs)
        event = HookEvent(obj, method, list(args), kwargs)
        hook = None
        try:        # one try around each loop: a save with five hooks paid a call per hook
            for hook in before:
                hook.fn(event)
            if not event.replace:
                hook = None
                event.return_value = impl(obj, *event.arguments, **event.kwargs)
            for hook in after:
                hook.fn(event)
        except Exception as exc:
            if hook is not None:       # said once, wherever the error is reported (not logged
                exc.add_note(          # here and then again by whoever catches it)
                    f"raised by hook {getattr(hook.fn, '__qualname__', hook.fn)} "
                    f"({hook.when} {hook.key!r})")
            raise
        return event.return_value


# Hooked by hand rather than by @hookable (cms/render.py).
HOOKED_BY_HAND = {"Page": {"render"}}


def methods_marked(cls: type) -> set[str]:
    """The names `cls` (with its bases) may be hooked by: its @hookable methods."""
    return {name.lstrip("_") for klass in cls.__mro__ for name, value in vars(klass).items()
            if getattr(value, "hookable", False)}


def hookable_methods() -> dict[str, set[str]]:
    """Class name -> its hookable methods, for every class loaded that has any. LazyCron is
    loaded first: only a server starts it, and a script's hook on it must still be checked."""
    from . import lazycron  # noqa: F401 - loaded for its class
    found = {name: set(methods) for name, methods in HOOKED_BY_HAND.items()}
    stack = list(Hookable.__subclasses__())
    while stack:
        cls = stack.pop()
        stack += cls.__subclasses__()
        found.setdefault(cls.__name__, set()).update(methods_marked(cls))
    return found


_WORD_STARTS = re.compile(r"(?<=[a-z])(?=[A-Z0-9])|(?<=[0-9])(?=[A-Za-z])")


def hookable_name(class_name: str, methods: set[str] | None, method: str) -> str:
    """The method a hook names, in our spelling where it was given in ProcessWire's
    (`saveReady` is `save_ready`, `every30Seconds` is `every_30_seconds`); a hook that would
    never run (`Pages::trashh`) is refused. A class not loaded yet (a module's, registered
    later) is taken on trust."""
    if methods is None or method in methods:
        return method
    ours = _WORD_STARTS.sub("_", method).lower()
    if ours in methods:
        return ours
    raise ValueError(f"{class_name}::{method} is not hookable; {class_name} has "
                     f"{', '.join(sorted(methods)) or 'no hookable methods'}")


def hookable(method: Callable) -> Callable:
    """Mark a method of a `Hookable` class as hookable under its own name."""
    name = method.__name__.lstrip("_")

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        hooks: Hooks = self.site.hooks
        if name not in hooks.hooked_methods:
            return method(self, *args, **kwargs)
        return hooks.call(self, name, method, args, kwargs)

    wrapper.hookable = True  # type: ignore[attr-defined]
    return wrapper


class Hookable:
    """Gives an object `add_hook_before` / `add_hook_after` for hooks on it alone."""

    site: Any

    def add_hook_before(self, method: str, fn: Callable[[HookEvent], Any], priority: int = 100) -> int:
        method = hookable_name(type(self).__name__, methods_marked(type(self)), method)
        return self.site.hooks.add("before", (id(self), method), fn, priority)

    def add_hook_after(self, method: str, fn: Callable[[HookEvent], Any], priority: int = 100) -> int:
        method = hookable_name(type(self).__name__, methods_marked(type(self)), method)
        return self.site.hooks.add("after", (id(self), method), fn, priority)

    def remove_hook(self, hook_id: int) -> bool:
        return self.site.hooks.remove(hook_id)


class SiteHooks:
    """Gives the site `add_hook_before("Pages::save", fn)`, `add_hook_after`, `remove_hook(id)`.

    These are class hooks: they run for every object of the named class (and its subclasses),
    as ProcessWire's `$wire->addHookBefore('Pages::save', ...)`. For hooks on one object, call
    the same methods on the object (`site.pages.add_hook_after("saved", fn)`).
    """

    hooks: Hooks

    def add_hook_before(self, name: str, fn: Callable[[HookEvent], Any], priority: int = 100) -> int:
        """Run `fn(event)` before `Class::method`; lower priorities run first. Returns the hook id."""
        return self.hooks.add("before", name, fn, priority)

    def add_hook_after(self, name: str, fn: Callable[[HookEvent], Any], priority: int = 100) -> int:
        """Run `fn(event)` after `Class::method` (it may change `event.return_value`)."""
        return self.hooks.add("after", name, fn, priority)

    def remove_hook(self, hook_id: int) -> bool:
        """Remove a hook by the id `add_hook_*` returned; False if there was none."""
        return self.hooks.remove(hook_id)
