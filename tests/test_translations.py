"""Every shipped locale translates every message in the source, with the same placeholders.

The messages are extracted afresh, exactly as ``flask translate extract`` does, so a string
added to the code or templates without running ``flask translate update`` and translating it
fails here rather than showing up in English on a Swedish page.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from collections import Counter

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from cml_earth import PROJECT_ROOT, cli
from cml_earth.config import Defaults

SHIPPED_LOCALES = sorted(set(Defaults.LANGUAGES) - {Defaults.BABEL_DEFAULT_LOCALE})

# A named printf placeholder: %(name)s, %(max)d, %(ratio).1f ... ("%%" is a literal percent).
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa])")


def _extract_argv(output: str) -> list[str]:
    """The pybabel arguments of ``flask translate extract``, writing to ``output`` instead."""
    calls: list[tuple[str, ...]] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "_pybabel", lambda *args: calls.append(args))
        # Unwrapped: the command's app-context wrapper needs a click context we do not have.
        inspect.unwrap(cli.translate_extract.callback)()
    (args,) = calls
    argv = list(args)
    argv[argv.index("-o") + 1] = output
    return argv


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory) -> list[Message]:
    """The messages in the source right now, not in the committed messages.pot."""
    pot = tmp_path_factory.mktemp("extract") / "messages.pot"
    done = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", *_extract_argv(str(pot))],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"extraction failed:\n{done.stderr}"
    with pot.open("rb") as handle:
        messages = [message for message in read_po(handle) if message.id]
    assert messages, "extraction found no messages at all"
    return messages


def shipped_catalog(locale: str) -> Catalog:
    path = PROJECT_ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po"
    assert path.is_file(), f"{locale} is in LANGUAGES but has no catalogue at {path}"
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def placeholders(text: str) -> Counter[tuple[str, str]]:
    return Counter(PLACEHOLDER.findall(text))


def forms(message: Message) -> list[str]:
    """The translation's forms: one for a singular message, nplurals for a plural one."""
    if isinstance(message.string, tuple | list):
        return list(message.string)
    return [message.string]


def label(message: Message) -> str:
    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
    return f"{msgid!r}" + (f" (context {message.context!r})" if message.context else "")


def test_some_locale_besides_the_source_is_shipped():
    assert SHIPPED_LOCALES


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_every_source_message_is_translated(locale, source_messages):
    catalog = shipped_catalog(locale)
    assert not catalog.fuzzy, f"{locale}: the catalogue header is fuzzy, so pybabel skips it"
    problems = []
    for wanted in source_messages:
        message = catalog.get(wanted.id, context=wanted.context)
        if message is None:
            problems.append(f"missing: {label(wanted)}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {label(wanted)}")
        elif not all(forms(message)):
            problems.append(f"untranslated: {label(wanted)}")
        elif wanted.pluralizable != message.pluralizable:
            problems.append(f"singular/plural differs from the source: {label(wanted)}")
    assert not problems, (
        f"{locale}: run `flask translate update` and translate these:\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_translations_keep_the_placeholders(locale):
    problems = []
    for message in shipped_catalog(locale):
        if not message.id or not any(forms(message)):
            continue
        if message.pluralizable:
            # A form may leave out the number ("en kram"), but none may bring a placeholder of
            # its own, and together the forms must use every placeholder of the plural msgid.
            allowed = set(placeholders(message.id[0])) | set(placeholders(message.id[1]))
            used = set().union(*(placeholders(form) for form in forms(message)))
            if not used <= allowed or not set(placeholders(message.id[1])) <= used:
                problems.append(label(message))
        elif placeholders(message.string) != placeholders(message.id):
            problems.append(label(message))
    assert not problems, f"{locale}: placeholders differ from the msgid in:\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_babel_checkers_find_nothing(locale):
    problems = [
        f"{label(message)}: {error}"
        for message, errors in shipped_catalog(locale).check()
        for error in errors
    ]
    assert not problems, f"{locale}:\n" + "\n".join(problems)
